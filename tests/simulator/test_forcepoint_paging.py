"""Token paging: every distinct event of a window arrives, then the API reports caught-up."""

import base64
import json
import time
from datetime import UTC, datetime

import pytest

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.simulator import SimConfig, Simulator
from log_assets.simulator.testing import fetch_forcepoint, forcepoint_headers, simulator

ALL_DAYS = ["2026-11-18", "2026-11-19", "2026-11-20"]  # test defaults: 3 days up to 2026-11-20T12:00Z


def canon(record: dict) -> str:
    return json.dumps(record, sort_keys=True)


def truth(sim, log_type, cv="1.1.5", days=ALL_DAYS, fmt="json"):
    return [r for d in days for r in sim.forcepoint.distinct_events(log_type, day=d, cv=cv, fmt=fmt)]


def page(sim, http, **params):
    p = {"type": "access", "cv": "1.1.5", "responseformat": "json"}
    p.update(params)
    r = http.get(sim.forcepoint_url, params=p, headers=forcepoint_headers(sim))
    assert r.status_code == 200, r.text
    body = r.json()
    return body["response"]["data"], body["nextpagetoken"]


def first_occurrences(records: list[dict]) -> list[dict]:
    seen, out = set(), []
    for r in records:
        if canon(r) not in seen:
            seen.add(canon(r))
            out.append(r)
    return out


def decode(token: str) -> dict:
    return json.loads(base64.b64decode(token))


def test_window_and_volume(sim):
    assert sim.forcepoint.days("access") == ALL_DAYS
    per_day = [len(sim.forcepoint.distinct_events("access", day=d)) for d in ALL_DAYS]
    assert per_day == [60, 60, 30]  # the last day is half over at 12:00
    # 1% of 150 events come twice.
    assert sim.forcepoint.stream_length("access") == 152


@pytest.mark.parametrize("log_type", sorted(FORCEPOINT_TYPES))
def test_paging_returns_every_distinct_event_then_caught_up(sim, http, log_type):
    records, last_token, pages = fetch_forcepoint(sim, log_type, "2026-11-18T00:00:00Z", session=http)
    expected = truth(sim, log_type)
    assert len(expected) == 150
    assert sorted(set(map(canon, records))) == sorted(map(canon, expected))
    # Re-deliveries are exact copies of events already served; nothing else repeats.
    assert len(records) == sim.forcepoint.stream_length(log_type)
    # 152 records in pages of 50: 4 pages, then one empty answer.
    assert pages == 5
    data, token = page(sim, http, type=log_type, nextpagetoken=last_token)
    assert data == [] and token == last_token  # still caught up: the same token comes back


def test_tokens_are_base64_json_with_plus_slash_and_equals(sim, http):
    tokens = []
    for log_type in ("access", "swgweb"):
        params = {"type": log_type, "startdate": "2026-11-18T00:00:00Z"}
        for _ in range(3):
            _, token = page(sim, http, **params)
            tokens.append((log_type, token))
            params = {"type": log_type, "nextpagetoken": token}
    for log_type, token in tokens:
        assert "+" in token and "/" in token and token.endswith("="), token
        fields = decode(token)
        if log_type == "swgweb":
            assert {"start_time", "end_time", "page"} <= set(fields)
            assert fields["start_time"] == "2026-11-18T00:00:00Z"
        else:
            assert {"log_id", "datetime"} <= set(fields)
            assert isinstance(fields["log_id"], int)
            datetime.strptime(fields["datetime"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert [decode(t)["log_id"] for lt, t in tokens if lt == "access"] == [50, 100, 150]
    assert [decode(t)["page"] for lt, t in tokens if lt == "swgweb"] == [1, 2, 3]


def test_startdate_starts_at_the_first_event_at_or_after_it(sim, http):
    day = sim.forcepoint.distinct_events("access", day="2026-11-19")
    # A start between two events' seconds: the first record served is the first one at or after it.
    times = [datetime.strptime(r["time"], "%d %b %Y %H:%M:%S").replace(tzinfo=UTC) for r in day]
    i = next(k for k in range(1, len(times)) if times[k] > times[k - 1])
    start = times[i]
    data, _ = page(sim, http, startdate=start.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert i > 0 and data[0] == day[i]
    served = first_occurrences(data)
    assert served == day[i : i + len(served)]


def test_every_day_starts_with_an_event_at_midnight(sim):
    for log_type in FORCEPOINT_TYPES:
        for d in ALL_DAYS:
            first = sim.forcepoint.distinct_events(log_type, day=d)[0]
            assert first["time"] == datetime.strptime(d, "%Y-%m-%d").strftime("%d %b %Y 00:00:00"), (log_type, d)
    last = sim.forcepoint.distinct_events("access", day="2026-11-18")[-1]
    assert last["time"] == "18 Nov 2026 23:59:59"
    assert last["syslogheader"].split()[1] == "2026-11-18T23:59:59.999000Z"


def test_startdate_past_the_end_gives_an_empty_page_and_empty_token(sim, http):
    data, token = page(sim, http, startdate="2026-11-21T00:00:00Z")
    assert data == []
    assert token == "e30=" and decode(token) == {}
    # The "{}" token itself leads nowhere either.
    assert page(sim, http, nextpagetoken=token) == ([], "e30=")


@pytest.mark.parametrize("log_type", ["access", "swgweb"])
def test_last_token_returns_events_appended_since(sim, http, log_type):
    records, token, _ = fetch_forcepoint(sim, log_type, "2026-11-20T00:00:00Z", session=http)
    assert len(records) >= 30
    at = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
    sim.forcepoint.append(log_type, 7, at=at)
    data, token2 = page(sim, http, type=log_type, nextpagetoken=token)
    assert len(data) == 7
    assert {r["time"] for r in data} == {"20 Nov 2026 12:30:00"}
    assert token2 != token
    assert page(sim, http, type=log_type, nextpagetoken=token2) == ([], token2)
    # Ground truth knows them too.
    assert len(sim.forcepoint.distinct_events(log_type, day="2026-11-20")) == 30 + 7


def test_an_event_appended_behind_the_newest_is_not_lost(sim, http):
    _, token, _ = fetch_forcepoint(sim, "swgweb", "2026-11-20T00:00:00Z", session=http)
    sim.forcepoint.append("swgweb", 1, at=datetime(2026, 11, 20, 1, 0, tzinfo=UTC))  # a late arrival
    data, _ = page(sim, http, type="swgweb", nextpagetoken=token)
    assert [r["time"] for r in data] == ["20 Nov 2026 01:00:00"]


def test_swgweb_pages_are_newest_first(sim, http):
    for log_type in ("swgweb", "swgwebdlp"):
        data, _ = page(sim, http, type=log_type, startdate="2026-11-18T00:00:00Z")
        times = [datetime.strptime(r["time"], "%d %b %Y %H:%M:%S") for r in data]
        assert times == sorted(times, reverse=True) and times[0] > times[-1]
        # Read backwards, the page is the start of the stream: the oldest events.
        served = first_occurrences(data[::-1])
        assert len(served) >= 48
        assert served == sim.forcepoint.distinct_events(log_type, day="2026-11-18")[: len(served)]


def test_access_pages_are_oldest_first(sim, http):
    data, _ = page(sim, http, startdate="2026-11-18T00:00:00Z")
    served = first_occurrences(data)
    assert len(served) >= 48
    assert served == sim.forcepoint.distinct_events("access", day="2026-11-18")[: len(served)]


def test_cv_decides_the_fields(sim, http):
    lt = FORCEPOINT_TYPES["access"]
    for cv in ("1.0.1", "1.0.9", "1.1.4", "1.1.5"):
        data, _ = page(sim, http, cv=cv, startdate="2026-11-18T00:00:00Z")
        assert list(data[0]) == [f.name for f in lt.fields_for_cv(cv) if f.real], cv
    data, _ = page(sim, http, cv="1.0.1", startdate="2026-11-18T00:00:00Z")
    assert "responsecode" not in data[0] and "usergroup" not in data[0]
    data, _ = page(sim, http, cv="1.1.7", type="cloudaudit", startdate="2026-11-18T00:00:00Z")
    assert {"actor", "actoripaddress", "enterprisename"} <= set(data[0])
    # The same event at two versions: the older one is the newer one minus its newer fields.
    old = sim.forcepoint.distinct_events("access", day="2026-11-19", cv="1.0.1")[0]
    new = sim.forcepoint.distinct_events("access", day="2026-11-19", cv="1.1.5")[0]
    assert old == {k: new[k] for k in old}


def test_duplicates_are_identical_redeliveries():
    with simulator(forcepoint_events_per_day=1000, days=1, duplicate_rate=0.05, page_size=1000) as sim:
        records, _, _ = fetch_forcepoint(sim, "access", "2026-11-20T00:00:00Z")
        distinct = {canon(r) for r in records}
        assert len(distinct) == len(sim.forcepoint.distinct_events("access", day="2026-11-20")) == 500
        assert len(records) - len(distinct) == 25  # 5% of 500
        ids = [r["transactionid"] for r in records]
        assert len(set(ids)) == 500
        # A re-delivery comes "a little later": within 200 records of the original.
        first = {}
        for i, t in enumerate(ids):
            if t in first:
                assert 0 < i - first[t] <= 200 + 25
            first.setdefault(t, i)


def test_same_seed_same_events_other_seed_other_events():
    a = Simulator(SimConfig(seed=1, end="2026-11-20T00:00:00Z", days=1, forcepoint_events_per_day=20))
    b = Simulator(SimConfig(seed=1, end="2026-11-20T00:00:00Z", days=1, forcepoint_events_per_day=20))
    c = Simulator(SimConfig(seed=2, end="2026-11-20T00:00:00Z", days=1, forcepoint_events_per_day=20))
    ea = a.forcepoint.distinct_events("access", day="2026-11-19")
    assert len(ea) == 20
    assert ea == b.forcepoint.distinct_events("access", day="2026-11-19")
    assert ea != c.forcepoint.distinct_events("access", day="2026-11-19")


def test_end_at_midnight_means_whole_days():
    sim = Simulator(SimConfig(end="2026-11-20T00:00:00Z", days=2, forcepoint_events_per_day=10))
    assert sim.forcepoint.days("admin") == ["2026-11-18", "2026-11-19"]


def test_a_million_events_a_day_are_generated_lazily():
    t0 = time.perf_counter()
    sim = Simulator(SimConfig(end="2026-11-20T00:00:00Z", days=1, forcepoint_events_per_day={"access": 1_000_000}))
    assert time.perf_counter() - t0 < 3
    stream = sim.forcepoint.streams["access"]
    assert stream.event_count == 1_000_000
    # Only small arrays are held: times and re-delivery positions (well under 20 MB).
    held = stream.times.nbytes + stream.dup_pos.nbytes + stream.dup_src.nbytes + stream.dup_after.nbytes
    assert held < 20_000_000
    with sim:
        import requests

        r = requests.get(
            sim.forcepoint_url,
            headers=forcepoint_headers(sim),
            params={
                "type": "access",
                "cv": "1.1.5",
                "responseformat": "json",
                "startdate": "2026-11-19T12:00:00Z",
            },
        )
        data = r.json()["response"]["data"]
        assert len(data) == 1000
        assert data[0]["time"].startswith("19 Nov 2026 12:00:0")
