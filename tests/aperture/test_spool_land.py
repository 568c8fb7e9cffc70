import json
import os
import time
from pathlib import Path

import pytest

from log_assets.aperture.land import land_day
from log_assets.aperture.spool import Spool, is_empty_body, sort_bodies
from log_assets.lake.lake import Lake
from log_assets.storage import Storage
from tests.lakeview import lake_days, lake_table, write_lake_day

from .conftest import make_event
from .helpers import canonical_id, lake_rows, quarantined_bodies

BROKEN = b'{"events": [{"log_type": "incident", "timestamp": "2026-11-20T10:00:00Z" "severity": 1}]}'


def spool_bodies(spool: Spool, bodies: list[bytes]):
    for i, b in enumerate(bodies):
        spool.write_body(b, spool.new_body_name(0, i))


def land_all(spool: Spool):
    return [land_day(spool, t, d) for (t, d) in sorted(spool.pending_partitions())]


def test_sort_and_land_routes_by_type_and_day(home):
    spool = Spool(home).ensure()
    day1 = [make_event("incident", "2026-11-19T23:59:59.999Z") for _ in range(3)]
    day2 = [make_event("incident", "2026-11-20T00:00:00Z ") for _ in range(2)]
    audit = [make_event("admin_audit", "2026-11-20T08:00:00Z", admin_id="a@x")]
    unknown = [make_event("brand_new_type", "2026-11-20T08:00:00Z")]
    spool_bodies(
        spool, [json.dumps({"events": day1 + day2}).encode(), json.dumps({"events": audit + unknown}).encode()]
    )

    report = sort_bodies(spool)
    assert report.events == 7 and report.bodies == 2 and report.bodies_quarantined == 0
    assert spool.list_bodies() == []
    assert set(spool.pending_partitions()) == {
        ("incident", "2026-11-19"),
        ("incident", "2026-11-20"),
        ("admin_audit", "2026-11-20"),
        ("brand_new_type", "2026-11-20"),
    }
    land_all(spool)
    assert spool.pending_partitions() == {}

    rows = lake_rows(home)
    by_id = {r["event_id"]: r for r in rows}
    assert len(rows) == len(by_id) == 7
    for ev in day1 + day2 + audit + unknown:
        r = by_id[canonical_id(ev)]
        assert json.loads(r["raw"]) == ev
        assert r["vendor"] == "aperture" and r["log_type"] == ev["log_type"]
        assert (r["table"], r["event_day"]) == (ev["log_type"], r["event_time"].date())
    assert {by_id[canonical_id(e)]["event_time"].date().isoformat() for e in day1} == {"2026-11-19"}
    assert {by_id[canonical_id(e)]["event_time"].date().isoformat() for e in day2} == {"2026-11-20"}


def test_quirks_typed_columns(home):
    spool = Spool(home).ensure()
    evs = [
        make_event(
            "incident", "2026-11-20T01:00:00Z", severity=1, serial=None, item_type="File", item_size="1335"
        ),
        make_event(
            "incident", "2026-11-20T01:00:01.961Z", severity=4.0, serial="0042", item_type="file", item_size=7
        ),
        make_event("policy_violation", "2026-11-20T01:00:02Z ", severity="2", serial=12345, item_type="FILE"),
        make_event("activity_monitoring", "2026-11-20T01:00:03Z", target_type="", target_name=None),
    ]
    spool_bodies(spool, [json.dumps({"events": evs}).encode()])
    sort_bodies(spool)
    land_all(spool)
    rows = {r["event_id"]: r for r in lake_rows(home)}
    inc1, inc2, pv, am = (rows[canonical_id(e)] for e in evs)
    assert (inc1["severity"], inc2["severity"], pv["severity"]) == (1.0, 4.0, 2.0)
    assert (inc1["serial"], inc2["serial"], pv["serial"]) == (None, "0042", "12345")
    assert (inc1["item_type"], inc2["item_type"], pv["item_type"]) == ("File", "file", "FILE")
    assert (inc1["item_size"], inc2["item_size"]) == (1335, 7)
    assert am["target_type"] is None and am["target_name"] is None  # "" is NULL in typed columns (raw keeps it)


def test_broken_body_quarantined_byte_for_byte(home):
    spool = Spool(home).ensure()
    good = make_event()
    spool_bodies(spool, [BROKEN, json.dumps({"events": [good]}).encode()])
    report = sort_bodies(spool)
    assert report.bodies_quarantined == 1 and report.events == 1
    q = quarantined_bodies(home)
    assert list(q.values()) == [BROKEN]
    name = next(iter(q))
    note = json.loads((home.quarantine / "aperture" / name.replace(".json", ".note.json")).read_text())
    assert "unparseable" in note["reason"] and note["bytes"] == len(BROKEN)
    assert oct((home.quarantine / "aperture" / name).stat().st_mode & 0o777) == "0o600"
    land_all(spool)
    assert [r["event_id"] for r in lake_rows(home)] == [canonical_id(good)]


def test_bad_events_quarantined_rest_lands(home):
    spool = Spool(home).ensure()
    good = make_event()
    bad_time = make_event(timestamp="17 Feb 2017 00:18")
    no_type = {"timestamp": "2026-11-20T00:00:00Z", "x": 1}
    body = json.dumps({"events": [good, bad_time, no_type]}).encode()
    spool_bodies(spool, [body])
    report = sort_bodies(spool)
    assert report.events == 1 and report.events_quarantined == 2 and report.bodies_partly_quarantined == 1
    assert list(quarantined_bodies(home).values()) == [body]
    note_path = next((home.quarantine / "aperture").glob("*.note.json"))
    note = json.loads(note_path.read_text())
    assert [r["index"] for r in note["rejected"]] == [1, 2]
    land_all(spool)
    assert [r["event_id"] for r in lake_rows(home)] == [canonical_id(good)]


def test_identical_repeats_merge_and_replays_are_idempotent(home):
    spool = Spool(home).ensure()
    evs = [make_event() for _ in range(5)]
    body = json.dumps({"events": evs + [evs[0]]}).encode()  # a byte-identical repeat inside a body
    spool_bodies(spool, [body])
    sort_bodies(spool)
    reports = land_all(spool)
    assert sum(r.landed for r in reports) == 5 and sum(r.duplicates for r in reports) == 1
    # The same body again (e.g. a sort repeated after a crash): nothing new.
    spool_bodies(spool, [body])
    sort_bodies(spool)
    reports = land_all(spool)
    assert sum(r.landed for r in reports) == 0 and sum(r.duplicates for r in reports) == 6
    rows = lake_rows(home)
    assert sorted(r["event_id"] for r in rows) == sorted(canonical_id(e) for e in evs)


def test_crash_between_inbox_write_and_body_delete(home, monkeypatch):
    spool = Spool(home).ensure()
    evs = [make_event() for _ in range(4)]
    spool_bodies(spool, [json.dumps({"events": evs[:2]}).encode(), json.dumps({"events": evs[2:]}).encode()])
    real_delete = Storage.delete

    def crash(self, key):
        if key.startswith(spool.bodies + "/"):
            raise KeyboardInterrupt("killed")
        return real_delete(self, key)

    monkeypatch.setattr(Storage, "delete", crash)
    with pytest.raises(KeyboardInterrupt):
        sort_bodies(spool)
    monkeypatch.setattr(Storage, "delete", real_delete)
    assert len(spool.list_bodies()) == 2  # bodies survive until their events are in the inbox
    sort_bodies(spool)
    assert spool.list_bodies() == []
    land_all(spool)
    assert sorted(r["event_id"] for r in lake_rows(home)) == sorted(canonical_id(e) for e in evs)


def test_crash_between_lake_write_and_inbox_delete(home, monkeypatch):
    spool = Spool(home).ensure()
    evs = [make_event() for _ in range(3)]
    spool_bodies(spool, [json.dumps({"events": evs}).encode()])
    sort_bodies(spool)
    real_delete = Storage.delete

    def crash(self, key):
        if key.startswith(spool.inbox + "/"):
            raise KeyboardInterrupt("killed")
        return real_delete(self, key)

    monkeypatch.setattr(Storage, "delete", crash)
    with pytest.raises(KeyboardInterrupt):
        land_all(spool)
    monkeypatch.setattr(Storage, "delete", real_delete)
    assert spool.pending_partitions()  # still there
    reports = land_all(spool)
    assert sum(r.landed for r in reports) == 0 and sum(r.duplicates for r in reports) == 3
    assert sorted(r["event_id"] for r in lake_rows(home)) == sorted(canonical_id(e) for e in evs)
    assert spool.pending_partitions() == {}


def test_a_day_of_many_files_is_compacted(home):
    spool = Spool(home).ensure()
    all_events, reports = [], []
    for i in range(5):
        evs = [make_event("remediation", f"2026-11-20T0{i}:00:00Z") for _ in range(2)]
        all_events += evs
        spool_bodies(spool, [json.dumps({"events": evs}).encode()])
        sort_bodies(spool)
        reports.append(land_day(spool, "remediation", "2026-11-20", compact_at=3))
    # The fourth land made a fourth file: more than 3, rewritten as one; the fifth added one more.
    assert [(r.compacted, r.files) for r in reports] == [(False, 1), (False, 2), (False, 3), (True, 1), (False, 2)]
    assert reports[-1].rows == 10
    assert lake_days(home, "aperture", "remediation") == {"2026-11-20": 10}
    assert sorted(r["event_id"] for r in lake_rows(home)) == sorted(canonical_id(e) for e in all_events)


def test_catalog_change_rebuilds_from_raw(home):
    """A day written before a typed column existed is rewritten with it, from raw."""

    spool = Spool(home).ensure()
    ev = make_event("incident", "2026-11-20T05:00:00Z", item_size="99")
    spool_bodies(spool, [json.dumps({"events": [ev]}).encode()])
    sort_bodies(spool)
    land_all(spool)
    # The day as an older catalog, without the item_size column, wrote it.
    old = lake_table(home, "aperture", "incident").drop_columns(["item_size", "event_day"])
    with Lake.for_home(home) as lake:
        lake.catalog.purge_table(("aperture", "incident"))
    write_lake_day(home, "aperture", "incident", "2026-11-20", old)
    assert "item_size" not in lake_table(home, "aperture", "incident").column_names
    spool_bodies(spool, [json.dumps({"events": [make_event("incident", "2026-11-20T06:00:00Z")]}).encode()])
    sort_bodies(spool)
    r = land_day(spool, "incident", "2026-11-20")
    assert r.compacted and r.rows == 2 and r.landed == 1
    rows = {x["event_id"]: x for x in lake_rows(home, "incident")}
    assert rows[canonical_id(ev)]["item_size"] == 99


def test_recover_temp_body_of_dead_writer(home):
    spool = Spool(home).ensure()
    ev = make_event()
    tmp = spool.local_dir(spool.bodies) / ".20261120T000000.000000Z-p1-r0-000001-abcdef.json.xyz.tmp"
    tmp.write_bytes(json.dumps({"events": [ev]}).encode())
    old = time.time() - 3600
    os.utime(tmp, (old, old))
    fresh = spool.local_dir(spool.bodies) / ".20261120T000001.000000Z-p1-r0-000002-abcdef.json.xyz.tmp"
    fresh.write_bytes(b"{")
    assert spool.recover_temp_bodies() == 1
    assert fresh.exists()  # may belong to a live writer
    sort_bodies(spool)
    land_all(spool)
    assert [r["event_id"] for r in lake_rows(home)] == [canonical_id(ev)]


def test_empty_body_detection():
    assert is_empty_body(b'{"events": []}') and is_empty_body(b'{"events":null}\n') and is_empty_body(b"[]")
    assert not is_empty_body(b'{"events": [{}]}') and not is_empty_body(b"{")


def test_spool_is_private(home):
    spool = Spool(home).ensure()
    body = spool.write_body(b'{"events": []}', spool.new_body_name(0, 1))
    assert Path(spool.storage.fs_path(body.key)).stat().st_mode & 0o077 == 0
    assert spool.local_dir(spool.root).stat().st_mode & 0o077 == 0
