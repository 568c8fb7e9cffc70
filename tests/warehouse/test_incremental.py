"""Incremental loads: only the days that changed are rewritten, and the result equals a rebuild."""

from __future__ import annotations

from contextlib import closing
from datetime import date

import pytest

from log_assets.warehouse import checks, connect_readonly, rebuild, sync
from log_assets.warehouse.catalog import NAMESPACES
from log_assets.warehouse.sources import cataloged_sources, lake_of
from tests.warehouse import conftest as lake
from tests.warehouse.lakegen import event, remove_day, ts, write

pytestmark = [pytest.mark.slow]

D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)

A7 = lake.access("A7", "2026-03-02 15:00", "carol", "10.0.0.9", "Gmail", "Allowed", dlppattern="SSN")


# ops.source_health is a gauge, measured again at every update (its ages move with the clock): it is
# rewritten by every sync, so the manifests below, which show what the data's changes rewrote, leave it out.
GAUGE = "ops.source_health"


def manifest(home) -> dict:
    """(table, day) -> the data files of the published table's day that readers are pointed at."""
    lake = lake_of(home)
    out = {}
    for ns, name in lake.tables():
        if ns in NAMESPACES:
            table = f"{ns}.{name}" if ns in ("analytics", "ocsf") else name.replace("_", ".", 1)
            if table != GAUGE:
                out |= {(table, d): tuple(fs) for d, fs in lake.day_files(ns, name).items()}
    return out


def contents(home) -> dict:
    with closing(connect_readonly(home)) as c:
        names = c.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN ('forcepoint', 'aperture', 'analytics', 'ocsf')"
        ).fetchall()
        return {n: c.execute(f"SELECT * FROM {n} ORDER BY ALL").fetchall() for (n,) in names}


def query(home, sql):
    with closing(connect_readonly(home)) as c:
        return c.execute(sql).fetchall()


def loaded(result) -> dict:
    return {t: r.days for t, r in result["loads"].items() if r.days}


def test_a_new_file_on_one_day_rewrites_only_that_day(home):
    sync(home)
    before = manifest(home)

    write(home, [A7], "p1")  # a late event for D2 of forcepoint/access
    result = sync(home)

    assert loaded(result) == {"forcepoint.access": ["2026-03-02"]}
    after = manifest(home)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {
        ("forcepoint.access", D2),
        ("analytics.incidents", D2),
        ("analytics.activity_daily", D2),
        ("analytics.events", D2),  # a view in DuckDB, published as a table of its rows
        ("analytics.identities", D2),  # carol's row (one more event), on the day she was last seen
        ("ocsf.data_security_finding", D2),  # A7 is a DLP hit
    }
    assert query(home, "SELECT count(*) FROM forcepoint.access") == [(7,)]
    assert query(
        home, "SELECT incident_id FROM analytics.incidents WHERE event_day = '2026-03-02' ORDER BY 1"
    ) == [("A5",), ("A7",), ("S2",), ("inc-2",)]
    assert query(
        home,
        "SELECT events, source_ips FROM analytics.activity_daily "
        "WHERE event_day = '2026-03-02' AND user_name = 'carol'",
    ) == [(2, 1)]
    # The lake check of the day just loaded: A5, A7 on D2, and A6 whose earlier copy is kept on D1.
    src = next(s for s in cataloged_sources() if s.ref.key == "forcepoint.access")
    with closing(connect_readonly(home)) as c:
        outcome = checks.matches_lake(c, home, src, days_checked=1)
    assert outcome.passed, outcome.description
    assert {
        k: outcome.metadata[k] for k in ("lake_distinct_ids", "warehouse_rows", "kept_on_a_neighbouring_day")
    } == {"lake_distinct_ids": 3, "warehouse_rows": 2, "kept_on_a_neighbouring_day": 1}


def test_nothing_changed_nothing_rewritten(home):
    sync(home)
    before = manifest(home)
    result = sync(home)
    assert loaded(result) == {}
    assert result["published"].catalog.written == {"warehouse.ops_source_health": 1}  # the gauge alone
    assert manifest(home) == before


def test_a_day_leaving_the_lake_leaves_the_warehouse(home):
    sync(home)
    remove_day(home, "forcepoint", "cloudsummary", "2026-03-02")  # C3: F1 turned Private
    before = manifest(home)
    result = sync(home)

    assert loaded(result) == {"forcepoint.cloudsummary": ["2026-03-02"]}
    # F1's latest status is Public again (C1, on D1): its current row moved from D2 to D1.
    assert query(home, "SELECT fileid, status, event_day FROM forcepoint.cloudsummary_current ORDER BY 1") == [
        ("F1", ["Public"], D1),
        ("F2", ["Private"], D1),
    ]
    after = manifest(home)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {
        ("forcepoint.cloudsummary", D2),
        ("forcepoint.cloudsummary_current", D1),
        ("forcepoint.cloudsummary_current", D2),
        ("analytics.activity_daily", D2),
        ("analytics.events", D2),
        ("analytics.identities", D3),  # the owner's row (fewer events), on the day last seen
        ("ocsf.cloud_resources_inventory_info", D2),
    }


def test_an_event_removed_from_its_day_comes_back_from_the_other_copy(home):
    sync(home)
    remove_day(home, "forcepoint", "access", "2026-03-01")
    write(home, [lake.A1, lake.A2, lake.A3], "p0")
    write(home, [lake.A1_AGAIN, lake.A4], "p1")  # A6's D1 copy is gone; its D2 copy remains
    sync(home)
    assert query(home, "SELECT event_day, event_time FROM forcepoint.access WHERE event_id = 'A6'") == [
        (D2, ts("2026-03-02 00:00:01"))
    ]
    assert query(home, "SELECT count(*) FROM forcepoint.access") == [(6,)]


def test_a_later_loaded_day_with_the_earlier_copy_takes_the_event(tmp_path):
    from log_assets.paths import Home

    home = Home.from_env(tmp_path)
    write(home, [lake.A6_D2])
    sync(home)
    assert query(home, "SELECT event_day FROM forcepoint.access") == [(D2,)]
    write(home, [lake.A6_D1])
    result = sync(home)
    assert result["loads"]["forcepoint.access"].moved_from_neighbours == 1
    assert query(home, "SELECT event_day FROM forcepoint.access") == [(D1,)]
    assert query(home, "SELECT event_day, events FROM analytics.activity_daily") == [(D1, 1)]


def test_a_new_violation_updates_its_incident(home):
    sync(home)
    write(
        home,
        [
            event(
                "aperture",
                "policy_violation",
                "PV2",
                "2026-03-03 10:00",
                incident_id="inc-2",
                severity=2.0,
                action_taken="Alerted Owner",
                policy_rule_name="Source code",
                item_owner="Finn",
                item_owner_email="finn@x",
                cloud_app_instance="Box",
                item_name="main.java",
            )
        ],
    )
    sync(home)
    assert query(
        home,
        "SELECT first_seen, last_seen, severity, violations, action, status FROM analytics.incidents "
        "WHERE incident_id = 'inc-2'",
    ) == [(ts("2026-03-02 10:00"), ts("2026-03-03 10:00"), 1.0, 1, "Alerted Owner", "open")]


def test_incremental_equals_rebuild(home):
    sync(home)
    write(home, [A7], "p1")
    remove_day(home, "forcepoint", "cloudsummary", "2026-03-02")
    write(
        home,
        [
            event(
                "aperture",
                "remediation",
                "R2",
                "2026-03-03 11:00",
                incident_id="inc-2",
                action_taken="delete",
                action_taken_by="Finn",
            )
        ],
    )
    sync(home)
    incremental = contents(home)
    rebuild(home)
    assert contents(home) == incremental
    assert query(home, "SELECT count(*) FROM forcepoint.access") == [(7,)]


def test_a_new_status_moves_only_that_files_current_row(home):
    sync(home)
    before = manifest(home)
    write(home, [lake.cloudsummary("F2-c4", "2026-03-03 07:00", "F2", "Public", "frank", "Alert")])
    result = sync(home)
    assert result["derived"]["forcepoint.cloudsummary_current"].keys == 1  # F2 only
    assert query(home, "SELECT fileid, status, event_day FROM forcepoint.cloudsummary_current ORDER BY 1") == [
        ("F1", ["Private"], D2),
        ("F2", ["Public"], D3),
    ]
    after = manifest(home)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    # F2's current row left D1 for D3; F1's on D2 was not rewritten.
    assert changed == {
        ("forcepoint.cloudsummary", D3),
        ("forcepoint.cloudsummary_current", D1),
        ("forcepoint.cloudsummary_current", D3),
        ("analytics.activity_daily", D3),
        ("analytics.events", D3),
        ("ocsf.cloud_resources_inventory_info", D3),
        # no analytics.identities day: a cloudsummary record's e-mail may be the file owner's, so it
        # teaches no identity (identities.sql) and moves no one's last-seen day
    }


def test_tables_keep_day_and_time_order_so_a_day_reads_few_row_groups(tmp_path):
    """Rows are inserted in (day, time) order, whatever order the lake files and the dedup leave them
    in: a table's row groups then each hold a day or two, and statements on a few days skip the rest
    by their min/max. The published tables keep that order within each day (the lake's order), a
    view's rows too (sorted per day)."""
    import random

    import duckdb

    from log_assets.paths import Home
    from log_assets.warehouse.layout import Layout

    home = Home.from_env(tmp_path)
    rng = random.Random(7)
    for day in (1, 2, 3):
        times = [f"2026-03-0{day} {rng.randrange(24):02d}:{rng.randrange(60):02d}" for _ in range(300)]
        rows = [
            lake.access(f"E{day}-{i}", t, f"u{i % 7}", "10.0.0.1", "Box", "Allow") for i, t in enumerate(times)
        ]
        rng.shuffle(rows)
        write(home, rows)
    rebuild(home)

    with closing(duckdb.connect(str(Layout(home).build_db), read_only=True)) as c:
        stored = c.execute("SELECT event_day, event_time FROM forcepoint.access ORDER BY rowid").fetchall()
    assert len(stored) == 900
    assert stored == sorted(stored)

    published = lake_of(home)
    for ns, name in (("warehouse", "forcepoint_access"), ("analytics", "events")):
        for day in (D1, D2, D3):
            times = published.read_day(ns, name, day, columns=["event_time"]).column("event_time").to_pylist()
            assert len(times) == 300 and times == sorted(times), (ns, name, day)
