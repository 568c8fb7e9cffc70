"""Loading per-type tables from the lake, a set of days at a time.

A load rewrites whole days: in one transaction it deletes the table's rows of those days and inserts
the days' lake rows, one per event_id. The cost is that of the days loaded (plus a look at the
neighbouring days, where another copy of the same event may sit), never that of the history.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb

from log_assets.warehouse.derive import CHANGE_KEYS
from log_assets.warehouse.sources import LakeDay, Source, lake_days
from log_assets.warehouse.sqlfiles import ident

# Days loaded per transaction when many changed at once (a rebuild, a long backfill): bounds memory.
DAYS_PER_BATCH = 31
# A lake partition is swapped atomically; a load that read it mid-swap lists it again and retries.
READ_ATTEMPTS = 4


@dataclass
class LoadReport:
    table: str
    days: list[str] = field(default_factory=list)
    lake_rows: int = 0  # rows in the lake files of those days, duplicates included
    rows: int = 0  # rows the table holds for those days afterwards
    moved_from_neighbours: int = 0  # copies on a neighbouring day that gave way to a preferred copy
    recovered: int = 0  # copies restored from a neighbouring day's lake files

    @property
    def duplicates(self) -> int:
        return self.lake_rows - self.rows

    def add(self, other: LoadReport) -> None:
        self.days += other.days
        self.lake_rows += other.lake_rows
        self.rows += other.rows
        self.moved_from_neighbours += other.moved_from_neighbours
        self.recovered += other.recovered


def days_to_load(w, src: Source, lake: dict[date, LakeDay]) -> list[date]:
    loaded = dict(w.run("load", "loaded_days", {"table_name": src.ref.key}).fetchall())
    changed = {d for d, part in lake.items() if loaded.get(d) != part.signature}
    return sorted(changed | (set(loaded) - set(lake)))


def sync_source(w, src: Source) -> LoadReport:
    report = LoadReport(src.ref.key)
    todo = days_to_load(w, src, lake_days(w.home, src.lt.vendor, src.lt.name))
    for i in range(0, len(todo), DAYS_PER_BATCH):
        report.add(load_days(w, src, todo[i : i + DAYS_PER_BATCH]))
    return report


def load_days(w, src: Source, days: list[date]) -> LoadReport:
    if not days:
        return LoadReport(src.ref.key)
    for attempt in range(READ_ATTEMPTS):
        lake = lake_days(w.home, src.lt.vendor, src.lt.name)
        try:
            return _load(w, src, days, lake)
        except duckdb.IOException as e:
            if attempt == READ_ATTEMPTS - 1:
                raise
            w.log.info("%s: lake changed while reading (%s); reading again", src.ref.key, e)
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _load(w, src: Source, days: list[date], lake: dict[date, LakeDay]) -> LoadReport:
    table = src.ref.sql
    key_column = CHANGE_KEYS.get(src.ref)
    key = ident(key_column) if key_column else "NULL"
    present = [lake[d] for d in days if d in lake]
    files = [f for part in present for f in part.files]
    names = {"table_name": src.ref.key}

    with w.transaction():
        seq = w.new_batch(f"load {src.ref.key}")
        logged = {**names, "seq": seq}
        w.run("load", "set_days", {"days": days})
        w.run(
            "load",
            "set_lake_days",
            {
                "days": [p.day for p in present],
                "files": [len(p.files) for p in present],
                "signatures": [p.signature for p in present],
            },
        )
        w.run("load", "neighbours")
        columns = ""
        if files:
            w.set_variable("lake_files", files)
            columns = _kept_columns(w, src)
            w.run("load", "stage", columns=columns)
            w.run("load", "lake_counts")
        else:
            w.run("load", "stage_nothing", table=table)
            w.run("load", "no_lake_counts")
        w.run("load", "old_rows", table=table, key=key)
        w.run("load", "delete_days", table=table)

        w.run("load", "rivals", table=table)
        moved = w.run("load", "moved_count").fetchone()[0]
        if moved:
            w.run("load", "log_lost_neighbour_days", logged)
            if key_column:
                w.run("load", "log_lost_neighbour_keys", logged, table=table, key=key)
            w.run("load", "drop_lost_neighbours", table=table)
        w.run("load", "drop_lost_incoming")
        w.run("load", "insert", table=table)

        recovered = _recover(w, src, days, columns, logged)

        w.run("load", "log_days", logged)
        if key_column:
            w.run("load", "log_keys", logged, key=key)
        w.run("load", "forget_loads", names)
        w.run("load", "record_loads", {**logged, "vendor": src.lt.vendor, "log_type": src.lt.name}, table=table)
        per_day = w.run("load", "day_report", names).fetchall()

    report = LoadReport(
        src.ref.key,
        days=[d.isoformat() for d in days],
        lake_rows=sum(r[1] for r in per_day),
        rows=sum(r[2] for r in per_day),
        moved_from_neighbours=moved,
        recovered=recovered,
    )
    w.log.info(
        "%s: loaded %d day(s) %s..%s: %d lake rows -> %d rows",
        src.ref.key,
        len(days),
        days[0],
        days[-1],
        report.lake_rows,
        report.rows,
    )
    return report


def _kept_columns(w, src: Source) -> str:
    """The lake columns the table keeps: a file may lack a newer field, and one that carries a field
    the table lacks (a new field, landed as its own column) adds that column to the table first."""
    in_files = {r[0]: r[1] for r in w.run("load", "lake_columns").fetchall() if r[0] != "event_day"}
    have = dict(w.columns(src.ref))
    for name, type_ in in_files.items():
        if name not in have:
            w.log.info("%s: new column %s (%s) from the lake", src.ref.key, name, type_)
            w.run("tables", "add_column", table=src.ref.sql, column=ident(name), type=type_)
            have[name] = type_
    return ", ".join(ident(n) for n in have if n in in_files)


def _recover(w, src: Source, days: list[date], columns: str, logged: dict) -> int:
    """Restore, from the neighbouring days' lake files, events that left the rewritten days while
    their other copy had been set aside in favour of the copy that just left."""
    w.run("load", "gone", table=src.ref.sql)
    if not w.count("_gone"):
        w.run("load", "no_recovered")
        return 0
    wanted = set(days)
    neighbours = {d + timedelta(days=s) for d in days for s in (-1, 1)} - wanted
    lake = lake_days(w.home, src.lt.vendor, src.lt.name)
    files = [f for d in sorted(neighbours) if d in lake for f in lake[d].files]
    if not files:
        w.run("load", "no_recovered")
        return 0
    w.set_variable("neighbour_files", files)
    if not columns:
        w.set_variable("lake_files", files)
        columns = _kept_columns(w, src)
    w.run("load", "recover", columns=columns)
    w.run("load", "insert_recovered", table=src.ref.sql)
    w.run("load", "log_recovered_days", logged)
    return w.count("_recovered")
