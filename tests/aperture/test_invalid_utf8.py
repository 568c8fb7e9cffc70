"""One value that is not valid UTF-8 — raw invalid bytes in the body, or a lone surrogate escape
(`"\\ud800"`) — costs neither its body nor its event, whatever the log type: the event lands with the
value made valid (U+FFFD) in its columns and `raw` keeping the exact original (`\\uXXXX` escapes), as
Forcepoint's records do (log_assets/jsonsafe.py); the count reaches the drain's metadata."""

from __future__ import annotations

import json
import time

import dagster as dg
import pytest

from log_assets.aperture.parse import BodyError, ParsedEvent, load_events, parse_body
from log_assets.catalog import APERTURE_TYPES
from log_assets.defs.aperture.assets import aperture_landing, aperture_spool
from log_assets.defs.aperture.resources import ApertureApi
from log_assets.defs.resources import LogAssetsHome
from log_assets.simulator.aperture import bodies

from .conftest import make_event
from .helpers import canonical_id, lake_rows, quarantined_bodies

TYPES = sorted(APERTURE_TYPES)


def _body(events: list[dict]) -> bytes:
    return json.dumps({"events": events}).encode()


@pytest.mark.parametrize("log_type", TYPES)
def test_every_type_lands_events_holding_an_invalid_byte_or_a_lone_surrogate(log_type):
    events = [make_event(log_type, item_name=name) for name in ("ok-1", "bad-A", "bad-B", "ok-2")]
    body = _body(events).replace(b"bad-A", b"bad-\xffA").replace(b"bad-B", b"bad-\\ud800B")
    parsed = parse_body(body)
    assert parsed.rejected == [] and len(parsed.events) == 4
    assert [e.fields["item_name"] for e in parsed.events] == ["ok-1", "bad-\ufffdA", "bad-\ufffdB", "ok-2"]
    assert parsed.repaired == 2 and [e.repaired for e in parsed.events] == [0, 1, 1, 0]
    raws = [e.raw for e in parsed.events]
    for raw in raws:
        raw.encode("utf-8")
    assert json.loads(raws[1])["item_name"].encode("utf-8", "surrogateescape") == b"bad-\xffA"
    assert json.loads(raws[2])["item_name"] == "bad-\ud800B"
    assert raws[0] == json.dumps(events[0], separators=(",", ":"), ensure_ascii=False)
    assert len({e.event_id for e in parsed.events}) == 4
    assert all(e.event_id == canonical_id(json.loads(e.raw)) for e in parsed.events)


def test_events_differing_only_in_an_invalid_byte_stay_two_events():
    ev = make_event(item_name="X")
    body = _body([ev, dict(ev, item_name="Y")]).replace(b'"X"', b'"\xff"').replace(b'"Y"', b'"\xfe"')
    a, b = parse_body(body).events
    assert a.fields == b.fields  # the same once made valid ...
    assert a.event_id != b.event_id  # ... yet two events: neither merges the other away


def test_an_invalid_byte_in_a_key_or_the_log_type_lands_too():
    body = _body([make_event(log_type="incidentQ", other_Q="v")]).replace(b"Q", b"\xff")
    (ev,) = parse_body(body).events
    assert isinstance(ev, ParsedEvent) and ev.log_type.startswith("incident_")
    assert "other_\ufffd" in ev.fields and json.loads(ev.raw)["log_type"] == "incident\udcff"


def test_a_body_that_is_not_json_is_still_refused_whole():
    for broken in (b"\xff\xfe\x00garbage", b'{"events": [{"a": "\xff"}', b'{"events": [{"a": NaN, "b": "\xff"}]}'):
        with pytest.raises(BodyError):
            load_events(broken)


# ------------------------------------------------------------------------ end to end, over HTTP


class _Bytes(str):
    """A body text whose lone surrogates U+DC80..U+DCFF go out as the raw bytes they stand for."""

    def encode(self, encoding="utf-8", errors="strict"):
        return str.encode(self, encoding, "surrogateescape")


@pytest.mark.e2e
@pytest.mark.slow
def test_a_drain_lands_the_body_and_counts_the_repaired_values(simulator, home, monkeypatch):
    real = bodies.body
    monkeypatch.setattr(bodies, "body", lambda texts, bulk: _Bytes(real(texts, bulk)))
    from log_assets.simulator.aperture.queue import Entry

    events = [make_event(t, item_name=f"n-{i}") for i, t in enumerate(TYPES)]
    texts = [json.dumps(e) for e in events]
    texts[0] = texts[0].replace('"n-0"', '"n-\udcff0"')  # sent as the byte 0xFF
    texts[1] = texts[1].replace('"n-1"', '"n-\\ud8001"')  # a lone surrogate escape
    sim = simulator(seed=9, days=1, forcepoint_events_per_day=1, aperture_backlog_per_type=0, long_poll=0.1)
    sim.aperture.queue.put(
        [Entry({"log_type": e["log_type"]}, t, time.monotonic()) for e, t in zip(events, texts, strict=True)]
    )
    res = dg.materialize(
        [aperture_spool],
        resources={"home": LogAssetsHome(root=str(home.root)), "aperture": ApertureApi(retries=0)},
        run_config={"ops": {"aperture__spool": {"config": {"readers": 1, "budget_seconds": 20}}}},
        raise_on_error=False,
    )
    sent = [d.body for d in sim.aperture.deliveries()]
    assert res.success
    assert any(b"n-\xff0" in b for b in sent), "the simulator did not send the raw byte"
    md = {k: v.value for k, v in res.asset_materializations_for_node("aperture__spool")[0].metadata.items()}
    assert md["events_sorted"] == len(events)
    assert md["events_quarantined"] == 0 and md["bodies_quarantined"] == 0
    assert md["coercion_failures"] == 2
    assert quarantined_bodies(home) == {}
    day = events[0]["timestamp"][:10]
    landed = dg.materialize(
        [aperture_landing], partition_key=day, resources={"home": LogAssetsHome(root=str(home.root))}
    )
    assert landed.success
    rows = {json.loads(r["raw"])["item_name"]: r for r in lake_rows(home)}
    assert len(rows) == len(events)
    assert rows["n-\udcff0"]["item_name"] == "n-\ufffd0" and rows["n-\ud8001"]["item_name"] == "n-\ufffd1"
    assert all(r["event_id"] == canonical_id(json.loads(r["raw"])) for r in rows.values())
