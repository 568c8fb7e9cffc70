import json
import re
from datetime import UTC, datetime

import pytest

from log_assets import jsonsafe
from log_assets.aperture.parse import (
    BodyError,
    ParsedEvent,
    RejectedEvent,
    event_id,
    load_events,
    normalize_log_type,
    parse_body,
    parse_event,
    parse_timestamp,
)

UTC = UTC


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2020-05-08T23:50:55Z", datetime(2020, 5, 8, 23, 50, 55, tzinfo=UTC)),
        ("2020-05-08T23:50:55Z ", datetime(2020, 5, 8, 23, 50, 55, tzinfo=UTC)),
        ("  2017-02-17T00:18:58.961Z", datetime(2017, 2, 17, 0, 18, 58, 961000, tzinfo=UTC)),
        ("2017-02-17T00:18:58.961123456Z", datetime(2017, 2, 17, 0, 18, 58, 961123, tzinfo=UTC)),
        ("2017-02-17 00:18:58", datetime(2017, 2, 17, 0, 18, 58, tzinfo=UTC)),
        ("2017-02-17T01:18:58+01:00", datetime(2017, 2, 17, 0, 18, 58, tzinfo=UTC)),
        ("2017-02-16T23:18:58-0100", datetime(2017, 2, 17, 0, 18, 58, tzinfo=UTC)),
        ("2017-02-17", datetime(2017, 2, 17, tzinfo=UTC)),
        (1487290738, datetime(2017, 2, 17, 0, 18, 58, tzinfo=UTC)),
        (1487290738961, datetime(2017, 2, 17, 0, 18, 58, 961000, tzinfo=UTC)),
    ],
)
def test_lenient_timestamps(text, expected):
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "yesterday", "2020-13-01T00:00:00Z", "2020-05-08T25:00:00Z", None, True, [], "2020-05-08T23:50:55+25:00"],
)
def test_bad_timestamps(text):
    assert parse_timestamp(text) is None


def test_event_id_is_canonical_and_as_received():
    a = {"log_type": "incident", "severity": 1.0, "serial": None}
    b = {"serial": None, "severity": 1.0, "log_type": "incident"}
    assert event_id(a) == event_id(b)  # key order does not matter
    assert event_id(a) != event_id({**a, "severity": 1})  # 1.0 and 1 were received differently
    assert event_id(a) != event_id({**a, "item_type": "File"})
    assert event_id({"item_type": "File"}) != event_id({"item_type": "file"})
    assert len(event_id(a)) == 64


def test_body_shapes():
    assert load_events(b'{"events": [{"a": 1}]}') == [{"a": 1}]
    assert load_events(b'{"events": []}') == []
    assert load_events(b'{"events": null}') == []
    assert load_events(b'[{"a": 1}]') == [{"a": 1}]
    assert (
        load_events(b'{"log_type": "incident", "timestamp": "2020-01-01T00:00:00Z"}')[0]["log_type"] == "incident"
    )
    for broken in [
        # vendor example
        b'{"events": [{"log_type": "remediation", "item_creator" : "John Smith" "container_name": "x"}]}',
        b'{"events": [',
        b"\xff\xfe\x00garbage",
        b'{"events": [{"severity": NaN}]}',
        b'{"events": {"a": 1}}',
        b'"just a string"',
        b'{"other": 1}',
        b"",
    ]:
        with pytest.raises(BodyError):
            load_events(broken)


def test_bad_events_are_rejected_alone():
    events = [
        {"log_type": "incident", "timestamp": "2020-05-08T23:50:55Z "},
        {"timestamp": "2020-05-08T23:50:55Z"},
        {"log_type": "incident", "timestamp": "not a time"},
        {"log_type": "incident"},
        "a string",
        {"log_type": "  Policy_Violation ", "timestamp": "2020-05-09T00:00:00.5Z"},
    ]
    parsed = parse_body(json.dumps({"events": events}).encode())
    assert [e.log_type for e in parsed.events] == ["incident", "policy_violation"]
    assert [r.index for r in parsed.rejected] == [1, 2, 3, 4]
    assert all(isinstance(r, RejectedEvent) and r.reason for r in parsed.rejected)
    assert parsed.events[1].day == "2020-05-09"


def test_raw_keeps_received_order_and_values():
    ev = {
        "timestamp": "2020-05-08T23:50:55Z ",
        "log_type": "incident",
        "severity": 2,
        "serial": "0123",
        "name": "naïve",
    }
    parsed = parse_event(0, ev)
    assert isinstance(parsed, ParsedEvent)
    assert json.loads(parsed.raw) == ev
    assert parsed.raw.index("timestamp") < parsed.raw.index("log_type")
    assert "naïve" in parsed.raw


def test_lone_surrogates_do_not_break_rows():
    body = b'{"events": [{"log_type": "incident", "timestamp": "2020-05-08T23:50:55Z", "item_name": "x\\ud800y"}]}'
    parsed = parse_body(body)
    ev = parsed.events[0]
    ev.raw.encode("utf-8")
    ev.fields["item_name"].encode("utf-8")
    assert json.loads(ev.raw)["item_name"] == "x\ud800y"


def test_normalize_log_type():
    assert normalize_log_type("Incident ") == "incident"
    assert normalize_log_type("new_type") == "new_type"
    assert re.fullmatch(r"etc_[0-9a-f]{10}", normalize_log_type("../../etc"))
    assert re.fullmatch(r"new_type_[0-9a-f]{10}", normalize_log_type("new type!"))
    assert normalize_log_type("") is None
    assert normalize_log_type(3) is None
    assert normalize_log_type("///") is None


def test_log_type_names_are_safe_deterministic_and_distinct():
    names = {
        raw: normalize_log_type(raw)
        for raw in ("x" * 300, "x" * 301, "é" * 300, "2fa_events", "new-type", "new type", "new_type", "NEW_TYPE")
    }
    for raw, name in names.items():
        assert name and re.fullmatch(r"[a-z][a-z0-9_]*", name) and len(name) <= 64, (raw, name)
        assert normalize_log_type(raw) == name  # the same name every time
    assert names["new_type"] == names["NEW_TYPE"] == "new_type"  # case does not matter
    distinct = [
        names[r] for r in ("x" * 300, "x" * 301, "é" * 300, "2fa_events", "new-type", "new type", "new_type")
    ]
    assert len(set(distinct)) == len(distinct), names  # different received names never share a folder


def test_a_deep_event_and_an_out_of_range_time_are_quarantined_alone():
    deep: dict = {"leaf": 1}
    for _ in range(1000):
        deep = {"a": deep}
    events = [
        {"log_type": "incident", "timestamp": "2026-11-20T01:00:00Z", "nested": deep},
        {"log_type": "incident", "timestamp": "9999-12-31T23:59:59Z"},
        {"log_type": "incident", "timestamp": "2026-11-20T01:00:01Z"},
    ]
    parsed = parse_body(jsonsafe.dumps({"events": events}).encode())  # json.dumps cannot write it
    assert [e.event_time.isoformat() for e in parsed.events] == ["2026-11-20T01:00:01+00:00"]
    assert sorted(r.reason for r in parsed.rejected) == [
        "event nested more than 64 levels deep",
        "timestamp out of range '9999-12-31T23:59:59Z'",
    ]
