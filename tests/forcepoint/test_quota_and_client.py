"""Quota budget and client configuration: no request is sent that should not be."""

import json
from datetime import datetime, timezone

import pytest

from log_assets.forcepoint.client import ConfigError, Credentials, QuotaExhausted, check_url
import log_assets.forcepoint.quota as quota_mod
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


def test_fast_requests_are_charged_in_blocks_that_never_undercount(tmp_path):
    """Requests sent in quick succession share one durable write per block; on disk the count is
    never below what was sent (a process killed holding a block leaves it counted), and the
    block's unsent rest is given back when the walk ends."""
    path = tmp_path / "q.json"
    b = QuotaBudget(path, "access", limit=300)
    assert b.max_block == 15  # a twentieth of the limit: what a kill can cost at most
    writes = []
    real = quota_mod.atomic_write_json
    quota_mod.atomic_write_json = lambda p, st: (writes.append(dict(st)), real(p, st))
    try:
        for sent in range(1, 101):
            b.charge()
            on_disk = json.loads(path.read_text())["spent"]
            assert sent <= on_disk < sent + b.max_block
            assert b.spent_today == sent
            # another process (another pipeline run) sees the upper bound
            assert QuotaBudget(path, "access", limit=300).spent_today == on_disk
    finally:
        quota_mod.atomic_write_json = real
    assert len(writes) < 15  # 1+2+4+8+15+15+... instead of 100
    assert b.left == 200
    b.release()
    assert json.loads(path.read_text())["spent"] == 100 and b.left == 200


def test_slow_requests_are_each_charged_durably(tmp_path, monkeypatch):
    path = tmp_path / "q.json"
    b = QuotaBudget(path, "access", limit=300)
    t = [1000.0]
    monkeypatch.setattr(quota_mod.time, "monotonic", lambda: t[0])
    for sent in range(1, 6):
        t[0] += quota_mod.BLOCK_WINDOW_S + 0.5  # the real API: a page every second or more
        b.charge()
        assert json.loads(path.read_text())["spent"] == sent


def test_a_block_never_goes_beyond_the_budget_or_the_server(tmp_path):
    path = tmp_path / "q.json"
    b = QuotaBudget(path, "access", limit=20, reserve=3, max_block=16)
    for _ in range(17):
        b.charge()
        assert json.loads(path.read_text())["spent"] <= 17
    with pytest.raises(QuotaExhausted):
        b.charge()
    b2 = QuotaBudget(tmp_path / "q2.json", "access", limit=300, max_block=16)
    b2.observe(6)
    sent = 0
    with pytest.raises(QuotaExhausted):
        while True:
            b2.charge()
            sent += 1
            b2.observe(6 - sent)  # the server counts each one
    assert sent == 6


def test_server_reporting_less_than_a_held_block_takes_it_back(tmp_path):
    """Another tool spent part of the shared quota: the requests we held beyond what the server
    still has are given back, not sent."""
    path = tmp_path / "q.json"
    b = QuotaBudget(path, "access", limit=300, max_block=16)
    b.observe(100)
    for _ in range(8):
        b.charge()
    b.observe(2)  # far fewer left than our block assumed
    sent = 8
    with pytest.raises(QuotaExhausted):
        while True:
            b.charge()
            sent += 1
    assert sent == 10
    assert json.loads(path.read_text())["spent"] == 10


def test_a_429_leaves_nothing_to_spend_until_the_reset(tmp_path):
    b = QuotaBudget(tmp_path / "q.json", "access", limit=300)
    b.charge()
    b.observe(0)  # what the client reports for a 429, with or without the header
    with pytest.raises(QuotaExhausted, match="server reports 0 left"):
        b.charge()
