"""One run at a time per output folder.

Every command that writes an output folder holds :func:`output_lock` on it
for the whole run: an exclusive ``fcntl.flock`` on ``FOLDER/.crepe-gen.lock``
that holds the owner's pid. A second run into the same folder is refused at
once (:class:`OutputInUse`, exit status 2) instead of redoing the same work
unaware of the first. The operating system drops the lock when its process
dies, however it dies, so a killed run never leaves the folder locked.

Taking the lock also removes the temporary files a killed run left in the
folder (:func:`crepe_gen.core.io.remove_stale_temps`; never in a subfolder
another live run holds). Within one process the lock is re-entrant: the
build holds its folder while its stages take it again.

Examples
--------
>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> with output_lock(folder):
...     with output_lock(folder):  # the same process: re-entrant
...         holder_pid(folder) == os.getpid()
True
>>> holder_pid(folder) is None
True
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from .errors import ConfigError
from .io import remove_stale_temps

__all__ = ["LOCK_NAME", "OutputInUse", "holder_pid", "output_lock"]

LOCK_NAME = ".crepe-gen.lock"

#: Locks this process holds: ``{lock path: [file descriptor, depth]}``.
_HELD: dict[Path, list] = {}


class OutputInUse(ConfigError):
    """The output folder is held by another live run."""

    def __init__(self, folder, pid: int | None):
        self.folder, self.pid = str(folder), pid
        super().__init__(f"{folder} is in use by another crepe-gen run (pid {pid or 'unknown'})")


def _lock_path(folder) -> Path:
    return (Path(folder) / LOCK_NAME).resolve()


def _read_pid(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def holder_pid(folder) -> int | None:
    """The pid of the live run holding *folder*, or None when it is free.

    A lock this process holds counts as held (its own pid)."""
    path = _lock_path(folder)
    if path in _HELD:
        return os.getpid()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = _read_pid(fd)
        return pid if pid is not None else -1
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _held_elsewhere(folder: Path) -> bool:
    """Whether a subfolder is another run's (its temporary files are live)."""
    return (folder / LOCK_NAME).exists() and holder_pid(folder) is not None


@contextlib.contextmanager
def output_lock(folder):
    """Hold *folder* (created if missing) for the duration of the block.

    Raises :class:`OutputInUse` at once when another process holds it. On
    first taking it, stale temporary files are removed from *folder* and its
    subfolders (but those another live run holds).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = _lock_path(folder)
    if path in _HELD:
        _HELD[path][1] += 1
        try:
            yield folder
        finally:
            _HELD[path][1] -= 1
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as error:  # a folder or a dangling name where the lock file goes
        raise ConfigError(f"{path}: cannot take the output folder's lock: {error.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = _read_pid(fd)
        os.close(fd)
        raise OutputInUse(folder, pid) from None
    _HELD[path] = [fd, 1]
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        remove_stale_temps(folder, skip_dir=_held_elsewhere)
        yield folder
    finally:
        del _HELD[path]
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)  # a free folder's lock file is empty, the same after every run
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
