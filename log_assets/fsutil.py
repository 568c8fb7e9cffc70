"""Durable, atomic file operations and the modes of what we write.

Everything the pipeline promises after a crash rests on three moves: write to a temporary name,
fsync, rename into place (then fsync the directory). State and quarantine files are private to
the owner: they can hold tokens and raw records. The lake and the warehouse are shared with the
owner's group by default (`LOG_ASSETS_FILE_MODE`), whatever the umask: nothing is ever
world-writable.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700

# ------------------------------------------------------------------------------------ file modes

FILE_MODE_ENV = "LOG_ASSETS_FILE_MODE"
DEFAULT_FILE_MODE = "group"
# (folders, files) of the lake, the warehouse and the other shared files, per setting. None of them
# lets others write; state, spool and quarantine are owner-only whatever the setting.
FILE_MODES: dict[str, tuple[int, int]] = {
    "group": (0o750, 0o640),
    "private": (PRIVATE_DIR, PRIVATE_FILE),
    "public": (0o755, 0o644),
}


def shared_modes() -> tuple[int, int]:
    """(folder mode, file mode) for the lake and the warehouse, from `LOG_ASSETS_FILE_MODE`."""
    name = (os.environ.get(FILE_MODE_ENV) or DEFAULT_FILE_MODE).strip().lower()
    try:
        return FILE_MODES[name]
    except KeyError:
        raise ValueError(
            f"{FILE_MODE_ENV}={name!r} is not a file-mode setting: use one of {', '.join(FILE_MODES)} "
            f"(default {DEFAULT_FILE_MODE})"
        ) from None


def shared_file_mode() -> int:
    return shared_modes()[1]


_umask_lock = threading.Lock()
_umask_users = 0
_umask_saved = 0


@contextlib.contextmanager
def shared_umask() -> Iterator[None]:
    """While inside, files and folders that a library creates for us (DuckDB: the build file, its
    WAL and spill files, the views file) get the shared modes, whatever the process's umask. The
    umask belongs to the whole process: it is set when the first user enters and restored when the
    last one leaves."""
    global _umask_users, _umask_saved
    mask = 0o777 & ~shared_modes()[0]
    with _umask_lock:
        if _umask_users == 0:
            _umask_saved = os.umask(mask)
        _umask_users += 1
    try:
        yield
    finally:
        with _umask_lock:
            _umask_users -= 1
            if _umask_users == 0:
                os.umask(_umask_saved)


def ensure_dir(path: Path, private: bool = False) -> Path:
    """Create `path` and any missing parents; folders that already exist are left as they are.

    Every folder this call creates gets its mode exactly (mkdir's `mode` is cut by the umask and
    would apply to the last component only): owner-only when `private`, else the shared folder mode
    (`LOG_ASSETS_FILE_MODE`). A private `path` is made owner-only even when it existed."""
    if path.is_dir() and not private:
        return path
    mode = PRIVATE_DIR if private else shared_modes()[0]
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=mode)
        except FileExistsError:
            if not private:
                continue  # made meanwhile by another thread or process, which sets its mode
        os.chmod(d, mode)
    if private:
        os.chmod(path, PRIVATE_DIR)
    return path


def fsync_dir(path: Path) -> None:
    """fsync of a folder (its entries: a rename into it) or a file (its data), opened read-only."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, private: bool = False, durable: bool = True) -> None:
    """`path` holds `data` or what it held before, never a mix. `durable=False` skips the fsyncs:
    the file survives a killed process but maybe not a power cut (for what can be fetched again).
    The file is owner-only when `private`, else it gets the shared file mode."""
    ensure_dir(path.parent, private=private)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, PRIVATE_FILE if private else shared_file_mode())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(path.parent)


# A file's data is made durable the same way as a folder's entries.
fsync_file = fsync_dir
