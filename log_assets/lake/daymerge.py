"""A day's merge into the lake: the one write path of both vendors.

`DayMerge` takes a day's incoming rows a table at a time and keeps those whose `event_id` is neither
in the day's lake rows (as of the snapshot the merge started from) nor already taken; they are written
as the table's data files as they come (`Lake.writer`, memory bounded by `flush_bytes`), and `commit`
makes them visible in one Iceberg commit:

- a merge into a day appends its rows, based on the snapshot it deduplicated against: if the day
  changed since (another writer committed to it), the commit is refused (`DaysChanged`) instead of
  adding rows that may now be duplicates, and the caller merges again from its durable copies (the
  Forcepoint staged pages, the Aperture inbox);
- a merge that `replace`s the day (a re-fetch) makes the day hold exactly its rows;
- a day whose files predate a typed column of the catalog (a data file without statistics for it:
  written before the column existed) is rebuilt from `raw` with the current catalog, in one replace;
- a day that has gathered more than `compact_over` small data files (appends: polls of the open day,
  Aperture landings) has those rewritten as one after the commit, a row group at a time; its large
  files stay. Scheduled maintenance does the same. The files of the merge's own commit count as one:
  all but its last are cut at `flush_bytes`, and a fresh day of a million events (some 30 such files)
  is not compacted by the commit that wrote it.

Ids are remembered as 64-bit hashes (a collision would drop an event; at a million ids a day the
chance is about 3 in 100 million), in sorted numpy runs (`SeenIds`: 8 bytes an id, where a Python
set takes about 80).

The caller holds the log type's lock: one merge of a day at a time. A crash before `commit` leaves
data files no snapshot references (removed by maintenance as orphans); after it, the merge done again
finds its rows in the day and adds nothing (they count as duplicates).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
from pyiceberg.types import ListType, MapType, NestedField, StructType

from log_assets import jsonsafe
from log_assets.catalog import COMMON_COLUMNS, LogType
from log_assets.lake.errors import DaysChanged
from log_assets.lake.lake import Lake
from log_assets.lake.layout import COMPACT_OVER_FILES, with_event_day
from log_assets.lake.schema import Coercer, arrow_schema, build_table
from log_assets.lake.snapshots import day_files

log = logging.getLogger(__name__)

# A merge writes a data file each time it has buffered this many bytes of Arrow rows (about
# 50-60 thousand log records): what a walk's memory holds per day it lands at once.
MERGE_FLUSH_BYTES = 64 * 1024 * 1024
# A day's commit refused because the day changed under the merge (maintenance compacted it) is
# merged again (from the walk's staged parts, from the Aperture inbox) this many times.
MERGE_ATTEMPTS = 3


@dataclass
class MergeResult:
    day: date
    added: int = 0
    duplicates: int = 0
    snapshot_id: int | None = None
    files: int = 0  # data files of the day afterwards
    rebuilt: bool = False  # the day's older rows were rebuilt from raw (a catalog change)
    compacted: bool = False
    # Fields of the rows that the table did not take as columns (name -> why): their values are in raw.
    kept_in_raw: dict[str, str] = field(default_factory=dict)


class DayMerge:
    def __init__(
        self,
        lake: Lake,
        lt: LogType,
        day: str | date,
        *,
        replace: bool = False,
        flush_bytes: int = MERGE_FLUSH_BYTES,
        compact_over: int | None = COMPACT_OVER_FILES,
    ):
        self.lake = lake
        self.lt = lt
        self.day = date.fromisoformat(day) if isinstance(day, str) else day
        self.replace = replace
        self.compact_over = compact_over
        self.seen = SeenIds()
        self.dups = 0
        tbl = lake.table(lt.vendor, lt.name)
        snap = tbl.current_snapshot() if tbl is not None else None
        self.base = snap.snapshot_id if snap is not None else None
        self.rebuild = (
            not replace and tbl is not None and snap is not None and _predates_catalog(tbl, lt, self.day)
        )
        self.writer = lake.writer(lt.vendor, lt.name, [self.day], flush_bytes=flush_bytes)
        self.old_rows = 0  # the day's rows written again by a rebuild (not new)
        if replace or self.base is None:
            return
        if self.rebuild:
            old = lake.read_day(lt.vendor, lt.name, self.day, snapshot_id=self.base)
            log.info(
                "%s.%s %s: %d rows written before a typed column of the catalog existed; rebuilding them from raw",
                lt.vendor,
                lt.name,
                self.day,
                old.num_rows,
            )
            self.old_rows = self._take(rebuilt_from_raw(lt, old))
            self.dups = 0
        else:
            ids = lake.read_day(lt.vendor, lt.name, self.day, columns=["event_id"], snapshot_id=self.base)
            self.seen.add(_hashes(ids.column(0)))

    def add(self, table: pa.Table) -> int:
        """Take the rows of `table` (all of the merge's day) that are new. Returns how many."""
        if table.num_rows == 0:
            return 0
        return self._take(table)

    def _take(self, table: pa.Table) -> int:
        new = self.seen.add(_hashes(table.column("event_id")))
        kept = int(np.count_nonzero(new))
        self.dups += table.num_rows - kept
        if kept < table.num_rows:
            table = _rows(table, new)
        if table.num_rows:
            self.writer.add(table, only_days=True)
        return table.num_rows

    @property
    def added(self) -> int:
        return sum(self.writer.rows.values())

    def commit(self) -> MergeResult:
        """One commit: the new rows appended to the day (or the day replaced). DaysChanged when the
        day changed after the snapshot the merge deduplicated against."""
        vendor, name = self.lt.vendor, self.lt.name
        result = MergeResult(self.day, duplicates=self.dups, rebuilt=self.rebuild)
        if self.replace or self.rebuild:
            commit = self.writer.commit("replace", base_snapshot_id=self.base if self.rebuild else None)
        else:
            commit = self.writer.commit("append", base_snapshot_id=self.base)
        result.added = commit.rows.get(self.day, 0)
        result.added -= self.old_rows  # a rebuild wrote the day's old rows again: only the rest is new
        result.kept_in_raw = dict(self.writer.kept_in_raw)
        result.snapshot_id = commit.snapshot_id
        result.files = commit.day_files.get(self.day, 0)
        # What the day gathered from other writes, and this one's last (partial) file: this write's
        # files cut at its flush size are not the small files compaction is for (they hold too many
        # rows to count as small: `SMALL_FILE_BYTES` in the lake), so a fresh big day is not looked at.
        gathered = result.files - max(commit.files_added - 1, 0)
        if self.compact_over is not None and gathered > self.compact_over:
            compacted = self.lake.compact_day(vendor, name, self.day, min_files=self.compact_over)
            if compacted is not None:
                result.compacted = True
                result.snapshot_id = compacted.snapshot_id
                result.files = compacted.day_files.get(self.day, result.files)
        return result

    def abort(self) -> None:
        self.writer.abort()


def commit_merging_again(
    merge: Callable[[], DayMerge],
    again: Callable[[DaysChanged], None],
    drop: Callable[[DayMerge], object],
    attempts: int = MERGE_ATTEMPTS,
) -> MergeResult:
    """Commit the day's merge that `merge()` gives. When the day changed after the snapshot the merge
    deduplicated against (DaysChanged), the merge is dropped (`drop`) and made again, `again(e)`
    saying so, up to `attempts` merges; the last one's DaysChanged is raised. Any other failure is
    raised with the merge as it is (the caller's to abort)."""
    for attempt in range(1, attempts + 1):
        made = merge()
        try:
            return made.commit()
        except DaysChanged as e:
            drop(made)
            if attempt == attempts:
                raise
            again(e)
    raise AssertionError("unreachable")


def _rows(table: pa.Table, keep: np.ndarray) -> pa.Table:
    """The rows of `table` where `keep` is true. Duplicates come in runs (a page that repeats the
    previous one's last records, a page fetched again): the rows between them are slices of the
    table, not copies; scattered ones are filtered out."""
    edges = np.flatnonzero(np.diff(np.concatenate(([False], keep, [False])).astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2]
    if len(starts) > MAX_SLICES:
        return table.filter(pa.array(keep))
    if not len(starts):
        return table.slice(0, 0)
    return pa.concat_tables([table.slice(a, b - a) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)])


# More runs of new rows than this in one table, and they are copied out of it instead of sliced.
MAX_SLICES = 8


def _hashes(ids: pa.ChunkedArray) -> np.ndarray:
    return np.fromiter(map(hash, ids.to_pylist()), np.int64, len(ids))


class SeenIds:
    """The 64-bit hashes of the event ids a merge has taken, as sorted numpy runs: a batch is looked
    up in each run by binary search, and a run merges with the one before it once that one is no
    larger (a binary counter), so a day of n ids in batches of b is held in at most log2(n / b) + 1
    runs, each id copied that many times at most."""

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(r) for r in self._runs)

    @property
    def runs(self) -> int:
        """How many sorted runs hold the hashes (at most log2 of the ids over the batch size, plus one)."""
        return len(self._runs)

    def add(self, hashes: np.ndarray) -> np.ndarray:
        """Which of `hashes` are new: not seen before, and the first of equal ones in `hashes`. Those
        are seen from now on."""
        new = np.zeros(len(hashes), bool)
        if not len(hashes):
            return new
        distinct, first = np.unique(hashes, return_index=True)
        fresh = np.ones(len(distinct), bool)
        for run in self._runs:
            at = np.minimum(np.searchsorted(run, distinct), len(run) - 1)
            fresh &= run[at] != distinct
        new[first[fresh]] = True
        if fresh.any():
            self._push(distinct[fresh])
        return new

    def _push(self, run: np.ndarray) -> None:
        runs = self._runs
        runs.append(run)
        while len(runs) > 1 and len(runs[-2]) <= len(runs[-1]):
            b, a = runs.pop(), runs.pop()
            merged = np.concatenate((a, b))
            merged.sort(kind="stable")
            runs.append(merged)


def _predates_catalog(tbl, lt: LogType, day: date) -> bool:
    """A data file of the day lacks a typed column of the catalog: it was written before the column
    existed in the table (a file written since has its statistics, NULLs counted)."""
    schema = tbl.schema()
    typed = [f.name for f in arrow_schema(lt) if f.name not in COMMON_COLUMNS]
    files = day_files(tbl, [day])
    if not files:
        return False
    columns = []
    for name in typed:
        try:
            columns.append(_stat_ids(schema.find_field(name)))
        except ValueError:
            return True  # the table lacks the column altogether
    return any(any(not any(i in (f.value_counts or {}) for i in ids) for ids in columns) for f in files)


def _stat_ids(column: NestedField) -> list[int]:
    """The field ids a data file keeps a column's statistics under: the column's own for a primitive
    type; for a list, a map or a struct those of its elements, its keys and values, or its fields
    (none under the column's own id, so a list column looked up by it is missing from every file,
    and every merge into a day that has one would rebuild the whole day from raw)."""
    kind = column.field_type
    if kind.is_primitive:
        return [column.field_id]
    if isinstance(kind, ListType):
        parts = [kind.element_field]
    elif isinstance(kind, MapType):
        parts = [kind.key_field, kind.value_field]
    elif isinstance(kind, StructType):
        parts = list(kind.fields)
    else:
        return [column.field_id]
    return [i for part in parts for i in _stat_ids(part)]


def rebuilt_from_raw(lt: LogType, table: pa.Table, coercer: Coercer | None = None) -> pa.Table:
    """Rows of the lake read back, their typed columns built again from `raw` with the current catalog
    (event_id, event_time and ingested_at kept)."""
    rows = [
        {
            "event_id": r["event_id"],
            "event_time": r["event_time"],
            "vendor": lt.vendor,
            "log_type": lt.name,
            "raw": r["raw"],
            "ingested_at": r["ingested_at"],
            "fields": _loads(r["raw"]),
        }
        for r in table.select(["event_id", "event_time", "raw", "ingested_at"]).to_pylist()
    ]
    return with_event_day(build_table(lt, rows, coercer or Coercer()))


def _loads(raw: str) -> dict:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    # A value that arrived as invalid UTF-8 is kept in raw as a lone surrogate escape: its column
    # holds it made valid, as when it landed (log_assets/jsonsafe.py).
    return jsonsafe.valid(value)[0] if isinstance(value, dict) else {}
