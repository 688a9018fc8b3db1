"""kill -9 of replicate, export, train and status-note at seeded random moments: afterwards the
output is the old one or the new one, whole (file lists and bytes compared), and the next
write removes what the killed process left (imports: tests/test_store_kill.py).

Each command runs once to completion (the new output), then twice killed: once at a random
moment of its whole run, once at a random moment just after it starts to put its output in
place (the child prints ``commit`` there), the window a random moment of the whole run
rarely hits. A folder that already holds an earlier output of the same kind stands for the
old output.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from fip._atomic import clean_leftovers
from fip.data import write_dataset
from fip.simulate import simulate_cohort
from fip.store import import_dataset

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")]

# The CLI, with a line printed when the output starts to be put in place: the folder swap,
# or the rename of a file's temporary sibling.
_CHILD = textwrap.dedent("""
    import os, sys
    import fip._atomic as a
    real_swap, real_replace = a._swap, os.replace
    def swap(*args, **kwargs):
        print("commit", flush=True)
        return real_swap(*args, **kwargs)
    def replace(src, dst, *args, **kwargs):
        if ".fip-" in os.fspath(src):
            print("commit", flush=True)
        return real_replace(src, dst, *args, **kwargs)
    a._swap, os.replace = swap, replace
    from fip.cli import app
    sys.argv = ["fip", *sys.argv[1:]]
    app()
""")


def _start(args: list) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _CHILD, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "MPLBACKEND": "Agg"})


def snapshot(path: Path) -> dict[str, str] | None:
    """sha256 of every file under ``path`` (or of the file), by relative name; None if absent."""
    if not path.exists():
        return None
    if path.is_file():
        return {"": hashlib.sha256(path.read_bytes()).hexdigest()}
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def _run_to_end(args: list) -> float:
    start = time.monotonic()
    child = _start(args)
    _, err = child.communicate(timeout=600)
    assert child.returncode == 0, err[-2000:]
    return time.monotonic() - start


def _kill(args: list, when: str, delay: float) -> None:
    child = _start(args)
    if when == "commit":  # wait for the line, then a few milliseconds more
        for line in child.stdout:
            if line.strip() == "commit":
                break
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=60)


def check_kills(args: list, target: Path, make_old, rng: np.random.Generator,
                moments: tuple[str, ...] = ("anytime", "commit")) -> list[str]:
    """Run ``args`` once to the end, then kill it at each of ``moments``; the target is old or
    new, whole."""
    make_old()
    old = snapshot(target)
    parent = sorted(p.name for p in target.parent.iterdir())
    duration = _run_to_end(args)
    new = snapshot(target)
    assert new is not None and new != old
    seen = []
    delays = {"anytime": rng.uniform(0, duration), "commit": rng.uniform(0, 0.02)}
    for when in moments:
        delay = delays[when]
        shutil.rmtree(target) if target.is_dir() else target.unlink()
        make_old()
        _kill(args, when, delay)
        got = snapshot(target)
        assert got in (old, new), f"{when} kill after {delay:.3f} s: neither the old output nor the new one"
        seen.append("new" if got == new else "old")
        clean_leftovers(target)  # what the next run does first
        assert sorted(p.name for p in target.parent.iterdir()) == parent, "leftovers stayed behind"
        assert snapshot(target) == got
    return seen


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("killdata")
    folder = write_dataset(simulate_cohort(500, seed=0), tmp / "q")
    store = tmp / "s.duckdb"
    import_dataset(folder, store, user="analyst")
    return {"folder": folder, "store": store}


def _old_replication(out: Path) -> None:
    (out / "tables").mkdir(parents=True)
    (out / "report.html").write_text("<html>an earlier run</html>")
    (out / "tables" / "stale_table_of_another_instrument.csv").write_text("a\n1\n")


def test_kill_replicate(data, tmp_path):
    out = tmp_path / "run" / "out"
    args = ["replicate", data["folder"], "--out", out, "--workers", "0"]
    # at a random moment of the computation and at the swap (one extra run of a few seconds)
    check_kills(args, out, lambda: _old_replication(out), np.random.default_rng(71))


def test_kill_export_switching_format(data, tmp_path):
    """The old export is Excel, the new one CSV: no mixture of the two, ever."""
    earlier = tmp_path / "earlier"
    subprocess.run([sys.executable, "-m", "fip.cli", "export", "--store", str(data["store"]), "--out", str(earlier),
                    "--format", "xlsx"], check=True, capture_output=True)
    out = tmp_path / "run" / "export"
    out.parent.mkdir()
    check_kills(["export", "--store", data["store"], "--out", out, "--format", "csv"], out,
                lambda: shutil.copytree(earlier, out), np.random.default_rng(72))
    assert sorted(snapshot(out)) in (["forms.csv", "outcomes.csv", "persons.csv"],
                                     ["forms.xlsx", "outcomes.xlsx", "persons.xlsx"])


def test_kill_train(data, tmp_path):
    model = tmp_path / "run" / "model.json"
    model.parent.mkdir()
    old = lambda: model.write_text('{"an": "earlier model"}')  # noqa: E731
    args = ["train", data["folder"], "--out", model, "--folds", "3", "--C", "1.0",
            "--created-at", "2020-01-01T00:00:00"]
    check_kills(args, model, old, np.random.default_rng(73))


def test_kill_status_note(data, tmp_path):
    note = tmp_path / "run" / "note.html"
    note.parent.mkdir()

    def old():
        note.write_text("<html>last quarter</html>")
        note.chmod(0o640)

    args = ["status-note", "--store", data["store"], "--municipality", "kommune_07", "--quarter", "2018Q2",
            "--out", note]
    check_kills(args, note, old, np.random.default_rng(74))
    assert (note.stat().st_mode & 0o777) == 0o640  # the replaced note kept its mode
