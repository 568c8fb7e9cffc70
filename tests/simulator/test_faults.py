"""Fault injection: each fault changes exactly the next `count` matching requests."""

import time

import pytest
import requests

from log_assets.simulator.testing import aperture_token, forcepoint_headers

PARAMS = {"type": "access", "cv": "1.1.5", "responseformat": "json", "startdate": "2026-11-19T00:00:00Z"}


def fp(sim, http, **params):
    return http.get(sim.forcepoint_url, params={**PARAMS, **params}, headers=forcepoint_headers(sim), timeout=10)


def bulk(sim, http, token):
    return http.get(
        sim.aperture_url + "/api/v1/log_events_bulk", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


@pytest.mark.parametrize(
    "kind,status,message",
    [
        ("503", 503, "Temporarily unavailable"),
        ("401", 401, "Invalid credentials"),
        ("403", 403, "Unauthorized"),
    ],
)
def test_forcepoint_status_faults(sim, http, kind, status, message):
    sim.faults.add(kind, count=1, path="forcepoint")
    r = fp(sim, http)
    assert (r.status_code, r.json()["status"]) == (status, message)
    assert fp(sim, http).status_code == 200


def test_forcepoint_429_fault_looks_like_a_spent_quota(sim, http):
    sim.faults.add("429")
    r = fp(sim, http)
    assert r.status_code == 429
    assert r.json()["status"].startswith(
        "You have exceeded your allowance of 300 requests per day for access logs."
    )
    assert r.headers["X-RateLimit-Remaining"] == "0"
    assert fp(sim, http).status_code == 200


def test_faults_match_path_and_log_type(sim, http):
    sim.faults.add("503", count=1, path="forcepoint", log_type="admin")
    sim.faults.add("503", count=1, path="aperture")
    assert fp(sim, http).status_code == 200  # access is not admin
    assert fp(sim, http, type="admin").status_code == 503
    assert fp(sim, http, type="admin").status_code == 200
    token = aperture_token(sim, http)  # the token endpoint is not "aperture"
    assert bulk(sim, http, token).status_code == 503
    assert bulk(sim, http, token).status_code == 200
    assert sim.faults.pending() == []


def test_any_path_and_clear(sim, http):
    sim.faults.add("503", count=5, path="any")
    assert fp(sim, http).status_code == 503
    assert http.post(sim.aperture_url + "/oauth/token").status_code == 503
    sim.faults.clear()
    assert fp(sim, http).status_code == 200


def test_slow_answers(sim, http):
    sim.faults.add("slow", count=1, seconds=0.4)
    t0 = time.monotonic()
    assert fp(sim, http).status_code == 200
    assert time.monotonic() - t0 >= 0.4
    t0 = time.monotonic()
    fp(sim, http)
    assert time.monotonic() - t0 < 0.3
    sim.faults.add("slow", count=1, seconds=1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(sim.forcepoint_url, params=PARAMS, headers=forcepoint_headers(sim), timeout=0.3)


def test_forcepoint_drop_cuts_the_body(sim, http):
    sim.faults.add("drop", count=1, path="forcepoint")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        fp(sim, http)
    # The same session recovers on a new connection; the dropped request had counted.
    assert fp(sim, http).status_code == 200
    assert sim.forcepoint.requests("access") == 2


def test_aperture_drop_loses_the_popped_events(sim, http):
    token = aperture_token(sim, http)
    before = sim.aperture.pending()
    sim.faults.add("drop", count=1, path="aperture")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        bulk(sim, http, token)
    lost = sim.aperture.dropped_events()
    assert len(lost) == 100 and sim.aperture.pending() == before - 100
    assert sim.aperture.delivered_events() == lost
    assert sim.aperture.delivered_bodies() == [] and sim.aperture.intact_events() == []
    r = bulk(sim, http, token)
    assert r.status_code == 200 and r.json()["events"] == sim.aperture.intact_events()


def test_aperture_status_faults(sim, http):
    sim.faults.add("401", count=1, path="aperture_token")
    r = http.post(
        sim.aperture_url + "/oauth/token",
        auth=("demo-client", "demo-secret"),
        data={"grant_type": "client_credentials", "scope": "api_access"},
    )
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    token = aperture_token(sim, http)
    sim.faults.add("429", count=1, path="aperture")
    sim.faults.add("401", count=1, path="aperture")
    assert bulk(sim, http, token).status_code == 429
    r = bulk(sim, http, token)
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    assert bulk(sim, http, token).status_code == 200
    assert sim.aperture.pending() >= 0 and len(sim.aperture.delivered_events()) == 100


def test_unknown_fault_kind_is_refused(sim):
    with pytest.raises(ValueError):
        sim.faults.add("teapot")
    with pytest.raises(ValueError):
        sim.faults.add("503", path="elsewhere")
