"""The writer lock: one process writes the build file at a time.

Dagster runs every warehouse writer in the pool `duckdb_warehouse` (limit 1); this lock covers
writers outside Dagster (the CLI, a second Dagster instance). A writer waits for it; it never fails
on it. The kernel releases it when the holder dies, so a crash leaves nothing to clean up.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from contextlib import contextmanager
from pathlib import Path

from log_assets.fsutil import ensure_dir, shared_file_mode

log = logging.getLogger(__name__)


@contextmanager
def writer_lock(path: Path, logger=None):
    logger = logger or log
    ensure_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, shared_file_mode())
    try:
        if os.fstat(fd).st_uid == os.getuid():
            os.fchmod(fd, shared_file_mode())  # O_CREAT's mode is cut by the umask, and only when it creates
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            logger.info("warehouse writer lock %s is held by %s; waiting", path, holder)
            started = time.monotonic()
            fcntl.flock(fd, fcntl.LOCK_EX)
            logger.info("warehouse writer lock acquired after %.1f s", time.monotonic() - started)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
