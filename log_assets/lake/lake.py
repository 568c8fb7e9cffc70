"""The `Lake`: the lake's tables in a catalog and the storage that holds their files; its tables made
and evolved (new columns by schema evolution), whole days replaced or rows appended (one commit each),
days read as now or as of a time, and the tables' upkeep."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any, TypeVar

import pyarrow as pa
import sqlalchemy.exc
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import CommitFailedException, NoSuchTableError, TableAlreadyExistsError
from pyiceberg.table import Table
from pyiceberg.table.snapshots import Snapshot

from log_assets.lake import maintenance, snapshots
from log_assets.lake._pyiceberg import read_planned_file
from log_assets.lake.catalog import call_catalog, database_url_of, ensure_namespace, open_catalog
from log_assets.lake.colnames import admit, colliding_fields, parquet_clash, parquet_name, shown, summary
from log_assets.lake.daywriter import DayWriter
from log_assets.lake.errors import HistoryExpired, LakeError, TableMetadataMissing
from log_assets.lake.layout import (
    CATALOG_NAME,
    COMMIT_ATTEMPTS,
    CREATE_RACE_CHECKS,
    CREATE_RACE_WAIT,
    DAY_COLUMN,
    LAKE_PREFIX,
    PROMOTIONS,
    SOURCES,
    TABLE_PROPERTIES,
    TARGET_FILE_BYTES,
    lake_schema,
    log_type_of,
    norm_type,
    plain_schema,
    plain_table,
    table_location,
)
from log_assets.lake.limits import beyond_bound
from log_assets.lake.results import Changes, Commit, DayFigures, DayStats
from log_assets.lake.snapshots import day_of, days_filter, oldest_kept
from log_assets.storage import Storage, StorageError
from log_assets.tenant import DATABASE_URL_ENV

log = logging.getLogger(__name__)
T = TypeVar("T")


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
        from log_assets.legacy import unmigrated_lake
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
            with self.store_errors("loading", vendor, log_type):
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
        """`call()`, which asks the catalog database (see `catalog.call_catalog`)."""
        return call_catalog(self.catalog, doing, call)

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
        with self.store_errors("recording the metadata of the dropped", vendor, log_type):
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
                    with self.store_errors("creating", vendor, log_type):
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
            with self.store_errors("looking for the metadata of", vendor, log_type):
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
                wider = PROMOTIONS.get((have[f.name].field_type, norm_type(f.type)))
                if wider is not None:
                    promote.append((f.name, wider))
        if not new and not promote and not broken:
            _warn_refused(name, refused)
            return tbl, refused

        def change() -> None:
            with self.store_errors("changing the schema of", *tbl.name()), tbl.update_schema() as upd:
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

    # Rewrite a day's small data files as few, in one commit (maintenance.compact_day says how).
    compact_day = maintenance.compact_day

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
                f"after the retention period); {oldest_kept(tbl)}"
            )
        with self.store_errors("reading", vendor, log_type):
            scan = tbl.scan(
                row_filter=days_filter(days), selected_fields=wanted or ("*",), snapshot_id=snapshot_id
            )
            return plain_table(scan.to_arrow())

    def days(self, vendor: str, log_type: str, snapshot_id: int | None = None) -> dict[date, DayStats]:
        """Days (partitions) with rows, files and bytes, from the table's metadata (no data is read)."""
        tbl = self.table(vendor, log_type)
        if tbl is None:
            return {}
        with self.store_errors("reading the metadata of", vendor, log_type):
            return snapshots.days(tbl, snapshot_id)

    def day_figures(
        self, vendor: str, log_type: str, days: Iterable[date] | None = None
    ) -> dict[date, DayFigures]:
        """Rows, files and the first and last event time of each day with rows (of `days`, or all), from
        the current snapshot's manifests: the files' column bounds, no data read."""
        tbl = self.table(vendor, log_type)
        if tbl is None or tbl.current_snapshot() is None:
            return {}
        with self.store_errors("reading the metadata of", vendor, log_type):
            return snapshots.day_figures(tbl, days)

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
            raise HistoryExpired(
                f"{vendor}.{log_type}: snapshot {snapshot_id} is no longer kept; {oldest_kept(tbl)}"
            )
        out: dict[date, list[str]] = {}
        with self.store_errors("reading the metadata of", vendor, log_type):
            for task in tbl.scan(row_filter=days_filter(wanted), snapshot_id=snapshot_id).plan_files():
                out.setdefault(day_of(task.file.partition[0]), []).append(task.file.file_path)
        return {d: sorted(fs) for d, fs in sorted(out.items())}

    def changed_days(self, vendor: str, log_type: str, since_snapshot_id: int | None) -> Changes:
        tbl = self.table(vendor, log_type)
        if tbl is None:
            return Changes(None, frozenset(), everything=since_snapshot_id is not None, reason="no such table")
        with self.store_errors("reading the metadata of", vendor, log_type):
            return snapshots.changed_days(tbl, since_snapshot_id)

    def snapshot_as_of(self, vendor: str, log_type: str, when: datetime) -> Snapshot:
        tbl = self.table(vendor, log_type)
        if tbl is None:
            raise LakeError(f"{vendor}.{log_type}: no such table in the lake")
        return snapshots.snapshot_as_of(tbl, when)

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

    # Compaction, snapshot expiry and removal of unreferenced files of each table (maintenance.maintain).
    maintain = maintenance.maintain

    def file_reader(
        self, vendor: str, log_type: str, days: Iterable[date], columns: Iterable[str]
    ) -> Callable[[], Iterator[pa.RecordBatch]] | None:
        """A reader of `columns` of `days` from the table's current snapshot, a data file at a time
        (the same files at every call: the scan is planned once, here); None before the table's first
        write. Each file is read (as the scan would: its deletes and the table's schema applied) when
        the one before it is done, so memory holds one file's batches at most."""
        tbl = self.table(vendor, log_type)
        snap = tbl.current_snapshot() if tbl is not None else None
        if tbl is None or snap is None:
            return None
        with self.store_errors("reading", vendor, log_type):
            scan = tbl.scan(
                row_filter=days_filter(days), selected_fields=tuple(columns), snapshot_id=snap.snapshot_id
            )
            tasks = list(scan.plan_files())

        def read() -> Iterator[pa.RecordBatch]:
            for task in tasks:
                with self.store_errors("reading", vendor, log_type):
                    batches = read_planned_file(tbl, scan, task)
                yield from batches

        return read

    # ------------------------------------------------------------------------------ helpers

    @contextlib.contextmanager
    def store_errors(self, doing: str, vendor: str, log_type: str) -> Iterator[None]:
        """Errors of the store (S3 refused, did not answer) as a StorageError naming the table."""
        try:
            yield
        except (FileNotFoundError, StorageError, LakeError):
            raise
        except (OSError, pa.ArrowException) as e:
            key = f"{LAKE_PREFIX}/{vendor}.db/{log_type}"
            raise self.storage.error(f"{doing} the lake table {vendor}.{log_type} at", key, e) from None


def _warn_refused(table: str, refused: dict[str, str]) -> None:
    if refused:
        log.warning(
            "%s: not made columns, their values stay in raw only (read them from raw): %s",
            table,
            summary(refused),
        )
