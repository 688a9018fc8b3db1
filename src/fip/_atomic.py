"""Write files and folders atomically: a reader sees the old version or the new one, whole.

**Files** (:func:`atomic_write_bytes`): the data go to a temporary sibling
``.<name>.fip-<host>-<pid>-<random>.tmp``, are flushed to disk (``fsync``), and the sibling is
renamed over the target; then the folder is flushed too. The target keeps its permissions
(and, where the process may, its owner); a new file gets the usual ``0o666`` less the umask,
or ``0o600`` for person-level files (``private=True``). A symlink is followed: the file it
points to is replaced and the link stays. A character device or a pipe (``/dev/null``,
``/dev/stdout``, ``>(gzip > x.gz)``) is written through, as a shell redirection would; a
folder, a block device or a socket is refused with a :class:`~fip.errors.FipError`.

**Folders** (:func:`replace_folder`): a command writes its whole output into a temporary
sibling folder, and only when everything is written is that folder swapped with the target
in one step (Linux ``renameat2(RENAME_EXCHANGE)``); the old folder, now under the temporary
name, is then removed. Where the exchange is not available the swap is two renames (old away
to ``.<name>.fip-...-.old``, new in). A folder that does not look like an earlier output of
the same command is refused, never replaced.

**Leftovers**: a process killed with ``kill -9`` leaves its temporary sibling behind. Names
carry the host and process id, and the next write to the same target (:func:`clean_leftovers`)
removes leftovers of processes of this host that are no longer running; if a kill came
between the two renames of the fallback swap (the target is missing), the old folder is put
back first. Leftovers are hidden files and never read as output.

Examples
--------
>>> import tempfile, pathlib
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> _ = atomic_write_text(tmp / "note.txt", "hello")
>>> (tmp / "note.txt").read_text()
'hello'
>>> with replace_folder(tmp / "out", looks_like=lambda f: None, what="a test output") as staging:
...     _ = (staging / "a.csv").write_text("x")
>>> sorted(p.name for p in (tmp / "out").iterdir())
['a.csv']
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import re
import secrets
import shutil
import socket
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fip.errors import FipError, mask_personal

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output_file",
    "check_output_folder",
    "clean_leftovers",
    "leftover_name",
    "publish_new",
    "replace_folder",
]

#: A folder check: ``None`` if the folder may be replaced, else why not (a few words).
LooksLike = Callable[[Path], "str | None"]

_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.fip-(?P<host>[0-9a-f]{6})-(?P<pid>\d+)-[0-9a-f]{8}\.(?P<kind>tmp|old)(\..*)?$")


def _shown(path: Path | str, option: str | None = None) -> str:
    """``path`` for messages (CPR-like numbers masked), with the option that named it."""
    return (f"{option} " if option else "") + mask_personal(str(path))


@functools.cache
def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


def leftover_name(target: Path, kind: str = "tmp") -> Path:
    """A fresh temporary sibling of ``target`` (``kind`` ``"tmp"`` or ``"old"``) that
    :func:`clean_leftovers` recognises once this process is gone.

    Examples
    --------
    >>> leftover_name(Path("/x/report"), "tmp").name.startswith(".report.fip-")
    True
    """
    return target.parent / f".{target.name}.fip-{_host()}-{os.getpid()}-{secrets.token_hex(4)}.{kind}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def clean_leftovers(target: str | Path) -> list[Path]:
    """Remove the temporary siblings of ``target`` left by killed processes of this host.

    If ``target`` is missing and a killed swap left the old folder aside, it is renamed back
    first (the old output, whole). Siblings of running processes are left alone.

    Returns
    -------
    list of Path
        What was removed or restored.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> clean_leftovers(pathlib.Path(tempfile.mkdtemp()) / "out")
    []
    """
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    try:
        entries = list(parent.iterdir())
    except OSError:
        return []
    stale = []
    for entry in entries:
        m = _LEFTOVER.match(entry.name)
        if m and m["name"] == target.name and m["host"] == _host() and not _alive(int(m["pid"])):
            stale.append((m["kind"], m.group(0).endswith(m["kind"]), entry))
    done: list[Path] = []
    if not os.path.lexists(target):
        olds = sorted((e for kind, whole, e in stale if kind == "old" and whole and e.is_dir()),
                      key=lambda e: e.stat().st_mtime)
        if olds:
            os.rename(olds[-1], target)
            _fsync_dir(parent)
            done.append(olds[-1])
            stale = [s for s in stale if s[2] != olds[-1]]
    for _, _, entry in stale:
        _remove(entry)
        done.append(entry)
    return done


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a folder
        pass
    finally:
        os.close(fd)


def _write_through(path: Path) -> bool:
    """True if ``path`` is a character device or pipe, or reaches an open file of a process
    (``/dev/stdout``, ``/dev/fd/N``, ``/proc/self/fd/N``): write into it, do not replace it."""
    p = os.path.abspath(path)
    for _ in range(40):
        if p.startswith(("/proc/", "/dev/fd/")):
            return True
        if not os.path.islink(p):
            break
        p = os.path.abspath(os.path.join(os.path.dirname(p), os.readlink(p)))
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISFIFO, "a pipe")):
        if test(mode):
            return name
    return "not a regular file"


def check_output_file(path: str | Path, option: str | None = None) -> Path:
    """Check before computing that ``path`` can take an output file; return the file that
    will be written (symlinks resolved).

    Raises
    ------
    FipError
        ``path`` is a folder, a block device or a socket; a part of its folder is a file; or
        the nearest existing folder cannot be written to.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_file(tmp / "new" / "x.csv") == (tmp / "new" / "x.csv").resolve()
    True
    >>> check_output_file(tmp)
    Traceback (most recent call last):
    ...
    fip.errors.FipError: ...: is a folder; expected a file name
    """
    path = Path(path)
    if _write_through(path):
        return path
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise FipError(f"{_shown(path, option)}: a part of the path is a file, not a folder") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        expected = "expected a file name" if stat.S_ISDIR(st.st_mode) else "refusing to replace it"
        raise FipError(f"{_shown(path, option)}: is {_kind(st.st_mode)}; {expected}")
    real = Path(os.path.realpath(path))
    _check_parent(real, option)
    return real


def _check_parent(real: Path, option: str | None) -> None:
    parent = real.parent
    while not parent.exists():
        if parent.parent == parent:
            break
        parent = parent.parent
    if not parent.is_dir():
        raise FipError(f"{_shown(real, option)}: {_shown(parent)} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise FipError(f"{_shown(real, option)}: the folder {_shown(parent)} is not writable")


def atomic_write_bytes(path: str | Path, data: bytes, *, private: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (temporary sibling, fsync, rename, fsync folder).

    Parameters
    ----------
    path : str or Path
        Target file; missing folders are created. A symlink is followed (its target is
        replaced, the link kept); a character device or pipe is written through.
    data : bytes
    private : bool
        A new file is created ``0o600`` (person-level data) instead of ``0o666`` less the
        umask. An existing file always keeps its mode.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    FipError
        ``path`` is a folder, a block device or a socket (nothing is written).

    Examples
    --------
    >>> import tempfile, pathlib, stat
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "scores.csv"
    >>> _ = atomic_write_bytes(p, b"a,b\\n", private=True)
    >>> oct(stat.S_IMODE(p.stat().st_mode))
    '0o600'
    """
    path = Path(path)
    if _write_through(path):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return path
    real = check_output_file(path)
    try:
        old = os.stat(real)
    except FileNotFoundError:
        old = None
    real.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(real)
    tmp = leftover_name(real)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                 0o600 if private else 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            if old is not None:
                if (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
                    try:
                        os.fchown(handle.fileno(), old.st_uid, old.st_gid)
                    except PermissionError:  # not root: the file becomes ours
                        pass
                os.fchmod(handle.fileno(), stat.S_IMODE(old.st_mode))
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, real)
    except BaseException:
        _remove(tmp)
        raise
    _fsync_dir(real.parent)
    return path


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8", *, private: bool = False) -> Path:
    """Text version of :func:`atomic_write_bytes`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.txt"
    >>> atomic_write_text(p, "æ").read_bytes()
    b'\\xc3\\xa6'
    """
    return atomic_write_bytes(path, text.encode(encoding), private=private)


def publish_new(src: str | Path, target: str | Path) -> None:
    """Give the complete file ``src`` the name ``target``, only if no ``target`` exists.

    A hard link then removing ``src`` (or, where the file system has no hard links, a
    rename after a check); the folder is fsynced.

    Raises
    ------
    FileExistsError
        ``target`` exists (another process made it meanwhile); ``src`` is left in place.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (tmp / "a").write_text("x")
    >>> publish_new(tmp / "a", tmp / "b")
    >>> sorted(p.name for p in tmp.iterdir())
    ['b']
    """
    src, target = Path(src), Path(target)
    try:
        os.link(src, target)
    except FileExistsError:
        raise
    except OSError:  # no hard links here (some network or FAT file systems)
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "exists", str(target)) from None
        os.rename(src, target)
    else:
        os.unlink(src)
    _fsync_dir(target.parent)


# --------------------------------------------------------------------------- folders


def check_output_folder(path: str | Path, looks_like: LooksLike, what: str, option: str | None = None) -> Path:
    """Check before computing that ``path`` may receive ``what``; return the folder that will
    be replaced (symlinks resolved), after :func:`clean_leftovers`.

    Parameters
    ----------
    path : str or Path
    looks_like : callable
        ``looks_like(folder)`` gets an existing non-empty folder and returns ``None`` if it
        is an earlier output of the same kind, else a few words saying why not.
    what : str
        The output, for messages (e.g. ``"the output of fip replicate"``).

    Raises
    ------
    FipError
        ``path`` is a file, or a non-empty folder that ``looks_like`` rejects.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> home = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (home / ".bashrc").write_text("")
    >>> check_output_folder(home, lambda f: "it holds .bashrc", "a report")
    Traceback (most recent call last):
    ...
    fip.errors.FipError: ...: is not a report (it holds .bashrc); refusing to replace it: choose a new or empty folder
    """
    real = Path(os.path.realpath(path))
    if real.exists() or real.parent.is_dir():
        clean_leftovers(real)
    if real.exists():
        if not real.is_dir():
            raise FipError(f"{_shown(path, option)}: exists and is not a folder; choose a new or empty folder")
        if any(real.iterdir()):
            why = looks_like(real)
            if why is not None:
                raise FipError(f"{_shown(path, option)}: is not {what} ({mask_personal(why)}); refusing to replace it: "
                               "choose a new or empty folder")
    else:
        _check_parent(real, option)
    return real


def _fsync_tree(folder: Path) -> None:
    for root, dirs, files in os.walk(folder):
        for name in files:
            try:
                fd = os.open(os.path.join(root, name), os.O_RDONLY)
            except OSError:
                continue
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(root))


@functools.cache
def _renameat2():
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False if the system
    or file system cannot."""
    import ctypes

    fn = _renameat2()
    if fn is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap(staging: Path, target: Path, exchange: bool = True) -> None:
    """Put ``staging`` in the place of ``target``; remove the old ``target``."""
    parent = target.parent
    if not target.exists():
        os.rename(staging, target)
        _fsync_dir(parent)
        return
    if exchange and _exchange(staging, target):
        _fsync_dir(parent)
        shutil.rmtree(staging, ignore_errors=True)  # now the old folder
        return
    old = leftover_name(target, "old")
    os.rename(target, old)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(old, target)
        raise
    _fsync_dir(parent)
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def replace_folder(path: str | Path, *, looks_like: LooksLike, what: str,
                   keep: Callable[[Path], bool] | None = None, option: str | None = None) -> Iterator[Path]:
    """Stage a folder's new content in a temporary sibling; swap it in when the block ends.

    Parameters
    ----------
    path : str or Path
        Target folder: new, empty, or one that ``looks_like`` accepts (as
        :func:`check_output_folder`). A symlink is followed.
    looks_like, what
        As in :func:`check_output_folder`.
    keep : callable, optional
        ``keep(entry)`` for entries of the old folder to carry over into the new one
        (copied before the swap); default: none.

    Yields
    ------
    Path
        The empty staging folder (private to this process until the swap).

    Notes
    -----
    If the block raises (or the process dies), the target is left as it was; the staging
    folder is removed (or, after ``kill -9``, by the next write to the same target). The new
    folder keeps the old folder's permissions; a new folder gets ``0o777`` less the umask.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> with replace_folder(out, looks_like=lambda f: None, what="a run") as staging:
    ...     _ = (staging / "new.txt").write_text("new")
    >>> [p.name for p in out.iterdir()]
    ['new.txt']
    """
    target = check_output_folder(path, looks_like, what, option)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = leftover_name(target)
    os.mkdir(staging, 0o777)
    try:
        mode = stat.S_IMODE(os.stat(target if target.is_dir() else staging).st_mode)  # new: 0o777 less the umask
        os.chmod(staging, 0o700)
        yield staging
        if target.is_dir():
            check_output_folder(target, looks_like, what, option)  # still what it was
            if keep is not None:
                for entry in target.iterdir():
                    if keep(entry) and not os.path.lexists(staging / entry.name):
                        if entry.is_dir() and not entry.is_symlink():
                            shutil.copytree(entry, staging / entry.name, symlinks=True)
                        else:
                            shutil.copy2(entry, staging / entry.name, follow_symlinks=False)
        _fsync_tree(staging)
        os.chmod(staging, mode)
        _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
