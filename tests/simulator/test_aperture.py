"""The Aperture side: OAuth tokens, destructive reads, long polls, TTL, and the event quirks."""

import base64
import collections
import json
import threading
import time
from datetime import datetime

import pytest
import requests

from log_assets.catalog import APERTURE_TYPES
from log_assets.simulator import SimConfig, Simulator
from log_assets.simulator.testing import aperture_token, simulator

# module-scoped fixtures: under xdist the module's tests run on one worker, its fixtures once
pytestmark = [pytest.mark.xdist_group("simulator.test_aperture")]

BULK = "/api/v1/log_events_bulk"
SINGLE = "/api/v1/log_events"


def token_request(sim, http, client_id=None, secret=None, data=None, headers=None):
    auth = (client_id or sim.config.aperture_client_id, secret or sim.config.aperture_client_secret)
    return http.post(
        sim.aperture_url + "/oauth/token",
        auth=None if headers is not None else auth,
        headers=headers,
        data={"grant_type": "client_credentials", "scope": "api_access"} if data is None else data,
    )


def read(sim, http, token, path=BULK):
    return http.get(sim.aperture_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def drain(sim, http, token, path=BULK):
    out = []
    while True:
        r = read(sim, http, token, path)
        if r.status_code == 204:
            return out
        assert r.status_code == 200, r.text
        out += r.json()["events"] if path == BULK else [r.json()]


# -- tokens ------------------------------------------------------------------------------------


def test_token_answer(sim, http):
    r = token_request(sim, http)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "jti"}
    assert body["token_type"] == "bearer" and body["scope"] == "api_access" and body["expires_in"] == 3600
    assert body["access_token"].count(".") == 2  # a JWT


def test_token_without_expiry():
    with simulator(aperture_expires_in=None) as sim, requests.Session() as http:
        body = token_request(sim, http).json()
        assert "expires_in" not in body


@pytest.mark.parametrize("client_id,secret", [("demo-client", "wrong"), ("someone", "demo-secret")])
def test_bad_client_credentials(sim, http, client_id, secret):
    r = token_request(sim, http, client_id, secret)
    assert r.status_code == 401
    assert r.json() == {"error": "unauthorized", "error_description": "Bad credentials"}


def test_token_needs_basic_auth_and_the_right_grant(sim, http):
    assert token_request(sim, http, headers={}).status_code == 401
    r = token_request(sim, http, data={"grant_type": "password", "scope": "api_access"})
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    r = token_request(sim, http, data={"grant_type": "client_credentials", "scope": "admin"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
    assert http.get(sim.aperture_url + "/oauth/token").status_code == 405


def test_reads_need_a_valid_token(sim, http):
    assert http.get(sim.aperture_url + BULK).status_code == 401
    assert read(sim, http, "not-a-token").status_code == 401
    assert read(sim, http, aperture_token(sim, http)).status_code == 200
    assert sim.aperture.delivered_events()  # the good read popped
    n = len(sim.aperture.delivered_events())
    assert read(sim, http, "not-a-token").status_code == 401
    assert len(sim.aperture.delivered_events()) == n  # refused reads pop nothing


def test_issued_tokens_are_listed_in_order(sim, http):
    """The simulator's ground truth of the tokens it issued (what a secrets search looks for)."""
    assert sim.aperture.issued_tokens() == []
    first, second = aperture_token(sim, http), aperture_token(sim, http)
    assert first != second
    assert sim.aperture.issued_tokens() == [first, second]


def test_tokens_expire():
    with simulator(aperture_expires_in=1) as sim, requests.Session() as http:
        token = aperture_token(sim, http)
        assert read(sim, http, token).status_code == 200
        time.sleep(1.1)
        r = read(sim, http, token)
        assert r.status_code == 401 and r.json()["error"] == "invalid_token"
        assert read(sim, http, aperture_token(sim, http)).status_code == 200  # a fresh one works
        sim.aperture.expire_tokens()
        assert read(sim, http, token).status_code == 401


# -- reads -------------------------------------------------------------------------------------


def test_bulk_reads_pop_everything_once_then_204(sim, http):
    token = aperture_token(sim, http)
    queued = sim.aperture.pending()
    assert queued >= 5 * 20  # 20 per type, plus byte-identical repeats
    sizes = []
    got = []
    while True:
        r = read(sim, http, token)
        if r.status_code == 204:
            assert r.content == b""
            break
        sizes.append(len(r.json()["events"]))
        got += r.json()["events"]
    assert sizes[:-1] == [100] * (len(sizes) - 1) and 0 < sizes[-1] <= 100
    assert len(got) == queued
    assert got == sim.aperture.delivered_events()
    assert sim.aperture.pending() == 0
    assert read(sim, http, token).status_code == 204  # popped for good


def test_single_event_reads(sim, http):
    token = aperture_token(sim, http)
    r = read(sim, http, token, SINGLE)
    event = r.json()
    assert isinstance(event, dict) and event["log_type"] in APERTURE_TYPES
    assert sim.aperture.delivered_events() == [event]
    assert sim.aperture.delivered_bodies() == [r.content]


def test_empty_queue_long_polls_then_204():
    with simulator(aperture_backlog_per_type=0, long_poll=0.3) as sim, requests.Session() as http:
        token = aperture_token(sim, http)
        t0 = time.monotonic()
        r = read(sim, http, token)
        assert r.status_code == 204 and 0.3 <= time.monotonic() - t0 < 2


def test_a_waiting_reader_gets_events_enqueued_during_its_poll():
    with simulator(aperture_backlog_per_type=0, long_poll=3.0) as sim, requests.Session() as http:
        token = aperture_token(sim, http)
        threading.Timer(0.2, lambda: sim.aperture.enqueue([{"log_type": "admin_audit", "x": 1}])).start()
        t0 = time.monotonic()
        r = read(sim, http, token)
        assert r.status_code == 200 and r.json() == {"events": [{"log_type": "admin_audit", "x": 1}]}
        assert time.monotonic() - t0 < 2


def test_concurrent_readers_get_disjoint_batches():
    with simulator(aperture_backlog_per_type=0, aperture_bulk_max=7, long_poll=0.2) as sim:
        sim.aperture.enqueue([{"log_type": "activity_monitoring", "n": i} for i in range(500)])
        token = aperture_token(sim)
        results: list[list[int]] = []
        lock = threading.Lock()

        def reader():
            with requests.Session() as http:
                mine = []
                while True:
                    r = read(sim, http, token)
                    if r.status_code == 204:
                        break
                    assert r.status_code == 200
                    mine += [e["n"] for e in r.json()["events"]]
                with lock:
                    results.append(mine)

        threads = [threading.Thread(target=reader) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        everything = [n for mine in results for n in mine]
        assert sorted(everything) == list(range(500))  # each event exactly once
        assert sum(1 for mine in results if mine) >= 2


def test_too_many_concurrent_readers_get_429():
    with simulator(aperture_backlog_per_type=0, long_poll=1.0, aperture_max_concurrent=2) as sim:
        token = aperture_token(sim)
        codes = []

        def reader():
            codes.append(
                requests.get(sim.aperture_url + BULK, headers={"Authorization": f"Bearer {token}"}).status_code
            )

        threads = [threading.Thread(target=reader) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(codes) == [204, 204, 429, 429]


def test_unread_events_expire_after_the_ttl():
    with simulator(aperture_backlog_per_type=2, aperture_ttl=0.3) as sim, requests.Session() as http:
        queued = sim.aperture.pending()
        assert queued >= 10
        time.sleep(0.4)
        assert sim.aperture.pending() == 0
        assert len(sim.aperture.expired_events()) == queued
        assert read(sim, http, aperture_token(sim, http)).status_code == 204
        sim.aperture.enqueue(n_per_type=1)
        assert read(sim, http, aperture_token(sim, http)).status_code == 200  # fresh events are served


def test_broken_bodies_are_not_json_and_their_events_are_gone():
    with simulator(aperture_broken_rate=1.0, aperture_bulk_max=10) as sim, requests.Session() as http:
        token = aperture_token(sim, http)
        bodies = []
        for _ in range(10):
            r = read(sim, http, token)
            assert r.status_code == 200
            bodies.append(r.content)
            with pytest.raises(ValueError):
                json.loads(r.content)
        assert sim.aperture.broken_bodies() == bodies == sim.aperture.delivered_bodies()
        assert len(sim.aperture.broken_events()) == 100 == len(sim.aperture.delivered_events())
        assert sim.aperture.intact_events() == []
        text = b"".join(bodies).decode()
        # The vendor's own defects: a stray '*', a trailing comma, a missing comma between fields.
        assert '*"' in text and ",}" in text
        assert any(b'" "' in b or b'null "' in b or b'0 "' in b for b in bodies)


def test_some_bodies_broken_at_a_rate():
    with (
        simulator(aperture_broken_rate=0.3, aperture_bulk_max=1, aperture_backlog_per_type=40) as sim,
        requests.Session() as http,
    ):
        drained = []
        token = aperture_token(sim, http)
        while (r := read(sim, http, token)).status_code == 200:
            drained.append(r.content)
        broken = len(sim.aperture.broken_bodies())
        assert 0.2 * len(drained) < broken < 0.4 * len(drained)
        assert len(sim.aperture.intact_events()) + len(sim.aperture.broken_events()) == len(drained)


# -- the events ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def backlog():
    sim = Simulator(
        SimConfig(end="2026-11-20T12:00:00Z", aperture_backlog_per_type=200, forcepoint_events_per_day=1)
    )
    entries = sim.aperture.queue.take(10_000, 0)
    return [e.event for e in entries], [e.text for e in entries]


def test_every_type_with_its_catalog_fields(backlog):
    events, _ = backlog
    by_type = collections.Counter(e["log_type"] for e in events)
    assert set(by_type) == set(APERTURE_TYPES)
    assert all(n >= 200 for n in by_type.values())
    for e in events:
        # what real records carry (api-facts.md), in catalog order
        assert list(e) == [f.name for f in APERTURE_TYPES[e["log_type"]].real_fields]


def test_timestamps_in_three_shapes_over_two_days(backlog):
    events, _ = backlog
    stamps = [e["timestamp"] for e in events]
    assert any(s.endswith(":00Z") or (s[-4] != "." and s.endswith("Z")) for s in stamps)
    assert any(len(s) == 24 and s[19] == "." for s in stamps)  # ….961Z
    assert any(s.endswith("Z ") for s in stamps)  # trailing space
    days = {datetime.strptime(s.strip()[:19], "%Y-%m-%dT%H:%M:%S").date().isoformat() for s in stamps}
    assert days == {"2026-11-19", "2026-11-20"}
    assert max(s.strip()[:19] for s in stamps) <= "2026-11-20T12:00:00"


def test_value_quirks(backlog):
    events, _ = backlog
    severities = [e["severity"] for e in events if "severity" in e]
    assert any(type(s) is float for s in severities) and any(type(s) is int for s in severities)
    serials = {e["serial"] for e in events}
    assert None in serials and any(isinstance(s, str) and s.isdigit() for s in serials)
    target_types = {e["target_type"] for e in events if e["log_type"] == "activity_monitoring"}
    assert "" in target_types and None in target_types
    item_types = {e["item_type"] for e in events if "item_type" in e}
    assert {"File", "file"} <= item_types
    exposures = {e["exposure"] for e in events if e["log_type"] == "incident"}
    assert any(x.isupper() for x in exposures) and any(x.islower() for x in exposures)
    actions = {e["action"] for e in events if e["log_type"] == "admin_audit"}
    assert {"sign_in", "sign_out"} <= actions


def test_byte_identical_repeats(backlog):
    _, texts = backlog
    repeats = [t for t, n in collections.Counter(texts).items() if n > 1]
    assert len(repeats) >= 5


def test_incidents_join_to_violations_and_remediations(backlog):
    events, _ = backlog
    ids = collections.defaultdict(set)
    for e in events:
        if "incident_id" in e:
            ids[e["log_type"]].add(e["incident_id"])
    assert ids["policy_violation"] <= ids["incident"]
    assert ids["remediation"] <= ids["incident"]
    assert len(ids["remediation"]) > 20
    # An incident id recurs with a later datetime_edited.
    edits = collections.defaultdict(list)
    for e in events:
        if e["log_type"] == "incident":
            edits[e["incident_id"]].append(e["datetime_edited"])
    recurring = [v for v in edits.values() if len(set(v)) > 1]
    assert recurring and all(v == sorted(v) for v in recurring)


def test_enqueue_given_events_and_generated_ones(sim, http):
    before = sim.aperture.pending()
    added = sim.aperture.enqueue([{"log_type": "incident", "incident_id": "x"}], n_per_type=3)
    assert added[0] == {"log_type": "incident", "incident_id": "x"} and len(added) >= 1 + 15
    assert sim.aperture.pending() == before + len(added)


def test_jwt_carries_the_scope(sim, http):
    token = aperture_token(sim, http)
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["scope"] == ["api_access"] and claims["client_id"] == "demo-client"
