"""The validator refuses what OCSF 1.8.0 refuses; the mappings' type checks are the schema's own."""

from __future__ import annotations

import copy

import duckdb

from log_assets.ocsf.schema import type_pattern
from log_assets.ocsf.validate import row_to_event, validate_event
from log_assets.warehouse.ocsftables import macros

GOOD = {
    "class_uid": 3002,
    "category_uid": 3,
    "activity_id": 1,
    "type_uid": 300201,
    "severity_id": 1,
    "time": 1775030400000,
    "metadata": {"version": "1.8.0", "product": {"name": "Forcepoint ONE SSE", "vendor_name": "Forcepoint"}},
    "user": {"name": "alice"},
    "service": {"name": "Salesforce"},
}


def broken(**change) -> dict:
    event = copy.deepcopy(GOOD)
    for path, value in change.items():
        *parents, leaf = path.split("__")
        target = event
        for p in parents:
            target = target[p]
        if value is None:
            del target[leaf]
        else:
            target[leaf] = value
    return event


def test_a_valid_event_passes():
    assert validate_event(GOOD) == []


def test_missing_required_attribute():
    errors = validate_event(broken(user=None))
    assert errors and "'user' is a required property" in errors[0]
    assert validate_event(broken(metadata__version=None))  # in an object


def test_wrong_enum_and_type_uid():
    assert any("activity_id" in e for e in validate_event(broken(activity_id=42, type_uid=300242)))
    assert any("type_uid" in e for e in validate_event(broken(type_uid=300202)))  # not class*100+activity
    assert any("severity_id" in e for e in validate_event(broken(severity_id=7)))


def test_wrong_types_and_constraints():
    assert validate_event(broken(time="2026-04-01T08:00:00Z"))  # timestamp_t is epoch milliseconds
    assert validate_event(broken(user={"email_addr": "a@b.c"}))  # user needs a name or uid
    assert validate_event(broken(service=None))  # authentication: service or dst_endpoint
    assert validate_event(broken(src_endpoint={"ip": "10.0.0.999"}))  # ip_t
    assert validate_event(broken(color="red"))  # no such attribute
    assert validate_event(broken(class_uid=9999))


def test_row_to_event_drops_nulls_and_the_partition():
    row = {
        "event_day": "2026-04-01",
        "user": {"name": "alice", "email_addr": None},
        "message": None,
        "x": [None, 1],
    }
    assert row_to_event(row) == {"user": {"name": "alice"}, "x": [1]}


def test_type_checks_follow_the_schema():
    con = duckdb.connect()
    con.execute(macros())
    assert "[a-zA-Z0-9" in type_pattern("user", "email_addr")
    cases = [
        ("ocsf_ip('10.1.2.3')", "10.1.2.3"),
        ("ocsf_ip(' 2001:db8::1 ')", "2001:db8::1"),
        ("ocsf_ip('10.1.2.300')", None),
        ("ocsf_ip('not an address')", None),
        ("ocsf_email('Upper@Case.com')", "Upper@Case.com"),
        ("ocsf_email('Upper Case')", None),
        ("ocsf_port('443')", 443),
        ("ocsf_port(70000)", None),
        ("ocsf_text('None')", None),
        ("ocsf_texts(['', 'a', '[]'])", ["a"]),
    ]
    for expr, want in cases:
        assert con.execute(f"SELECT {expr}").fetchone()[0] == want, expr
