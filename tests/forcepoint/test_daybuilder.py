"""The day builder: a page's rows are staged by day and merged into the day of the lake table (each
event_id once, against the lake and the walk's own pages); a commit is one Iceberg commit, an abort
leaves the lake as it was and the parts for the next run, which rebuilds the merge from them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow as pa

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.forcepoint.daybuilder import DayBuilder, split_days
from log_assets.forcepoint.parse import IdStrategy, parse_page
from log_assets.lake.lake import Lake
from log_assets.lake.layout import COMPACT_OVER_FILES
from log_assets.lake.schema import Coercer
from log_assets.paths import Home
from log_assets.state import Walk
from tests.lakeview import lake_event_ids

LT = FORCEPOINT_TYPES["access"]
DAY = datetime(2026, 11, 10, tzinfo=UTC)


def rows(*ids: int, day: datetime = DAY) -> pa.Table:
    records = [
        {"time": (day + timedelta(minutes=i)).strftime("%d %b %Y %H:%M:%S"), "transactionid": f"tx-{i}"}
        for i in ids
    ]
    return parse_page(LT, records, 0, IdStrategy(LT), Coercer()).table


def builder(tmp_path) -> DayBuilder:
    home = Home(tmp_path)
    return DayBuilder(Lake.for_home(home), LT)  # on the home's storage root


def walk(wid: str = "w1", **kw) -> Walk:
    return Walk(wid, "2026-11-10", "2026-11-11", None, "startdate 2026-11-10T00:00:00Z", **kw)


def lake(tmp_path, day: str = "2026-11-10") -> list[str]:
    return sorted(lake_event_ids(tmp_path, "forcepoint", LT.name, day))


def test_split_days_gives_each_days_rows():
    table = pa.concat_tables([rows(1, 2), rows(3, day=DAY + timedelta(days=1))])
    got = {
        day: t.column("event_id").to_pylist() for day, t in split_days(table, table["event_time"].cast(pa.int64()))
    }
    assert got == {"2026-11-10": ["tx-1", "tx-2"], "2026-11-11": ["tx-3"]}


def test_staged_pages_commit_each_event_once_against_the_lake_and_themselves(tmp_path):
    b, w = builder(tmp_path), walk()
    b.stage(w, "2026-11-10", 0, rows(1, 2))
    w.staged.append("2026-11-10")
    assert b.commit(w, "2026-11-10") == (2, 0)
    w.committed.append("2026-11-10")
    b.forget_parts(w, "2026-11-10")
    w.staged.remove("2026-11-10")

    b.stage(w, "2026-11-10", 1, rows(2, 3))
    b.stage(w, "2026-11-10", 2, rows(3, 4))
    w.staged.append("2026-11-10")
    assert b.commit(w, "2026-11-10") == (2, 2)  # tx-3, tx-4 added; tx-2 from the lake, tx-3 from page 1
    assert lake(tmp_path) == ["tx-1", "tx-2", "tx-3", "tx-4"]
    f = b.figures(["2026-11-10", "2026-11-12"])
    assert list(f) == ["2026-11-10"]  # a day without rows has no figures
    assert f["2026-11-10"].rows == 4
    assert (f["2026-11-10"].first, f["2026-11-10"].last) == (
        DAY + timedelta(minutes=1),
        DAY + timedelta(minutes=4),
    )


def test_a_day_with_nothing_staged_is_left_as_it_is_unless_the_walk_replaces_it(tmp_path):
    b, w = builder(tmp_path), walk()
    b.stage(w, "2026-11-10", 0, rows(1, 2))
    w.staged.append("2026-11-10")
    b.commit(w, "2026-11-10")
    assert b.commit(walk("w2"), "2026-11-10") == (0, 0)
    assert lake(tmp_path) == ["tx-1", "tx-2"]
    refetch = walk("w3", replace_days=["2026-11-10"])
    b.stage(refetch, "2026-11-10", 0, rows(2, 3))
    refetch.staged.append("2026-11-10")
    assert b.commit(refetch, "2026-11-10") == (2, 0)  # replaced: tx-2 is no duplicate of the old day
    assert lake(tmp_path) == ["tx-2", "tx-3"]
    assert b.commit(walk("w4", replace_days=["2026-11-10"]), "2026-11-10") == (0, 0)
    assert lake(tmp_path) == []  # re-fetched and found empty: the day is emptied


def test_an_aborted_merge_leaves_the_lake_and_the_next_run_rebuilds_it_from_the_parts(tmp_path):
    b, w = builder(tmp_path), walk()
    b.stage(w, "2026-11-10", 0, rows(1, 2))
    b.stage(w, "2026-11-10", 1, rows(2, 3))
    b.stage(w, "2026-11-10", 2, rows(9))  # a page landed but never checkpointed
    w.staged.append("2026-11-10")
    w.pages = 2
    b.drop()
    assert lake(tmp_path) == []
    assert not list((tmp_path / "lake").rglob("*.parquet"))  # the aborted merge's data files are gone

    again = builder(tmp_path)  # the next run of the walk
    again.forget_unconfirmed(w)
    staged = tmp_path / "lake" / ".staging" / "forcepoint" / LT.name / "w1" / "date=2026-11-10"
    assert sorted(p.name for p in staged.iterdir()) == ["p0000000.arrow", "p0000001.arrow"]
    assert again.commit(w, "2026-11-10") == (3, 1)
    assert lake(tmp_path) == ["tx-1", "tx-2", "tx-3"]


def test_a_day_of_many_files_is_compacted(tmp_path):
    b = builder(tmp_path)
    for n in range(COMPACT_OVER_FILES + 1):
        w = walk(f"w{n}")
        b.stage(w, "2026-11-10", 0, rows(n))
        w.staged.append("2026-11-10")
        b.commit(w, "2026-11-10")
    stats = b.lake.days("forcepoint", LT.name)[date(2026, 11, 10)]
    assert stats.files == 1 and stats.rows == COMPACT_OVER_FILES + 1
    assert lake(tmp_path) == sorted(f"tx-{n}" for n in range(COMPACT_OVER_FILES + 1))


def test_a_commit_refused_because_the_day_changed_is_merged_again_from_the_parts(tmp_path):
    b, w = builder(tmp_path), walk()
    b.stage(w, "2026-11-10", 0, rows(1, 2))
    w.staged.append("2026-11-10")
    b.commit(w, "2026-11-10")
    w2 = walk("w2")
    b.stage(w2, "2026-11-10", 0, rows(2, 3))
    w2.staged.append("2026-11-10")
    b.lake.compact_day("forcepoint", LT.name, date(2026, 11, 10))  # maintenance, meanwhile
    assert b.commit(w2, "2026-11-10") == (1, 1)
    assert lake(tmp_path) == ["tx-1", "tx-2", "tx-3"]


def test_parts_staged_as_parquet_by_an_earlier_version_are_still_merged(tmp_path):
    import pyarrow.parquet as pq

    w = walk()
    staged = tmp_path / "lake" / ".staging" / "forcepoint" / LT.name / "w1" / "date=2026-11-10"
    staged.mkdir(parents=True)
    pq.write_table(rows(1, 2), staged / "p0000000.parquet")  # what an earlier version left
    w.staged.append("2026-11-10")
    w.pages = 1
    b = builder(tmp_path)
    b.forget_unconfirmed(w)
    b.stage(w, "2026-11-10", 1, rows(2, 3))
    assert b.commit(w, "2026-11-10") == (3, 1)
    assert lake(tmp_path) == ["tx-1", "tx-2", "tx-3"]
    b.forget_parts(w, "2026-11-10")
    assert not staged.exists()
