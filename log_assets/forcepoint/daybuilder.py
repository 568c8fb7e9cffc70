"""The lake side of a walk: each page's rows staged by day, and each day's merge into the lake
(log_assets.lake.daymerge, the write path both vendors share) fed as they arrive and committed when
the walk commits the day.

A page's rows of a day are landed as an Arrow part in the walk's staging folder
(`<staging>/<walk id>/date=<day>/p<page>.arrow`, fsynced, renamed into place) before the token
after the page is checkpointed; a part of a page that was never checkpointed is dropped when the
walk restarts (`forget_unconfirmed`), so the staged parts are exactly the checkpointed pages. The
day's merge lives in this process only: after a restart it is rebuilt from the parts (its data files
written so far, never committed, are orphans that maintenance removes).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from log_assets.catalog import LogType
from log_assets.forcepoint.utcdays import US_PER_DAY, day_of
from log_assets.lake.daymerge import DayMerge
from log_assets.lake.iceberg import DayFigures, DaysChanged, Lake
from log_assets.lake.writer import read_arrow, write_arrow_atomic
from log_assets.state import Walk

log = logging.getLogger(__name__)

# A day's commit refused because the day changed under the merge (maintenance compacted it) is
# merged again from its staged parts this many times.
MERGE_ATTEMPTS = 3


def split_days(table: pa.Table, times: pa.Array) -> Iterator[tuple[str, pa.Table]]:
    """The rows of each UTC day in `table` (`times`: its event_time as int64 microseconds)."""
    day_no = pc.divide(times, US_PER_DAY)  # integer division (the lake starts after 1970)
    day_nos = pc.unique(day_no).to_pylist()
    for n in day_nos:
        yield day_of(n * US_PER_DAY), table if len(day_nos) == 1 else table.filter(pc.equal(day_no, n))


class DayBuilder:
    def __init__(self, lake: Lake, lt: LogType, staging_root: Path):
        self.lake = lake
        self.lt = lt
        self.staging_root = staging_root
        self._merges: dict[str, DayMerge] = {}  # day -> its merge in progress (this process)

    def _parts(self, walk_id: str, day: str) -> Path:
        return self.staging_root / walk_id / f"date={day}"

    @staticmethod
    def _replaces(walk: Walk, day: str) -> bool:
        """A re-fetched day is replaced, not merged into, on the walk's first commit of it."""
        return day in walk.replace_days and day not in walk.committed

    def forget_unconfirmed(self, walk: Walk) -> None:
        """Before (re)starting a walk in this process: staged parts of pages that were never
        checkpointed (a kill between the part and the checkpoint) go; they will be landed again."""
        root = self.staging_root / walk.id
        if not root.exists():
            return
        for part in root.glob("date=*/p*.*"):
            try:
                n = int(part.stem[1:])
            except ValueError:
                continue
            if n >= walk.pages:
                part.unlink()

    def stage(self, walk: Walk, day: str, page_no: int, rows: pa.Table) -> None:
        """Land a page's rows of a day as its part, and add them to the day's merge."""
        merge = self._merge_for(walk, day)  # before the part: a rebuilt merge must not add it twice
        # Same name on a re-fetched page: replaced, not doubled.
        write_arrow_atomic(rows, self._parts(walk.id, day) / f"p{page_no:07d}.arrow")
        merge.add(rows)

    def commit(self, walk: Walk, day: str) -> tuple[int, int]:
        """Commit the day's merge to the lake. Returns (rows added, duplicates); a day with nothing
        staged is left as it is, unless the walk replaces it."""
        if day not in walk.staged and not self._replaces(walk, day):
            return 0, 0
        for attempt in range(1, MERGE_ATTEMPTS + 1):
            merge = self._merge_for(walk, day)
            try:
                result = merge.commit()
            except DaysChanged as e:
                del self._merges[day]
                if attempt == MERGE_ATTEMPTS:
                    raise
                log.info("forcepoint/%s: %s; merging %s again from its staged pages", self.lt.name, e, day)
                continue
            del self._merges[day]
            return result.added, result.duplicates
        raise AssertionError("unreachable")

    def forget_parts(self, walk: Walk, day: str) -> None:
        """A committed day's parts (only once the state says the day is merged: a crash before that
        merges them again, which the event_id dedup, or the same replacement, makes harmless)."""
        shutil.rmtree(self._parts(walk.id, day), ignore_errors=True)

    def drop(self) -> None:
        """Abort the merges in progress (the parts stay, for the next run of the walk)."""
        for m in self._merges.values():
            m.abort()
        self._merges.clear()

    def figures(self, days: Iterable[str]) -> dict[str, DayFigures]:
        """What the lake holds of those days (the ones with rows): rows, files, first and last event
        time (from the lake's metadata)."""
        wanted = [date.fromisoformat(d) for d in days]
        got = self.lake.day_figures(self.lt.vendor, self.lt.name, wanted) if wanted else {}
        return {d.isoformat(): f for d, f in got.items()}

    def _merge_for(self, walk: Walk, day: str) -> DayMerge:
        """The day's merge in progress; after a restart, rebuilt from the day's staged parts."""
        m = self._merges.get(day)
        if m is None:
            m = DayMerge(self.lake, self.lt, day, replace=self._replaces(walk, day))
            staged = self._parts(walk.id, day)
            for part in sorted(staged.glob("p*.*")) if staged.exists() else []:
                # Parts staged by earlier versions are Parquet.
                m.add(read_arrow(part) if part.suffix == ".arrow" else pq.read_table(part))
            self._merges[day] = m
        return m
