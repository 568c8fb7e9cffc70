"""Every row of the Forcepoint response-code table: status and exact message."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from log_assets.simulator.testing import basic_header, forcepoint_headers, simulator

START = "2026-11-19T00:00:00Z"


def get(sim, http, headers=None, **params):
    base = {"type": "access", "cv": "1.1.5", "responseformat": "json", "startdate": START}
    base.update(params)
    base = {k: v for k, v in base.items() if v is not None}
    return http.get(
        sim.forcepoint_url, params=base, headers=forcepoint_headers(sim) if headers is None else headers
    )


def status(r):
    return r.status_code, r.json()["status"]


def test_success_envelope(sim, http):
    r = get(sim, http)
    body = r.json()
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert list(body) == ["status", "nextpagetoken", "response"]
    assert body["status"] == "Request was successful"
    assert body["response"]["dataformat"] == "json"
    assert body["response"]["dataencoding"] == "utf-8"
    assert len(body["response"]["data"]) == 50  # page_size of the test defaults


def test_401_authorization_required(sim, http):
    assert status(get(sim, http, headers={})) == (401, "Authorization required")


@pytest.mark.parametrize(
    "header", ["Digest username=demo-admin", "Token demo-forcepoint-token", "demo-forcepoint-token"]
)
def test_401_basic_auth_required(sim, http, header):
    assert status(get(sim, http, headers={"Authorization": header})) == (401, "Basic auth required")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Bearer "},
        basic_header("demo-admin", "demo:pass"),  # the password is longer than its first ':'
        basic_header("demo-admin", ""),
        basic_header("someone", "demo:pass:word"),
        {"Authorization": "Basic not-base64!"},
    ],
)
def test_401_invalid_credentials(sim, http, headers):
    assert status(get(sim, http, headers=headers)) == (401, "Invalid credentials")


def test_basic_auth_password_with_colons(sim, http):
    r = get(sim, http, headers=basic_header("demo-admin", "demo:pass:word"))
    assert r.status_code == 200, r.text


def test_403_unauthorized(sim, http):
    r = get(sim, http, headers={"Authorization": "Bearer demo-forbidden-token"})
    assert status(r) == (403, "Unauthorized")
    r = get(sim, http, headers=basic_header("viewer", "demo-forbidden-token"))
    assert status(r) == (403, "Unauthorized")


def test_429_when_the_quota_is_spent():
    with simulator(quota=3) as sim, requests.Session() as http:
        for left in (2, 1, 0):
            r = get(sim, http)
            assert r.status_code == 200
            assert r.headers["X-RateLimit-Remaining"] == str(left)
        r = get(sim, http)
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
        assert status(r) == (
            429,
            f"You have exceeded your allowance of 3 requests per day for access logs. "
            f"Limit will reset at {tomorrow} 00:00:00+00:00",
        )
        assert r.headers["X-RateLimit-Limit"] == "3"
        assert r.headers["X-RateLimit-Remaining"] == "0"
        # Another type has its own allowance.
        assert get(sim, http, type="admin").status_code == 200


def test_400_invalid_responseformat(sim, http):
    assert status(get(sim, http, responseformat="xml")) == (
        400,
        "Invalid responseformat: xml. Supported values: csv, json",
    )


def test_400_start_date_and_token_missing(sim, http):
    assert status(get(sim, http, startdate=None)) == (400, "Start date and nextpagetoken is missing")


def test_400_both_start_date_and_token(sim, http):
    token = get(sim, http).json()["nextpagetoken"]
    assert status(get(sim, http, nextpagetoken=token)) == (400, "Provide either the start date or nextpagetoken")


@pytest.mark.parametrize("bad", ["foo", "ACCESS", ""])
def test_400_invalid_type(sim, http, bad):
    r = get(sim, http, type=bad)
    assert status(r) == (400, f"Invalid type: {bad}. Supported types are: cloudsummary, cloudaudit, and access")
    assert "X-RateLimit-Limit" not in r.headers  # no valid type: nothing to count against


def test_400_invalid_type_when_missing(sim, http):
    r = get(sim, http, type=None)
    assert status(r) == (400, "Invalid type: . Supported types are: cloudsummary, cloudaudit, and access")


@pytest.mark.parametrize(
    "bad",
    [
        "2026-11-19",
        "2026-11-19T00:00:00",
        "2026-11-19 00:00:00Z",
        "19 Nov 2026 00:00:00",
        "2026-11-19T00:00:00.000Z",
    ],
)
def test_400_invalid_start_date_format(sim, http, bad):
    assert status(get(sim, http, startdate=bad)) == (
        400,
        f"Invalid start date format {bad} Expected format: %Y-%m-%dT%H:%M:%SZ",
    )


def _b64(obj) -> str:
    return base64.b64encode(json.dumps(obj).encode()).decode()


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "eyJsb2dfaWQiOiAx",  # truncated base64
        _b64([1, 2]),  # not an object
        _b64({"log_id": "12", "datetime": "2026-11-19T00:00:00.000000Z"}),  # log_id not a number
        _b64({"log_id": 10**9, "datetime": "2026-11-19T00:00:00.000000Z"}),  # past the stream
        _b64({"log_id": -1, "datetime": "2026-11-19T00:00:00.000000Z"}),
        _b64(
            {"start_time": "2026-11-19T00:00:00Z", "end_time": "2026-11-19T00:00:00.000000Z", "page": 1}
        ),  # other style
        _b64({"log_id": 3}),
    ],
)
def test_400_invalid_next_page_token(sim, http, token):
    assert status(get(sim, http, startdate=None, nextpagetoken=token)) == (400, "Invalid next page token")


def test_token_must_be_url_encoded(sim, http):
    token = get(sim, http).json()["nextpagetoken"]
    assert "+" in token
    # Sent raw, '+' arrives as a space: the token is garbled and refused.
    url = f"{sim.forcepoint_url}?type=access&cv=1.1.5&responseformat=json&nextpagetoken={token}"
    r = http.get(url, headers=forcepoint_headers(sim))
    assert status(r) == (400, "Invalid next page token")
    # URL-encoded, it works.
    assert get(sim, http, startdate=None, nextpagetoken=token).status_code == 200


def test_503_temporarily_unavailable(sim, http):
    sim.faults.add("503", count=2, path="forcepoint")
    assert status(get(sim, http)) == (503, "Temporarily unavailable")
    assert status(get(sim, http)) == (503, "Temporarily unavailable")
    assert get(sim, http).status_code == 200


def test_both_paths_and_post_with_form_or_json_body(sim, http):
    params = {"type": "admin", "cv": "1.1.5", "responseformat": "json", "startdate": START}
    expected = get(sim, http, **params).json()["response"]["data"]
    for path in ("/api/bitglassapi/logs/v1/", "/api/bitglassapi/logs/", "/api/bitglassapi/logs"):
        r = http.get(sim.base_url + path, params=params, headers=forcepoint_headers(sim))
        assert r.json()["response"]["data"] == expected, path
    r = http.post(sim.forcepoint_url, data=params, headers=forcepoint_headers(sim))
    assert r.json()["response"]["data"] == expected
    r = http.post(sim.forcepoint_url, json=params, headers=forcepoint_headers(sim))
    assert r.json()["response"]["data"] == expected
    # Query string and body together: the body's values win.
    r = http.post(
        sim.forcepoint_url, params={**params, "type": "access"}, json=params, headers=forcepoint_headers(sim)
    )
    assert r.json()["response"]["data"] == expected


def test_default_format_is_csv(sim, http):
    body = get(sim, http, responseformat=None).json()
    assert body["response"]["dataformat"] == "csv"
    assert isinstance(body["response"]["data"], str)
    assert body["response"]["data"].startswith("syslogheader,time,application,")


def test_unknown_path_is_404(sim, http):
    assert http.get(sim.base_url + "/api/bitglassapi/other/").status_code == 404
