"""The lake as Apache Iceberg tables: one write path for both vendors.

Layout
------
- Catalog: pyiceberg's SQL catalog named `log_assets`, in the database of `LOG_ASSETS_DATABASE_URL`
  (default: the SQLite file `$LOG_ASSETS_HOME/log_assets.db`); its rows live in the tables
  `iceberg_tables` and `iceberg_namespace_properties`.
- Tables: `<vendor>.<log_type>` (namespace per vendor), the lake columns (`lake.schema.arrow_schema`)
  with `event_day` (DATE, the UTC day of `event_time`) after the common ones, partitioned by
  `identity(event_day)`.
- Files: `<storage root>/lake/<namespace>.db/<table>/` (the Hive convention, so that the tables never
  share a folder with the Parquet lake `lake/<vendor>/<log_type>/date=*/` of single-machine homes),
  holding `data/event_day=YYYY-MM-DD/*.parquet` (zstd) and `metadata/` (table metadata, manifests).

Writing
-------
A write is one commit, one snapshot: `replace_days` swaps whole days (the days' files out, the new
ones in: an OVERWRITE snapshot, or an APPEND for days that had no files); `append` adds rows to their
days. The data files are written first, outside the commit; a commit that loses a race with another
writer (CommitFailedException) is redone on a fresh load of the table with the same files, a bounded
number of times. A reader keeps the snapshot it started with, whole, until maintenance removes its
files after the retention period.

New columns arrive by schema evolution (union by name; new columns are optional).

Reading as of a time (forensics)
--------------------------------
Every snapshot of the last `retention` (default 7 days; see `maintain`) stays readable::

    lake = Lake.open()
    lake.as_of("forcepoint", "access", datetime(2026, 11, 20, 9, 30, tzinfo=UTC), days=[date(2026, 11, 19)])

or with pyiceberg alone (any machine with the database URL and the storage credentials)::

    from pyiceberg.catalog.sql import SqlCatalog
    cat = SqlCatalog("log_assets", uri="sqlite:////data/log_assets.db")   # + s3.* properties on S3
    tbl = cat.load_table("forcepoint.access")
    snap = tbl.snapshot_as_of_timestamp(int(when.timestamp() * 1000))
    tbl.scan(snapshot_id=snap.snapshot_id, row_filter="event_day == '2026-11-19'").to_arrow()

`tbl.inspect.snapshots()` lists the snapshots (time, operation, per-day summaries); `tbl.history()`
which one was current when.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import random
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy.exc
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.conversions import from_bytes
from pyiceberg.exceptions import (
    CommitFailedException,
    NamespaceAlreadyExistsError,
    NoSuchTableError,
    TableAlreadyExistsError,
    ValidationException,
)
from pyiceberg.expressions import AlwaysFalse, AlwaysTrue, BooleanExpression
from pyiceberg.io.pyarrow import bin_pack_arrow_table, pyarrow_to_schema, write_file
from pyiceberg.manifest import DataFile, ManifestEntryStatus
from pyiceberg.partitioning import PartitionFieldValue, PartitionKey
from pyiceberg.table import Table, TableProperties, WriteTask
from pyiceberg.table.snapshots import Snapshot
from pyiceberg.types import DoubleType, FloatType, IntegerType, LongType, PrimitiveType

from log_assets.catalog import APERTURE, CATALOG, COMMON_COLUMNS, FORCEPOINT, LogType, generic_log_type
from log_assets.lake.colnames import admit, colliding_fields, parquet_clash, parquet_name, shown, summary
from log_assets.lake.limits import beyond_bound
from log_assets.lake.schema import arrow_schema
from log_assets.state.db import RetryPolicy
from log_assets.storage import Storage, StorageError
from log_assets.tenant import DATABASE_URL_ENV, DEFAULT_CATALOG

log = logging.getLogger(__name__)

# The default tenant's catalog; a named tenant's is `log_assets_<name>` (Tenant.catalog_name).
CATALOG_NAME = DEFAULT_CATALOG
DAY_COLUMN = "event_day"
LAKE_PREFIX = "lake"  # under the storage root
DEFAULT_RETENTION = timedelta(days=7)
# Unreferenced files younger than this are never removed, whatever the retention: a write in progress
# has written its data files but not yet committed them.
MIN_ORPHAN_AGE = timedelta(days=1)
# A day with more data files than this has its small ones rewritten as few by `maintain` (appends add
# a file each).
COMPACT_OVER_FILES = 16
COMMIT_ATTEMPTS = 8
# A table's metadata found with no catalog row is looked at again this many times, this far apart,
# before a create is refused: a concurrent writer's create writes the file first, then the row.
CREATE_RACE_CHECKS = 4
CREATE_RACE_WAIT = 0.5
# Compaction rewrites a day's small data files (appends of a few pages, Aperture landings) as files
# cut every COMPACT_FLUSH_BYTES of Arrow rows, as a large write (the walk's day merge) cuts its own. A
# file is small when it is under SMALL_FILE_BYTES of Parquet *and* holds fewer rows than such a flush
# at WIDE_ROW_BYTES a row (16,384 rows; a poll is a few 1,000-record pages, a 64 MiB flush of
# Forcepoint access records some 36,000). Size alone does not tell: 64 MiB of log records compress
# to some 5 MiB of zstd Parquet, so a day written large, and compaction's own output, would look
# small and be rewritten as as many files on every run. Rows do not depend on the compression: a
# file cut at the flush size holds enough of them unless they are wider than WIDE_ROW_BYTES, and
# then it is over SMALL_FILE_BYTES unless they also compress more than 8 to 1. For those last, a
# compaction that would not leave the day fewer files is not committed. So a day written large is
# never read whole, and compacting a day again right after does nothing.
SMALL_FILE_BYTES = 8 * 1024 * 1024
COMPACT_FLUSH_BYTES = 64 * 1024 * 1024
WIDE_ROW_BYTES = 4096
# How long a call to the catalog keeps trying through a database restart (as the state database does).
CATALOG_RETRY = RetryPolicy()
T = TypeVar("T")
# Snapshot summary keys of our own: the write that made a snapshot (to recognise a commit whose
# answer was lost) and the write's mode.
WRITE_ID_PROP = "log-assets.write-id"
WRITE_MODE_PROP = "log-assets.write-mode"

# Data files are cut at this many in-memory (uncompressed Arrow) bytes, which pyiceberg's writer
# measures: about 40-80 MB of zstd Parquet for log records. A writer buffers at most this much.
TARGET_FILE_BYTES = 256 * 1024 * 1024
# A writer's buffered tables are joined into one table of one chunk per this many bytes (see
# DayWriter._consolidate).
CONSOLIDATE_BYTES = 8 * 1024 * 1024
ROW_GROUP_ROWS = 131_072

TABLE_PROPERTIES = {
    "format-version": "2",
    "write.parquet.compression-codec": "zstd",
    "write.target-file-size-bytes": str(TARGET_FILE_BYTES),
    "write.parquet.row-group-limit": str(ROW_GROUP_ROWS),
    # `raw` is the record as received: its min/max would only bloat the manifests.
    "write.metadata.metrics.column.raw": "counts",
    # Per-day added/removed counts in every snapshot's summary: what changed, without reading manifests.
    "write.summary.partition-limit": "1000",
    # The writer here retries a lost race itself, on a fresh load (whole days are replaced).
    "commit.retry.num-retries": "0",
    # Older table-metadata files become unreferenced and go with the orphans (`maintain`).
    "write.metadata.previous-versions-max": "32",
}

Mode = Literal["replace", "append"]


class LakeError(RuntimeError):
    """A lake operation that cannot be done as asked (the message says why and what to do)."""


class TableMetadataMissing(LakeError):
    """A table's catalog row points at a metadata file the storage root no longer holds."""


class DaysChanged(LakeError):
    """The days a write was based on changed under it (another writer committed to them since)."""


class HistoryExpired(LakeError):
    """A time or snapshot older than the history the table keeps."""


# ------------------------------------------------------------------------------------ schema


def lake_schema(lt: LogType) -> pa.Schema:
    """The Arrow schema of a lake table: the catalog's columns with `event_day` after the common ones."""
    base = arrow_schema(lt)
    fields = list(base)
    at = base.get_field_index(COMMON_COLUMNS[-1]) + 1
    fields.insert(at, pa.field(DAY_COLUMN, pa.date32(), nullable=False))
    return pa.schema(fields)


def with_event_day(table: pa.Table) -> pa.Table:
    """`table` with `event_day` (the UTC day of `event_time`), after `ingested_at` when it is new."""
    day = pc.cast(pc.cast(table.column("event_time"), pa.timestamp("us", tz="UTC")), pa.date32())
    if DAY_COLUMN in table.column_names:
        return table.set_column(
            table.column_names.index(DAY_COLUMN), pa.field(DAY_COLUMN, pa.date32(), False), day
        )
    names = table.column_names
    at = names.index(COMMON_COLUMNS[-1]) + 1 if COMMON_COLUMNS[-1] in names else len(names)
    return table.add_column(at, pa.field(DAY_COLUMN, pa.date32(), nullable=False), day)


# The namespaces of the sources' tables, whose new-field columns are bounded (lake/limits.py).
SOURCES = (FORCEPOINT, APERTURE)


def log_type_of(vendor: str, log_type: str) -> LogType:
    return CATALOG.get((vendor, log_type)) or generic_log_type(vendor, log_type)


def _norm_type(t: pa.DataType) -> pa.DataType:
    """Arrow types that are the same Iceberg type compare equal (string/large_string, list/large_list,
    whatever a list's item field is called)."""
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.list_(_norm_type(t.value_type))
    if pa.types.is_timestamp(t) and t.tz is not None:
        return pa.timestamp(t.unit, tz="UTC")
    return t


def _plain(t: pa.DataType) -> pa.DataType:
    """The lake's Arrow type for what pyiceberg hands back (it reads and maps strings and lists as
    large_string / large_list, not always the same way)."""
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.list_(_plain(t.value_type))
    return t


def plain_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f.with_type(_plain(f.type)) for f in schema], metadata=schema.metadata)


def _plain_table(table: pa.Table) -> pa.Table:
    target = plain_schema(table.schema)
    return table if target.equals(table.schema) else table.cast(target)


# Iceberg's own type promotions: a column of the narrower type becomes the wider one.
_PROMOTIONS: dict[tuple[Any, pa.DataType], Any] = {
    (IntegerType(), pa.int64()): LongType(),
    (FloatType(), pa.float64()): DoubleType(),
}


# ----------------------------------------------------------------------------------- catalog


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


def table_location(storage: Storage, namespace: str, name: str) -> str:
    """Where a table's files live: `<root>/lake/<namespace>.db/<name>`."""
    return storage.uri(f"{LAKE_PREFIX}/{namespace}.db/{name}")


def ensure_namespace(catalog: SqlCatalog, storage: Storage, namespace: str) -> None:
    """The namespace, with its location set so that any table created in it (by us or by another
    tool) lands at `<root>/lake/<namespace>.db/<table>`."""
    if catalog.namespace_exists(namespace):
        return
    with contextlib.suppress(NamespaceAlreadyExistsError, sqlalchemy.exc.IntegrityError):  # a concurrent writer's
        catalog.create_namespace(namespace, {"location": storage.uri(f"{LAKE_PREFIX}/{namespace}.db")})


# ------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class Commit:
    """What a write did: its snapshot (None when there was nothing to do), rows per day written,
    files added and removed, and how many attempts the commit took."""

    table: str
    snapshot_id: int | None
    rows: dict[date, int]
    files_added: int
    files_removed: int
    attempts: int
    day_files: dict[date, int] = field(default_factory=dict)  # data files per written day afterwards


@dataclass(frozen=True)
class DayStats:
    rows: int
    files: int
    bytes: int


@dataclass(frozen=True)
class Changes:
    """Days changed in a table between two snapshots. With `everything`, the starting snapshot is not
    in the table's history (none given, expired by maintenance, or from before the table was made
    again): every day in `days` (all of the current snapshot) must be read again, and days that are
    not there any more dropped."""

    snapshot_id: int | None  # the table's current snapshot
    days: frozenset[date]
    everything: bool
    reason: str = ""


@dataclass(frozen=True)
class DayFigures:
    """A day as the lake's metadata describes it: rows, data files, first and last event time."""

    rows: int
    files: int
    first: datetime | None
    last: datetime | None


@dataclass
class MaintenanceReport:
    table: str
    compacted_days: list[date] = field(default_factory=list)
    expired_snapshots: int = 0
    kept_snapshots: int = 0
    deleted_files: int = 0
    deleted_bytes: int = 0
    oldest_kept: datetime | None = None  # the earliest time the table can be read as of


# -------------------------------------------------------------------------------------- lake


class Lake:
    """The lake's tables in a catalog, and the storage that holds their files."""

    def __init__(self, catalog: SqlCatalog, storage: Storage, *, database_setting: str = DATABASE_URL_ENV):
        self.catalog = catalog
        self.storage = storage
        self.database_setting = database_setting  # where the catalog's database is set, for the messages

    @classmethod
    def open(
        cls,
        database_url: str | None = None,
        storage: Storage | None = None,
        *,
        catalog: str = CATALOG_NAME,
        database_setting: str = DATABASE_URL_ENV,
    ) -> Lake:
        storage = storage or Storage.from_env()
        return cls(open_catalog(database_url, storage, name=catalog), storage, database_setting=database_setting)

    @classmethod
    def for_home(cls, home: Any, storage: Storage | None = None) -> Lake:
        """The lake of a home (a `paths.Home`, or the root of a default tenant's home): its tenant's
        database and storage root (the default tenant's: `LOG_ASSETS_DATABASE_URL` and
        `LOG_ASSETS_STORAGE_URL`; `storage`: that root opened already) when set, else the SQLite file
        and the folder of that home, and its tenant's catalog (`Tenant.catalog_name`). A home that
        still holds the Parquet lake of an earlier version is refused until it is migrated. A database
        that is not the one of the storage root (another home's, or a new one beside an existing lake)
        is refused (state.binding.HomeMismatch), before any table is opened."""
        from log_assets.migrate import unmigrated_lake
        from log_assets.paths import Home
        from log_assets.state.home import check_home

        h = home if isinstance(home, Home) else Home.from_env(home)
        refused = unmigrated_lake(h)
        if refused:
            raise LakeError(refused)
        storage = storage or Storage.for_home(h)
        check_home(h, storage)
        return cls.open(
            database_url_of(h), storage, catalog=h.tenant.catalog_name, database_setting=h.tenant.database_setting
        )

    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> Lake:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Lake(catalog {self.catalog.name!r}, storage {self.storage!r})"

    # ------------------------------------------------------------------------------- tables

    def table(self, vendor: str, log_type: str) -> Table | None:
        """The table as now committed, or None before its first write. A catalog database that is
        restarting or unreachable is tried again for a bounded time (CATALOG_RETRY), then a LakeError
        names it."""

        def load() -> Table:
            with self._store_errors("loading", vendor, log_type):
                return self.catalog.load_table((vendor, log_type))

        try:
            return self._catalog(f"loading the table {vendor}.{log_type}", load)
        except NoSuchTableError:
            return None
        except FileNotFoundError:
            raise self._metadata_missing(vendor, log_type) from None

    def _metadata_missing(self, vendor: str, log_type: str) -> LakeError:
        """The table's catalog row points at a metadata file the storage root no longer holds."""
        from log_assets.state.binding import metadata_locations, missing_metadata_message

        with self.catalog.engine.connect() as conn:
            rows = metadata_locations(conn, vendor, {log_type}, catalog=self.catalog.name)
        location = rows[0][1] if rows else "(unknown)"
        return TableMetadataMissing(missing_metadata_message(f"{vendor}.{log_type}", location, self.storage))

    def _catalog(self, doing: str, call: Callable[[], T]) -> T:
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
                    not self.catalog.engine.url.drivername.startswith("sqlite")
                    and isinstance(e, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError)
                )
                if not transient or attempt >= CATALOG_RETRY.attempts or waited + pause > CATALOG_RETRY.deadline:
                    raise self._catalog_error(e, doing, attempt, waited) from None
                log.warning(
                    "%s: the catalog database did not answer (%s); trying again in %.1f s",
                    doing,
                    type(e.orig or e).__name__,
                    pause,
                )
                time.sleep(pause)
        raise AssertionError("unreachable")

    def _catalog_error(self, e: sqlalchemy.exc.DBAPIError, doing: str, attempts: int, waited: float) -> LakeError:
        from log_assets.state.db import redact_url

        reason = " ".join(str(e.orig or e).split())[:300]
        return LakeError(
            f"{doing} failed: the lake's catalog database {redact_url(self.catalog.engine.url)} did not answer "
            f"({reason}) after {attempts} attempt(s) in {waited:.1f} s; nothing was committed by this step, "
            "run again once the database is back"
        )

    def tables(self) -> list[tuple[str, str]]:

        def listed() -> list[tuple[str, str]]:
            out = []
            for (ns,) in self.catalog.list_namespaces():
                out += [(ns, name) for _ns, name in self.catalog.list_tables(ns)]
            return out

        return sorted(self._catalog("listing the lake's tables", listed))

    def drop_table(self, vendor: str, log_type: str) -> None:
        """Remove the table from the catalog (its files stay where they are). A table already gone
        (dropped by another writer, or by this drop whose answer was lost) is left so. Its metadata
        files are recorded as dropped, so that the table may be made again at the same place."""
        from log_assets.state.binding import record_dropped

        # Recorded first: a drop whose record could not be written would leave files that every later
        # create of the table refuses as a lost catalog's.
        with self._store_errors("recording the metadata of the dropped", vendor, log_type):
            record_dropped(self.storage, f"{LAKE_PREFIX}/{vendor}.db/{log_type}/metadata")
        with contextlib.suppress(NoSuchTableError):
            self._catalog(
                f"dropping the table {vendor}.{log_type}", lambda: self.catalog.drop_table((vendor, log_type))
            )

    def ensure_table(self, vendor: str, log_type: str, schema: pa.Schema) -> Table:
        """The table, created on first use from `schema` (which must hold `event_day`), with any column
        of `schema` it lacks added (schema evolution); see `ensure_columns`."""
        return self.ensure_columns(vendor, log_type, schema)[0]

    def ensure_columns(self, vendor: str, log_type: str, schema: pa.Schema) -> tuple[Table, dict[str, str]]:
        """The table, created on first use from `schema` (which must hold `event_day`), with any column
        of `schema` it lacks added (schema evolution), and the columns of `schema` it refused, each
        with the reason: a name that would collide, in Iceberg, Parquet or DuckDB, with a column the
        table has or an earlier one of `schema` (`colnames.admit`); their values stay in `raw`.

        A table whose schema already holds two columns written to Parquet under one name (which
        pyiceberg cannot write a file of, as earlier versions could make) loses the later of the two
        first: no file can hold it, and its values are in `raw`."""
        if DAY_COLUMN not in schema.names:
            raise ValueError(f"a lake table's schema needs the {DAY_COLUMN} column")
        name = f"{vendor}.{log_type}"
        catalog = set(lake_schema(log_type_of(vendor, log_type)).names)  # never refused
        for _ in range(COMMIT_ATTEMPTS):
            tbl = self.table(vendor, log_type)
            if tbl is None and self._files_without_catalog_row(vendor, log_type):
                continue  # made meanwhile by a concurrent writer: load it
            if tbl is None:
                self._catalog(
                    f"creating the namespace {vendor}",
                    lambda: ensure_namespace(self.catalog, self.storage, vendor),
                )
                typed = [n for n in schema.names if n in catalog]
                ok, refused = admit(typed, [n for n in schema.names if n not in catalog], fields=False)
                if vendor in SOURCES:
                    refused.update(beyond_bound((), ok)[1])
                first = pa.schema([f for f in schema if f.name not in refused])

                def create(first: pa.Schema = first) -> Table:
                    with self._store_errors("creating", vendor, log_type):
                        tx = self.catalog.create_table_transaction(
                            (vendor, log_type),
                            schema=first,
                            location=table_location(self.storage, vendor, log_type),
                            properties=TABLE_PROPERTIES,
                        )
                        with tx.update_spec() as spec:
                            spec.add_identity(DAY_COLUMN)
                        return tx.commit_transaction()

                try:
                    tbl = self._catalog(f"creating the table {name}", create)
                except (TableAlreadyExistsError, CommitFailedException, sqlalchemy.exc.IntegrityError):
                    continue  # created by a concurrent writer (or by this one, its answer lost): load it
                _warn_refused(name, refused)
                return tbl, refused
            evolved = self._evolve(tbl, schema, catalog)
            if evolved is not None:
                return evolved
        raise LakeError(f"{name}: could not create or evolve the table in {COMMIT_ATTEMPTS} attempts")

    def _files_without_catalog_row(self, vendor: str, log_type: str) -> bool:
        """Before a table is created: its location must hold no table metadata, or the catalog has lost
        (or never had) a table whose files are there, and a new empty table would hide them. Metadata
        a concurrent writer is creating right now shows up in the catalog within moments: True then
        (load the table). Otherwise LakeError naming the table, its location and the ways back."""
        from log_assets.state.binding import ADOPT_COMMAND, live_metadata

        key = f"{LAKE_PREFIX}/{vendor}.db/{log_type}"
        for attempt in range(CREATE_RACE_CHECKS):
            with self._store_errors("looking for the metadata of", vendor, log_type):
                found = live_metadata(self.storage, f"{key}/metadata")
                # Metadata of a table that never held a snapshot hides nothing: a create whose catalog row
                # was never written (killed, the database away), or a concurrent writer's create under way.
                if not any(self._holds_snapshot(k) for k in found):
                    return False
            if attempt and self.table(vendor, log_type) is not None:
                return True
            if attempt < CREATE_RACE_CHECKS - 1:
                time.sleep(CREATE_RACE_WAIT)
        raise LakeError(
            f"{vendor}.{log_type}: the catalog in {self._database()} has no such table, but its location "
            f"{self.storage.uri(key)} holds {len(found)} table-metadata file(s) (e.g. {found[-1]}): a table "
            "is not made anew over them (that would hide the days they hold, and maintenance would then delete "
            f"them). Restore the database from its backup, or point {self.database_setting} at the database of "
            f"this storage root; if the database is truly lost, `{ADOPT_COMMAND}` re-registers the table from "
            "its newest metadata file (pyiceberg's Catalog.register_table). Nothing was written"
        )

    def _holds_snapshot(self, key: str) -> bool:
        """Whether the table-metadata file `key` names a current snapshot (an unreadable one: yes)."""
        try:
            doc = json.loads(self.storage.read_bytes(key))
        except (ValueError, UnicodeDecodeError):
            return True  # compressed or damaged: taken as holding data, so nothing is made over it
        except FileNotFoundError:
            return False
        return doc.get("current-snapshot-id") not in (None, -1)

    def _database(self) -> str:
        from log_assets.state.db import redact_url

        return redact_url(self.catalog.engine.url)

    def _evolve(self, tbl: Table, schema: pa.Schema, catalog: set[str]) -> tuple[Table, dict[str, str]] | None:
        """Add the columns of `schema` that `tbl` lacks and can take, promote the ones Iceberg can
        widen, and drop a column written to Parquet under the name of another that comes first: the
        columns the `catalog` gives the type (never refused), then the others, oldest first. Returns
        the evolved table and the refused columns, or None when a concurrent change won the race
        (load and try again)."""
        name = ".".join(tbl.name())
        current = tbl.schema()
        fields = sorted(current.fields, key=lambda f: f.field_id)
        existing = {f.name for f in fields}
        typed = [f.name for f in schema if f.name in catalog and f.name not in existing]
        first = [f.name for f in fields if f.name in catalog] + typed
        broken = {
            gone: kept
            for gone, kept in colliding_fields(first + [f.name for f in fields if f.name not in catalog]).items()
            if gone in existing
        }
        have = {f.name: f for f in fields if f.name not in broken}
        others = [f.name for f in schema if f.name not in have and f.name not in catalog]
        ok, refused = admit([*have, *typed], others, fields=False)
        if tbl.name()[0] in SOURCES:  # the warehouse's tables take what the warehouse made of them
            ok, beyond = beyond_bound([n for n in have if n not in catalog], ok)
            refused.update(beyond)
        new = [schema.field(n).with_nullable(True) for n in typed + ok]
        promote = []
        for f in schema:
            if f.name in have:
                wider = _PROMOTIONS.get((have[f.name].field_type, _norm_type(f.type)))
                if wider is not None:
                    promote.append((f.name, wider))
        if not new and not promote and not broken:
            _warn_refused(name, refused)
            return tbl, refused

        def change() -> None:
            with self._store_errors("changing the schema of", *tbl.name()), tbl.update_schema() as upd:
                for gone in broken:
                    upd.delete_column(gone)
                if new:
                    upd.union_by_name(pa.schema(new))
                for column, wider in promote:
                    upd.update_column(column, field_type=wider)

        try:
            # Tried again after a lost answer: a change that landed makes the next try fail as stale.
            self._catalog(f"changing the schema of {name}", change)
        except CommitFailedException:
            return None
        for gone, kept in broken.items():
            log.warning(
                "%s: dropped the column %s: it is written to Parquet as %s, like the column %s, and no file "
                "of the table could be written while it had both (its values are in raw)",
                name,
                shown(gone),
                shown(parquet_name(gone)),
                shown(kept),
            )
            refused.setdefault(gone, parquet_clash(gone, kept))
        log.info(
            "%s: new column(s) %s%s",
            name,
            ", ".join(f.name for f in new) or "none",
            f"; widened {', '.join(n for n, _ in promote)}" if promote else "",
        )
        _warn_refused(name, refused)
        return tbl, refused

    # ------------------------------------------------------------------------------- writes

    def writer(
        self, vendor: str, log_type: str, days: Iterable[date] = (), *, flush_bytes: int = TARGET_FILE_BYTES
    ) -> DayWriter:
        """A write of whole days, fed a table at a time (memory stays bounded by `flush_bytes` of Arrow
        rows: a data file is written each time that much is buffered). `days` are replaced even when no
        row of them is added (emptied)."""
        return DayWriter(self, vendor, log_type, days, flush_bytes=flush_bytes)

    def replace_days(
        self,
        vendor: str,
        log_type: str,
        data: pa.Table | Iterable[pa.Table],
        days: Iterable[date] | None = None,
        *,
        base_snapshot_id: int | None = None,
    ) -> Commit:
        """Make the days of the rows in `data` (and every day in `days`) hold exactly those rows, in one
        commit. With `days`, a row of another day is an error. With `base_snapshot_id`, the commit
        fails with DaysChanged if those days changed after that snapshot (a rewrite of what was read)."""
        with self.writer(vendor, log_type, days or ()) as w:
            for t in [data] if isinstance(data, pa.Table) else data:
                w.add(t, only_days=days is not None)
            return w.commit("replace", base_snapshot_id=base_snapshot_id)

    def append(
        self,
        vendor: str,
        log_type: str,
        data: pa.Table | Iterable[pa.Table],
        *,
        base_snapshot_id: int | None = None,
    ) -> Commit:
        """Add rows to their days, keeping what the days hold, in one commit. With `base_snapshot_id`
        (the snapshot the caller deduplicated against), the commit fails with DaysChanged if the days
        changed after it, instead of adding rows that may now be duplicates."""
        with self.writer(vendor, log_type) as w:
            for t in [data] if isinstance(data, pa.Table) else data:
                w.add(t)
            return w.commit("append", base_snapshot_id=base_snapshot_id)

    def compact_day(
        self,
        vendor: str,
        log_type: str,
        day: date,
        *,
        min_files: int = 1,
        small_bytes: int | None = None,
        small_rows: int | None = None,
    ) -> Commit | None:
        """Rewrite the day's small data files (each append leaves one) as few, in one commit that
        replaces exactly those files; the day's other files (cut at a flush size, compaction's own
        included) stay as they are. Small: under `small_bytes` (SMALL_FILE_BYTES) and fewer than
        `small_rows` rows (what a COMPACT_FLUSH_BYTES flush holds at WIDE_ROW_BYTES a row), judged
        when called. Read a row group at a time and written as they come, so memory stays bounded
        whatever the day's size. None when the day has no more than `min_files` small files, when
        their rewrite would not be fewer files (nothing is committed: the files it wrote are removed),
        or when the day changed meanwhile (it is left as it is)."""
        small_bytes = SMALL_FILE_BYTES if small_bytes is None else small_bytes
        small_rows = COMPACT_FLUSH_BYTES // WIDE_ROW_BYTES if small_rows is None else small_rows
        tbl = self.table(vendor, log_type)
        snap = tbl.current_snapshot() if tbl else None
        if tbl is None or snap is None:
            return None
        small = [
            f
            for f in _day_files(tbl, [day], snap.snapshot_id)
            if f.file_size_in_bytes < small_bytes and f.record_count < small_rows
        ]
        if len(small) <= max(min_files, 1):
            return None
        with DayWriter(self, vendor, log_type, [day], flush_bytes=COMPACT_FLUSH_BYTES, replaces=small) as w:
            with self._store_errors("compacting", vendor, log_type):
                for f in small:
                    data = pq.ParquetFile(tbl.io.new_input(f.file_path).open(seekable=True))
                    for i in range(data.num_row_groups):
                        w.add(data.read_row_group(i), only_days=True)
            w.flush()
            if w.files_written >= len(small):
                log.info(
                    "%s.%s %s: compacting %d small file(s) would write %d; left as they are",
                    vendor,
                    log_type,
                    day,
                    len(small),
                    w.files_written,
                )
                return None  # not committed: the writer removes its files
            try:
                return w.commit("replace", base_snapshot_id=snap.snapshot_id)
            except DaysChanged:
                return None

    # -------------------------------------------------------------------------------- reads

    def read_day(
        self,
        vendor: str,
        log_type: str,
        day: date,
        columns: Iterable[str] | None = None,
        snapshot_id: int | None = None,
    ) -> pa.Table:
        return self.read_days(vendor, log_type, [day], columns, snapshot_id)

    def read_days(
        self,
        vendor: str,
        log_type: str,
        days: Iterable[date] | None = None,
        columns: Iterable[str] | None = None,
        snapshot_id: int | None = None,
    ) -> pa.Table:
        """Rows of the given days (all days when None) as of a snapshot (the current one when None).
        Before the table's first write: no rows, in the catalog's schema for the type."""
        tbl = self.table(vendor, log_type)
        wanted = tuple(columns) if columns is not None else None
        if tbl is None or (tbl.current_snapshot() is None and snapshot_id is None):
            empty = lake_schema(log_type_of(vendor, log_type))
            if tbl is not None:
                empty = plain_schema(tbl.schema().as_arrow())
            return empty.empty_table().select(list(wanted)) if wanted else empty.empty_table()
        if snapshot_id is not None and tbl.snapshot_by_id(snapshot_id) is None:
            raise HistoryExpired(
                f"{vendor}.{log_type}: snapshot {snapshot_id} is no longer kept (expired by maintenance "
                f"after the retention period); {_oldest(tbl)}"
            )
        with self._store_errors("reading", vendor, log_type):
            scan = tbl.scan(
                row_filter=_days_filter(days), selected_fields=wanted or ("*",), snapshot_id=snapshot_id
            )
            return _plain_table(scan.to_arrow())

    def days(self, vendor: str, log_type: str, snapshot_id: int | None = None) -> dict[date, DayStats]:
        """Days (partitions) with rows, files and bytes, from the table's metadata (no data is read)."""
        tbl = self.table(vendor, log_type)
        if tbl is None:
            return {}
        with self._store_errors("reading the metadata of", vendor, log_type):
            return days(tbl, snapshot_id)

    def day_figures(
        self, vendor: str, log_type: str, days: Iterable[date] | None = None
    ) -> dict[date, DayFigures]:
        """Rows, files and the first and last event time of each day with rows (of `days`, or all), from
        the current snapshot's manifests: the files' column bounds, no data read."""
        tbl = self.table(vendor, log_type)
        if tbl is None or tbl.current_snapshot() is None:
            return {}
        with self._store_errors("reading the metadata of", vendor, log_type):
            return day_figures(tbl, days)

    def day_files(
        self,
        vendor: str,
        log_type: str,
        snapshot_id: int | None = None,
        days: Iterable[date] | None = None,
    ) -> dict[date, list[str]]:
        """The data files (their locations) of each day in a snapshot (the current one when None); of
        `days` only when given, from a scan filtered to them (the manifests of other days are skipped).
        A snapshot no longer kept is an error (HistoryExpired), never an empty table."""
        wanted = None if days is None else set(days)
        tbl = self.table(vendor, log_type)
        if tbl is None or (snapshot_id is None and tbl.current_snapshot() is None) or wanted == set():
            return {}
        if snapshot_id is not None and tbl.snapshot_by_id(snapshot_id) is None:
            raise HistoryExpired(f"{vendor}.{log_type}: snapshot {snapshot_id} is no longer kept; {_oldest(tbl)}")
        out: dict[date, list[str]] = {}
        with self._store_errors("reading the metadata of", vendor, log_type):
            for task in tbl.scan(row_filter=_days_filter(wanted), snapshot_id=snapshot_id).plan_files():
                out.setdefault(_day_of(task.file.partition[0]), []).append(task.file.file_path)
        return {d: sorted(fs) for d, fs in sorted(out.items())}

    def changed_days(self, vendor: str, log_type: str, since_snapshot_id: int | None) -> Changes:
        tbl = self.table(vendor, log_type)
        if tbl is None:
            return Changes(None, frozenset(), everything=since_snapshot_id is not None, reason="no such table")
        with self._store_errors("reading the metadata of", vendor, log_type):
            return changed_days(tbl, since_snapshot_id)

    def snapshot_as_of(self, vendor: str, log_type: str, when: datetime) -> Snapshot:
        tbl = self.table(vendor, log_type)
        if tbl is None:
            raise LakeError(f"{vendor}.{log_type}: no such table in the lake")
        return snapshot_as_of(tbl, when)

    def as_of(
        self,
        vendor: str,
        log_type: str,
        when: datetime,
        days: Iterable[date] | None = None,
        columns: Iterable[str] | None = None,
    ) -> pa.Table:
        """The rows as a reader saw them at `when` (for forensics), within the retention period."""
        snap = self.snapshot_as_of(vendor, log_type, when)
        return self.read_days(vendor, log_type, days, columns, snapshot_id=snap.snapshot_id)

    # -------------------------------------------------------------------------- maintenance

    def maintain(
        self,
        retention: timedelta = DEFAULT_RETENTION,
        *,
        now: datetime | None = None,
        tables: Iterable[tuple[str, str]] | None = None,
        compact_over: int | None = COMPACT_OVER_FILES,
    ) -> list[MaintenanceReport]:
        """For each table: compact days of more than `compact_over` files, expire the snapshots older
        than `retention` (keeping the current one and the one that was current `retention` ago, so that
        the table can be read as of any time within it), then remove the files no kept snapshot needs
        and that are older than the retention (and at least MIN_ORPHAN_AGE: a write in progress)."""
        now = now or datetime.now(UTC)
        return [
            self._maintain_table(v, t, retention, now, compact_over)
            for v, t in (tables if tables is not None else self.tables())
        ]

    def _maintain_table(
        self, vendor: str, log_type: str, retention: timedelta, now: datetime, compact_over: int | None
    ) -> MaintenanceReport:
        report = MaintenanceReport(f"{vendor}.{log_type}")
        if compact_over is not None:
            for day, stats in sorted(self.days(vendor, log_type).items()):
                if stats.files > compact_over and self.compact_day(vendor, log_type, day, min_files=compact_over):
                    report.compacted_days.append(day)
        cutoff = now - retention
        for _ in range(COMMIT_ATTEMPTS):
            tbl = self.table(vendor, log_type)
            if tbl is None:
                return report
            expire = _snapshots_to_expire(tbl, cutoff)
            if not expire:
                break
            try:
                with self._store_errors("expiring snapshots of", vendor, log_type):
                    tbl.maintenance.expire_snapshots().by_ids(sorted(expire)).commit()
                report.expired_snapshots = len(expire)
                break
            except CommitFailedException:
                continue
        tbl = self.table(vendor, log_type)
        if tbl is None:
            return report
        report.kept_snapshots = len(tbl.metadata.snapshots)
        if tbl.metadata.snapshots:
            report.oldest_kept = datetime.fromtimestamp(
                min(s.timestamp_ms for s in tbl.metadata.snapshots) / 1000, tz=UTC
            )
        orphan_cutoff = min(cutoff, now - MIN_ORPHAN_AGE)
        with self._store_errors("removing unreferenced files of", vendor, log_type):
            report.deleted_files, report.deleted_bytes = self._remove_orphans(tbl, orphan_cutoff)
        log.info(
            "%s: maintenance: %d snapshot(s) expired, %d kept, %d file(s) removed (%d bytes), compacted %s",
            report.table,
            report.expired_snapshots,
            report.kept_snapshots,
            report.deleted_files,
            report.deleted_bytes,
            ", ".join(map(str, report.compacted_days)) or "nothing",
        )
        return report

    def _remove_orphans(self, tbl: Table, older_than: datetime) -> tuple[int, int]:
        root = self.storage.key_of(tbl.location())
        if root is None:
            raise LakeError(f"{'.'.join(tbl.name())} lives at {tbl.location()}, outside {self.storage.url}")
        keep = {k for k in map(self.storage.key_of, referenced_files(tbl)) if k is not None}
        removed = removed_bytes = 0
        for sub in ("data", "metadata"):  # only the folders Iceberg writes: nothing else is ever touched
            for obj in self.storage.list(f"{root}/{sub}" if root else sub):
                if obj.key in keep or obj.mtime is None or obj.mtime >= older_than:
                    continue
                if self.storage.delete(obj.key):
                    removed += 1
                    removed_bytes += obj.size
        return removed, removed_bytes

    # ------------------------------------------------------------------------------ helpers

    @contextlib.contextmanager
    def _store_errors(self, doing: str, vendor: str, log_type: str) -> Iterator[None]:
        """Errors of the store (S3 refused, did not answer) as a StorageError naming the table."""
        try:
            yield
        except (FileNotFoundError, StorageError, LakeError):
            raise
        except (OSError, pa.ArrowException) as e:
            key = f"{LAKE_PREFIX}/{vendor}.db/{log_type}"
            raise self.storage.error(f"{doing} the lake table {vendor}.{log_type} at", key, e) from None


# ------------------------------------------------------------------------------- the writer


class DayWriter:
    """One write of a table: data files written as rows come (buffered to the target file size), then
    one commit. Used as a context manager, an exception (or no commit) removes the files it wrote."""

    def __init__(
        self,
        lake: Lake,
        vendor: str,
        log_type: str,
        days: Iterable[date] = (),
        *,
        flush_bytes: int = TARGET_FILE_BYTES,
        replaces: list[DataFile] | None = None,
    ):
        self.lake = lake
        # A compaction replaces these files of the day only (the rest of the day stays).
        self.replaces = {f.file_path for f in replaces} if replaces is not None else None
        self.flush_bytes = flush_bytes
        self.vendor = vendor
        self.log_type = log_type
        self.name = f"{vendor}.{log_type}"
        self.days: set[date] = set(days)
        self.rows: dict[date, int] = {}
        self.write_id = uuid.uuid4().hex
        self._uuid = uuid.UUID(self.write_id)
        self._counter = itertools.count(0)
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        # The buffered tables before this one (of these bytes) are consolidated, or left as they are.
        self._consolidated, self._consolidated_bytes = 0, 0
        self._files: list[DataFile] = []
        self._committed = False
        self._outcome_unknown = False
        # Columns of the rows added that the table refused (name -> why): their values are in raw.
        self.kept_in_raw: dict[str, str] = {}

    def __enter__(self) -> DayWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if not self._committed:
            self.abort()

    def add(self, table: pa.Table, *, only_days: bool = False) -> None:
        """Rows of the lake's columns (`event_day` is derived from `event_time` when absent). With
        `only_days`, every row must fall on one of the writer's `days`."""
        if self._committed:
            raise LakeError(f"{self.name}: this write is already committed")
        if table.num_rows == 0:
            return
        if DAY_COLUMN not in table.column_names:
            table = with_event_day(table)
        got = _day_counts(table.column(DAY_COLUMN))
        if only_days and not set(got) <= self.days:
            stray = sorted(set(got) - self.days)
            raise ValueError(f"{self.name}: rows of {', '.join(map(str, stray))}, outside the days being replaced")
        for d, n in got.items():
            self.rows[d] = self.rows.get(d, 0) + n
        self._buffer.append(table)
        self._buffered += table.nbytes
        if self._buffered >= self.flush_bytes:
            self._flush()
        else:
            self._consolidate()

    def _consolidate(self) -> None:
        """Buffered tables of one schema, once they hold CONSOLIDATE_BYTES, made one table of one
        chunk: pyiceberg's writer projects every record batch onto the file's schema in Python (some
        milliseconds each), and a walk adds a table per page. The copy is of these tables only."""
        if self._buffered - self._consolidated_bytes < CONSOLIDATE_BYTES:
            return
        tail = self._buffer[self._consolidated :]
        if len(tail) > 1 and all(t.schema == tail[0].schema for t in tail[1:]):
            self._buffer[self._consolidated :] = [pa.concat_tables(tail).combine_chunks()]
        self._consolidated, self._consolidated_bytes = len(self._buffer), self._buffered

    @property
    def files_written(self) -> int:
        """Data files written so far (the rows still buffered are not in one yet)."""
        return len(self._files)

    def flush(self) -> None:
        """Write the buffered rows as data files now (a commit does it too)."""
        self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        buffered = self._buffer
        schema = buffered[0].schema
        for t in buffered[1:]:
            schema = _unite(schema, t.schema)
        tbl, refused = self.lake.ensure_columns(self.vendor, self.log_type, schema)
        if refused:
            # Not columns of the table (their values are in raw): the rows are written without them.
            self.kept_in_raw.update(refused)
            buffered = [t.drop_columns([n for n in refused if n in t.column_names]) for t in buffered]
        target = plain_schema(tbl.schema().as_arrow())
        chunk = _sorted_by_day(pa.concat_tables([_conform(t, target, self.name) for t in buffered]))
        with self.lake._store_errors("writing", self.vendor, self.log_type):
            self._files += _day_data_files(tbl, chunk, self._uuid, self._counter)
        self._clear_buffer()

    def _clear_buffer(self) -> None:
        self._buffer, self._buffered = [], 0
        self._consolidated, self._consolidated_bytes = 0, 0

    def commit(self, mode: Mode = "replace", *, base_snapshot_id: int | None = None) -> Commit:
        if self._committed:
            raise LakeError(f"{self.name}: this write is already committed")
        self._flush()
        days = set(self.rows) | (self.days if mode == "replace" else set())
        try:
            result = self._commit(mode, days, base_snapshot_id)
        except BaseException:
            if not self._outcome_unknown:
                self.abort()
            raise
        self._committed = True
        return result

    def _commit(self, mode: Mode, days: set[date], base_snapshot_id: int | None) -> Commit:
        props = {WRITE_ID_PROP: self.write_id, WRITE_MODE_PROP: mode}
        for attempt in range(1, COMMIT_ATTEMPTS + 1):
            tbl = self.lake.table(self.vendor, self.log_type)
            if tbl is None:
                if self._files:
                    raise LakeError(f"{self.name}: the table was dropped while it was being written")
                return Commit(self.name, None, {}, 0, 0, attempt)
            if self._outcome_unknown and (landed := _find_write(tbl, self.write_id)) is not None:
                return self._result(tbl, landed, days, 0, attempt)
            head = tbl.current_snapshot()
            if base_snapshot_id is not None:
                _check_unchanged(tbl, base_snapshot_id, days, self.name)
            old = _day_files(tbl, days) if mode == "replace" and head is not None and days else []
            if self.replaces is not None:
                old = [f for f in old if f.file_path in self.replaces]
            if not old and not self._files:
                return Commit(self.name, head.snapshot_id if head else None, {}, 0, 0, attempt)
            tx = tbl.transaction()
            update = tx.update_snapshot(snapshot_properties=props)
            producer = update.overwrite() if old else update.fast_append()
            with producer:
                for f in old:
                    producer.delete_data_file(f)
                for f in self._files:
                    producer.append_data_file(f)
            try:
                with self.lake._store_errors("committing to", self.vendor, self.log_type):
                    committed = tx.commit_transaction()
            except (CommitFailedException, ValidationException) as e:
                log.info("%s: commit lost a race (%s); attempt %d of %d", self.name, e, attempt, COMMIT_ATTEMPTS)
                time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))
                continue
            except sqlalchemy.exc.DBAPIError as e:
                # The database went away mid-commit: it may have landed. Look before trying again.
                self._outcome_unknown = True
                log.warning("%s: commit interrupted (%s); checking whether it landed", self.name, e)
                time.sleep(min(2.0, 0.1 * 2**attempt))
                continue
            return self._result(committed, producer.snapshot_id, days, len(old), attempt)
        raise LakeError(
            f"{self.name}: gave up after {COMMIT_ATTEMPTS} attempts to commit: other writers kept committing "
            "to this table first"
        )

    def _result(self, tbl: Table, snapshot_id: int, days: set[date], removed: int, attempts: int) -> Commit:
        snap = tbl.snapshot_by_id(snapshot_id)
        files = {}
        if snap is not None and days:
            per_day = days_of_snapshot(tbl, snap, days)
            files = {d: per_day[d].files if d in per_day else 0 for d in days}
        return Commit(
            self.name, snapshot_id, dict(sorted(self.rows.items())), len(self._files), removed, attempts, files
        )

    def abort(self) -> None:
        """Remove the files written so far (never committed)."""
        self._clear_buffer()
        tbl = self.lake.table(self.vendor, self.log_type) if self._files else None
        for f in self._files:
            with contextlib.suppress(Exception):  # an orphan at worst, removed by maintenance
                assert tbl is not None
                tbl.io.delete(f.file_path)
        self._files = []


# ------------------------------------------------------------------------- metadata helpers


def _days_filter(days: Iterable[date] | None) -> BooleanExpression | str:
    if days is None:
        return AlwaysTrue()
    listed = sorted({d.isoformat() for d in days})
    if not listed:
        return AlwaysFalse()
    return f"{DAY_COLUMN} IN ({', '.join(repr(d) for d in listed)})"


def _day_of(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date(1970, 1, 1) + timedelta(days=int(value))  # Iceberg stores a DATE as days since the epoch


def _day_files(tbl: Table, days: Iterable[date], snapshot_id: int | None = None) -> list[DataFile]:
    """The data files of those days in a snapshot (from manifests pruned by their partition bounds)."""
    days = set(days)
    if not days:
        return []
    return [t.file for t in tbl.scan(row_filter=_days_filter(days), snapshot_id=snapshot_id).plan_files()]


def days_of_snapshot(tbl: Table, snap: Snapshot, only: Iterable[date] | None = None) -> dict[date, DayStats]:
    rows: dict[date, list[int]] = {}
    flt = _days_filter(only)
    for task in tbl.scan(row_filter=flt, snapshot_id=snap.snapshot_id).plan_files():
        f = task.file
        acc = rows.setdefault(_day_of(f.partition[0]), [0, 0, 0])
        acc[0] += f.record_count
        acc[1] += 1
        acc[2] += f.file_size_in_bytes
    return {d: DayStats(*v) for d, v in sorted(rows.items())}


def day_figures(tbl: Table, only: Iterable[date] | None = None) -> dict[date, DayFigures]:
    field_ = tbl.schema().find_field("event_time")
    kind = field_.field_type
    assert isinstance(kind, PrimitiveType)  # a timestamp

    def moment(b: bytes) -> datetime:
        return _EPOCH + timedelta(microseconds=int(from_bytes(kind, b)))

    acc: dict[date, list[Any]] = {}
    for task in tbl.scan(row_filter=_days_filter(only)).plan_files():
        f = task.file
        a = acc.setdefault(_day_of(f.partition[0]), [0, 0, None, None])
        a[0] += f.record_count
        a[1] += 1
        lo = (f.lower_bounds or {}).get(field_.field_id)
        hi = (f.upper_bounds or {}).get(field_.field_id)
        if lo is not None:
            t = moment(lo)
            a[2] = t if a[2] is None or t < a[2] else a[2]
        if hi is not None:
            t = moment(hi)
            a[3] = t if a[3] is None or t > a[3] else a[3]
    return {d: DayFigures(*v) for d, v in sorted(acc.items())}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def days(tbl: Table, snapshot_id: int | None = None) -> dict[date, DayStats]:
    """Days (partitions) of a table with their rows, files and bytes, read from manifests only."""
    snap = tbl.snapshot_by_id(snapshot_id) if snapshot_id is not None else tbl.current_snapshot()
    if snap is None:
        if snapshot_id is not None:
            raise HistoryExpired(
                f"{'.'.join(tbl.name())}: snapshot {snapshot_id} is no longer kept; {_oldest(tbl)}"
            )
        return {}
    return days_of_snapshot(tbl, snap)


def _summary_days(snap: Snapshot) -> set[date] | None:
    """Days a snapshot changed, from its summary (None when the summary does not list them)."""
    summary = snap.summary
    if summary is None or summary.get("partition-summaries-included") != "true":
        return None
    prefix = f"partitions.{DAY_COLUMN}="
    out = set()
    for key in summary.additional_properties:
        if key.startswith(prefix):
            value = key[len(prefix) :]
            if value == "null":
                continue
            out.add(date.fromisoformat(value))
    return out


def _manifest_days(tbl: Table, snap: Snapshot) -> set[date]:
    """Days a snapshot changed, from the entries it added or deleted in its own manifests."""
    out = set()
    for m in snap.manifests(tbl.io):
        if m.added_snapshot_id != snap.snapshot_id:
            continue
        for e in m.fetch_manifest_entry(tbl.io, discard_deleted=False):
            if e.snapshot_id == snap.snapshot_id and e.status != ManifestEntryStatus.EXISTING:
                out.add(_day_of(e.data_file.partition[0]))
    return out


def snapshot_days(tbl: Table, snap: Snapshot) -> set[date]:
    """The days one snapshot added or removed rows in."""
    found = _summary_days(snap)
    return found if found is not None else _manifest_days(tbl, snap)


def changed_days(tbl: Table, since_snapshot_id: int | None) -> Changes:
    """Days changed after `since_snapshot_id` up to the current snapshot, walking the snapshots'
    parents and reading what each one changed (its summary, else its own manifests). If that snapshot
    is not an ancestor of the current one (None, expired, or the table was replaced), every day is
    reported with `everything=True`."""
    head = tbl.current_snapshot()
    if head is None:
        return Changes(None, frozenset(), everything=since_snapshot_id is not None, reason="the table has no rows")
    if since_snapshot_id == head.snapshot_id:
        return Changes(head.snapshot_id, frozenset(), everything=False)
    changed: set[date] = set()
    snap: Snapshot | None = head
    while snap is not None and since_snapshot_id is not None:
        if snap.snapshot_id == since_snapshot_id:
            return Changes(head.snapshot_id, frozenset(changed), everything=False)
        changed |= snapshot_days(tbl, snap)
        snap = tbl.snapshot_by_id(snap.parent_snapshot_id) if snap.parent_snapshot_id is not None else None
    reason = (
        "no earlier snapshot given"
        if since_snapshot_id is None
        else f"snapshot {since_snapshot_id} is not in the table's history any more (expired by maintenance, "
        "or the table was made anew)"
    )
    return Changes(head.snapshot_id, frozenset(days(tbl)), everything=True, reason=reason)


def snapshot_as_of(tbl: Table, when: datetime) -> Snapshot:
    """The snapshot that was current at `when` (the table as a reader saw it then)."""
    if when.tzinfo is None:
        raise ValueError("give the time with its zone (UTC)")
    snap = tbl.snapshot_as_of_timestamp(int(when.timestamp() * 1000))
    if snap is None:
        raise HistoryExpired(
            f"{'.'.join(tbl.name())}: no snapshot at or before {when.isoformat()}; {_oldest(tbl)}. Older states "
            "are gone once maintenance expires them (after the retention period)."
        )
    return snap


def _oldest(tbl: Table) -> str:
    log_entries = tbl.history()
    if not log_entries:
        return "the table has no snapshot yet"
    first = datetime.fromtimestamp(log_entries[0].timestamp_ms / 1000, tz=UTC)
    return f"the oldest kept is from {first.isoformat()}"


def _snapshots_to_expire(tbl: Table, cutoff: datetime) -> set[int]:
    """Snapshots older than `cutoff`, but for the current one and the one current at the cutoff."""
    cutoff_ms = int(cutoff.timestamp() * 1000)
    keep = {ref.snapshot_id for ref in tbl.metadata.refs.values()}
    at_cutoff = tbl.snapshot_as_of_timestamp(cutoff_ms)
    if at_cutoff is not None:
        keep.add(at_cutoff.snapshot_id)
    return {
        s.snapshot_id for s in tbl.metadata.snapshots if s.timestamp_ms < cutoff_ms and s.snapshot_id not in keep
    }


def referenced_files(tbl: Table) -> set[str]:
    """Every file a kept snapshot or the table's metadata needs: metadata files (current and logged),
    manifest lists, manifests, data and delete files, statistics."""
    md = tbl.metadata
    out = {tbl.metadata_location, *(e.metadata_file for e in md.metadata_log)}
    out |= {s.statistics_path for s in md.statistics}
    out |= {s.statistics_path for s in md.partition_statistics}
    manifests = {}
    for snap in md.snapshots:
        out.add(snap.manifest_list)
        for m in snap.manifests(tbl.io):
            manifests[m.manifest_path] = m
    for path, m in manifests.items():
        out.add(path)
        out |= {e.data_file.file_path for e in m.fetch_manifest_entry(tbl.io, discard_deleted=True)}
    return out


def _find_write(tbl: Table, write_id: str, depth: int = 64) -> int | None:
    """The snapshot a write made, among the latest `depth` of the current one's ancestry."""
    snap = tbl.current_snapshot()
    while snap is not None and depth > 0:
        if snap.summary is not None and snap.summary.get(WRITE_ID_PROP) == write_id:
            return snap.snapshot_id
        snap = tbl.snapshot_by_id(snap.parent_snapshot_id) if snap.parent_snapshot_id is not None else None
        depth -= 1
    return None


def _check_unchanged(tbl: Table, base_snapshot_id: int, days: set[date], name: str) -> None:
    head = tbl.current_snapshot()
    if head is not None and head.snapshot_id == base_snapshot_id:
        return
    if tbl.snapshot_by_id(base_snapshot_id) is None:
        raise DaysChanged(f"{name}: snapshot {base_snapshot_id} the write was based on is not kept any more")
    changes = changed_days(tbl, base_snapshot_id)
    hit = days if changes.everything else changes.days & days
    if hit:
        raise DaysChanged(
            f"{name}: {', '.join(map(str, sorted(hit)))} changed since snapshot {base_snapshot_id}; read it again"
        )


def _sorted_by_day(table: pa.Table) -> pa.Table:
    """`table` in (event_day, event_time) order: each day's rows together, each day's files' row
    groups narrow in time. Rows that come in that order already (a walk's pages, a day read back) are
    not copied."""
    keys = [DAY_COLUMN] + (["event_time"] if "event_time" in table.column_names else [])
    if all(_ascending(table.column(k)) for k in keys):
        return table
    return table.sort_by([(k, "ascending") for k in keys])


def _ascending(column: pa.ChunkedArray) -> bool:
    if column.null_count or len(column) < 2:
        return not column.null_count
    values = column.cast(pa.int32() if pa.types.is_date32(column.type) else pa.int64()).to_numpy()
    return bool((values[1:] >= values[:-1]).all())


def _day_data_files(tbl: Table, chunk: pa.Table, write_uuid: uuid.UUID, counter: Iterator[int]) -> list[DataFile]:
    """The data files of `chunk` (sorted by day) in `tbl`: each day's rows are a slice of it, written
    as that partition's files. What pyiceberg's own table write does, without copying the rows twice
    (a filter per partition, then combine_chunks) to find partitions that a sorted chunk already has
    side by side."""
    meta = tbl.metadata
    spec, schema = meta.spec(), meta.schema()
    (day_field,) = spec.fields  # identity(event_day), the lake's only partition field
    target_size = int(
        meta.properties.get(
            TableProperties.WRITE_TARGET_FILE_SIZE_BYTES, TableProperties.WRITE_TARGET_FILE_SIZE_BYTES_DEFAULT
        )
    )
    task_schema = pyarrow_to_schema(
        chunk.schema, name_mapping=schema.name_mapping, format_version=meta.format_version
    )
    days = chunk.column(DAY_COLUMN).cast(pa.int32()).to_numpy()
    starts = [0, *(np.flatnonzero(days[1:] != days[:-1]) + 1).tolist()]
    ends = [*starts[1:], len(days)]
    tasks = []
    for a, b in zip(starts, ends, strict=True):
        day = date.fromordinal(_EPOCH_ORDINAL + int(days[a]))
        key = PartitionKey(
            field_values=[PartitionFieldValue(field=day_field, value=day)], partition_spec=spec, schema=schema
        )
        for batches in bin_pack_arrow_table(chunk.slice(a, b - a), target_size):
            tasks.append(
                WriteTask(
                    write_uuid=write_uuid,
                    task_id=next(counter),
                    record_batches=batches,
                    partition_key=key,
                    schema=task_schema,
                )
            )
    return list(write_file(io=tbl.io, table_metadata=meta, tasks=iter(tasks)))


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _warn_refused(table: str, refused: dict[str, str]) -> None:
    if refused:
        log.warning(
            "%s: not made columns, their values stay in raw only (read them from raw): %s",
            table,
            summary(refused),
        )


def _unite(a: pa.Schema, b: pa.Schema) -> pa.Schema:
    if a.names == b.names:
        return a
    have = set(a.names)
    extra = [f for f in b if f.name not in have]
    return pa.schema(list(a) + extra) if extra else a


def _day_counts(days: pa.ChunkedArray) -> dict[date, int]:
    """Rows per day of an `event_day` column (numpy: an Arrow group_by costs milliseconds a page)."""
    if days.null_count:
        raise ValueError(f"{days.null_count} row(s) with no {DAY_COLUMN}")
    found, counts = np.unique(days.cast(pa.int32()).to_numpy(), return_counts=True)
    return {
        date.fromordinal(_EPOCH_ORDINAL + int(d)): int(n)
        for d, n in zip(found.tolist(), counts.tolist(), strict=True)
    }


def _conform(table: pa.Table, target: pa.Schema, name: str) -> pa.Table:
    """`table` in the table's Arrow schema: its column order and types (a safe cast), NULL for columns
    it lacks. A required column must be present and hold no NULL."""
    n = table.num_rows
    have = set(table.column_names)
    extra = have - set(target.names)
    if extra:
        raise LakeError(f"{name}: columns {sorted(extra)} are not in the table (the schema did not evolve)")
    columns = []
    for f in target:
        if f.name not in have:
            if not f.nullable:
                raise ValueError(f"{name}: rows without the required column {f.name}")
            columns.append(pa.nulls(n, f.type))
            continue
        col = table.column(f.name)
        if not f.nullable and col.null_count:
            raise ValueError(f"{name}: {col.null_count} row(s) with no {f.name} (a required column)")
        if col.type != f.type:
            try:
                col = col.cast(f.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                raise LakeError(
                    f"{name}: column {f.name} is {f.type} in the lake; these rows hold {col.type} that does not "
                    f"convert ({e})"
                ) from None
        columns.append(col)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pa.Table.from_arrays(columns, schema=target)
