"""Publishing: what readers see.

Readers never open the build file (DuckDB lets no other process open a file a writer holds).
Instead each (table, day) is exported to one immutable Parquet file, and `warehouse.duckdb` is a
small DuckDB file of views over those files, written under a temporary name and renamed into
place. A reader that opened the previous `warehouse.duckdb` keeps its inode and its files: files
replaced by a newer export are deleted only after `RETAIN`.

Only the days that changed since the last publish are exported, so its cost follows the change,
not the history; the views file itself is a few KB per table.
"""

from __future__ import annotations

import os
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from log_assets.fsutil import ensure_dir, fsync_dir, fsync_file
from log_assets.warehouse.catalog import CatalogReport, publish_to_catalog
from log_assets.warehouse.layout import TableRef
from log_assets.warehouse.sources import lake_of
from log_assets.warehouse.sqlfiles import column_defs, ident, literal, sql

CONSUMER = "publish"
_DAY_DIR = re.compile(r"event_day=(\d{4}-\d{2}-\d{2})")
SNAPSHOT_PREFIX = "snapshot-"


@dataclass
class PublishReport:
    exported: dict[str, int] = field(default_factory=dict)  # table -> days written
    files_deleted: int = 0
    snapshot: str = ""
    catalog: CatalogReport | None = None  # what was published to the Iceberg catalog


def publish(w) -> PublishReport:
    """Export the changed days and write warehouse.duckdb (what the analysts on this machine open),
    then publish the same changes to the Iceberg catalog (what a cluster's engines read)."""
    report = PublishReport()
    export_changes(w, report)
    write_snapshot(w)
    report.snapshot = str(w.layout.snapshot)
    report.files_deleted = collect_garbage(w)
    report.catalog = publish_to_catalog(w, lake_of(w.home))
    return report


def _columns_signature(columns) -> str:
    return ", ".join(f"{n} {t}" for n, t in columns)


def export_changes(w, report: PublishReport) -> None:
    seq = w.new_batch("publish")
    cur = w.cursor(CONSUMER)
    tables = [TableRef(s, n) for s, n, is_view in w.run("tables", "published").fetchall() if not is_view]
    exported_tables = dict(w.run("export", "exported_tables").fetchall())

    dirty: dict[TableRef, set[date]] = defaultdict(set)
    if cur is not None:
        for name, day in w.run("export", "changed_days", {"since": cur[0]}).fetchall():
            dirty[TableRef.parse(name)].add(day)
    for t in tables:
        if cur is None or exported_tables.get(t.key) != _columns_signature(w.columns(t)):
            # New table, first publish, or different columns: every day is written again.
            dirty[t] |= {r[0] for r in w.run("export", "table_days", table=t.sql).fetchall()}
            dirty[t] |= {r[0] for r in w.run("export", "exported_days", {"table_name": t.key}).fetchall()}

    existing = set(tables)
    for name in set(exported_tables) - {t.key for t in tables}:
        with w.transaction():  # a table that no longer exists: its files are retired
            w.run("export", "retire_table", {"table_name": name})
            w.run("export", "drop_table", {"table_name": name})
            w.run("export", "forget_table_columns", {"table_name": name})

    for t, days in sorted(dirty.items()):
        if t in existing:
            report.exported[t.key] = _export_table(w, t, sorted(days), seq)
    w.set_cursor(CONSUMER, seq)
    w.run("meta", "forget_consumed")


def _export_table(w, t: TableRef, days: list[date], seq: int) -> int:
    w.run("export", "set_export_days", {"days": days})
    directory = w.layout.export_dir(t)
    ensure_dir(directory)
    _, paths = w.run("export", "copy", table=t.sql, directory=literal(str(directory)), seq=str(seq)).fetchone()
    by_day = {}
    for p in paths:
        m = _DAY_DIR.search(p)
        if m is None:
            raise RuntimeError(f"DuckDB wrote an export file outside a day folder: {p}")
        by_day[date.fromisoformat(m.group(1))] = p
    counts = dict(w.run("export", "day_rows", table=t.sql).fetchall())
    for p in paths:
        fsync_file(Path(p))
    for d in {Path(p).parent for p in paths}:
        fsync_dir(d)
    written = sorted(by_day)
    with w.transaction():
        names = {"table_name": t.key}
        w.run("export", "retire_replaced", names)
        w.run("export", "drop_replaced", names)
        w.run(
            "export",
            "add_exported",
            {
                **names,
                "days": written,
                "paths": [by_day[d] for d in written],
                "rows": [counts[d] for d in written],
            },
        )
        w.run("export", "forget_table_columns", names)
        w.run("export", "set_table_columns", {**names, "columns": _columns_signature(w.columns(t))})
    return len(written)


def write_snapshot(w) -> None:
    """Write warehouse.duckdb: views over the exported files, and the load bookkeeping."""
    layout = w.layout
    files = dict(w.run("export", "manifest").fetchall())
    objects = w.run("tables", "published").fetchall()
    loads = w.conn.sql("SELECT * FROM _warehouse.loads").to_arrow_table()

    ensure_dir(layout.root)
    tmp = layout.root / f"{SNAPSHOT_PREFIX}{uuid.uuid4().hex}.duckdb"
    try:
        snap = duckdb.connect(str(tmp))
        try:
            for schema in sorted({s for s, _, _ in objects} | {"_warehouse"}):
                snap.execute(sql("snapshot", "schema", schema=ident(schema)))
            views = []
            for schema, name, is_view in objects:
                t = TableRef(schema, name)
                if is_view:
                    views.append(w.run("tables", "view_sql", {"schema": schema, "view": name}).fetchone()[0])
                    continue
                columns = w.columns(t)
                if t.key in files:
                    snap.execute(
                        sql(
                            "snapshot",
                            "view",
                            table=t.sql,
                            columns=", ".join(ident(n) for n, _ in columns),
                            files="[" + ", ".join(literal(p) for p in files[t.key]) + "]",
                        )
                    )
                else:
                    snap.execute(sql("snapshot", "empty", table=t.sql, column_defs=column_defs(columns)))
            for v in views:  # after the tables they read
                snap.execute(v)
            snap.register("_loads", loads)
            snap.execute(sql("snapshot", "loads"))
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


def collect_garbage(w) -> int:
    """Delete files retired longer than the retention ago, and leftovers of interrupted writes."""
    before = w.now() - w.retain
    deleted = 0
    for (path,) in w.run("export", "expired", {"before": before}).fetchall():
        deleted += _unlink(Path(path))
    w.run("export", "forget_expired", {"before": before})
    deleted += _sweep(w, before.timestamp())
    return deleted


def _sweep(w, before: float) -> int:
    """Files no bookkeeping row knows (a crash between writing and recording them)."""
    known = {r[0] for r in w.run("export", "known_paths").fetchall()}
    deleted = 0
    for p in w.layout.root.glob(f"{SNAPSHOT_PREFIX}*"):
        if p.stat().st_mtime < before:
            deleted += _unlink(p)
    if w.layout.exports.exists():
        for dirpath, _dirnames, filenames in os.walk(w.layout.exports, topdown=False):
            for f in filenames:
                p = Path(dirpath) / f
                if str(p) not in known and p.stat().st_mtime < before:
                    deleted += _unlink(p)
            if not os.listdir(dirpath) and Path(dirpath) != w.layout.exports:
                os.rmdir(dirpath)
    return deleted


def _unlink(p: Path) -> int:
    try:
        p.unlink()
        return 1
    except FileNotFoundError:
        return 0
