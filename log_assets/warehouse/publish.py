"""Publishing: what readers see.

The warehouse's tables are published to the lake's Iceberg catalog (`catalog.py`): only the days
that changed, one commit per table. `warehouse.duckdb`, what analysts on this machine open, is then
a small DuckDB file of views over the data files of those tables' current snapshots, written under
a temporary name and renamed into place. A reader that opened the previous `warehouse.duckdb` keeps
its inode, and its files stay: Iceberg never deletes a data file when a commit replaces it; the
lake's maintenance removes it once the snapshots that reference it have expired (after the
retention period, 7 days by default). When the lake is on an object store, the views read local
copies of the files (`sources.LakeFileCache`), kept `READER_GRACE` after the last view named them.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import duckdb

from log_assets.fsutil import ensure_dir, fsync_dir, fsync_file
from log_assets.lake.colnames import parquet_name
from log_assets.lake.lake import Lake
from log_assets.lake.layout import table_location
from log_assets.warehouse.catalog import CatalogReport, iceberg_name, publish_to_catalog, published_columns
from log_assets.warehouse.layout import TableRef
from log_assets.warehouse.sources import lake_file_cache, lake_of
from log_assets.warehouse.sqlfiles import column_defs, ident, literal, sql

SNAPSHOT_PREFIX = "snapshot-"
# A views file naming copies of an object store's files: the copies stay this long after the last
# views file that named them was replaced, so that a reader that opened it keeps getting answers.
READER_GRACE = timedelta(hours=6)
# Leftovers of an interrupted publish (a views file never renamed), and of the export folder of
# earlier versions, are deleted once this old.
LEFTOVER_AGE = timedelta(hours=6)
LEGACY_EXPORTS = "export"
# Tables small and changed as a whole (not by day): copied into the views file at each publish
# instead of published to the catalog by day: every table of a schema (`*`) or one table.
COPIED_TABLES = (("detections", "*"), ("ocsf", "detection_finding"))


@dataclass
class PublishReport:
    snapshot: str = ""
    catalog: CatalogReport | None = None  # what was published to the Iceberg catalog
    views: dict[str, int] = field(default_factory=dict)  # table -> data files its view reads
    files_deleted: int = 0  # local copies and leftovers removed


def publish(w) -> PublishReport:
    """Publish the changed days to the catalog (what a cluster's engines read), then write
    warehouse.duckdb over the published snapshots (what the analysts on this machine open)."""
    lake = lake_of(w.home)
    report = PublishReport(catalog=publish_to_catalog(w, lake))
    report.views, report.files_deleted = write_snapshot(w, lake)
    report.snapshot = str(w.layout.snapshot)
    report.files_deleted += collect_leftovers(w)
    return report


def write_snapshot(w, lake: Lake) -> tuple[dict[str, int], int]:
    """Write warehouse.duckdb: a view per published table over its current data files, and the load
    bookkeeping. Returns the files each view reads and the local copies pruned.

    A view of the build file (analytics.events) is published as a table of its rows, and readers
    get a view over those, not the build's SQL over the per-type views: its columns are stored, so
    a filter on one (user_email, action, event_time) reaches the Parquet scan and its statistics,
    and a query reads only the columns it names (raw only for the rows kept), instead of every
    query computing the shape of every row of every per-type table first."""
    layout = w.layout
    objects = w.run("tables", "published").fetchall()
    loads = w.conn.sql("SELECT * FROM _warehouse.loads").to_arrow_table()
    cache = lake_file_cache(lake, w.home)
    files: dict[str, list[str]] = {}
    pruned = 0
    for schema, name, _is_view in objects:
        ns, table = iceberg_name(TableRef(schema, name))
        locations = [f for fs in lake.day_files(ns, table).values() for f in fs]
        pruned += cache.prune(
            table_location(lake.storage, ns, table), set(locations), grace=READER_GRACE, touch=True
        )
        files[f"{schema}.{name}"] = [cache.local(loc) for loc in locations]

    ensure_dir(layout.root)
    tmp = layout.root / f"{SNAPSHOT_PREFIX}{uuid.uuid4().hex}.duckdb"
    try:
        snap = duckdb.connect(str(tmp))
        try:
            for schema in sorted({s for s, _, _ in objects} | {"_warehouse"}):
                snap.execute(sql("snapshot", "schema", schema=ident(schema)))
            for schema, name, _is_view in objects:
                t = TableRef(schema, name)
                columns = w.columns(t)
                if files[t.key]:
                    snap.execute(
                        sql(
                            "snapshot",
                            "view",
                            table=t.sql,
                            columns=_view_columns(snap, columns, files[t.key]),
                            files=_list(files[t.key]),
                        )
                    )
                else:
                    snap.execute(sql("snapshot", "empty", table=t.sql, column_defs=column_defs(columns)))
            snap.register("_loads", loads)
            snap.execute(sql("snapshot", "loads"))
            _copy_tables(w, snap, {(s, n) for s, n, _ in objects})
            snap.execute("CHECKPOINT")
        finally:
            snap.close()
        fsync_file(tmp)
        os.replace(tmp, layout.snapshot)
        fsync_dir(layout.snapshot.parent)
    except BaseException:
        for p in (tmp, Path(f"{tmp}.wal")):
            p.unlink(missing_ok=True)
        raise
    return {key: len(fs) for key, fs in files.items()}, pruned


def _copy_tables(w, snap: duckdb.DuckDBPyConnection, published: set[tuple[str, str]]) -> None:
    """The COPIED_TABLES, whole, into the views file (those not already published as views)."""
    for schema, name in _copied(w.conn):
        if (schema, name) in published:
            continue
        t = TableRef(schema, name)
        snap.execute(sql("snapshot", "schema", schema=ident(schema)))
        snap.register("_copied", w.conn.sql(f"SELECT * FROM {t.sql}").to_arrow_table())
        snap.execute(f"CREATE TABLE {t.sql} AS SELECT * FROM _copied")
        snap.unregister("_copied")


def _copied(conn: duckdb.DuckDBPyConnection, database: str | None = None) -> list[tuple[str, str]]:
    """The COPIED_TABLES the build file (or the attached `database`) has."""
    have = conn.execute(
        sql("tables", "copied"), {"database": database, "wanted": [f"{s}.{t}" for s, t in COPIED_TABLES]}
    ).fetchall()
    return [(s, t) for s, t in have]


def carry_over(conn: duckdb.DuckDBPyConnection, old_build: Path) -> None:
    """A rebuild keeps the COPIED_TABLES (they are not built from the lake: the alerts
    keep their ids and created_at): copied from the build file it replaces."""
    conn.execute(f"ATTACH {literal(str(old_build))} AS _old (READ_ONLY)")
    try:
        for schema, name in _copied(conn, "_old"):
            t = TableRef(schema, name)
            conn.execute(sql("snapshot", "schema", schema=ident(schema)))
            conn.execute(f"CREATE OR REPLACE TABLE {t.sql} AS SELECT * FROM _old.{t.sql}")
    finally:
        conn.execute("DETACH _old")


def _list(paths: list[str]) -> str:
    return "[" + ", ".join(literal(p) for p in paths) + "]"


def _view_columns(snap: duckdb.DuckDBPyConnection, columns: list[tuple[str, str]], files: list[str]) -> str:
    """The select list that gives the published files the build table's columns and types: an
    INTERVAL comes back from its `<name>_seconds`, and a column Iceberg stores in another type (a
    DuckDB HUGEINT sum as a decimal) is cast back."""
    stored = dict(
        snap.execute(sql("snapshot", "file_columns", files=_list(files[:1]))).fetchall()  # one footer
    )
    out = []
    for (name, type_), (published, _) in zip(columns, published_columns(columns), strict=True):
        in_file = ident(parquet_name(published))  # `a.b` is `a_x2Eb` in the files pyiceberg writes
        if type_.upper() == "INTERVAL":
            out.append(f"to_seconds({in_file}) AS {ident(name)}")
        elif stored.get(parquet_name(published)) != type_:
            out.append(f"CAST({in_file} AS {type_}) AS {ident(name)}")
        elif parquet_name(published) != name:
            out.append(f"{in_file} AS {ident(name)}")
        else:
            out.append(ident(name))
    return ", ".join(out)


def collect_leftovers(w) -> int:
    """Delete views files of interrupted publishes and the export folder of earlier versions."""
    before = (w.now() - LEFTOVER_AGE).timestamp()
    deleted = 0
    for p in w.layout.root.glob(f"{SNAPSHOT_PREFIX}*"):
        if p.stat().st_mtime < before:
            deleted += _unlink(p)
    legacy = w.layout.root / LEGACY_EXPORTS
    if legacy.is_dir():
        for dirpath, _dirnames, filenames in os.walk(legacy, topdown=False):
            for f in filenames:
                p = Path(dirpath) / f
                if p.stat().st_mtime < before:
                    deleted += _unlink(p)
            if not os.listdir(dirpath):
                os.rmdir(dirpath)
    return deleted


def _unlink(p: Path) -> int:
    try:
        p.unlink()
        return 1
    except FileNotFoundError:
        return 0
