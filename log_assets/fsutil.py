"""Durable, atomic file operations.

Everything the pipeline promises after a crash rests on three moves: write to a temporary name,
fsync, rename into place (then fsync the directory). State and quarantine files are private to
the owner: they can hold tokens and raw records.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def ensure_dir(path: Path, private: bool = False) -> Path:
    """Create `path` and any missing parents. Private: every folder this call creates, and `path`
    itself, is owner-only (mkdir's `mode` would apply to the last component only)."""
    if not private:
        path.mkdir(parents=True, exist_ok=True)
        return path
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir(mode=PRIVATE_DIR)
        os.chmod(d, PRIVATE_DIR)
    os.chmod(path, PRIVATE_DIR)
    return path


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, private: bool = False, durable: bool = True) -> None:
    """`path` holds `data` or what it held before, never a mix. `durable=False` skips the fsyncs:
    the file survives a killed process but maybe not a power cut (for what can be fetched again)."""
    ensure_dir(path.parent, private=private)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if private:
            os.fchmod(fd, PRIVATE_FILE)
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


def atomic_write_json(path: Path, obj: Any, private: bool = True) -> None:
    atomic_write_bytes(path, json.dumps(obj, indent=1, sort_keys=True, default=str).encode(), private=private)


def read_json(path: Path, default: Any = None) -> Any:
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return default


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_RENAME_EXCHANGE = 2
_libc = None


def _renameat2():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return getattr(_libc, "renameat2", None)


def exchange_dirs(a: Path, b: Path) -> bool:
    """Atomically swap two existing directories (Linux renameat2 RENAME_EXCHANGE).

    Returns False where the platform cannot do it; callers then fall back to two renames.
    """
    fn = _renameat2()
    if fn is None:
        return False
    AT_FDCWD = -100
    rc = fn(AT_FDCWD, os.fsencode(str(a)), AT_FDCWD, os.fsencode(str(b)), _RENAME_EXCHANGE)
    if rc != 0:
        err = ctypes.get_errno()
        if err in (22, 38, 95):  # EINVAL / ENOSYS / EOPNOTSUPP: file system or kernel cannot
            return False
        raise OSError(err, os.strerror(err), str(a))
    return True


def replace_dir(new: Path, target: Path) -> None:
    """Make directory `new` appear at `target`, replacing what was there, atomically where possible.

    After the call `new` no longer exists. Readers of `target` see either the old or the new
    directory, never a mixture.
    """
    ensure_dir(target.parent)
    if target.exists():
        if exchange_dirs(new, target):
            fsync_dir(target.parent)
            shutil.rmtree(new)  # now holds the old content
            return
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.rename(target, old)
        os.rename(new, target)
        fsync_dir(target.parent)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(new, target)
        fsync_dir(target.parent)
