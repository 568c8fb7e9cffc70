"""The simulator serves the detection scenarios when asked (the demo does), and only then."""

from __future__ import annotations

from log_assets.simulator import scenarios
from log_assets.simulator.config import SimConfig
from log_assets.simulator.simulator import Simulator
from log_assets.simulator.testing import sim_config

DAY = "2026-11-19"  # the last full day before TEST_END


def served(sim: Simulator, log_type: str) -> list[dict]:
    return sim.forcepoint.distinct_events(log_type, DAY)


def test_scenarios_are_served_on_the_last_full_day_in_real_shapes():
    cfg: SimConfig = sim_config(scenarios=True, forcepoint_events_per_day=100)
    sim = Simulator(cfg, port=0)
    wanted = scenarios.forcepoint_records(wanted_day(sim))
    for log_type, records in wanted.items():
        got = served(sim, log_type)
        on_day = [r for r in records if r["time"].startswith("19 Nov 2026")]
        for rec in on_day:  # every scenario record of the day, its fields as the scenario sets them
            assert any(all(g.get(k) == v for k, v in rec.items() if k in g) for g in got), (log_type, rec)
        # the record keeps the real field set of its type (the generated fields it does not set)
        assert {tuple(sorted(g)) for g in got} == {tuple(sorted(got[0]))}
    # the Aperture ones are queued at start, beside the generated backlog
    plain = Simulator(sim_config(forcepoint_events_per_day=100), port=0)
    assert sim.aperture.pending() - plain.aperture.pending() == len(scenarios.aperture_events(wanted_day(sim)))


def wanted_day(sim: Simulator):
    return scenarios.activity_day(sim.forcepoint.start_ms, sim.forcepoint.end_ms)


def test_without_scenarios_nothing_changes():
    plain = Simulator(sim_config(forcepoint_events_per_day=100), port=0)
    assert not any("scn." in str(r.get("email")) for r in served(plain, "access"))


def test_the_simulator_command_serves_them_when_asked():
    from log_assets.simulator.cli import config_from, parser

    assert config_from(parser().parse_args(["--scenarios"])).scenarios
    assert not config_from(parser().parse_args([])).scenarios
