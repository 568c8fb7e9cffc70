"""What a table's snapshots hold and changed, from its metadata alone (no data is read): the data files
and figures of its days, the days changed since a snapshot, the snapshot current at a time (reading
as of a time, for forensics) and the checks a write makes against the snapshot it was based on."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pyiceberg.expressions import AlwaysFalse, AlwaysTrue, BooleanExpression
from pyiceberg.table import Table
from pyiceberg.table.snapshots import Snapshot
from pyiceberg.types import PrimitiveType

from log_assets.lake._pyiceberg import DataFile, bound_value, snapshot_own_files
from log_assets.lake.errors import DaysChanged, HistoryExpired
from log_assets.lake.layout import DAY_COLUMN, WRITE_ID_PROP
from log_assets.lake.results import Changes, DayFigures, DayStats


def days_filter(days: Iterable[date] | None) -> BooleanExpression | str:
    if days is None:
        return AlwaysTrue()
    listed = sorted({d.isoformat() for d in days})
    if not listed:
        return AlwaysFalse()
    return f"{DAY_COLUMN} IN ({', '.join(repr(d) for d in listed)})"


def day_of(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date(1970, 1, 1) + timedelta(days=int(value))  # Iceberg stores a DATE as days since the epoch


def day_files(tbl: Table, days: Iterable[date], snapshot_id: int | None = None) -> list[DataFile]:
    """The data files of those days in a snapshot (from manifests pruned by their partition bounds)."""
    days = set(days)
    if not days:
        return []
    return [t.file for t in tbl.scan(row_filter=days_filter(days), snapshot_id=snapshot_id).plan_files()]


def days_of_snapshot(tbl: Table, snap: Snapshot, only: Iterable[date] | None = None) -> dict[date, DayStats]:
    rows: dict[date, list[int]] = {}
    flt = days_filter(only)
    for task in tbl.scan(row_filter=flt, snapshot_id=snap.snapshot_id).plan_files():
        f = task.file
        acc = rows.setdefault(day_of(f.partition[0]), [0, 0, 0])
        acc[0] += f.record_count
        acc[1] += 1
        acc[2] += f.file_size_in_bytes
    return {d: DayStats(*v) for d, v in sorted(rows.items())}


def day_figures(tbl: Table, only: Iterable[date] | None = None) -> dict[date, DayFigures]:
    field_ = tbl.schema().find_field("event_time")
    kind = field_.field_type
    assert isinstance(kind, PrimitiveType)  # a timestamp

    def moment(b: bytes) -> datetime:
        return _EPOCH + timedelta(microseconds=int(bound_value(kind, b)))

    acc: dict[date, list[Any]] = {}
    for task in tbl.scan(row_filter=days_filter(only)).plan_files():
        f = task.file
        a = acc.setdefault(day_of(f.partition[0]), [0, 0, None, None])
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
                f"{'.'.join(tbl.name())}: snapshot {snapshot_id} is no longer kept; {oldest_kept(tbl)}"
            )
        return {}
    return days_of_snapshot(tbl, snap)


def summary_days(snap: Snapshot) -> set[date] | None:
    """Days a snapshot changed, from its summary (None when the summary does not list them: more days
    in one commit than the summary lists; `snapshot_days` then reads the snapshot's manifests)."""
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
    return {day_of(f.partition[0]) for f in snapshot_own_files(tbl, snap)}


def snapshot_days(tbl: Table, snap: Snapshot) -> set[date]:
    """The days one snapshot added or removed rows in."""
    found = summary_days(snap)
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
            f"{'.'.join(tbl.name())}: no snapshot at or before {when.isoformat()}; {oldest_kept(tbl)}. "
            "Older states are gone once maintenance expires them (after the retention period)."
        )
    return snap


def oldest_kept(tbl: Table) -> str:
    log_entries = tbl.history()
    if not log_entries:
        return "the table has no snapshot yet"
    first = datetime.fromtimestamp(log_entries[0].timestamp_ms / 1000, tz=UTC)
    return f"the oldest kept is from {first.isoformat()}"


def find_write(tbl: Table, write_id: str, depth: int = 64) -> int | None:
    """The snapshot a write made, among the latest `depth` of the current one's ancestry."""
    snap = tbl.current_snapshot()
    while snap is not None and depth > 0:
        if snap.summary is not None and snap.summary.get(WRITE_ID_PROP) == write_id:
            return snap.snapshot_id
        snap = tbl.snapshot_by_id(snap.parent_snapshot_id) if snap.parent_snapshot_id is not None else None
        depth -= 1
    return None


def check_unchanged(tbl: Table, base_snapshot_id: int, days: set[date], name: str) -> None:
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
