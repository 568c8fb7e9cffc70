"""Every built-in rule alerts on its scenario and stays quiet on its near miss (records in real
shapes: simulator/scenarios.py), through the real lake, warehouse and engine."""

from __future__ import annotations

import pytest

from log_assets.detections import load_rules
from log_assets.detections.runner import run
from log_assets.paths import Home
from log_assets.simulator import scenarios
from log_assets.warehouse import connect_readonly, sync
from tests.detections.scenario_lake import write_scenarios

pytestmark = [pytest.mark.xdist_group("detections.test_rules_content")]


@pytest.fixture(scope="module")
def alerts(tmp_path_factory) -> list[tuple]:
    home = Home.from_env(tmp_path_factory.mktemp("detections") / "home")
    write_scenarios(home)
    sync(home)
    run(home)
    with connect_readonly(home) as con:
        return con.sql(
            "SELECT rule_id, entity, event_count, status, first_seen, last_seen FROM detections.alerts "
            "ORDER BY ALL"
        ).fetchall()


def test_the_scenarios_cover_every_builtin_rule():
    ids = {r.rule_id for r in load_rules().rules}
    assert {r for r, _ in scenarios.EXPECTED} == ids
    assert {r for r, _ in scenarios.NEAR_MISSES} == ids


def test_exactly_the_expected_alerts(alerts):
    assert {(r, e) for r, e, *_ in alerts} == set(scenarios.EXPECTED)
    assert len(alerts) == len(scenarios.EXPECTED)  # one alert each


@pytest.mark.parametrize("rule_id,entity", sorted(scenarios.EXPECTED))
def test_rule_fires(alerts, rule_id, entity):
    assert (rule_id, entity) in {(r, e) for r, e, *_ in alerts}


@pytest.mark.parametrize("rule_id,entity", sorted(scenarios.NEAR_MISSES))
def test_near_miss_stays_quiet(alerts, rule_id, entity):
    assert (rule_id, entity) not in {(r, e) for r, e, *_ in alerts}


def test_alert_figures(alerts):
    got = {(r, e): (n, status) for r, e, n, status, *_ in alerts}
    p = scenarios.person
    assert got[("forcepoint_multiple_failed_logins", p("failed"))] == (10, "new")
    assert got[("forcepoint_files_shared_externally", p("sharer"))] == (5, "new")
    # the incident's two records (severity 4, then 5.0 when edited) are one alert
    assert got[("aperture_high_severity_incident", "scn-inc-high")] == (2, "new")
    assert got[("aperture_mass_deletion", p("deleter"))] == (20, "new")
