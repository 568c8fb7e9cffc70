"""The simulator fixture (tests/infra/simulator.py): what it starts, what it sets, what it undoes."""

from __future__ import annotations

import os
from typing import Any

import pytest
import requests

from log_assets.simulator import SimConfig
from tests.infra.simulator import SimulatorFactory

FIELDS: dict[str, Any] = dict(seed=3, days=1, forcepoint_events_per_day=5, aperture_backlog_per_type=0)


def test_a_simulator_is_started_from_its_fields_pointed_at_and_stopped_with_its_env_undone(monkeypatch):
    monkeypatch.delenv("FORCEPOINT_API_URL", raising=False)
    with pytest.MonkeyPatch.context() as mp:
        factory = SimulatorFactory(mp)
        sim = factory(page_size=7, **FIELDS)
        assert sim.config == SimConfig(page_size=7, **FIELDS)
        assert {k: os.environ.get(k) for k in sim.env()} == sim.env()
        assert requests.get(sim.base_url + "/nothing", timeout=5).status_code == 404  # it answers
        factory.close()
        with pytest.raises(RuntimeError, match="not running"):
            _ = sim.port
    assert "FORCEPOINT_API_URL" not in os.environ


def test_env_false_sets_nothing_basic_sets_the_user_and_use_points_at_a_running_one(monkeypatch):
    for k in ("FORCEPOINT_API_URL", "FORCEPOINT_API_TOKEN", "FORCEPOINT_USERNAME", "FORCEPOINT_PASSWORD"):
        monkeypatch.delenv(k, raising=False)
    factory = SimulatorFactory(monkeypatch)
    try:
        quiet = factory(SimConfig(**FIELDS), env=False, page_size=9)
        assert quiet.config.page_size == 9 and "FORCEPOINT_API_URL" not in os.environ
        basic = factory(basic=True, **FIELDS)
        assert os.environ["FORCEPOINT_USERNAME"] == basic.config.forcepoint_username
        assert "FORCEPOINT_API_TOKEN" not in os.environ
        factory.use(quiet)
        assert os.environ["FORCEPOINT_API_URL"] == quiet.forcepoint_url
    finally:
        factory.close()


def test_the_fixture_hands_out_the_factory(simulator):
    sim = simulator(**FIELDS)
    assert os.environ["APERTURE_API_URL"] == sim.aperture_url
