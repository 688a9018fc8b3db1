"""fip._atomic: file writes (mode, symlinks, devices, fsync) and folder swaps (whole or not at
all, leftovers of killed processes recovered), including kill -9 at the swap's steps."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import fip._atomic as atomic
from fip._atomic import (
    atomic_write_bytes,
    atomic_write_text,
    check_output_file,
    clean_leftovers,
    leftover_name,
    publish_new,
    replace_folder,
)
from fip.errors import FipError

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file semantics")


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name != folder.name)


# --------------------------------------------------------------------------- files


def test_existing_mode_is_kept_and_private_files_are_600(tmp_path):
    secret = tmp_path / "scores.csv"
    secret.write_text("old")
    secret.chmod(0o600)
    atomic_write_text(secret, "new")
    assert secret.read_text() == "new" and _mode(secret) == 0o600
    shared = tmp_path / "shared.csv"
    shared.write_text("old")
    shared.chmod(0o640)
    atomic_write_text(shared, "new", private=True)  # an existing file keeps its mode
    assert _mode(shared) == 0o640
    fresh = atomic_write_text(tmp_path / "new" / "card.html", "x", private=True)
    assert _mode(fresh) == 0o600
    plain = atomic_write_text(tmp_path / "table.csv", "x")
    assert _mode(plain) == 0o666 & ~_umask()


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_root_keeps_the_owner_of_a_replaced_file(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("old")
    os.chown(path, 12345, 12345)
    atomic_write_text(path, "new")
    st = path.stat()
    assert (st.st_uid, st.st_gid) == (12345, 12345) and path.read_text() == "new"


def test_a_symlink_is_followed_not_replaced(tmp_path):
    real = tmp_path / "data" / "note.html"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "note.html"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new"
    dangling = tmp_path / "later.html"
    dangling.symlink_to(tmp_path / "data" / "later-target.html")
    atomic_write_text(dangling, "made")
    assert dangling.is_symlink() and (tmp_path / "data" / "later-target.html").read_text() == "made"


def test_character_devices_and_pipes_are_written_through(tmp_path):
    before = os.stat("/dev/null")
    atomic_write_bytes("/dev/null", b"nothing")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_ino == before.st_ino
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    atomic_write_bytes(fifo, b"through the pipe")
    out, _ = reader.communicate(timeout=10)
    assert out == b"through the pipe" and stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_stdout_is_written_through_not_replaced(tmp_path):
    """``--out /dev/stdout`` with stdout redirected to a file appends to that file (the shell's
    redirection stays valid) instead of renaming a new file over it."""
    target = tmp_path / "out.txt"
    code = "import sys; print('first', flush=True); from fip._atomic import atomic_write_text; atomic_write_text('/dev/stdout', 'second\\n')"
    with target.open("w") as handle:
        subprocess.run([sys.executable, "-c", code], stdout=handle, check=True)
    assert target.read_text() == "first\nsecond\n"


def test_folders_sockets_and_file_parents_are_refused(tmp_path):
    with pytest.raises(FipError, match="is a folder; expected a file name"):
        atomic_write_text(tmp_path, "x")
    sock_path = tmp_path / "s.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    try:
        with pytest.raises(FipError, match="is a socket; refusing to replace it"):
            check_output_file(sock_path, "--out")
        assert stat.S_ISSOCK(os.stat(sock_path).st_mode)
    finally:
        sock.close()
    (tmp_path / "file").write_text("x")
    with pytest.raises(FipError, match="a part of the path is a file"):
        check_output_file(tmp_path / "file" / "x.csv", "--out")


def test_file_and_folder_are_fsynced(tmp_path, monkeypatch):
    synced: list[str] = []
    real = os.fsync

    def spy(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    atomic_write_text(tmp_path / "a.txt", "x")
    assert any(".a.txt.fip-" in s for s in synced)  # the data, before the rename
    assert str(tmp_path) in synced  # the folder, after it


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    path.write_text("old")

    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space"):
        atomic_write_text(path, "new")
    assert path.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


# --------------------------------------------------------------------------- leftovers


def test_leftovers_of_dead_processes_are_removed_others_kept(tmp_path):
    target = tmp_path / "report"
    dead = _dead_pid()
    mine = leftover_name(target)
    mine.mkdir()
    dead_dir = tmp_path / mine.name.replace(f"-{os.getpid()}-", f"-{dead}-")
    dead_dir.mkdir()
    (dead_dir / "half.csv").write_text("x")
    dead_file = tmp_path / f".report.fip-{atomic._host()}-{dead}-0123abcd.tmp.wal"
    dead_file.write_text("x")
    other_host = tmp_path / f".report.fip-ffffff-{dead}-0123abcd.tmp"
    other_host.mkdir()
    other_name = tmp_path / f".notes.fip-{atomic._host()}-{dead}-0123abcd.tmp"
    other_name.mkdir()
    removed = clean_leftovers(target)
    assert sorted(p.name for p in removed) == sorted([dead_dir.name, dead_file.name])
    assert mine.exists() and other_host.exists() and other_name.exists()
    assert not dead_dir.exists() and not dead_file.exists()


def test_a_swap_killed_between_its_renames_gets_the_old_folder_back(tmp_path):
    target = tmp_path / "out"
    dead = _dead_pid()
    old = tmp_path / f".out.fip-{atomic._host()}-{dead}-0000abcd.old"
    old.mkdir()
    (old / "report.html").write_text("old run")
    new = tmp_path / f".out.fip-{atomic._host()}-{dead}-1111abcd.tmp"
    new.mkdir()
    (new / "report.html").write_text("new run")
    clean_leftovers(target)
    assert _tree(target) == {"report.html": b"old run"}
    assert _siblings(target) == []


# --------------------------------------------------------------------------- folders


def _accept(folder: Path) -> str | None:
    return None if (folder / "report.html").exists() else "it has no report.html"


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_replace_folder_is_whole_or_nothing(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    target = tmp_path / "out"
    target.mkdir()
    (target / "report.html").write_text("old")
    (target / "tables").mkdir()
    (target / "tables" / "stale.csv").write_text("old table")
    target.chmod(0o750)
    before = _tree(target)
    with pytest.raises(RuntimeError):
        with replace_folder(target, looks_like=_accept, what="a run") as staging:
            (staging / "report.html").write_text("half")
            raise RuntimeError("the regressions failed")
    assert _tree(target) == before and _siblings(target) == []
    with replace_folder(target, looks_like=_accept, what="a run") as staging:
        (staging / "report.html").write_text("new")
        assert _tree(target) == before  # nothing visible until the block ends
    assert _tree(target) == {"report.html": b"new"}  # no stale table
    assert _mode(target) == 0o750 and _siblings(target) == []


def test_replace_folder_refuses_foreign_folders_and_follows_symlinks(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("mine")
    with pytest.raises(FipError, match="is not a run .it has no report.html.; refusing to replace it"):
        with replace_folder(home, looks_like=_accept, what="a run", option="--out"):
            pytest.fail("the block must not run")
    assert _tree(home) == {".bashrc": b"mine"} and _siblings(home) == []
    real = tmp_path / "real"
    real.mkdir()
    (real / "report.html").write_text("old")
    link = tmp_path / "link"
    link.symlink_to(real)
    with replace_folder(link, looks_like=_accept, what="a run") as staging:
        (staging / "report.html").write_text("new")
    assert link.is_symlink() and (real / "report.html").read_text() == "new"


def test_publish_new_never_overwrites(tmp_path):
    (tmp_path / "a").write_text("new store")
    (tmp_path / "store").write_text("someone else's")
    with pytest.raises(FileExistsError):
        publish_new(tmp_path / "a", tmp_path / "store")
    assert (tmp_path / "store").read_text() == "someone else's" and (tmp_path / "a").exists()


# --------------------------------------------------------------------------- kill -9 at the swap's steps

# The child replaces the folder and stops at a named step of the swap (printing it), so the
# parent can SIGKILL it exactly there: between the two renames of the fallback swap, or
# while the old folder is being removed after the exchange.
_CHILD = textwrap.dedent("""
    import os, shutil, sys, time
    import fip._atomic as a
    target, step = sys.argv[1], sys.argv[2]
    if step == "between-renames":
        a._exchange = lambda x, y: False
        real_rename = os.rename
        calls = []
        def rename(src, dst):
            real_rename(src, dst)
            calls.append(dst)
            if str(dst).endswith(".old"):
                print(step, flush=True)
                time.sleep(60)
        os.rename = rename
    else:
        def rmtree(path, ignore_errors=False):
            for p in sorted(os.listdir(path))[:1]:
                os.unlink(os.path.join(path, p))
            print(step, flush=True)
            time.sleep(60)
        shutil.rmtree = rmtree
    with a.replace_folder(target, looks_like=lambda f: None, what="a run") as staging:
        for k in range(5):
            (staging / f"t{k}.csv").write_text("new " + str(k))
""")


@pytest.mark.parametrize("step", ["between-renames", "removing-old"])
def test_kill_at_a_swap_step_leaves_old_or_new_whole(tmp_path, step):
    target = tmp_path / "out"
    target.mkdir()
    for k in range(3):
        (target / f"t{k}.csv").write_text("old " + str(k))
    old = _tree(target)
    new = {f"t{k}.csv": f"new {k}".encode() for k in range(5)}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(target), step], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == step
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    assert _siblings(target), "the kill left the swap's leftovers (else the test is vacuous)"
    if step == "removing-old":
        assert _tree(target) == new
    else:
        assert not target.exists()  # between the renames: the old folder is aside
    clean_leftovers(target)  # what the next write to the folder does first
    assert _tree(target) == (new if step == "removing-old" else old)
    assert _siblings(target) == []
