"""Landing: merge a day's inbox files into the lake table `aperture.<log_type>`.

The day's merge is the lake's one write path (log_assets.lake.daymerge, shared with Forcepoint): the
new events (by event_id, against what the day already holds and each other) are added to the day in
one Iceberg commit; a day written before a typed column of the catalog existed is rebuilt from raw,
and a day of many small files is compacted. Inbox files are deleted only after the commit; a repeat
after a crash finds their events already present and adds nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from log_assets.aperture.spool import Spool, log_type_entry
from log_assets.catalog import APERTURE, LogType
from log_assets.lake.colnames import add_described, kept_in_raw, summary
from log_assets.lake.daymerge import DayMerge, commit_merging_again, rebuilt_from_raw
from log_assets.lake.lake import Lake
from log_assets.lake.layout import COMPACT_OVER_FILES
from log_assets.lake.schema import Coercer, arrow_schema, is_current, new_fields
from log_assets.storage import ObjectInfo

log = logging.getLogger(__name__)


@dataclass
class LandReport:
    log_type: str
    day: str
    inbox_files: int = 0
    inbox_rows: int = 0
    landed: int = 0
    duplicates: int = 0
    rows: int = 0  # in the partition afterwards
    files: int = 0
    compacted: bool = False
    coercion_failures: int = 0
    new_fields: tuple[str, ...] = ()  # fields the catalog does not know, landed as text columns
    fields_kept_in_raw: tuple[str, ...] = ()  # `"name" (why)`: fields that could not be columns
    first_event: datetime | None = None
    last_event: datetime | None = None


class MisroutedEventsError(RuntimeError):
    """Inbox rows whose event time is not on the partition's day; left in the inbox, untouched."""


def _read_conformed(spool: Spool, obj: ObjectInfo, lt: LogType, coercer: Coercer) -> pa.Table:
    """An inbox file in the current schema; rebuilt from `raw` when the catalog has changed since it
    was written."""
    table = spool.read_inbox(obj)
    if is_current(table.schema, lt):
        return table
    rebuilt = rebuilt_from_raw(lt, table, coercer)
    return rebuilt.drop_columns(["event_day"]) if "event_day" in rebuilt.column_names else rebuilt


def _day_bounds(day: str) -> tuple[datetime, datetime]:
    start = datetime.combine(date.fromisoformat(day), time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def land_day(
    spool: Spool, log_type: str, day: str, compact_at: int = COMPACT_OVER_FILES, lake: Lake | None = None
) -> LandReport:
    """Merge the inbox files of (log_type, day) into the lake. Serialized per log type by a lock.
    `lake`: the home's lake when None (opened and closed here)."""
    if lake is None:
        with Lake.for_home(spool.home, storage=spool.storage) as own:
            return land_day(spool, log_type, day, compact_at, own)
    lt = log_type_entry(log_type)
    report = LandReport(log_type, day)
    coercer = Coercer()
    spool.ensure()
    with spool.lock(f"land-{log_type}"):
        inbox_files = spool.inbox_files(log_type, day)
        report.inbox_files = len(inbox_files)
        incoming = [_read_conformed(spool, f, lt, coercer) for f in inbox_files]
        kept: dict[str, str] = {}
        for t in incoming:
            kept.update(kept_in_raw(t))
        # Files may differ by the new fields they carry: columns missing from one are NULL there.
        new = pa.concat_tables(incoming, promote_options="default") if incoming else arrow_schema(lt).empty_table()
        report.inbox_rows = new.num_rows
        report.new_fields = tuple(new_fields(new, lt))
        if new.num_rows:
            lo, hi = _day_bounds(day)
            times = new.column("event_time")
            if pc.min(times).as_py() < lo or pc.max(times).as_py() >= hi:
                raise MisroutedEventsError(f"inbox for {log_type} {day} holds events of another day")
            new = new.sort_by("event_time")
        merges: list[DayMerge] = []

        def merge() -> DayMerge:
            merges.append(DayMerge(lake, lt, day, compact_over=compact_at))
            merges[-1].add(new)
            return merges[-1]

        try:
            result = commit_merging_again(
                merge,
                lambda e: log.info("aperture/%s: %s; merging %s again from the inbox", log_type, e, day),
                drop=DayMerge.abort,
            )
        except BaseException:
            if merges:
                merges[-1].abort()  # (a merge's files are removed once: aborting again does nothing)
            raise
        report.landed = result.added
        kept.update(result.kept_in_raw)
        report.new_fields = tuple(n for n in report.new_fields if n not in kept)
        report.fields_kept_in_raw = tuple(add_described([], kept))
        if kept:
            log.warning(
                "aperture/%s %s: fields not made columns, their values stay in raw only (read them from raw): %s",
                log_type,
                day,
                summary(kept),
            )
        report.duplicates = result.duplicates
        report.compacted = result.compacted or result.rebuilt

        # The lake commit above is durable; only now may the inbox copies go.
        for f in inbox_files:
            spool.storage.delete(f.key)

    report.coercion_failures = coercer.failures
    figures = lake.day_figures(APERTURE, log_type, [date.fromisoformat(day)]).get(date.fromisoformat(day))
    if figures is not None:
        report.rows, report.files = figures.rows, figures.files
        report.first_event, report.last_event = figures.first, figures.last
    return report
