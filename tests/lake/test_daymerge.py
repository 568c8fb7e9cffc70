"""A day's merge: its memory of the ids it has taken (the same answers as a set, batch after batch),
and how its commit writes the day (appended to, rebuilt from raw, compacted)."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.forcepoint.parse import IdStrategy, parse_page
from log_assets.lake.daymerge import DayMerge, SeenIds, _rows
from log_assets.lake.lake import Lake
from log_assets.lake.schema import Coercer
from log_assets.paths import Home

LT = FORCEPOINT_TYPES["access"]
DAY = datetime(2026, 11, 10, tzinfo=UTC)


def _page(*ids: int) -> pa.Table:
    records = [
        {"time": (DAY + timedelta(minutes=i)).strftime("%d %b %Y %H:%M:%S"), "transactionid": f"tx-{i}"}
        for i in ids
    ]
    return parse_page(LT, records, 0, IdStrategy(LT), Coercer()).table


def test_seen_ids_answer_as_a_set_does():
    rng = np.random.default_rng(5)
    pool = rng.integers(-(2**63), 2**63 - 1, size=3000, dtype=np.int64)  # including negative hashes
    seen, reference = SeenIds(), set()
    for size in [0, 1, 7, 500, 1000, 1000, 3, 2000, 1000, 999, 4000]:
        batch = rng.choice(pool, size=size)  # repeats within a batch and across batches
        new = seen.add(batch)
        want = np.zeros(size, bool)
        for i, h in enumerate(batch.tolist()):
            if h not in reference:
                reference.add(h)
                want[i] = True
        assert new.tolist() == want.tolist()
        assert len(seen) == len(reference)
    assert seen.runs <= int(np.log2(len(reference))) + 1


def test_rows_between_duplicates_are_kept_in_order():
    table = pa.table({"n": list(range(30))})
    for keep in (
        np.ones(30, bool),
        np.zeros(30, bool),
        np.arange(30) >= 3,  # a repeated start
        np.isin(np.arange(30), [0, 1, 2, 10, 11, 29]),
        np.arange(30) % 2 == 0,  # scattered: more runs than are sliced
    ):
        assert _rows(table, keep).column("n").to_pylist() == np.flatnonzero(keep).tolist()


def test_a_merge_cut_into_many_files_is_not_compacted_by_its_own_commit(tmp_path):
    """The files one merge cuts at its flush size are one write, not the many small appends compaction
    is for: a fresh day of more than `compact_over` of them stays as written (compacting it would read
    the whole day again). Files that other writes add to the day count, one each."""
    with Lake.for_home(Home(tmp_path)) as lake:
        merge = DayMerge(lake, LT, DAY.date(), flush_bytes=1, compact_over=3)  # a file for every page
        for n in range(6):
            merge.add(_page(2 * n, 2 * n + 1))
        first = merge.commit()
        assert (first.added, first.files, first.compacted) == (12, 6, False)
        files = []
        for n in range(3):  # appends of a page each: the day gathers more than compact_over files
            merge = DayMerge(lake, LT, DAY.date(), flush_bytes=1, compact_over=3)
            merge.add(_page(100 + n, 0))
            r = merge.commit()
            files.append((r.added, r.duplicates, r.files, r.compacted))
        assert files == [(1, 1, 1, True), (1, 1, 2, False), (1, 1, 3, False)]  # compacted, then appended
        ids = lake.read_day(LT.vendor, LT.name, DAY.date(), ["event_id"]).column("event_id").to_pylist()
        assert sorted(ids) == sorted([f"tx-{i}" for i in range(12)] + ["tx-100", "tx-101", "tx-102"])


def test_a_merge_into_a_day_with_list_columns_appends_without_a_rebuild(tmp_path):
    """A list column's statistics are kept under its elements' field id: a day whose files have them
    was written with the column, and a later merge appends to it (a rebuild from raw would read the
    whole day into memory at every poll of the open day)."""
    assert any(pa.types.is_list(f.type) for f in _page(1).schema)  # access has list columns
    with Lake.for_home(Home(tmp_path)) as lake:
        for n, want in ((0, (2, 0, 1)), (1, (1, 1, 2))):
            merge = DayMerge(lake, LT, DAY.date())
            merge.add(_page(n, n + 1))
            r = merge.commit()
            assert not r.rebuilt and not r.compacted
            assert (r.added, r.duplicates, r.files) == want
