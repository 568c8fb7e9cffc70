"""The lake side of a walk: each page's rows staged by day, and each day's merge into the lake
(log_assets.lake.daymerge, the write path both vendors share) fed as they arrive and committed when
the walk commits the day.

A page's rows of a day are landed as an Arrow part on the storage root (log_assets.storage:
`LOG_ASSETS_STORAGE_URL`, by default the home), under the walk's staging prefix
`lake/.staging/forcepoint/<type>/<walk id>/date=<day>/p<page>.arrow`, and the store holds all of it
(locally: fsynced, renamed into place) before the token after the page is checkpointed. So the
staged parts are shared like the checkpoint: another machine that resumes the walk (its own home,
the same database and store) finds them. A part of a page that was never checkpointed is dropped
when the walk restarts (`forget_unconfirmed`), so the staged parts are exactly the checkpointed
pages. The day's merge lives in this process only: after a restart it is rebuilt from the parts
(its data files written so far, never committed, are orphans that maintenance removes).
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Iterable, Iterator
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from log_assets.catalog import FORCEPOINT, LogType
from log_assets.forcepoint.utcdays import US_PER_DAY, day_of
from log_assets.lake.daymerge import DayMerge, commit_merging_again
from log_assets.lake.lake import Lake
from log_assets.lake.results import DayFigures
from log_assets.lake.writer import arrow_ipc_bytes, read_arrow_bytes
from log_assets.state import Walk
from log_assets.storage import Storage

log = logging.getLogger(__name__)

# Suffixes of staged parts: Arrow IPC; Parquet from earlier versions, still read.
PART_SUFFIXES = (".arrow", ".parquet")


def staging_prefix(lt: LogType) -> str:
    """The key prefix, on the storage root, of a log type's walks' staged parts and kept answers."""
    return f"lake/.staging/{FORCEPOINT}/{lt.name}"


def part_page(key: str) -> int | None:
    """The page number of a staged part's key (`.../p0000012.arrow`), or None for another object."""
    name = posixpath.basename(key)
    stem, suffix = posixpath.splitext(name)
    if suffix not in PART_SUFFIXES or not stem.startswith("p"):
        return None
    try:
        return int(stem[1:])
    except ValueError:
        return None


def split_days(table: pa.Table, times: pa.Array) -> Iterator[tuple[str, pa.Table]]:
    """The rows of each UTC day in `table` (`times`: its event_time as int64 microseconds)."""
    day_no = pc.divide(times, US_PER_DAY)  # integer division (the lake starts after 1970)
    day_nos = pc.unique(day_no).to_pylist()
    for n in day_nos:
        yield day_of(n * US_PER_DAY), table if len(day_nos) == 1 else table.filter(pc.equal(day_no, n))


class DayBuilder:
    """`storage` holds the staged parts under `prefix` (by default the lake's storage and
    `staging_prefix(lt)`)."""

    def __init__(self, lake: Lake, lt: LogType, storage: Storage | None = None, prefix: str | None = None):
        self.lake = lake
        self.lt = lt
        self.storage = storage if storage is not None else lake.storage
        self.prefix = (prefix if prefix is not None else staging_prefix(lt)).strip("/")
        self._merges: dict[str, DayMerge] = {}  # day -> its merge in progress (this process)
        # Fields the lake table did not take as columns in this process's commits (name -> why).
        self.kept_in_raw: dict[str, str] = {}

    def walk_prefix(self, walk_id: str) -> str:
        """The key prefix of everything staged for a walk (its parts, and its kept answers)."""
        return f"{self.prefix}/{walk_id}"

    def _parts(self, walk_id: str, day: str) -> str:
        return f"{self.walk_prefix(walk_id)}/date={day}"

    def _day_parts(self, walk_id: str, day: str) -> list[str]:
        """The keys of a day's staged parts, in page order."""
        keys = [o.key for o in self.storage.list(self._parts(walk_id, day), recursive=False)]
        return sorted((k for k in keys if part_page(k) is not None), key=lambda k: (part_page(k), k))

    @staticmethod
    def _replaces(walk: Walk, day: str) -> bool:
        """A re-fetched day is replaced, not merged into, on the walk's first commit of it."""
        return day in walk.replace_days and day not in walk.committed

    def forget_unconfirmed(self, walk: Walk) -> None:
        """Before (re)starting a walk in this process: staged parts of pages that were never
        checkpointed (a kill between the part and the checkpoint) go; they will be landed again."""
        walk_root = self.walk_prefix(walk.id) + "/"
        for obj in self.storage.list(self.walk_prefix(walk.id)):
            folder, _ = posixpath.split(obj.key[len(walk_root) :])
            n = part_page(obj.key)
            if n is not None and folder.startswith("date=") and "/" not in folder and n >= walk.pages:
                self.storage.delete(obj.key)

    def stage(self, walk: Walk, day: str, page_no: int, rows: pa.Table) -> None:
        """Land a page's rows of a day as its part, and add them to the day's merge."""
        merge = self._merge_for(walk, day)  # before the part: a rebuilt merge must not add it twice
        # Same key on a re-fetched page: replaced, not doubled. Durable: the part must be on the store
        # before the checkpoint that counts its page. Owner-only locally (raw log records).
        key = f"{self._parts(walk.id, day)}/p{page_no:07d}.arrow"
        self.storage.write_bytes(key, arrow_ipc_bytes(rows), private=True, durable=True)
        merge.add(rows)

    def commit(self, walk: Walk, day: str) -> tuple[int, int]:
        """Commit the day's merge to the lake. Returns (rows added, duplicates); a day with nothing
        staged is left as it is, unless the walk replaces it."""
        if day not in walk.staged and not self._replaces(walk, day):
            return 0, 0
        result = commit_merging_again(
            lambda: self._merge_for(walk, day),
            lambda e: log.info("forcepoint/%s: %s; merging %s again from its staged pages", self.lt.name, e, day),
            drop=lambda _merge: self._merges.pop(day),
        )
        del self._merges[day]
        self.kept_in_raw.update(result.kept_in_raw)
        return result.added, result.duplicates

    def forget_parts(self, walk: Walk, day: str) -> None:
        """A committed day's parts (only once the state says the day is merged: a crash before that
        merges them again, which the event_id dedup, or the same replacement, makes harmless)."""
        self.storage.delete_prefix(self._parts(walk.id, day))

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
            for key in self._day_parts(walk.id, day):
                data = self.storage.read_bytes(key)
                # Parts staged by earlier versions are Parquet.
                m.add(read_arrow_bytes(data) if key.endswith(".arrow") else pq.read_table(pa.BufferReader(data)))
            self._merges[day] = m
        return m
