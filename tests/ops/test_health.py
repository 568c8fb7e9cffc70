"""Source health of a crafted state: a late source, a quota nearly spent, a gap day, a drain lag; the
figures in ops.source_health after a warehouse sync, and the checks' severities."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest
import sqlalchemy as sa

from log_assets.defs.ops.checks import build_health_checks, judge
from log_assets.defs.resources import LogAssetsHome
from log_assets.ops.audit import AuditTrail, RequestAudit
from log_assets.ops.health import ERROR, WARN, SourceHealth, Thresholds, assess, measure
from log_assets.paths import Home
from log_assets.state import StateStore
from log_assets.state import tables as t
from log_assets.warehouse import connect_readonly
from log_assets.warehouse.writer import sync

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def craft(store: StateStore) -> None:
    """forcepoint/access: days -5..-2 with -3 missing and -4 open; 290 of 300 requests spent today,
    the last audited request leaving 8. aperture: reads on day -1 with a 2-hour hole, the queue last
    found empty 50 minutes ago. forcepoint/cloudaudit: healthy days, nothing spent."""
    with store.db.transaction() as conn:
        for stream, offsets in (
            ("forcepoint/access", {-5: True, -4: False, -2: True, -1: False}),
            ("forcepoint/cloudaudit", {-5: True, -4: True, -3: True, -2: True}),
        ):
            for off, complete in offsets.items():
                conn.execute(
                    sa.insert(t.days).values(
                        stream=stream, day=day(off), complete=complete, walk_id=None, updated_at=NOW
                    )
                )
        conn.execute(
            sa.insert(t.quota).values(
                key="forcepoint/access", day=TODAY, spent=290, server_remaining=None, updated_at=NOW
            )
        )
    trail = AuditTrail(store, clock=lambda: NOW)
    trail(RequestAudit("forcepoint", "access", "logs", NOW - timedelta(minutes=5), status=200, quota_left=8))
    noon = datetime.combine(day(-1), datetime.min.time(), UTC) + timedelta(hours=12)
    reads = [noon, noon + timedelta(minutes=10), noon + timedelta(hours=2, minutes=10)]
    reads += [NOW - timedelta(minutes=m) for m in (55, 50, 30, 10)]
    for i, at in enumerate(reads):
        empty = at == NOW - timedelta(minutes=50)
        trail(
            RequestAudit(
                "aperture", "*", "events", at, status=204 if empty else 200, records=0 if empty else 5 + i
            )
        )


def test_figures_and_problems_of_a_crafted_state(state_store):
    craft(state_store)
    newest = {
        ("forcepoint", "access"): NOW - timedelta(hours=40),
        ("forcepoint", "cloudaudit"): NOW - timedelta(hours=1),
        ("aperture", "incident"): NOW - timedelta(minutes=20),
        ("forcepoint", "ztna"): None,  # never set up: no figure is a problem
    }
    th = Thresholds()
    got = {(h.source, h.log_type): h for h in measure(state_store, list(newest), newest, NOW, th)}

    access = got["forcepoint", "access"]
    assert access.newest_event_age == timedelta(hours=40)
    assert access.requests_today == 290 and access.requests_left_today == 8  # the last request's figure
    assert access.gap_days == [day(-4).isoformat(), day(-3).isoformat()]  # -1 has not ended a day ago
    assert access.drain_lag is None
    assert {(p.figure, p.severity) for p in assess(access, th)} == {
        ("newest_event_age", WARN),
        ("requests_left_today", WARN),
        ("gap_days", WARN),
    }

    cloudaudit = got["forcepoint", "cloudaudit"]
    assert (cloudaudit.requests_left_today, cloudaudit.gap_days) == (300, [])
    assert assess(cloudaudit, th) == []

    incident = got["aperture", "incident"]
    assert incident.drain_lag == timedelta(minutes=50)
    # Two hours unread on day -1, then nothing read from its afternoon to this morning.
    assert incident.gap_days == [day(-1).isoformat(), day(0).isoformat()]
    assert incident.requests_left_today is None
    assert {(p.figure, p.severity) for p in assess(incident, th)} == {("drain_lag", WARN), ("gap_days", WARN)}
    # Past the expiry the lag is an error: events may be gone.
    assert [
        p.severity for p in assess(incident.at(NOW + timedelta(minutes=15)), th) if p.figure == "drain_lag"
    ] == [ERROR]
    assert assess(got["forcepoint", "ztna"], th) == []


def test_thresholds_are_settings_with_defaults():
    assert Thresholds.from_env({}) == Thresholds()
    th = Thresholds.from_env(
        {"LOG_ASSETS_HEALTH_MIN_REQUESTS_LEFT": "5", "LOG_ASSETS_HEALTH_DRAIN_LAG_WARN_MINUTES": "20"}
    )
    assert th.min_requests_left == 5 and th.drain_lag_warn == timedelta(minutes=20)
    h = SourceHealth("forcepoint", "access", NOW, requests_left_today=8, active=True)
    assert assess(h, th) == []
    with pytest.raises(ValueError, match="LOG_ASSETS_HEALTH_DRAIN_LAG_WARN_MINUTES"):
        Thresholds.from_env({"LOG_ASSETS_HEALTH_DRAIN_LAG_WARN_MINUTES": "70"})
    with pytest.raises(ValueError, match="LOG_ASSETS_HEALTH_GAP_WINDOW_DAYS"):
        Thresholds.from_env({"LOG_ASSETS_HEALTH_GAP_WINDOW_DAYS": "many"})


def test_the_warehouse_publishes_the_ops_tables_and_the_checks_warn(tmp_path, monkeypatch):
    for k in ("LOG_ASSETS_DATABASE_URL", "LOG_ASSETS_STORAGE_URL"):
        monkeypatch.delenv(k, raising=False)
    home = Home.from_env(tmp_path)
    with StateStore.open(home, environ={}) as store:
        craft(store)
    sync(home, now=lambda: NOW)
    con = connect_readonly(home)
    try:
        audit = con.execute(
            "SELECT source, count(*), sum(records) FROM ops.ingest_audit GROUP BY ALL ORDER BY 1"
        ).fetchall()
        health = {
            (r[0], r[1]): r[2:]
            for r in con.execute(
                "SELECT source, log_type, requests_left_today, gap_days, drain_lag_seconds, status "
                "FROM ops.source_health"
            ).fetchall()
        }
    finally:
        con.close()
    assert audit == [("aperture", 7, 5 + 6 + 7 + 8 + 10 + 11), ("forcepoint", 1, None)]
    assert health["forcepoint", "access"] == (8, 2, None, "warn")
    assert health["forcepoint", "cloudaudit"] == (300, 0, None, "ok")
    assert health["aperture", "incident"] == (None, 2, 50 * 60.0, "warn")

    checks = build_health_checks(clock=lambda: NOW + timedelta(minutes=15))
    key = dg.AssetKey(["warehouse", "ops_source_health"])
    result = dg.materialize(
        [dg.AssetSpec(key), checks],
        resources={"home": LogAssetsHome(root=str(tmp_path))},
        selection=dg.AssetSelection.checks_for_assets(key),
    )
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert {n: (e.passed, e.severity) for n, e in evaluations.items()} == {
        "newest_event_age": (False, dg.AssetCheckSeverity.WARN),
        "requests_left_today": (False, dg.AssetCheckSeverity.WARN),
        "gap_days": (False, dg.AssetCheckSeverity.WARN),
        "drain_lag": (False, dg.AssetCheckSeverity.ERROR),  # 65 minutes by the check's clock
    }
    assert "forcepoint/access: 8 requests left today" in evaluations["requests_left_today"].description
    # The lake is empty: access sent requests today and has no event; the others are not late.
    assert evaluations["newest_event_age"].description == (
        "forcepoint/access: requests were sent but no event is in the warehouse"
    )
    assert evaluations["drain_lag"].description.count("aperture/*") == 1  # the queue's, once
    assert evaluations["drain_lag"].description.startswith("aperture/* (one queue for every log type): the queue")


def test_judge_reads_rows_back_as_written():
    h = SourceHealth("aperture", "incident", NOW, drain_lag=timedelta(minutes=46), active=True)
    row = h.row(assess(h, Thresholds()))
    assert row["status"] == WARN and "46 min" in row["problems"]
    assert [p.severity for p in judge([row], Thresholds(), NOW)["drain_lag"]] == [WARN]
    assert [p.severity for p in judge([row], Thresholds(), NOW + timedelta(minutes=20))["drain_lag"]] == [ERROR]
