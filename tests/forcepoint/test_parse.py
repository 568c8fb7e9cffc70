"""Forcepoint record parsing: times, ids, CSV, quarantine of unreadable records."""

from datetime import datetime, timezone

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.forcepoint.parse import IdStrategy, parse_csv, parse_records, parse_time_us


def us(*args):
    return int(datetime(*args, tzinfo=timezone.utc).timestamp()) * 1_000_000


def test_time_forms():
    assert parse_time_us("23 Dec 2021 17:13:42") == us(2021, 12, 23, 17, 13, 42)
    assert parse_time_us("01 Jan 2026 00:00:00") == us(2026, 1, 1)
    assert parse_time_us("2021-12-23T17:13:42Z") == us(2021, 12, 23, 17, 13, 42)
    assert parse_time_us("2021-12-23T17:13:42.500000Z") == us(2021, 12, 23, 17, 13, 42) + 500_000
    assert parse_time_us("2021-12-23 17:13:42") == us(2021, 12, 23, 17, 13, 42)
    for bad in (None, "", "yesterday", "32 Dec 2021 17:13:42", "23 Foo 2021 17:13:42", "23 Dec 2021 25:00:00", 12345):
        assert parse_time_us(bad) is None, bad


def test_natural_keys():
    access = IdStrategy(FORCEPOINT_TYPES["access"])
    assert access({"transactionid": "abc [23 Dec 2021 17:13:42]"}) == "abc [23 Dec 2021 17:13:42]"
    assert access({"time": "x"}) is None
    swg = IdStrategy(FORCEPOINT_TYPES["swgweb"])
    assert swg({"setransactionid": "se-1", "transactionid": "t-1"}) == "se-1"


def test_hash_key_keeps_scans_apart_and_merges_redeliveries():
    audit = IdStrategy(FORCEPOINT_TYPES["cloudaudit"])
    scan1 = {"fileid": "F1", "time": "23 Dec 2021 17:13:42", "syslogheader": "<110>1 2021-12-23T17:13:42.100000Z h", "action": "Alert", "patterns": "PCI"}
    scan2 = dict(scan1, syslogheader="<110>1 2021-12-23T17:13:42.900000Z h")
    assert audit(scan1) != audit(scan2)
    assert audit(scan1) == audit(dict(scan1))
    assert audit(scan1).startswith("F1:")
    # CSV gives every value as text and empty strings for absent fields: the id must not change.
    as_csv = {k: str(v) for k, v in scan1.items()} | {"owner": ""}
    assert audit(as_csv) == audit(scan1)
    # A field that only newer collector versions send does not change identity.
    assert audit(dict(scan1, actor="someone")) == audit(scan1)
    summary = IdStrategy(FORCEPOINT_TYPES["cloudsummary"])
    a = {"fileid": "F1", "time": "23 Dec 2021 17:13:42", "status": "Public"}
    assert summary(a) != summary(dict(a, status="Private"))


def test_unreadable_records_are_rejected_with_raw_kept():
    lt = FORCEPOINT_TYPES["access"]
    page = parse_records(
        lt,
        [
            {"time": "23 Dec 2021 17:13:42", "transactionid": "ok-1"},
            {"time": "not a time", "transactionid": "bad-time"},
            {"time": "23 Dec 2021 17:13:42"},
            ["not", "an", "object"],
        ],
        ingested_us=0,
    )
    assert [r["event_id"] for r in page.rows] == ["ok-1"]
    assert len(page.rejected) == 3
    raws = [raw for raw, _ in page.rejected]
    assert any("bad-time" in r for r in raws) and any('"not"' in r for r in raws)


def test_csv_hazards_round_trip():
    text = 'time,transactionid,pagetitle\r\n23 Dec 2021 17:13:42,t1,"a, ""quoted""\nmulti-line é"\r\n23 Dec 2021 17:13:43,t2,\r\n'
    records, bad = parse_csv(text)
    assert bad == []
    assert records == [
        {"time": "23 Dec 2021 17:13:42", "transactionid": "t1", "pagetitle": 'a, "quoted"\nmulti-line é'},
        {"time": "23 Dec 2021 17:13:43", "transactionid": "t2", "pagetitle": ""},
    ]


def test_csv_row_with_wrong_width_is_kept_as_bad_row():
    records, bad = parse_csv("time,transactionid\r\n23 Dec 2021 17:13:42,t1\r\n23 Dec 2021 17:13:43,t2,extra\r\n")
    assert [r["transactionid"] for r in records] == ["t1"]
    assert len(bad) == 1 and "extra" in bad[0][0]
