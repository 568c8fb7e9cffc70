"""The daily allowance per log type: what counts, the X-RateLimit-* headers, and the reset."""

from datetime import UTC, datetime, timedelta

import requests

from log_assets.simulator.testing import forcepoint_headers, simulator


def get(sim, http, headers=None, **params):
    p = {"type": "access", "cv": "1.1.5", "responseformat": "json", "startdate": "2026-11-19T00:00:00Z"}
    p.update(params)
    return http.get(
        sim.forcepoint_url,
        params={k: v for k, v in p.items() if v is not None},
        headers=forcepoint_headers(sim) if headers is None else headers,
    )


def next_midnight_epoch() -> int:
    now = datetime.now(UTC)
    return int((now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)).timestamp())


def test_headers_on_every_answer_for_a_valid_type(sim, http):
    answers = [
        get(sim, http),  # 200
        get(sim, http, headers={}),  # 401
        get(sim, http, headers={"Authorization": "Bearer wrong"}),  # 401
        get(sim, http, headers={"Authorization": "Bearer demo-forbidden-token"}),  # 403
        get(sim, http, responseformat="xml"),  # 400
        get(sim, http, startdate="yesterday"),  # 400
        get(sim, http, startdate=None, nextpagetoken="bad"),  # 400
    ]
    assert [a.status_code for a in answers] == [200, 401, 401, 403, 400, 400, 400]
    for i, a in enumerate(answers):
        assert a.headers["X-RateLimit-Limit"] == "300"
        assert a.headers["X-RateLimit-Remaining"] == str(300 - i - 1)
        assert a.headers["X-RateLimit-Reset"] == str(next_midnight_epoch())
    # Every one of them counted, bad credentials included.
    assert sim.forcepoint.requests("access") == 7
    assert sim.forcepoint.requests("admin") == 0


def test_quota_is_per_type_and_resets():
    with simulator(quota=2) as sim, requests.Session() as http:
        assert [get(sim, http).status_code for _ in range(4)] == [200, 200, 429, 429]
        assert sim.forcepoint.requests("access") == 4  # refused requests are counted too
        assert get(sim, http, type="cloudaudit").status_code == 200
        r = get(sim, http, headers={})  # spent quota answers 429 before looking at credentials
        assert r.status_code == 429
        sim.forcepoint.reset_quota("access")  # what UTC midnight does
        r = get(sim, http)
        assert r.status_code == 200 and r.headers["X-RateLimit-Remaining"] == "1"
        assert sim.forcepoint.requests("access") == 1
        assert sim.forcepoint.requests("cloudaudit") == 1
        sim.forcepoint.reset_quota()
        assert sim.forcepoint.requests("cloudaudit") == 0


def test_fault_answers_do_not_spend_quota(sim, http):
    sim.faults.add("503", count=3, path="forcepoint")
    assert [get(sim, http).status_code for _ in range(4)] == [503, 503, 503, 200]
    assert sim.forcepoint.requests("access") == 1
