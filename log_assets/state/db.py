"""The one database of the pipeline: where it is, how to connect, and how a failure is reported.

`LOG_ASSETS_DATABASE_URL` (a named tenant: the variable it names) is a SQLAlchemy URL; unset, it is a
SQLite file `<home>/log_assets.db` (one machine needs nothing installed). On a cluster it is PostgreSQL.
The same database holds the lake's Iceberg catalog (its own tables) and the pipeline state (tables
prefixed `log_assets_state_`).

- SQLite: WAL (readers never wait for the writer), `synchronous=FULL` (a committed charge survives a
  power cut), a busy timeout, and every write transaction starts with `BEGIN IMMEDIATE`: it takes the
  write lock first, so a read-then-write transaction cannot fail half-way on a lock upgrade.
- PostgreSQL: a connect timeout, TCP keepalives on both ends (a dead peer is noticed within about a
  minute), a statement and lock timeout, pre-ping on checkout (connections from before a restart are
  replaced, not used).

A lost connection or an unreachable server is retried within a bound (`RetryPolicy`); every caller's
operation is written so that a retry can tell whether the first attempt committed. What remains is
raised as one exception type naming the database by its URL with the password masked.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import logging
import os
import re
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from log_assets.fsutil import PRIVATE_FILE, ensure_dir
from log_assets.http import Secrets
from log_assets.state.errors import (
    DatabaseConfigError,
    DatabaseFileCorrupt,
    DatabaseUnavailable,
    StateDatabaseError,
    StateError,
)
from log_assets.tenant import DATABASE_URL_ENV, DEFAULT_TENANT, Tenant

if TYPE_CHECKING:
    from log_assets.paths import Home

log = logging.getLogger(__name__)

DEFAULT_FILE_NAME = "log_assets.db"
EXAMPLE_URL = "postgresql://user:password@host:5432/dbname"

DEFAULT_BUSY_TIMEOUT = 30.0  # SQLite: how long a writer waits for another's transaction
DEFAULT_CONNECT_TIMEOUT = 10.0  # PostgreSQL: per connection attempt
DEFAULT_STATEMENT_TIMEOUT = 60.0  # PostgreSQL: no statement of ours takes more than milliseconds
DEFAULT_LOCK_TIMEOUT = 30.0  # PostgreSQL: waiting for a row another transaction holds

# Query parameters of a URL that carry a secret (libpq's names); shown masked like the password.
_SECRET_PARAMS = frozenset({"password", "sslpassword", "passfile", "sslkey"})
_MASK = "***"
_PG_DRIVERS_WITH_LIBPQ_ARGS = frozenset({"psycopg2", "psycopg"})

T = TypeVar("T")


def database_url(home: Home | str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> str:
    """The database of `home` (a `paths.Home`, or the root of the default tenant's home): the URL in
    the variable its tenant names (the default tenant's: `$LOG_ASSETS_DATABASE_URL`), else the
    SQLite file `<home>/log_assets.db` (as a URL)."""
    root, tenant = _home_parts(home)
    url = tenant.database_url_from(environ)
    if url:
        check_sqlite_folder(url, tenant.database_url_env)
        return url
    path = root / DEFAULT_FILE_NAME
    return URL.create("sqlite", database=str(path)).render_as_string()


def url_variable(home: Home | str | os.PathLike[str]) -> str | None:
    """The variable that names the database of `home` (None: its tenant has none, the SQLite file)."""
    return _home_parts(home)[1].database_url_env


def _home_parts(home: Home | str | os.PathLike[str]) -> tuple[Path, Tenant]:
    from log_assets.paths import Home

    if isinstance(home, Home):
        return home.root.resolve(), home.tenant
    return Path(home).resolve(), DEFAULT_TENANT


def _named(variable: str | None) -> str:
    """How a message names where the URL came from (the variable, never its value)."""
    return variable or "the database URL"


def check_sqlite_folder(url: str | URL, variable: str | None = DATABASE_URL_ENV) -> None:
    """A SQLite URL given in the database variable (LOG_ASSETS_DATABASE_URL, or the one a tenant
    names) must name a file in a folder that exists: a mistyped one would otherwise make a new, empty
    database (its quota count at zero, its catalog knowing no table) and run on it."""
    parsed = parse_url(url, variable)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return
    folder = Path(parsed.database).expanduser().absolute().parent
    if not folder.is_dir():
        raise DatabaseConfigError(
            f"{_named(variable)}={redact_url(parsed)} names a SQLite file in {folder}, a folder that does not "
            "exist: no new database is made there. Check the URL for a typing error (an absolute path takes four "
            "slashes: sqlite:////path/to/log_assets.db), or make the folder if a new database there is meant"
        )


def parse_url(url: str | URL, variable: str | None = DATABASE_URL_ENV) -> URL:
    """The URL, parsed; an unusable one raises DatabaseConfigError naming `variable` (where the URL
    came from) without repeating it (it may hold a password)."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except (sa_exc.ArgumentError, ValueError):
        raise DatabaseConfigError(
            f"{_named(variable)} is not a SQLAlchemy URL (its value is not shown: it may hold a password); "
            f"expected e.g. {EXAMPLE_URL}, or leave it unset for a SQLite file in the home"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseConfigError(
            f"{_named(variable)} names a {backend} database ({redact_url(parsed)}): the pipeline state needs "
            f"PostgreSQL (e.g. {EXAMPLE_URL}) or SQLite (the default)"
        )
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise DatabaseConfigError(
            f"{_named(variable)} names an in-memory SQLite database ({redact_url(parsed)}): the pipeline state "
            "must outlive the process; give a file (sqlite:////path/to/log_assets.db)"
        )
    if backend == "postgresql" and parsed.drivername == "postgresql" and not _importable("psycopg"):
        parsed = parsed.set(drivername="postgresql+psycopg2")  # SQLAlchemy 2.1 defaults to psycopg 3
    return parsed


def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def normalized_url(url: str | URL, variable: str | None = DATABASE_URL_ENV) -> str:
    """The URL as this package connects to it (with the password: for another library's engine on the
    same database, never for showing). `postgresql://` names the installed driver."""
    return parse_url(url, variable).render_as_string(hide_password=False)


def redact_url(url: str | URL) -> str:
    """The URL as it may be shown: password and secret query parameters masked."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except (sa_exc.ArgumentError, ValueError):
        return "(an unparseable URL, not shown)"
    query = {k: (_MASK if k.lower() in _SECRET_PARAMS else v) for k, v in parsed.query.items()}
    return parsed.set(query=query).render_as_string(hide_password=True).replace("%2A%2A%2A", _MASK)


def _secrets_of(url: URL) -> Secrets:
    secrets = Secrets()
    secrets.add(url.password if isinstance(url.password, str) else None)
    for k, v in url.query.items():
        if k.lower() in _SECRET_PARAMS:
            for value in (v,) if isinstance(v, str) else v:
                secrets.add(value)
    return secrets


@dataclass(frozen=True)
class RetryPolicy:
    """How long an operation may keep trying through a lost connection or an unreachable server.

    Attempt n+1 waits first_wait * 2**(n-1) seconds (at most max_wait); none starts later than
    `deadline` seconds after the first began."""

    attempts: int = 5
    first_wait: float = 0.25
    max_wait: float = 4.0
    deadline: float = 30.0

    def wait_before(self, attempt: int) -> float:
        return min(self.first_wait * 2 ** (attempt - 2), self.max_wait)


class Database:
    """An engine on the pipeline's database, with its redacted name and the retry rule."""

    def __init__(
        self,
        url: str | URL,
        *,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, so one shared default is safe
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        pool_size: int = 5,
        variable: str | None = DATABASE_URL_ENV,
    ):
        self._url = parse_url(url, variable)
        self.variable = variable  # where the URL came from, for the messages
        self.url = redact_url(self._url)
        self.backend = self._url.get_backend_name()
        self.retry = retry
        self.secrets = _secrets_of(self._url)
        self._connect_args = self._pg_connect_args(connect_timeout, statement_timeout, lock_timeout)
        self._lock_engine: Engine | None = None
        self.sqlite_path: Path | None = None
        self.engine: Engine
        try:
            self._create_engine(busy_timeout, connect_timeout, pool_size)
        except ImportError as e:
            raise DatabaseConfigError(
                f"the database driver for {self.url} is not installed ({e.name or e}): install it, or name an "
                "installed one in the URL (postgresql+psycopg2://...)"
            ) from None

    def __repr__(self) -> str:
        return f"Database({self.url})"

    def _create_engine(self, busy_timeout: float, connect_timeout: float, pool_size: int) -> None:
        if self.backend == "sqlite":
            assert self._url.database is not None
            self.sqlite_path = Path(self._url.database).resolve()
            self._create_private_file(self.sqlite_path)
            use_wal(self.sqlite_path, busy_timeout)
            self.engine = sa.create_engine(
                self._url,
                connect_args={"timeout": busy_timeout},
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_timeout=busy_timeout,
            )
            self._sqlite_events(self.engine, busy_timeout)
        else:
            self.engine = sa.create_engine(
                self._url,
                connect_args=self._connect_args,
                pool_pre_ping=True,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_timeout=connect_timeout + 20.0,
                pool_recycle=1800,
            )

    # ------------------------------------------------------------------------------ engines

    def _pg_connect_args(self, connect_timeout: float, statement_timeout: float, lock_timeout: float) -> dict:
        if self.backend != "postgresql" or self._url.get_driver_name() not in _PG_DRIVERS_WITH_LIBPQ_ARGS:
            return {}
        ms = {"statement_timeout": statement_timeout, "lock_timeout": lock_timeout}
        options = " ".join(f"-c {k}={int(v * 1000)}" for k, v in ms.items())
        # A committed charge must survive a server crash, whatever the server's default.
        options += " -c synchronous_commit=on"
        # The server's keepalives free a session (and its advisory locks) whose machine vanished.
        options += " -c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3"
        args: dict[str, Any] = {
            "connect_timeout": max(1, round(connect_timeout)),
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
            "application_name": "log_assets",
            "options": options,
        }
        return {k: v for k, v in args.items() if k not in self._url.query}  # the URL's own settings win

    @staticmethod
    def _create_private_file(path: Path) -> None:
        """The database holds tokens: owner-only, whatever the umask. SQLite gives its -wal and -shm
        files the mode of the database file when it makes them. A database file made by another
        program first (the Iceberg catalog opens the same file) is made owner-only here, with its
        -wal and -shm files; a file of another owner is left as it is (not ours to change)."""
        ensure_dir(path.parent)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
        except FileExistsError:
            for p in (path, *sqlite_side_files(path)):
                with contextlib.suppress(FileNotFoundError, PermissionError):
                    if stat.S_IMODE(os.stat(p).st_mode) & ~PRIVATE_FILE:
                        os.chmod(p, PRIVATE_FILE)

    @staticmethod
    def _sqlite_events(engine: Engine, busy_timeout: float) -> None:
        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
            cur = dbapi_conn.cursor()
            try:
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=FULL")
                cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            finally:
                cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            write = conn.get_execution_options().get("log_assets_write", True)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    def lock_connection(self) -> Connection:
        """PostgreSQL: a connection of its own, outside the pool, in autocommit: a session-level
        advisory lock lives exactly as long as it (a killed process's socket closes, the server ends
        the session and frees the lock)."""
        if self._lock_engine is None:
            self._lock_engine = sa.create_engine(
                self._url, connect_args=self._connect_args, poolclass=NullPool, isolation_level="AUTOCOMMIT"
            )
        return self._lock_engine.connect()

    def dispose(self) -> None:
        self.engine.dispose()
        if self._lock_engine is not None:
            self._lock_engine.dispose()

    # ----------------------------------------------------------------------------- failures

    def redact(self, text: str) -> str:
        return self.secrets.redact(text)

    def reason(self, exc: BaseException) -> str:
        """The driver's own words (not SQLAlchemy's, which append the statement and its parameters),
        on one line, with every secret removed."""
        root: BaseException = exc
        if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None:
            root = exc.orig
        text = " ".join(line.strip() for line in str(root).splitlines() if line.strip()) or type(root).__name__
        text = self.redact(text)
        return text if len(text) <= 300 else text[:300] + "…"

    def is_transient(self, exc: BaseException) -> bool:
        """A lost connection or an unreachable server: worth another attempt. SQLite's "database is
        locked" is not (the busy timeout has already waited)."""
        if isinstance(exc, sa_exc.DBAPIError):
            if exc.connection_invalidated:
                return True
            if self.backend == "sqlite":
                return False
            return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
        return isinstance(exc, sa_exc.DisconnectionError | sa_exc.TimeoutError)

    def error(self, exc: BaseException, doing: str, consequence: str, attempts: int, seconds: float) -> StateError:
        if self.sqlite_path is not None and sqlite_damaged(exc):
            return DatabaseFileCorrupt(str(self.sqlite_path), self.reason(exc), self.variable)
        cls = DatabaseUnavailable if self.is_transient(exc) else StateDatabaseError
        return cls(self.url, doing, self.reason(exc), attempts, seconds, consequence)

    # --------------------------------------------------------------------------- operations

    @contextlib.contextmanager
    def transaction(self, write: bool = True) -> Iterator[Connection]:
        """One transaction, committed when the block ends. `write`: SQLite takes the write lock at once
        (BEGIN IMMEDIATE); else a read of one snapshot (PostgreSQL: REPEATABLE READ)."""
        with self.engine.connect() as conn:
            conn.execution_options(log_assets_write=write)
            if not write and self.backend == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")  # one snapshot for all reads
            with conn.begin():
                yield conn

    def run(
        self,
        fn: Callable[[Connection], T],
        *,
        doing: str,
        consequence: str,
        write: bool = True,
        retry: RetryPolicy | None = None,
    ) -> T:
        """`fn` in one transaction, tried again (a new transaction) after a transient failure within
        the retry bound. `fn` must be safe to repeat: read-only, or able to tell from the database
        whether an earlier attempt committed. A StateError from `fn` rolls back and passes through."""
        policy = retry or self.retry
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                with self.transaction(write=write) as conn:
                    return fn(conn)
            except StateError:
                raise
            except sa_exc.SQLAlchemyError as e:
                wait = policy.wait_before(attempt + 1)
                elapsed = time.monotonic() - started
                if not self.is_transient(e) or attempt >= policy.attempts or elapsed + wait > policy.deadline:
                    raise self.error(e, doing, consequence, attempt, elapsed) from None
                log.warning(
                    "state database %s unavailable while %s (%s); attempt %d in %.1f s",
                    self.url,
                    doing,
                    self.reason(e),
                    attempt + 1,
                    wait,
                )
                time.sleep(wait)


# What SQLite says of a file that is not a database (any more): overwritten, truncated, damaged.
_DAMAGED = ("file is not a database", "database disk image is malformed", "file is encrypted or is not a database")


def sqlite_damaged(exc: BaseException) -> bool:
    """True when `exc` (sqlite3's, or SQLAlchemy's around it) says the file itself is damaged: no
    retry or wait helps, only its backup."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None:
        exc = exc.orig
    return isinstance(exc, sqlite3.DatabaseError) and any(m in str(exc).lower() for m in _DAMAGED)


def use_wal(path: Path, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
    """Put a SQLite file in WAL mode (once: the mode is kept in the file), processes that open a new
    file at the same time taking turns: connections switching the journal mode together can fail at
    once with "database is locked", which the busy timeout does not cover. A damaged file raises
    DatabaseFileCorrupt naming it and its backup."""
    try:
        _use_wal(path, busy_timeout)
    except sqlite3.DatabaseError as e:
        if sqlite_damaged(e):
            raise DatabaseFileCorrupt(str(path), str(e)) from None
        raise


def _use_wal(path: Path, busy_timeout: float) -> None:
    with contextlib.suppress(FileExistsError):  # a new file is owner-only (it holds the state)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    con = sqlite3.connect(path, timeout=busy_timeout)
    try:
        if con.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            return
    finally:
        con.close()
    fd = os.open(path.with_name(path.name + ".wal-switch"), os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        con = sqlite3.connect(path, timeout=busy_timeout)
        try:
            con.execute("PRAGMA journal_mode=WAL")
        finally:
            con.close()
    finally:
        os.close(fd)


def sqlite_side_files(path: Path) -> tuple[Path, Path]:
    """The -wal and -shm files SQLite keeps beside database file `path` in WAL mode."""
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_file_name(name: str) -> str:
    """A file name for a lock name (`forcepoint/access` -> `forcepoint_access`)."""
    return _SAFE_NAME.sub("_", name).strip("._") or "lock"
