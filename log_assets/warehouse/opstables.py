"""The `ops` tables of the warehouse, from the pipeline's state database (log_assets/ops/):

- `ops.ingest_audit`: one row per request to a vendor's API (the state's audit rows, kept as long as
  the state keeps them: LOG_ASSETS_AUDIT_RETENTION_DAYS). A refresh adds the rows not here yet and
  removes those the state no longer has; the days it touched are logged for publication.
- `ops.source_health`: one row per source and log type, measured at the refresh: newest event (from
  the per-type tables here), requests left today, gap days, Aperture drain lag, and the status
  against `ops.health.Thresholds` (the same the asset checks use).

Both are published like the other tables (`warehouse.ops_<name>` in the catalog, views in
warehouse.duckdb), partitioned by `event_day`: the request's UTC day, the measurement's. A home
without a state database yet (nothing ingested) gets empty tables.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

import pyarrow as pa

from log_assets.warehouse.layout import TableRef
from log_assets.warehouse.sqlfiles import column_defs, ident

if TYPE_CHECKING:
    from log_assets.paths import Home
    from log_assets.state.store import StateStore

SCHEMA = "ops"
INGEST_AUDIT = TableRef(SCHEMA, "ingest_audit")
SOURCE_HEALTH = TableRef(SCHEMA, "source_health")
# Rows of the state may commit a little after newer ones (two runs at once): a refresh reads back
# this far behind the newest row it has, and adds what it lacks.
OVERLAP = timedelta(hours=1)

AUDIT_COLUMNS = (
    ("event_day", "DATE"),
    ("requested_at", "TIMESTAMPTZ"),
    ("source", "VARCHAR"),
    ("log_type", "VARCHAR"),
    ("endpoint", "VARCHAR"),
    ("status", "INTEGER"),
    ("bytes", "BIGINT"),
    ("records", "INTEGER"),
    ("duration_seconds", "DOUBLE"),
    ("attempts", "INTEGER"),
    ("quota_left", "INTEGER"),
    ("error", "VARCHAR"),
    ("audit_id", "VARCHAR"),
)
HEALTH_COLUMNS = (
    ("event_day", "DATE"),
    ("measured_at", "TIMESTAMPTZ"),
    ("source", "VARCHAR"),
    ("log_type", "VARCHAR"),
    ("newest_event", "TIMESTAMPTZ"),
    ("newest_event_age_seconds", "DOUBLE"),
    ("requests_today", "INTEGER"),
    ("requests_left_today", "INTEGER"),
    ("gap_days", "INTEGER"),
    ("gap_day_list", "VARCHAR"),
    ("drain_lag_seconds", "DOUBLE"),
    ("last_request_at", "TIMESTAMPTZ"),
    ("active", "BOOLEAN"),
    ("status", "VARCHAR"),
    ("problems", "VARCHAR"),
)


@contextmanager
def state_of(home: Home) -> Iterator[StateStore | None]:
    """The home's state database, or None when it has none yet (no SQLite file and no database URL
    set): the warehouse never creates one."""
    from log_assets.state.db import DEFAULT_FILE_NAME
    from log_assets.state.store import StateStore

    if not home.tenant.database_url_from(os.environ) and not (home.root / DEFAULT_FILE_NAME).exists():
        yield None
        return
    with StateStore.open(home) as store:
        yield store


def _arrow(rows: list[dict], columns: tuple[tuple[str, str], ...]) -> pa.Table:
    names = [n for n, _ in columns]
    return pa.Table.from_pylist([{n: r.get(n) for n in names} for r in rows], schema=_schema(columns))


_ARROW = {
    "DATE": pa.date32(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
}


def _schema(columns: tuple[tuple[str, str], ...]) -> pa.Schema:
    return pa.schema([(n, _ARROW[t]) for n, t in columns])


class OpsTable:
    """A table of named columns filled from the state database, not from the change log: it is used
    like derive.Derived (ensure, refresh, reads), without being one (derive.py lists these tables)."""

    ref: TableRef
    columns: tuple[tuple[str, str], ...] = ()
    keyed_sources: dict[TableRef, str] = {}

    @property
    def reads(self) -> tuple[TableRef, ...]:
        return ()

    def version(self) -> str:
        return hashlib.sha1(column_defs(self.columns).encode()).hexdigest()[:16]

    def ensure(self, w) -> None:
        w.conn.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(SCHEMA)}")
        if w.table_exists(self.ref):
            probe = TableRef("_warehouse", f"_probe_{self.ref.name}")
            w.run("tables", "drop", table=probe.sql)
            w.conn.execute(f"CREATE TABLE {probe.sql} ({column_defs(self.columns)})")
            wanted = w.columns(probe)  # as DuckDB names the types
            w.run("tables", "drop", table=probe.sql)
            if w.columns(self.ref) == wanted:
                return
            w.log.info("%s: columns changed; rebuilding it", self.ref.key)
            w.run("tables", "drop", table=self.ref.sql)
        w.conn.execute(f"CREATE TABLE {self.ref.sql} ({column_defs(self.columns)})")
        w.drop_cursor(self.ref.key)

    def refresh(self, w):
        from log_assets.warehouse.derive import RefreshReport  # derive.py imports this module

        report = RefreshReport(self.ref.key, full=w.cursor(self.ref.key) is None)
        with state_of(w.home) as store, w.transaction():
            seq = w.new_batch(f"refresh {self.ref.key}")
            if store is not None:
                self.fill(w, store, seq, report)
            w.set_cursor(self.ref.key, seq, self.version())
            report.rows = w.row_count(self.ref)
        w.log.info("%s: %d days rewritten, %d rows", self.ref.key, report.days, report.rows)
        return report

    def fill(self, w, store: StateStore, seq: int, report) -> None:
        raise NotImplementedError

    def log_days(self, w, seq: int, where: str, params: dict | None = None) -> None:
        """Log the days of the rows `where` selects as changed (for publication)."""
        logged = {"seq": seq, "table_name": self.ref.key, **(params or {})}
        w.run("derive", "log_rows", logged, table=self.ref.sql, where=where)


class IngestAudit(OpsTable):
    """One row per request to a vendor's API: time, source, log type, endpoint, HTTP status, bytes,
    records, duration, attempts, quota left after it, error."""

    ref = INGEST_AUDIT
    columns = AUDIT_COLUMNS

    def fill(self, w, store: StateStore, seq: int, report) -> None:
        from log_assets.ops.audit import read_audit, retention_days

        newest = w.conn.execute(f"SELECT max(requested_at) FROM {self.ref.sql}").fetchall()[0][0]
        rows = read_audit(store, since=None if newest is None else newest - OVERLAP)
        for r in rows:
            r["event_day"] = r["requested_at"].date()
            r["duration_seconds"] = r.pop("duration_ms") / 1000
        w.conn.register("_audit_in", _arrow(rows, self.columns))
        try:
            new = f"audit_id NOT IN (SELECT audit_id FROM {self.ref.sql})"
            w.conn.execute(f"CREATE OR REPLACE TEMP TABLE _audit_new AS SELECT * FROM _audit_in WHERE {new}")
            w.conn.execute(f"INSERT INTO {self.ref.sql} SELECT * FROM _audit_new")
            self.log_days(w, seq, "event_day IN (SELECT DISTINCT event_day FROM _audit_new)")
            # Kept as long as the state keeps them (its trails delete older rows at their next write).
            cutoff = {"cutoff": w.now() - timedelta(days=retention_days())}
            self.log_days(w, seq, "requested_at < $cutoff", cutoff)
            w.conn.execute(f"DELETE FROM {self.ref.sql} WHERE requested_at < $cutoff", cutoff)
            report.keys = w.count("_audit_new")
            report.days = w.conn.execute(
                "SELECT count(DISTINCT event_day) FROM _warehouse.changes WHERE seq = $seq", {"seq": seq}
            ).fetchall()[0][0]
        finally:
            w.conn.unregister("_audit_in")


class SourceHealthTable(OpsTable):
    """Per source and log type: newest event and its age, requests spent and left today, gap days,
    Aperture drain lag, and the status against the health thresholds (ok, warn, error)."""

    ref = SOURCE_HEALTH
    columns = HEALTH_COLUMNS

    @property
    def reads(self) -> tuple[TableRef, ...]:
        from log_assets.catalog import CATALOG

        return (*(TableRef(lt.vendor, lt.name) for lt in CATALOG.values()), INGEST_AUDIT)

    def fill(self, w, store: StateStore, seq: int, report) -> None:
        from log_assets.ops.health import Thresholds, assess, measure

        thresholds = Thresholds.from_env()
        newest = {
            (s.ref.schema, s.ref.name): w.conn.execute(f"SELECT max(event_time) FROM {s.ref.sql}").fetchall()[0][0]
            for s in w.sources()
        }
        health = measure(store, list(newest), newest, w.now(), thresholds)
        rows = [h.row(assess(h, thresholds)) for h in health]
        self.log_days(w, seq, "true")
        w.conn.execute(f"DELETE FROM {self.ref.sql}")
        w.conn.register("_health_in", _arrow(rows, self.columns))
        try:
            w.conn.execute(f"INSERT INTO {self.ref.sql} SELECT * FROM _health_in")
        finally:
            w.conn.unregister("_health_in")
        self.log_days(w, seq, "true")
        report.keys = len(rows)
        report.figures["sources_not_ok"] = sum(1 for r in rows if r["status"] != "ok")


OPS_TABLES: tuple[OpsTable, ...] = (IngestAudit(), SourceHealthTable())
