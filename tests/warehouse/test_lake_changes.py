"""Which lake days a sync loads: those changed since the lake snapshot the table was last loaded from,
found from the snapshots' metadata, and read with scans filtered to those days."""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from contextlib import closing
from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest
from pyiceberg.table import DataScan
from pyiceberg.table.snapshots import Snapshot

from log_assets.lake.lake import Lake
from log_assets.warehouse import checks, load, open_writer
from log_assets.warehouse.layout import Layout
from log_assets.warehouse.sources import cataloged_sources
from log_assets.warehouse.sqlfiles import column_defs
from tests.warehouse import conftest as lake
from tests.warehouse.lakegen import remove_day, write

pytestmark = [pytest.mark.slow]

D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)
A7 = lake.access("A7", "2026-03-02 15:00", "carol", "10.0.0.9", "Gmail", "Allowed")
ACCESS = next(s for s in cataloged_sources() if s.ref.key == "forcepoint.access")

_TABLE = re.compile(r"/lake/([^/]+)\.db/([^/]+)(/|$)")


class LakeReads:
    """What the lake's metadata was read for, per table: manifest lists (the first read of any scan
    plan) and the days of the data files that scans planned."""

    def __init__(self, monkeypatch):
        self.manifest_lists: Counter[str] = Counter()
        self.planned: defaultdict[str, set[date]] = defaultdict(set)
        manifests, plan_files = Snapshot.manifests, DataScan.plan_files

        def counted_manifests(snap, io):
            self.manifest_lists[_name(snap.manifest_list)] += 1
            return manifests(snap, io)

        def recorded_plan(scan):
            tasks = list(plan_files(scan))
            days = self.planned[_name(scan.table_metadata.location)]
            days |= {date(1970, 1, 1) + timedelta(days=t.file.partition[0]) for t in tasks}
            return tasks

        monkeypatch.setattr(Snapshot, "manifests", counted_manifests)
        monkeypatch.setattr(DataScan, "plan_files", recorded_plan)

    def clear(self) -> None:
        self.manifest_lists.clear()
        self.planned.clear()


def _name(location: str) -> str:
    m = _TABLE.search(location)
    assert m, location
    return f"{m.group(1)}.{m.group(2)}"


@pytest.fixture
def reads(monkeypatch) -> LakeReads:
    return LakeReads(monkeypatch)


def sync_tables(home) -> dict[str, list[str]]:
    """Load the per-type tables (no derived tables, no publishing): table -> days loaded."""
    with open_writer(home) as w:
        return {t: r.days for t, r in w.sync().items() if r.days}


def build_query(home, sql: str, params=None):
    with closing(duckdb.connect(str(Layout(home).build_db), read_only=True)) as c:
        return c.execute(sql, params).fetchall()


def access_days(home) -> list[tuple[date, int]]:
    return build_query(home, "SELECT event_day, count(*) FROM forcepoint.access GROUP BY ALL ORDER BY ALL")


def test_a_changed_day_is_the_only_one_read_and_loaded(home, reads):
    sync_tables(home)
    write(home, [A7], "p1")  # D2 of forcepoint/access
    reads.clear()

    assert sync_tables(home) == {"forcepoint.access": ["2026-03-02"]}
    # Only D2's files were planned, of that table only: no scan of D1 nor of any other table.
    assert dict(reads.planned) == {"forcepoint.access": {D2}}
    assert access_days(home) == [(D1, 5), (D2, 2)]  # A1-A4, A6 / A5, A7 (A6's earlier copy is on D1)
    # The signature recorded for the day is the one the lake check compares with.
    with closing(duckdb.connect(str(Layout(home).build_db), read_only=True)) as c:
        outcome = checks.matches_lake(c, home, ACCESS)
    assert outcome.passed and outcome.metadata["days_checked"] == 2, outcome.description


def test_no_change_in_the_lake_reads_no_manifest(home, reads, caplog):
    sync_tables(home)
    reads.clear()
    caplog.set_level(logging.INFO, logger="log_assets.warehouse")

    assert sync_tables(home) == {}
    assert reads.manifest_lists == Counter() and dict(reads.planned) == {}
    assert "forcepoint.access: unchanged since lake snapshot" in caplog.text


def test_an_expired_history_compares_every_day_and_loads_only_the_changed_one(home, reads, caplog):
    sync_tables(home)
    write(home, [A7], "p1")
    with Lake.for_home(home) as lk:
        (report,) = lk.maintain(
            timedelta(0), now=datetime.now(UTC) + timedelta(seconds=1), tables=[("forcepoint", "access")]
        )
    assert report.expired_snapshots >= 1  # the snapshot the warehouse loaded from is gone
    caplog.set_level(logging.INFO, logger="log_assets.warehouse")

    assert sync_tables(home) == {"forcepoint.access": ["2026-03-02"]}
    assert "forcepoint.access: snapshot" in caplog.text and "comparing every day's files" in caplog.text
    assert access_days(home) == [(D1, 5), (D2, 2)]
    # The snapshot now recorded is kept: the next sync is incremental again.
    reads.clear()
    assert sync_tables(home) == {}
    assert reads.manifest_lists == Counter()


def test_a_day_removed_from_the_lake_is_removed_from_the_warehouse(home, reads):
    d10 = date(2026, 3, 10)
    write(home, [lake.access("A8", "2026-03-10 12:00", "bob", "10.0.0.3", "Box", "Allowed")])
    sync_tables(home)
    assert access_days(home)[-1] == (d10, 1)
    remove_day(home, "forcepoint", "access", "2026-03-10")
    reads.clear()

    assert sync_tables(home) == {"forcepoint.access": ["2026-03-10"]}
    assert access_days(home) == [(D1, 5), (D2, 1)]
    assert build_query(home, "SELECT count(*) FROM _warehouse.loads WHERE event_day = $d", {"d": d10}) == [(0,)]
    # Read: D10 (no file left) and its neighbours (none in the lake), never D1 or D2.
    assert dict(reads.planned) == {"forcepoint.access": set()}


def test_a_table_dropped_to_be_loaded_again_is_loaded_whole(home):
    sync_tables(home)
    with open_writer(home) as w:  # what a column changing type does to the table
        w.run("tables", "drop", table=ACCESS.ref.sql)
        w.run("load", "forget_table", {"table_name": ACCESS.ref.key})
        w.run("tables", "per_type", table=ACCESS.ref.sql, column_defs=column_defs(ACCESS.columns))
        assert w.sync([ACCESS])["forcepoint.access"].days == ["2026-03-01", "2026-03-02"]
    assert access_days(home) == [(D1, 5), (D2, 1)]


def test_a_sync_cut_short_starts_again_from_the_snapshot_loaded_before(home, monkeypatch):
    sync_tables(home)
    write(
        home,
        [lake.A4, lake.A6_D1, lake.access("A9", "2026-03-01 18:00", "bob", "10.0.0.3", "Box", "Allowed")],
        "p1",
    )
    write(home, [A7], "p1")
    monkeypatch.setattr(load, "DAYS_PER_BATCH", 1)
    real, calls = load.load_batch, []

    def second_batch_fails(w, src, days, *rest):
        calls.append(days)
        if len(calls) == 2:
            raise RuntimeError("killed")
        return real(w, src, days, *rest)

    monkeypatch.setattr(load, "load_batch", second_batch_fails)
    with pytest.raises(RuntimeError, match="killed"):
        sync_tables(home)
    assert access_days(home) == [(D1, 6), (D2, 1)]  # D1 loaded (A1-A4, A6, A9), D2 not (A5; A7 missing)

    monkeypatch.setattr(load, "load_batch", real)
    # D1 changed after the recorded snapshot too, but it holds what the lake holds: only D2 is loaded.
    assert sync_tables(home) == {"forcepoint.access": ["2026-03-02"]}
    assert access_days(home) == [(D1, 6), (D2, 2)]


def test_lake_files_gone_mid_read_are_read_again_as_of_the_current_snapshot(home, monkeypatch):
    sync_tables(home)
    write(home, [A7], "p1")
    real, calls = load.load_batch, []

    def lake_moves_then_fails(w, src, days, *rest):
        calls.append(days)
        if len(calls) == 1:  # the lake moves on, and the files read are gone
            write(home, [lake.access("A9", "2026-03-01 18:00", "bob", "10.0.0.3", "Box", "Allowed")], "p2")
            raise duckdb.IOException("No files found that match the pattern")
        return real(w, src, days, *rest)

    monkeypatch.setattr(load, "load_batch", lake_moves_then_fails)
    assert sync_tables(home) == {"forcepoint.access": ["2026-03-02"]}
    monkeypatch.setattr(load, "load_batch", real)
    # D2 was read as of the newer snapshot; D1 changed in it too, and the next sync loads it.
    assert sync_tables(home) == {"forcepoint.access": ["2026-03-01"]}
    assert access_days(home) == [(D1, 6), (D2, 2)]


def test_on_an_object_store_the_copies_of_a_changed_day_follow_the_lake(s3, tmp_path, monkeypatch):
    from log_assets.paths import Home
    from log_assets.warehouse.sources import CACHE_DIR

    for k, v in {**s3.env(), "LOG_ASSETS_STORAGE_URL": f"s3://{s3.create_bucket()}/root"}.items():
        monkeypatch.setenv(k, v)
    home = Home.from_env(tmp_path / "home")
    write(home, [lake.A1, lake.A2], "p0")
    write(home, [lake.A5], "p0")
    sync_tables(home)
    cached = home.root / CACHE_DIR / "lake" / "forcepoint.db" / "access" / "data"

    def copies(day: str) -> list[str]:
        return sorted(p.name for p in (cached / f"event_day={day}").iterdir())

    d1, d2 = copies("2026-03-01"), copies("2026-03-02")
    assert len(d1) == 1 and len(d2) == 1
    write(home, [A7], "p1")  # D2 is rewritten: two new files, the old one out
    assert sync_tables(home) == {"forcepoint.access": ["2026-03-02"]}
    with Lake.for_home(home) as lk:
        now = {loc.rsplit("/", 1)[1] for loc in lk.day_files("forcepoint", "access", days=[D2])[D2]}
    assert copies("2026-03-01") == d1 and set(copies("2026-03-02")) == now and len(now) == 2
    assert access_days(home) == [(D1, 2), (D2, 2)]
