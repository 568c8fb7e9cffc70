"""The lake's catalog: pyiceberg's SQL catalog in the pipeline's database (SQLite or PostgreSQL), the
database's URL as this package connects to it, and calls to the catalog that ride out a database
restart for a bounded time."""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy.exc
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import NamespaceAlreadyExistsError

from log_assets.lake.errors import LakeError
from log_assets.lake.layout import CATALOG_NAME, LAKE_PREFIX
from log_assets.state.db import RetryPolicy
from log_assets.storage import Storage

log = logging.getLogger(__name__)

# How long a call to the catalog keeps trying through a database restart (as the state database does).
CATALOG_RETRY = RetryPolicy()
T = TypeVar("T")


def database_url_from_env(env: Mapping[str, str] | None = None, home: str | os.PathLike | None = None) -> str:
    """The default tenant's: `LOG_ASSETS_DATABASE_URL`, else the SQLite file `$LOG_ASSETS_HOME/log_assets.db`
    (the pipeline state's database: one database holds both), as this package connects to it."""
    from log_assets.paths import Home

    return database_url_of(Home.from_env(home), env)


def database_url_of(home: Any, env: Mapping[str, str] | None = None) -> str:
    """The database of `home` (a `paths.Home`: its tenant's variable, else `<home>/log_assets.db`), as
    this package connects to it."""
    from log_assets.state.db import database_url, normalized_url, url_variable

    return normalized_url(database_url(home, env), url_variable(home))


def _sqlite_path(url: str) -> str | None:
    if not url.startswith("sqlite"):
        return None
    path = sqlalchemy.engine.make_url(url).database
    return path if path and path != ":memory:" else None


def open_catalog(
    database_url: str | None = None, storage: Storage | None = None, *, name: str = CATALOG_NAME
) -> SqlCatalog:
    """The SQL catalog `name` (`log_assets`; a named tenant's `log_assets_<tenant>`: tenants sharing
    one database have their own rows of the catalog's tables), created on first use, its warehouse under
    `<storage root>/lake`. A SQLite database runs in WAL mode with a 30 s busy timeout, so that
    readers never block the writers and concurrent commits wait for each other."""
    storage = storage or Storage.from_env()
    from log_assets.state.db import normalized_url

    url = normalized_url(database_url) if database_url else database_url_from_env()
    sqlite_file = _sqlite_path(url)
    if sqlite_file:
        from log_assets.state.db import use_wal

        os.makedirs(os.path.dirname(os.path.abspath(sqlite_file)), exist_ok=True)
        use_wal(Path(sqlite_file))
        if "timeout=" not in url:
            url += ("&" if "?" in url else "?") + "timeout=30"
    props = {
        "uri": url,
        "warehouse": storage.uri(LAKE_PREFIX),
        # A pooled connection the server dropped (it restarted) is replaced before use, not failed on.
        "pool_pre_ping": "true",
        **storage.iceberg_properties(),
    }
    for attempt in range(3):
        try:
            catalog = SqlCatalog(name, **props)
            break
        except sqlalchemy.exc.DBAPIError:
            # Two processes creating the catalog's tables at once: the loser finds them made.
            if attempt == 2:
                raise
            time.sleep(0.2 * (attempt + 1))
    if sqlite_file:
        sqlalchemy.event.listen(catalog.engine, "connect", _sqlite_wal)
    return catalog


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
    finally:
        cur.close()


def ensure_namespace(catalog: SqlCatalog, storage: Storage, namespace: str) -> None:
    """The namespace, with its location set so that any table created in it (by us or by another
    tool) lands at `<root>/lake/<namespace>.db/<table>`."""
    if catalog.namespace_exists(namespace):
        return
    with contextlib.suppress(NamespaceAlreadyExistsError, sqlalchemy.exc.IntegrityError):  # a concurrent writer's
        catalog.create_namespace(namespace, {"location": storage.uri(f"{LAKE_PREFIX}/{namespace}.db")})


def call_catalog(catalog: SqlCatalog, doing: str, call: Callable[[], T]) -> T:
    """`call()`, which asks the catalog database: one that is restarting or unreachable is tried
    again for a bounded time (CATALOG_RETRY), then a LakeError names it. An IntegrityError (a
    concurrent writer made the row first) is the caller's to handle."""
    started = time.monotonic()
    for attempt in itertools.count(1):
        try:
            return call()
        except sqlalchemy.exc.IntegrityError:
            raise
        except sqlalchemy.exc.DBAPIError as e:
            waited = time.monotonic() - started
            pause = CATALOG_RETRY.wait_before(attempt + 1)
            transient = e.connection_invalidated or (
                not catalog.engine.url.drivername.startswith("sqlite")
                and isinstance(e, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError)
            )
            if not transient or attempt >= CATALOG_RETRY.attempts or waited + pause > CATALOG_RETRY.deadline:
                raise _catalog_error(catalog, e, doing, attempt, waited) from None
            log.warning(
                "%s: the catalog database did not answer (%s); trying again in %.1f s",
                doing,
                type(e.orig or e).__name__,
                pause,
            )
            time.sleep(pause)
    raise AssertionError("unreachable")


def _catalog_error(
    catalog: SqlCatalog, e: sqlalchemy.exc.DBAPIError, doing: str, attempts: int, waited: float
) -> LakeError:
    from log_assets.state.db import redact_url

    reason = " ".join(str(e.orig or e).split())[:300]
    return LakeError(
        f"{doing} failed: the lake's catalog database {redact_url(catalog.engine.url)} did not answer "
        f"({reason}) after {attempts} attempt(s) in {waited:.1f} s; nothing was committed by this step, "
        "run again once the database is back"
    )
