"""The ingest audit: real runs against the simulator leave one row per request it saw, failed
requests included; rows are kept the retention period, per tenant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from log_assets.defs.aperture.assets import aperture_spool
from log_assets.defs.aperture.resources import ApertureApi
from log_assets.defs.resources import LogAssetsHome
from log_assets.ops.audit import AuditTrail, RequestAudit, read_audit, retention_days
from log_assets.paths import Home
from log_assets.simulator import SimConfig, Simulator
from log_assets.state import StateStore
from tests.forcepoint.conftest import FP_ENV, day_str, materialize, metadata

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("ops.test_audit")]


@pytest.fixture(scope="module")
def sim():
    cfg = SimConfig(
        seed=5,
        days=2,
        forcepoint_events_per_day=60,
        page_size=25,
        quota=100_000,
        aperture_backlog_per_type=30,
        aperture_bulk_max=20,
        aperture_ttl=3600.0,
        aperture_broken_rate=0.0,
        long_poll=0.1,
        latency=0.0,
    )
    with Simulator(cfg, port=0) as s:
        yield s


@pytest.fixture
def env(simulator, sim, monkeypatch, tmp_path):
    for k in FP_ENV:
        monkeypatch.delenv(k, raising=False)
    simulator.use(sim)
    monkeypatch.setenv("LOG_ASSETS_HOME", str(tmp_path))
    sim.faults.clear()
    return monkeypatch


def audit_rows(home, source: str | None = None) -> list[dict]:
    with StateStore.open(home, environ={}) as store:
        return [r for r in read_audit(store) if source is None or r["source"] == source]


def test_a_forcepoint_run_audits_every_request_the_simulator_saw(sim, env, tmp_path):
    lt = "access"
    before = sim.forcepoint.requests(lt)
    result = materialize(lt, day_str(-1), day_str(0), tmp_path)
    seen = sim.forcepoint.requests(lt) - before
    md = metadata(result, lt)
    rows = audit_rows(tmp_path, "forcepoint")

    assert seen > 2
    assert len(rows) == seen == sum(r["attempts"] for r in rows) == md["requests_this_run"]
    assert md["audit_rows_recorded"] == seen and md["audit_rows_not_recorded"] == 0
    assert {(r["log_type"], r["endpoint"], r["status"], r["error"]) for r in rows} == {(lt, "logs", 200, None)}
    assert sum(r["records"] for r in rows) == md["events_received"]
    assert all(r["bytes"] > 0 and r["duration_ms"] >= 0 for r in rows)
    # The quota left after each request: one less each time, the last one the run's figure.
    lefts = [r["quota_left"] for r in rows]
    assert lefts == sorted(lefts, reverse=True) and lefts[-1] == md["quota_left_today"]


def test_a_failed_forcepoint_request_is_a_row_with_its_status_and_error(sim, env, tmp_path):
    lt = "cloudaudit"
    sim.faults.add("401", count=1, path="forcepoint", log_type=lt)
    result = materialize(lt, day_str(0), day_str(0), tmp_path, raise_on_error=False)
    assert not result.success
    rows = audit_rows(tmp_path, "forcepoint")
    assert len(rows) == 1
    (row,) = rows
    assert row["status"] == 401 and row["attempts"] == 1 and row["records"] is None
    assert "401" in row["error"] and "Invalid credentials" in row["error"]
    assert sim.config.forcepoint_token not in row["error"]


def test_a_drain_audits_every_read_and_token_request(sim, env, tmp_path):
    home = Home.from_env(tmp_path)
    delivered_before = len(sim.aperture.deliveries())
    events_before = len(sim.aperture.delivered_events())
    res = dg.materialize(
        [aperture_spool],
        resources={"home": LogAssetsHome(root=str(tmp_path)), "aperture": ApertureApi()},
        run_config={"ops": {"aperture__spool": {"config": {"readers": 1, "budget_seconds": 30}}}},
    )
    md = {k: v.value for k, v in res.asset_materializations_for_node("aperture__spool")[0].metadata.items()}
    rows = audit_rows(home, "aperture")
    reads = [r for r in rows if r["endpoint"] == "events"]
    tokens = [r for r in rows if r["endpoint"] == "token"]

    bodies = len(sim.aperture.deliveries()) - delivered_before
    assert bodies > 1 and md["stop_reason"] == "empty"
    assert [r["status"] for r in reads] == [200] * bodies + [204]
    assert sum(r["records"] for r in reads) == len(sim.aperture.delivered_events()) - events_before
    assert sum(r["bytes"] for r in reads) == md["bytes_read"]
    assert len(tokens) == md["tokens_issued"] and {r["status"] for r in tokens} == {200}
    assert {r["log_type"] for r in rows} == {"*"} and md["audit_rows_recorded"] == len(rows)


def test_failed_aperture_reads_are_rows_with_their_attempts(sim, env, tmp_path):
    sim.faults.add("500", count=6, path="aperture")  # three reads, each sent twice (retries=1)
    res = dg.materialize(
        [aperture_spool],
        resources={"home": LogAssetsHome(root=str(tmp_path)), "aperture": ApertureApi(retries=1)},
        run_config={"ops": {"aperture__spool": {"config": {"readers": 1, "budget_seconds": 30}}}},
        raise_on_error=False,
    )
    assert not res.success
    reads = [r for r in audit_rows(Home.from_env(tmp_path), "aperture") if r["endpoint"] == "events"]
    assert [(r["status"], r["attempts"], r["records"]) for r in reads] == [(500, 2, None)] * 3
    assert all("HTTP 500" in r["error"] for r in reads)
    assert sim.config.aperture_client_secret not in "".join(r["error"] for r in reads)


def test_rows_past_the_retention_are_deleted_per_stream_and_tenants_are_apart(tmp_path, monkeypatch):
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    with StateStore.open(tmp_path, environ={}) as store, StateStore(store.db, prefix="acme/") as acme:
        trail = AuditTrail(store, retention=7, clock=lambda: now)
        old = now - timedelta(days=8)
        # An old row of each stream, written by an earlier run (pruning happens at a trail's first write).
        AuditTrail(store, retention=1000, clock=lambda: now)(RequestAudit("forcepoint", "access", "logs", old))
        AuditTrail(store, retention=1000, clock=lambda: now)(RequestAudit("forcepoint", "cloudaudit", "logs", old))
        AuditTrail(acme, retention=1000, clock=lambda: now)(RequestAudit("forcepoint", "access", "logs", old))
        trail(RequestAudit("forcepoint", "access", "logs", now, status=200))
        assert trail.pruned == 1
        mine = read_audit(store)
        assert sorted((r["log_type"], r["requested_at"]) for r in mine) == [("access", now), ("cloudaudit", old)]
        assert [(r["log_type"], r["requested_at"]) for r in read_audit(acme)] == [("access", old)]

    monkeypatch.setenv("LOG_ASSETS_AUDIT_RETENTION_DAYS", "0")
    with pytest.raises(ValueError, match="LOG_ASSETS_AUDIT_RETENTION_DAYS"):
        retention_days()


def test_a_row_the_database_refuses_is_counted_and_the_request_stands(state_store):
    import sqlalchemy as sa

    from log_assets.ops.audit import audited
    from log_assets.state import tables as t

    with state_store.db.transaction() as conn:
        conn.execute(sa.text(f"DROP TABLE {t.ingest_audit.name}"))
    trail = AuditTrail(state_store)
    with audited(trail, RequestAudit("forcepoint", "access", "logs")) as entry:
        entry.status = 200  # the page is received; its row cannot be written
    assert trail.metadata() == {"audit_rows_recorded": 0, "audit_rows_not_recorded": 1, "audit_rows_pruned": 0}

    deferred = AuditTrail(state_store, deferred=True)
    deferred(RequestAudit("aperture", "*", "events", status=204))
    assert deferred.metadata()["audit_rows_not_recorded"] == 0  # nothing written before the flush
    deferred.flush()
    assert deferred.metadata()["audit_rows_not_recorded"] == 1
