"""The lake side of a walk: each page's rows staged by day, and each day's new lake folder built
as they arrive and swapped in when the walk commits the day.

A page's rows of a day are landed as an Arrow part in the walk's staging folder
(`<staging>/<walk id>/date=<day>/p<page>.arrow`, fsynced, renamed into place) before the token
after the page is checkpointed; a part of a page that was never checkpointed is dropped when the
walk restarts (`forget_unconfirmed`), so the staged parts are exactly the checkpointed pages. The
day's merge (`DayMerge`) lives in this process only: after a restart it is rebuilt from the parts.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from log_assets.catalog import FORCEPOINT, LogType
from log_assets.forcepoint.utcdays import US_PER_DAY, day_of
from log_assets.fsutil import ensure_dir, replace_dir
from log_assets.lake.schema import conform, widen
from log_assets.lake.writer import ParquetBuilder, read_arrow, stream_parquet_atomic, write_arrow_atomic
from log_assets.paths import Home
from log_assets.state import Walk

# A day folder holding more files than this is compacted into one file on its next merge.
MAX_FILES_PER_DAY = 8


def split_days(table: pa.Table, times: pa.Array) -> Iterator[tuple[str, pa.Table]]:
    """The rows of each UTC day in `table` (`times`: its event_time as int64 microseconds)."""
    day_no = pc.divide(times, US_PER_DAY)  # integer division (the lake starts after 1970)
    day_nos = pc.unique(day_no).to_pylist()
    for n in day_nos:
        yield day_of(n * US_PER_DAY), table if len(day_nos) == 1 else table.filter(pc.equal(day_no, n))


class DayBuilder:
    def __init__(self, home: Home, lt: LogType, schema: pa.Schema, staging_root: Path):
        self.home = home
        self.lt = lt
        self.schema = schema
        self.staging_root = staging_root
        self._merges: dict[str, DayMerge] = {}  # day -> its merge in progress (this process)

    def _parts(self, walk_id: str, day: str) -> Path:
        return self.staging_root / walk_id / f"date={day}"

    def _target(self, day: str) -> Path:
        return self.home.partition_dir(FORCEPOINT, self.lt.name, day)

    @staticmethod
    def _replaces(walk: Walk, day: str) -> bool:
        """A re-fetched day's folder is replaced, not merged into, on the walk's first commit of it."""
        return day in walk.replace_days and day not in walk.committed

    def forget_unconfirmed(self, walk: Walk) -> None:
        """Before (re)starting a walk in this process: staged parts of pages that were never
        checkpointed (a kill between the part and the checkpoint) go; they will be landed again."""
        root = self.staging_root / walk.id
        if not root.exists():
            return
        for d in root.glob(".build-*"):
            shutil.rmtree(d, ignore_errors=True)
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
        """Swap the day's new folder in for its lake folder. Returns (rows added, duplicates); a day
        with nothing staged is left as it is, unless the walk replaces it."""
        if day not in walk.staged and not self._replaces(walk, day):
            return 0, 0
        merge = self._merge_for(walk, day)
        added, dups = merge.commit(f"{walk.id}-{len(walk.committed)}")
        del self._merges[day]
        return added, dups

    def forget_parts(self, walk: Walk, day: str) -> None:
        """A committed day's parts (only once the state says the day is merged: a crash before that
        merges them again, which the event_id dedup, or the same replacement, makes harmless)."""
        shutil.rmtree(self._parts(walk.id, day), ignore_errors=True)

    def drop(self) -> None:
        """Abort the merges in progress (the parts stay, for the next run of the walk)."""
        for m in self._merges.values():
            m.abort()
        self._merges.clear()

    def figures(self, day: str) -> tuple[int, datetime | None, datetime | None]:
        """What the lake holds of a day: rows, first and last event time (from the files' footers)."""
        target = self._target(day)
        rows, first, last = 0, None, None
        for f in sorted(target.glob("*.parquet")) if target.exists() else []:
            md = pq.ParquetFile(f).metadata
            rows += md.num_rows
            idx = md.schema.to_arrow_schema().get_field_index("event_time")
            for rg in range(md.num_row_groups):
                s = md.row_group(rg).column(idx).statistics
                if s is not None and s.has_min_max:
                    first = s.min if first is None or s.min < first else first
                    last = s.max if last is None or s.max > last else last
        return rows, first, last

    def _merge_for(self, walk: Walk, day: str) -> DayMerge:
        """The day's merge in progress; after a restart, rebuilt from the day's staged parts."""
        m = self._merges.get(day)
        if m is None:
            build = self.staging_root / walk.id / f".build-date={day}"
            m = DayMerge(self.schema, self._target(day), build, self._replaces(walk, day))
            staged = self._parts(walk.id, day)
            for part in sorted(staged.glob("p*.*")) if staged.exists() else []:
                m.add(read_arrow(part) if part.suffix == ".arrow" else pq.read_table(part, schema=self.schema))
            self._merges[day] = m
        return m


class DayMerge:
    """A day's new lake folder, built while the walk lands the day's pages: one new file of the
    rows whose event_id is neither in the lake's files nor already added, beside hard links to
    the lake's files; `commit` swaps it in for the day's folder in one atomic exchange.

    Ids are remembered as 64-bit hashes (a collision would drop an event; at a million ids a day
    the chance is about 3 in 100 million)."""

    def __init__(self, schema: pa.Schema, target: Path, build: Path, replace: bool):
        self.schema = schema
        self.target = target
        self.build = build
        shutil.rmtree(build, ignore_errors=True)
        ensure_dir(build)
        self.existing = [] if replace or not target.exists() else sorted(target.glob("*.parquet"))
        self.seen: set[int] = set()
        for f in self.existing:
            for chunk in pq.ParquetFile(f).iter_batches(columns=["event_id"], batch_size=65536):
                self.seen.update(map(hash, chunk.column(0).to_pylist()))
        self.dups = 0
        self.new = ParquetBuilder(build, schema)
        self.done: list[ParquetBuilder] = []  # earlier files of this build, in narrower schemas

    def add(self, table: pa.Table) -> None:
        wider = widen(self.schema, table.schema)
        if wider is not self.schema:
            # A page brought fields the day's file so far lacks: the file so far is kept as it is, the
            # rest goes into a new one with the wider schema (readers unite them by name).
            self.schema = wider
            self.done.append(self.new)
            self.new = ParquetBuilder(self.build, wider)
        table = conform(table, self.schema)
        seen = self.seen
        keep = []
        for i, eid in enumerate(table.column("event_id").to_pylist()):
            h = hash(eid)
            if h in seen:
                self.dups += 1
            else:
                seen.add(h)
                keep.append(i)
        if len(keep) < table.num_rows:
            table = table.take(pa.array(keep, type=pa.int64()))
        self.new.add(table)

    def commit(self, name: str) -> tuple[int, int]:
        """Swap the built folder in for the day's. Returns (rows added, duplicates)."""
        added = sum(b.finish(self.build / f"part-{name}-{i}.parquet") for i, b in enumerate(self.done))
        added += self.new.finish(self.build / f"part-{name}.parquet")
        for f in self.existing:
            os.link(f, self.build / f.name)
        files = sorted(self.build.glob("*.parquet"))
        if len(files) > MAX_FILES_PER_DAY:
            compact = self.build / f"part-{name}-all.parquet"
            schema = self.schema
            for f in files:
                schema = widen(schema, pq.read_schema(f))
            stream_parquet_atomic((conform(pq.read_table(f), schema) for f in files), schema, compact)
            for f in files:
                f.unlink()
        replace_dir(self.build, self.target)
        return added, self.dups

    def abort(self) -> None:
        for b in self.done:
            b.abort()
        self.new.abort()
