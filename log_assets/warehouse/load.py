"""Loading per-type tables from the lake, a set of days at a time.

A load rewrites whole days: in one transaction it deletes the table's rows of those days and inserts
the days' lake rows, one per event_id. The cost is that of the days loaded (plus a look at the
neighbouring days, where another copy of the same event may sit), never that of the history.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb

from log_assets.warehouse.columns import follow_lake
from log_assets.warehouse.derive import CHANGE_KEYS
from log_assets.warehouse.sources import (
    LakeDay,
    Source,
    lake_changes,
    lake_column_names,
    lake_days,
    lake_head,
    lake_of,
    prune_cached_days,
    some_lake_days,
)
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
    new_columns: list[str] = field(default_factory=list)  # new fields the table gained as columns
    new_columns_beyond_limit: list[str] = field(default_factory=list)  # new fields kept in raw only

    @property
    def duplicates(self) -> int:
        return self.lake_rows - self.rows

    def add(self, other: LoadReport) -> None:
        self.days += other.days
        self.lake_rows += other.lake_rows
        self.rows += other.rows
        self.moved_from_neighbours += other.moved_from_neighbours
        self.recovered += other.recovered
        self.new_columns += [n for n in other.new_columns if n not in self.new_columns]
        self.new_columns_beyond_limit = sorted({*self.new_columns_beyond_limit, *other.new_columns_beyond_limit})


class Pin:
    """The lake snapshot a sync reads its days from, and the days' files planned in it so far: every
    day's when `every_day` is given, else those asked for (by scans filtered to those days). A day
    planned and absent holds no rows in that snapshot."""

    def __init__(self, src: Source, snapshot_id: int | None, every_day: dict[date, LakeDay] | None = None):
        self.src = src
        self.snapshot_id = snapshot_id
        self.files: dict[date, LakeDay] = dict(every_day or {})
        self.complete = every_day is not None or snapshot_id is None
        self.planned: set[date] = set()

    def days(self, w, wanted: Iterable[date]) -> dict[date, LakeDay]:
        wanted = set(wanted)
        missing = set() if self.complete else wanted - self.planned
        if missing and self.snapshot_id is not None:
            found = some_lake_days(w.home, self.src.lt.vendor, self.src.lt.name, self.snapshot_id, missing)
            self.files.update({d: part for d, part in found.items() if d in missing})
        self.planned |= missing
        return {d: self.files[d] for d in sorted(wanted) if d in self.files}

    def move(self, snapshot_id: int | None) -> None:
        """Read from another snapshot from now on (what was planned is forgotten)."""
        self.snapshot_id, self.files, self.planned = snapshot_id, {}, set()
        self.complete = snapshot_id is None


def sync_source(w, src: Source) -> LoadReport:
    """Load the days changed in the lake since the snapshot the table was last loaded from: from the
    snapshots' metadata when that snapshot is still kept, else by comparing every day's files with
    those each day was loaded from. The days are read as of one snapshot, the current one now."""
    key = src.ref.key
    report = LoadReport(key)
    names = {"table_name": key}
    recorded = w.run("load", "lake_snapshot", names).fetchone()
    since = recorded[0] if recorded else None
    changes = lake_changes(w.home, src.lt.vendor, src.lt.name, since)
    if since is not None and not changes.everything and changes.snapshot_id == since:
        w.log.info("%s: unchanged since lake snapshot %d", key, since)
        return report
    loaded = dict(w.run("load", "loaded_days", names).fetchall())
    if changes.everything or since is None:
        if changes.snapshot_id is None and not loaded:
            w.log.debug("%s: nothing in the lake, nothing loaded", key)
            return report
        w.log.info(
            "%s: %s; comparing every day's files with the lake's as of snapshot %s",
            key,
            "no lake snapshot recorded" if since is None else changes.reason or f"lake snapshot {since} is gone",
            changes.snapshot_id,
        )
        lake: dict[date, LakeDay] = {}
        if changes.snapshot_id is not None:
            lake = lake_days(w.home, src.lt.vendor, src.lt.name, changes.snapshot_id)
        pin = Pin(src, changes.snapshot_id, lake)
        candidates = set(lake) | set(loaded)
    else:
        w.log.info(
            "%s: %d day(s) changed since lake snapshot %d (now %s)",
            key,
            len(changes.days),
            since,
            changes.snapshot_id,
        )
        pin = Pin(src, changes.snapshot_id)
        lake = pin.days(w, changes.days)
        prune_cached_days(w.home, src.lt.vendor, src.lt.name, changes.days, lake)
        candidates = set(changes.days)
    todo = sorted(d for d in candidates if (lake[d].signature if d in lake else None) != loaded.get(d))
    for i in range(0, len(todo), DAYS_PER_BATCH):
        report.add(load_days(w, src, todo[i : i + DAYS_PER_BATCH], pin))
    # Only now: a sync cut short starts again from the snapshot recorded before (loads are idempotent).
    with w.transaction():
        w.run("load", "forget_lake_snapshot", names)
        if changes.snapshot_id is not None:
            w.run("load", "record_lake_snapshot", {**names, "snapshot_id": changes.snapshot_id})
    return report


def load_days(w, src: Source, days: list[date], pin: Pin) -> LoadReport:
    from log_assets.lake.errors import HistoryExpired  # the lake's Iceberg code: when a load runs

    if not days:
        return LoadReport(src.ref.key)
    for attempt in range(READ_ATTEMPTS):
        try:
            return load_batch(w, src, days, pin)
        except duckdb.InvalidInputException as e:
            _raise_if_damaged(w, src, days, pin, e)  # a file that is not Parquet: reading again will not help
            raise
        except (duckdb.IOException, HistoryExpired) as e:
            # The pinned snapshot's files stay for the lake's retention, but a short one (or a lake
            # check pruning the cached copies) can take them mid-read: read the days as the lake
            # holds them now. The sync still records its first snapshot, so what changed after that
            # is loaded next time.
            if attempt == READ_ATTEMPTS - 1:
                if isinstance(e, duckdb.IOException):
                    _raise_if_damaged(w, src, days, pin, e)
                raise
            head = lake_head(w.home, src.lt.vendor, src.lt.name)
            w.log.info(
                "%s: lake files of snapshot %s went away while reading (%s); reading again as of snapshot %s",
                src.ref.key,
                pin.snapshot_id,
                e,
                head,
            )
            pin.move(head)
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _raise_if_damaged(w, src: Source, days: list[date], pin: Pin, cause: BaseException) -> None:
    """LakeDamaged naming the table, day, file and recovery when a file of these days is missing,
    cut off or not Parquet (DuckDB's own error names only a path, often of a cached copy)."""
    from log_assets.lake.damage import LakeDamaged, unreadable_files

    files = {d: list(part.locations) for d, part in pin.days(w, days).items()}
    found = unreadable_files(lake_of(w.home), src.lt.vendor, src.lt.name, files)
    if found:
        raise LakeDamaged(found, f"loading {src.ref.key} into the warehouse") from cause


def load_batch(w, src: Source, days: list[date], pin: Pin) -> LoadReport:
    """One batch of `days` of `src` read from the lake files `pin` holds into the warehouse (one
    attempt: `load_days` retries it on a lake that moved on, and tests replace it to cut a sync short)."""
    table = src.ref.sql
    key_column = CHANGE_KEYS.get(src.ref)
    key = ident(key_column) if key_column else "NULL"
    present = list(pin.days(w, days).values())
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

        recovered = _recover(w, src, days, columns, logged, pin)

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
    """The select list of the lake columns the table keeps, under their own names (the files hold
    `a.b` as `a_x2Eb`: pyiceberg's Parquet name): a file may lack a newer field, and one that
    carries a field the table lacks (a new field, landed as its own column) adds that column to the
    table first, within the bound on new columns (columns.py)."""
    own = lake_column_names(w.home, src.lt.vendor, src.lt.name)
    stored: dict[str, str] = {}  # own name -> Parquet name
    types: dict[str, str] = {}  # own name -> DuckDB type
    for name, type_, *_ in w.run("load", "lake_columns").fetchall():
        if name != "event_day":
            mine = own.get(name, name)
            stored[mine], types[mine] = name, type_
    return ", ".join(_as(stored[n], n) for n in follow_lake(w, src, types))


def _as(stored: str, name: str) -> str:
    return ident(name) if stored == name else f"{ident(stored)} AS {ident(name)}"


def _recover(w, src: Source, days: list[date], columns: str, logged: dict, pin: Pin) -> int:
    """Restore, from the neighbouring days' lake files, events that left the rewritten days while
    their other copy had been set aside in favour of the copy that just left."""
    w.run("load", "gone", table=src.ref.sql)
    if not w.count("_gone"):
        w.run("load", "no_recovered")
        return 0
    wanted = set(days)
    neighbours = {d + timedelta(days=s) for d in days for s in (-1, 1)} - wanted
    files = [f for part in pin.days(w, neighbours).values() for f in part.files]
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
