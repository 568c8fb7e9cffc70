"""Publishing to the catalog: the warehouse's tables as Iceberg tables beside the lake's, so that a
cluster's engines (Trino, Spark, Athena, pyiceberg, DuckDB's iceberg extension) query them too.

    forcepoint.<type>, forcepoint.cloudsummary_current   ->  warehouse.forcepoint_<name>
    aperture.<type>, aperture.incident_current           ->  warehouse.aperture_<name>
    ops.ingest_audit, ops.source_health                  ->  warehouse.ops_<name>
    analytics.<name>                                     ->  analytics.<name>
    ocsf.<class>                                         ->  ocsf.<class>

Each is partitioned by `event_day` like the lake, with the columns of the DuckDB table (a view, such
as `analytics.events`, is published as a table of its rows); an INTERVAL
column (no such type in Iceberg) is published as `<name>_seconds` DOUBLE. Only the days that changed
since the last publication are written: one replace commit per table, of those days. A table whose
columns changed (a view: or its SQL) is written whole again (a column whose type changed: the table
is dropped and made again); a table the warehouse no longer has is dropped.

The publication keeps its own cursor into the warehouse's change log: a run that failed to publish
(the store or the database was out) publishes those days at the next run.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa

from log_assets.lake.lake import Lake
from log_assets.lake.layout import DAY_COLUMN, norm_type, plain_schema
from log_assets.warehouse.derive import USER_KEYS
from log_assets.warehouse.layout import TableRef
from log_assets.warehouse.sources import RESERVED, VENDORS
from log_assets.warehouse.sqlfiles import ident

log = logging.getLogger(__name__)

CONSUMER = "catalog"
NAMESPACES = ("warehouse", "analytics", "ocsf")
# Warehouse schemas published under their own name (the per-type tables go to `warehouse`).
OWN_NAMESPACES = ("analytics", "ocsf")
BATCH_ROWS = 65_536


@dataclass
class CatalogReport:
    written: dict[str, int] = field(default_factory=dict)  # Iceberg table -> days written
    dropped: list[str] = field(default_factory=list)


def iceberg_name(t: TableRef) -> tuple[str, str]:
    """The (namespace, table) a warehouse table is published as."""
    if t.schema in OWN_NAMESPACES:
        return (t.schema, t.name)
    return ("warehouse", f"{t.schema}_{t.name}")


def published_columns(columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(name, DuckDB type) of a warehouse table's columns as published: an INTERVAL as seconds."""
    return [(f"{n}_seconds", "DOUBLE") if t.upper() == "INTERVAL" else (n, t) for n, t in columns]


def _select_list(columns: list[tuple[str, str]]) -> str:
    out = []
    for (name, type_), (published, _) in zip(columns, published_columns(columns), strict=True):
        if type_.upper() == "INTERVAL":
            out.append(f"epoch({ident(name)})::DOUBLE AS {ident(published)}")
        else:
            out.append(ident(name))
    return ", ".join(out)


def publish_to_catalog(w, lake: Lake) -> CatalogReport:
    report = CatalogReport()
    seq = w.new_batch("publish to the catalog")
    cur = w.cursor(CONSUMER)
    published_before: dict[str, str] = json.loads(cur[1]) if cur is not None and cur[1] else {}
    published = w.run("tables", "published").fetchall()
    tables = [TableRef(s, n) for s, n, _is_view in published]
    views = [TableRef(s, n) for s, n, is_view in published if is_view]
    signatures = {t.key: ", ".join(f"{n} {ty}" for n, ty in w.columns(t)) for t in tables}
    for v in views:
        # A view's rows follow its SQL too (sql/events.sql): other SQL publishes every day again, as
        # warehouse.duckdb reads the published rows.
        definition = w.run("tables", "view_sql", {"schema": v.schema, "view": v.name}).fetchone()[0]
        signatures[v.key] += f"; sql {hashlib.sha1(definition.encode()).hexdigest()[:16]}"

    dirty: dict[TableRef, set[date]] = defaultdict(set)
    if cur is not None:
        for name, day in w.run("catalog", "changed_days", {"since": cur[0]}).fetchall():
            dirty[TableRef.parse(name)].add(day)
        # A view (analytics.events: every vendor table in one shape) is published as a table; a day of
        # it changes when a day of a per-type table does.
        # (the latest-state tables are not part of it).
        # A day whose user_key changed (derive.USER_KEYS: a display name resolved to an address) is a
        # changed day of it too; the ops and OCSF tables are not part of it.
        vendor_days = {
            d
            for t, days in dirty.items()
            if (t.schema in VENDORS and t not in RESERVED) or t == USER_KEYS
            for d in days
        }
        for v in views:
            dirty[v] |= vendor_days
    present = {(ns, name) for ns, name in lake.tables() if ns in NAMESPACES}
    for t in tables:
        ns, name = iceberg_name(t)
        if published_before.get(t.key) == signatures[t.key] and (ns, name) in present:
            continue
        # New, or other columns: every day again (and the days the published table still has).
        if lake.table(ns, name) is not None and _types_changed(lake, ns, name, w, t):
            lake.drop_table(ns, name)
            log.info("%s.%s: dropped, a column changed type; publishing it again", ns, name)
        dirty[t] |= {r[0] for r in w.run("catalog", "table_days", table=t.sql).fetchall()}
        dirty[t] |= set(lake.days(ns, name)) if lake.table(ns, name) is not None else set()

    wanted = {iceberg_name(t) for t in tables}
    for ns, name in sorted(present - wanted):
        lake.drop_table(ns, name)
        report.dropped.append(f"{ns}.{name}")

    for t in tables:  # a table without rows is published too (empty), so that engines find it
        days = dirty.get(t, set())
        if days or iceberg_name(t) not in present:
            report.written[".".join(iceberg_name(t))] = _write(w, lake, t, sorted(days), view=t in views)
    w.set_cursor(CONSUMER, seq, json.dumps(signatures, sort_keys=True))
    w.run("meta", "forget_consumed")
    return report


def _types_changed(lake: Lake, ns: str, name: str, w, t: TableRef) -> bool:
    """Whether a column the published table has would now get another type (Iceberg cannot change
    most types in place)."""
    tbl = lake.table(ns, name)
    if tbl is None:
        return False
    have = {f.name: norm_type(f.type) for f in tbl.schema().as_arrow()}
    for f in _published_schema(w, t, w.columns(t)):
        old, new = have.get(f.name), norm_type(f.type)
        if old is not None and old != new and not _widens(old, new):
            return True
    return False


def _published_schema(w, t: TableRef, columns: list[tuple[str, str]]) -> pa.Schema:
    """The Arrow schema of the table's rows as published (DuckDB's types for `_select_list`)."""
    return w.conn.sql(f"SELECT {_select_list(columns)} FROM {t.sql} LIMIT 0").to_arrow_table().schema


def _widens(old: pa.DataType, new: pa.DataType) -> bool:
    return (pa.types.is_int32(old) and pa.types.is_int64(new)) or (
        pa.types.is_float32(old) and pa.types.is_float64(new)
    )


def _write(w, lake: Lake, t: TableRef, days: list[date], *, view: bool = False) -> int:
    """Make the published table's `days` hold exactly the warehouse table's rows of those days.

    Read a day at a time (a filter on one day skips the other days' row groups, the tables being
    inserted in day order), in the lake's order of (day, time) so that the writer has nothing to
    sort: a table's rows of a day come in time order as they were inserted; a view's (rows of every
    per-type table in turn) are sorted by DuckDB, one day at a time."""
    ns, name = iceberg_name(t)
    columns = w.columns(t)
    order = " ORDER BY event_time" if view and "event_time" in dict(columns) else ""
    query = f"SELECT {_select_list(columns)} FROM {t.sql} WHERE {ident(DAY_COLUMN)} = $day{order}"
    with lake.writer(ns, name, days) as writer:
        for day in days:
            for batch in w.conn.sql(query, params={"day": day}).to_arrow_reader(BATCH_ROWS):
                if batch.num_rows:
                    writer.add(pa.Table.from_batches([batch]), only_days=True)
        if not writer.rows and lake.table(ns, name) is None:
            # Nothing to publish and no table yet: made empty, so that engines find it.
            lake.ensure_table(ns, name, plain_schema(_published_schema(w, t, columns)))
        writer.commit("replace")
    return len(days)
