"""Named locks across processes and machines (one walk per log type), freed by a holder's death.

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock` on a stable 64-bit hash of the
  name) on a connection of its own, held for as long as the lock. A killed process's socket closes,
  the server ends its session and the lock is free; a machine that vanished is noticed by the TCP
  keepalives (about a minute). The holder is told apart by its connection's application_name.
- SQLite (one machine): `flock` on a file beside the database, which the kernel releases when the
  process dies. The file names its holder.

`HeldLock.verify()` says whether the lock is still held: on PostgreSQL a broken connection means it
is not (the server may have restarted), and the run must stop before writing more. The walk's
optimistic version check catches the same case at its next save.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from log_assets.fsutil import PRIVATE_FILE, ensure_dir
from log_assets.state.db import Database, safe_file_name
from log_assets.state.errors import LockHeld, LockLost

_HOLDER_SQL = sa.text(
    """
    SELECT a.application_name, a.client_addr, a.backend_start
    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid::bigint = :hi AND l.objid::bigint = :lo
    LIMIT 1
    """
)


def lock_key(name: str) -> int:
    """A stable signed 64-bit number for `name` (the same on every machine and Python version)."""
    digest = hashlib.sha256(b"log_assets lock\0" + name.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def holder_label() -> str:
    return f"log_assets {socket.gethostname()} pid {os.getpid()}"


def lock_file(db: Database, name: str) -> Path:
    """SQLite: the file whose flock is the lock `name`, in a folder beside the database."""
    assert db.sqlite_path is not None
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return db.sqlite_path.with_name(db.sqlite_path.name + ".locks") / f"{safe_file_name(name)}-{digest}.lock"


class HeldLock:
    def __init__(self, name: str, db: Database):
        self.name = name
        self.db = db

    def verify(self) -> None:
        """Raise LockLost if the lock may no longer be held."""


class _PgHeld(HeldLock):
    def __init__(self, name: str, db: Database, conn: Connection):
        super().__init__(name, db)
        self.conn = conn

    def verify(self) -> None:
        try:
            self.conn.execute(sa.text("SELECT 1")).scalar_one()
        except sa_exc.SQLAlchemyError as e:
            raise LockLost(self.name, self.db.url, self.db.reason(e)) from None


class _FileHeld(HeldLock):
    def __init__(self, name: str, db: Database, path: Path, fd: int):
        super().__init__(name, db)
        self.path = path
        self.fd = fd

    def verify(self) -> None:
        # Deleting or replacing the file would let another process lock a new one: not ours any more.
        try:
            same = os.stat(self.path).st_ino == os.fstat(self.fd).st_ino
        except OSError:
            same = False
        if not same:
            raise LockLost(self.name, self.db.url, f"its lock file {self.path} was removed or replaced")


@contextlib.contextmanager
def hold(
    db: Database,
    name: str,
    *,
    wait: float | None = 0.0,
    poll: float = 0.5,
    on_wait: Callable[[str | None], None] | None = None,
) -> Iterator[HeldLock]:
    """Hold lock `name` for the block. Busy: try again every `poll` seconds for `wait` seconds (None:
    for ever; 0: once), then raise LockHeld naming it and, where known, its holder. `on_wait(holder)`
    is called once, when the lock is first found busy."""
    if db.backend == "postgresql":
        with _hold_pg(db, name, wait, poll, on_wait) as held:
            yield held
    else:
        with _hold_file(db, name, wait, poll, on_wait) as held:
            yield held


def _waiting(
    started: float, wait: float | None, poll: float, name: str, holder: str | None, told: bool, on_wait
) -> bool:
    """After a busy try: tell once, give up past the wait, else sleep a poll. Returns `told`."""
    if not told and on_wait is not None:
        on_wait(holder)
    waited = time.monotonic() - started
    if wait is not None and waited + poll > wait:
        raise LockHeld(name, waited if wait else 0.0, holder)
    time.sleep(poll)
    return True


@contextlib.contextmanager
def _hold_pg(db: Database, name: str, wait: float | None, poll: float, on_wait) -> Iterator[HeldLock]:
    key = lock_key(name)
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    hi, lo = unsigned >> 32, unsigned & 0xFFFFFFFF
    started = time.monotonic()
    told = False
    failures = 0
    first_failure = 0.0
    conn: Connection | None = None
    try:
        while True:
            try:
                if conn is None:
                    conn = db.lock_connection()
                    conn.execute(
                        sa.select(sa.func.set_config("application_name", holder_label()[:63], False))
                    ).scalar_one()
                got = conn.execute(sa.select(sa.func.pg_try_advisory_lock(key))).scalar_one()
                if got:
                    break
                row = conn.execute(_HOLDER_SQL, {"hi": hi, "lo": lo}).first()
            except sa_exc.SQLAlchemyError as e:
                # Trying again is safe: a session that broke holds nothing.
                if conn is not None:
                    with contextlib.suppress(sa_exc.SQLAlchemyError):
                        conn.close()
                    conn = None
                failures += 1
                first_failure = first_failure or time.monotonic()
                elapsed = time.monotonic() - first_failure
                pause = db.retry.wait_before(failures + 1)
                if not db.is_transient(e) or failures >= db.retry.attempts or elapsed + pause > db.retry.deadline:
                    raise db.error(
                        e, f"taking the lock for {name}", "Nothing was fetched: run again.", failures, elapsed
                    ) from None
                time.sleep(pause)
                continue
            failures = 0
            holder = _describe_pg_holder(row)
            told = _waiting(started, wait, poll, name, holder, told, on_wait)
        yield _PgHeld(name, db, conn)
    finally:
        if conn is not None:
            with contextlib.suppress(sa_exc.SQLAlchemyError):
                conn.execute(sa.select(sa.func.pg_advisory_unlock(key)))
            with contextlib.suppress(sa_exc.SQLAlchemyError):
                conn.close()  # ends the session: the lock is gone even if the unlock failed


def _describe_pg_holder(row) -> str | None:
    if row is None:
        return None
    app, addr, since = row
    parts = [app or "a session without a name"]
    if addr is not None:
        parts.append(f"from {addr}")
    if since is not None:
        parts.append(f"connected since {since.astimezone(UTC).isoformat(timespec='seconds')}")
    return " ".join(parts)


@contextlib.contextmanager
def _hold_file(db: Database, name: str, wait: float | None, poll: float, on_wait) -> Iterator[HeldLock]:
    path = lock_file(db, name)
    ensure_dir(path.parent, private=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    try:
        started = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
            told = _waiting(started, wait, poll, name, _file_holder(fd), told, on_wait)
        since = datetime.now(UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{holder_label()} since {since}\n".encode(), 0)
        yield _FileHeld(name, db, path, fd)
    finally:
        os.close(fd)  # releases the flock


def _file_holder(fd: int) -> str | None:
    try:
        text = os.pread(fd, 300, 0).decode(errors="replace").strip()
    except OSError:
        return None
    return text or None
