import json

import dagster as dg
import pytest

from log_assets.aperture.spool import Spool, sort_bodies
from log_assets.defs.aperture.assets import aperture_landing, aperture_spool
from log_assets.defs.aperture.resources import ApertureApi
from log_assets.defs.aperture.schedules import aperture_drain_schedule
from log_assets.defs.aperture.sensors import aperture_inbox_sensor
from log_assets.defs.resources import LogAssetsHome

from .conftest import make_event
from .helpers import FULL_DEFS, canonical_id, lake_rows

TYPES = ["activity_monitoring", "incident", "remediation", "policy_violation", "admin_audit"]


def resources(home, url, monkeypatch):
    monkeypatch.setenv("APERTURE_API_URL", url)  # a deployment setting: from the environment, not run config
    return {"home": LogAssetsHome(root=str(home.root)), "aperture": ApertureApi()}


def test_definitions_load():
    repo = FULL_DEFS.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    assert {f"aperture/{t}" for t in TYPES} | {"aperture/spool", "aperture/other_log_types"} <= keys
    assert {"aperture_drain", "aperture_connectivity"} <= set(repo.job_names)
    assert aperture_drain_schedule.cron_schedule == "* * * * *"
    assert aperture_drain_schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert aperture_inbox_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    pd = aperture_landing.partitions_def
    assert isinstance(pd, dg.DailyPartitionsDefinition) and pd.timezone == "UTC"
    assert set(aperture_landing.group_names_by_key.values()) == {"aperture"}
    assert {k.to_user_string() for k in aperture_landing.keys} == {f"aperture/{t}" for t in TYPES} | {
        "aperture/other_log_types"
    }


def test_drain_then_land_via_dagster(fake, home, monkeypatch):
    events = [make_event(t, f"2026-11-{19 + i % 2}T12:00:0{i % 10}Z") for i, t in enumerate(TYPES * 8)]
    events.append(make_event("future_type", "2026-11-20T01:00:00Z"))
    fake.add_events(events, per_body=9)
    fake.bodies.append(b'{"events": [{"log_type": "incident" "timestamp": 1}]}')
    monkeypatch.setenv("APERTURE_CLIENT_ID", fake.client_id)
    monkeypatch.setenv("APERTURE_CLIENT_SECRET", fake.client_secret)
    res = dg.materialize(
        [aperture_spool],
        resources=resources(home, fake.url, monkeypatch),
        run_config={"ops": {"aperture__spool": {"config": {"readers": 2, "budget_seconds": 20}}}},
    )
    assert res.success
    (mat,) = res.asset_materializations_for_node("aperture__spool")
    md = {k: v.value for k, v in mat.metadata.items()}
    assert md["events_read"] == len(events) and md["bodies_quarantined"] == 1 and md["stop_reason"] == "empty"
    assert md["oldest_event_age_seconds"] > 0
    assert "s3cret" not in json.dumps(md, default=str)

    for day in ("2026-11-19", "2026-11-20"):
        res = dg.materialize(
            [aperture_landing], partition_key=day, resources=resources(home, fake.url, monkeypatch)
        )
        assert res.success
    assert sorted(r["event_id"] for r in lake_rows(home)) == sorted(canonical_id(e) for e in events)
    assert Spool(home).pending_partitions() == {}
    # Metadata of one partition.
    res = dg.materialize(
        [aperture_landing],
        selection=["aperture/incident"],
        partition_key="2026-11-20",
        resources=resources(home, fake.url, monkeypatch),
    )
    (mat,) = res.get_asset_materialization_events()
    mat = mat.materialization
    assert mat.asset_key == dg.AssetKey(["aperture", "incident"])
    assert mat.metadata["events_landed"].value == 0 and mat.metadata["rows"].value == 4


def test_missing_credentials_fail_clearly_and_send_nothing(fake, home, monkeypatch):
    fake.add_events([make_event()])
    with pytest.raises(dg.Failure, match="APERTURE_CLIENT_ID"):
        dg.materialize([aperture_spool], resources=resources(home, fake.url, monkeypatch))
    assert fake.requests == [] and len(fake.bodies) == 1


def test_connectivity_job_only_asks_for_a_token(fake, home, monkeypatch):
    for k, v in fake.env().items():
        monkeypatch.setenv(k, v)
    fake.add_events([make_event()])
    result = FULL_DEFS.resolve_job_def("aperture_connectivity").execute_in_process(
        instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success
    (ev,) = result.get_asset_check_evaluations()
    assert ev.passed and ev.check_name == "api_token"
    assert [r["path"] for r in fake.requests] == ["/oauth/token"]
    assert len(fake.bodies) == 1


def test_drain_job_runs_freshness_check(fake, home, monkeypatch):
    for k, v in fake.env().items():
        monkeypatch.setenv(k, v)
    fake.add_events([make_event()])
    result = FULL_DEFS.resolve_job_def("aperture_drain").execute_in_process(
        instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success
    evals = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evals == {"freshness_check": True}
    assert [k for k in fake.requests if k["path"].startswith("/api")]


def test_schedule_skips_without_credentials_or_while_a_drain_runs(dagster_instance, monkeypatch):
    from dagster._core.test_utils import create_run_for_test

    instance = dagster_instance
    # `with`: the context enters its own DagsterInstance.from_ref(...) and must exit it before
    # `instance` goes away (see tests/conftest.py::dagster_instance).
    with dg.build_schedule_context(instance=instance) as ctx:
        out = aperture_drain_schedule(ctx)
        assert isinstance(out, dg.SkipReason) and "APERTURE_CLIENT_ID" in out.skip_message
        monkeypatch.setenv("APERTURE_CLIENT_ID", "x")
        monkeypatch.setenv("APERTURE_CLIENT_SECRET", "y")
        assert isinstance(aperture_drain_schedule(ctx), dg.RunRequest)
        create_run_for_test(instance, job_name="aperture_drain", status=dg.DagsterRunStatus.STARTED)
        out = aperture_drain_schedule(ctx)
        assert isinstance(out, dg.SkipReason) and "in progress" in out.skip_message


def test_inbox_sensor_requests_touched_partitions(home):
    spool = Spool(home).ensure()
    evs = [
        make_event("incident", "2026-11-19T10:00:00Z"),
        make_event("remediation", "2026-11-20T10:00:00Z"),
        make_event("something_new", "2026-11-20T11:00:00Z"),
        make_event("incident", "2016-01-01T00:00:00Z"),
    ]
    spool.write_body(json.dumps({"events": evs}).encode(), spool.new_body_name(0, 1))
    sort_bodies(spool)
    with (
        dg.DagsterInstance.ephemeral() as instance,
        dg.build_sensor_context(instance=instance, resources={"home": LogAssetsHome(root=str(home.root))}) as ctx,
    ):
        reqs = list(aperture_inbox_sensor(ctx))
    got = {r.partition_key: sorted(k.to_user_string() for k in r.asset_selection) for r in reqs}
    assert got == {
        "2026-11-19": ["aperture/incident"],
        "2026-11-20": ["aperture/other_log_types", "aperture/remediation"],
    }
    # The same inbox content is not requested twice; new content is.
    again = {r.run_key for r in reqs}
    with (
        dg.DagsterInstance.ephemeral() as instance,
        dg.build_sensor_context(instance=instance, resources={"home": LogAssetsHome(root=str(home.root))}) as ctx,
    ):
        assert {r.run_key for r in aperture_inbox_sensor(ctx)} == again


def test_freshness_check_warns_when_never_drained():
    from log_assets.defs.aperture.checks import drain_freshness_checks

    job = dg.define_asset_job("check_only", selection=dg.AssetSelection.checks(*drain_freshness_checks))
    defs = dg.Definitions(
        assets=[aperture_spool],
        asset_checks=drain_freshness_checks,
        jobs=[job],
        resources={"home": LogAssetsHome(), "aperture": ApertureApi()},
    )
    result = defs.resolve_job_def("check_only").execute_in_process(instance=dg.DagsterInstance.ephemeral())
    (ev,) = result.get_asset_check_evaluations()
    assert not ev.passed and ev.severity == dg.AssetCheckSeverity.WARN


def test_connectivity_failure_names_variable_and_sends_nothing(fake, monkeypatch):
    fake.add_events([make_event()])
    monkeypatch.setenv("APERTURE_API_URL", fake.url)
    monkeypatch.setenv("APERTURE_CLIENT_ID", "cid")
    with pytest.raises(dg.Failure, match="APERTURE_CLIENT_SECRET"):
        FULL_DEFS.resolve_job_def("aperture_connectivity").execute_in_process(
            instance=dg.DagsterInstance.ephemeral()
        )
    assert fake.requests == []
