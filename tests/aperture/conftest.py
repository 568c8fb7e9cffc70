import itertools
import os

import pytest

from log_assets.paths import Home

from .fake_api import FakeAperture

_counter = itertools.count()


def make_event(log_type="incident", timestamp="2026-11-20T10:00:00Z", **fields):
    """A distinct event (a running number keeps otherwise equal events apart)."""
    n = next(_counter)
    ev = {"log_type": log_type, "timestamp": timestamp, "item_name": f"file-{n}.txt", "serial": None}
    if log_type in ("incident", "policy_violation"):
        ev.update(severity=3.0, incident_id=f"inc-{n}", asset_id=f"asset-{n}")
    ev.update(fields)
    return ev


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for k in list(os.environ):
        if k.startswith("APERTURE_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("LOG_ASSETS_HOME", str(tmp_path / "home"))


@pytest.fixture
def home(tmp_path) -> Home:
    return Home.from_env(tmp_path / "home")


@pytest.fixture
def fake():
    with FakeAperture() as f:
        yield f
