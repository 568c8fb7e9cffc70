"""Quota budget and client configuration: no request is sent that should not be."""

from datetime import datetime, timezone

import pytest

from log_assets.forcepoint.client import ConfigError, Credentials, QuotaExhausted, check_url
from log_assets.forcepoint.quota import QuotaBudget


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


def test_budget_counts_per_day_and_stops_before_exceeding(tmp_path):
    clock = Clock(datetime(2026, 11, 20, 23, 0, tzinfo=timezone.utc))
    b = QuotaBudget(tmp_path / "q.json", "access", limit=5, reserve=2, clock=clock)
    for _ in range(3):
        b.charge()
    assert b.spent_today == 3 and b.left == 0
    with pytest.raises(QuotaExhausted) as e:
        b.charge()
    assert "2026-11-21 00:00:00+00:00" in str(e.value) and e.value.resets_at == "2026-11-21 00:00:00+00:00"
    assert b.spent_today == 3  # the refused request was not counted
    # a second process sees the same count (it is on disk)
    assert QuotaBudget(tmp_path / "q.json", "access", limit=5, reserve=2, clock=clock).spent_today == 3
    clock.t = datetime(2026, 11, 21, 0, 0, 1, tzinfo=timezone.utc)
    assert b.spent_today == 0 and b.left == 3
    b.charge()


def test_budget_believes_the_server(tmp_path):
    b = QuotaBudget(tmp_path / "q.json", "admin", limit=300)
    b.observe(2)
    b.charge()
    b.charge()
    with pytest.raises(QuotaExhausted):
        b.charge()


def test_missing_credentials_name_the_variable():
    with pytest.raises(ConfigError, match="FORCEPOINT_API_TOKEN"):
        Credentials.from_env({})
    with pytest.raises(ConfigError, match="FORCEPOINT_PASSWORD"):
        Credentials.from_env({"FORCEPOINT_USERNAME": "admin"})
    c = Credentials.from_env({"FORCEPOINT_USERNAME": "admin", "FORCEPOINT_PASSWORD": "p:w"})
    assert c.password == "p:w" and "p:w" not in repr(c)
    assert "s3cret-tok" not in repr(Credentials.from_env({"FORCEPOINT_API_TOKEN": "s3cret-tok"}))


def test_plain_http_only_to_loopback():
    check_url("http://127.0.0.1:9/api/bitglassapi/logs/v1/")
    check_url("https://portal.bitglass.com/api/bitglassapi/logs/v1/")
    with pytest.raises(ConfigError, match="refusing plain http"):
        check_url("http://portal.bitglass.com/api/bitglassapi/logs/v1/")
    check_url("http://proxy.internal/logs/", allow_insecure_http=True)
