"""The detections/... assets: after the warehouse in its jobs, each run's new alerts in their
metadata (count per rule, the newest as a table), their checks, a named tenant's keys."""

from __future__ import annotations

import dagster as dg
import pytest

from log_assets.factory import build_defs
from log_assets.paths import Home
from log_assets.simulator import scenarios
from tests.detections.scenario_lake import write_scenarios

pytestmark = [pytest.mark.slow]


def test_named_tenant_keys_and_a_definitions_without_detections():
    acme = build_defs(
        tenant="acme", home="/tmp/acme-not-used", forcepoint={"token_env": "ACME_TOKEN"}, aperture=None
    )
    keys = {k.to_user_string() for k in acme.resolve_asset_graph().get_all_asset_keys()}
    assert {"acme/detections/rules", "acme/detections/alerts", "acme/detections/suppressions"} <= keys
    job = acme.resolve_job_def("acme__warehouse_update")
    assert "acme__detections" in job.graph.node_dict
    assert "acme__detections_update" in {j.name for j in acme.resolve_all_job_defs()}
    off = build_defs(tenant="acme", home="/tmp/acme-not-used", aperture=None, detections=False)
    assert not any(k.path[1] == "detections" for k in off.resolve_asset_graph().get_all_asset_keys())


def test_warehouse_update_runs_the_detections_and_reports_new_alerts(tmp_path):
    home = Home.from_env(tmp_path / "home")
    write_scenarios(home)
    defs = build_defs(home=str(home.root))
    result = defs.resolve_job_def("warehouse_update").execute_in_process()
    assert result.success
    mats = {m.asset_key.to_user_string(): m for m in result.get_asset_materialization_events()}
    meta = mats["detections/alerts"].materialization.metadata
    assert meta["new_alerts"].value == len(scenarios.EXPECTED)
    by_rule = meta["new_alerts_by_rule"].value
    assert by_rule == {r: sum(1 for q, _ in scenarios.EXPECTED if q == r) for r, _ in scenarios.EXPECTED}
    newest = meta["newest_alerts"].value
    assert isinstance(newest, dg.TableMetadataValue) and len(newest.records) == 10
    assert {r.data["rule_id"] for r in newest.records} <= {r for r, _ in scenarios.EXPECTED}
    assert meta["candidates_without_entity"].value == 0
    checks = {
        e.check_name: e.passed for e in result.get_asset_check_evaluations() if e.asset_key.path[0] == "detections"
    }
    assert checks == {"alert_id_unique": True, "one_alert_per_window": True}

    again = defs.resolve_job_def("detections_update").execute_in_process()
    meta = {m.asset_key.to_user_string(): m for m in again.get_asset_materialization_events()}[
        "detections/alerts"
    ].materialization.metadata
    assert meta["new_alerts"].value == 0 and meta["dagster/row_count"].value == len(scenarios.EXPECTED)


USER_RULE = (
    "id: my_scenario_admins\ntitle: Admin records of scenario people\ndescription: Every one.\nseverity: low\n"
    "sql: |\n  SELECT event_time, lower(email) AS entity, vendor, log_type, event_id FROM forcepoint.admin\n"
    "  WHERE email ILIKE 'scn.%'\n"
)


def _user_rule_alerts(defs) -> int:
    result = defs.resolve_job_def("warehouse_update").execute_in_process()
    mats = {m.asset_key.path[-1]: m for m in result.get_asset_materialization_events()}
    return mats["alerts"].materialization.metadata["new_alerts_by_rule"].value.get("my_scenario_admins", 0)


def test_the_default_tenant_reads_its_rules_folder_when_a_run_starts(tmp_path, monkeypatch):
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "mine.yaml").write_text(USER_RULE)
    home = Home.from_env(tmp_path / "home")
    write_scenarios(home)
    defs = build_defs(home=str(home.root))  # built before the variable is set: read at run time
    monkeypatch.setenv("LOG_ASSETS_DETECTIONS_RULES", str(folder))
    assert _user_rule_alerts(defs) == 4  # the scenario's four admin records, one per person


def test_a_components_rules_folder(tmp_path):
    from log_assets.component import LogAssetsComponent

    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "mine.yaml").write_text(USER_RULE)
    home = tmp_path / "home"
    write_scenarios(Home.from_env(home))
    c = LogAssetsComponent.resolve_from_yaml(
        f"home: {home}\nforcepoint:\n  token_env: MY_FORCEPOINT_TOKEN\nrules_folder: {folder}\n"
    )
    assert _user_rule_alerts(c.build_defs(None)) == 4  # type: ignore[arg-type]
