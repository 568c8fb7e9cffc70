"""Forcepoint record parsing: times, ids, CSV, quarantine of unreadable records."""

import random
from datetime import UTC, datetime

import pytest

from log_assets.catalog import FORCEPOINT_TYPES, INT, STRING
from log_assets.forcepoint.csvpage import parse_csv
from log_assets.forcepoint.parse import IdStrategy, parse_page, parse_records, parse_time_us
from log_assets.lake.schema import Coercer, build_table, typed_fields


def us(*args):
    return int(datetime(*args, tzinfo=UTC).timestamp()) * 1_000_000


def test_time_forms():
    assert parse_time_us("23 Dec 2021 17:13:42") == us(2021, 12, 23, 17, 13, 42)
    assert parse_time_us("01 Jan 2026 00:00:00") == us(2026, 1, 1)
    assert parse_time_us("2021-12-23T17:13:42Z") == us(2021, 12, 23, 17, 13, 42)
    assert parse_time_us("2021-12-23T17:13:42.500000Z") == us(2021, 12, 23, 17, 13, 42) + 500_000
    assert parse_time_us("2021-12-23 17:13:42") == us(2021, 12, 23, 17, 13, 42)
    for bad in (
        None,
        "",
        "yesterday",
        "32 Dec 2021 17:13:42",
        "23 Foo 2021 17:13:42",
        "23 Dec 2021 25:00:00",
        12345,
    ):
        assert parse_time_us(bad) is None, bad


def test_natural_keys():
    access = IdStrategy(FORCEPOINT_TYPES["access"])
    assert access({"transactionid": "abc [23 Dec 2021 17:13:42]"}) == "abc [23 Dec 2021 17:13:42]"
    assert access({"time": "x"}) is None
    swg = IdStrategy(FORCEPOINT_TYPES["swgweb"])
    assert swg({"setransactionid": "se-1", "transactionid": "t-1"}) == "se-1"


def test_hash_key_keeps_scans_apart_and_merges_redeliveries():
    audit = IdStrategy(FORCEPOINT_TYPES["cloudaudit"])
    scan1 = {
        "fileid": "F1",
        "time": "23 Dec 2021 17:13:42",
        "syslogheader": "<110>1 2021-12-23T17:13:42.100000Z h",
        "action": "Alert",
        "patterns": "PCI",
    }
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
    text = (
        "time,transactionid,pagetitle\r\n"
        '23 Dec 2021 17:13:42,t1,"a, ""quoted""\nmulti-line é"\r\n'
        "23 Dec 2021 17:13:43,t2,\r\n"
    )
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


_TIMES = [
    "23 Dec 2021 17:13:42",
    "31 Dec 9999 23:59:59",  # beyond the lake: quarantined by both paths
    "1 Jan 2026 00:00:00",
    "31 Nov 2026 00:00:00",
    "29 Feb 2024 23:59:60",
    " 23 Dec 2021 17:13:42 ",
    "23 dec 2021 01:02:03.25",
    "2021-12-23T17:13:42Z",
    "2021-12-23 17:13:42",
    "yesterday",
    "",
    None,
    1640279622,
    ["x"],
]
_VALUES = [
    "",
    "text",
    "5",
    " 7 ",
    "-12",
    "5.0",
    "1e3",
    "3.25",
    "n/a",
    "NULL",
    "-",
    "0x1A",
    "5_000",
    "99999999999999999999",
    7,
    -3,
    2.0,
    2.5,
    True,
    False,
    2**70,
    10**400,
    None,
    {"a": [1, "b"]},
    ["x", 1],
    'é \u2028 \x00 " ,\n',
]


def _random_record(rng: random.Random, lt, i: int, odd: float):
    if rng.random() < odd / 10:
        return rng.choice([["not", "an", "object"], "text", 7, None])
    rec = {}
    for f in typed_fields(lt):
        r = rng.random()
        if r < 0.15:
            continue  # absent
        if r < 1 - odd:  # a value of the column's own type
            rec[f.name] = (
                f"{f.name}-{rng.randrange(50)}"
                if f.type == STRING
                else rng.randrange(-5, 500)
                if f.type == INT
                else rng.random() * 100
            )
        else:
            rec[f.name] = rng.choice(_VALUES)
    rec[lt.time_field] = (
        rng.choice(_TIMES)
        if rng.random() < odd
        else f"{rng.randrange(1, 29)} Dec 2021 17:{rng.randrange(60):02d}:42"
    )
    for k in lt.key_fields:
        r = rng.random()
        rec[k] = f"id-{i}" if r >= odd else rng.choice(["", None, 17, 3.0, f"id-{i - 1}"])
    rec["unknown_field"] = rng.choice(_VALUES)
    return rec


@pytest.mark.parametrize("name", sorted(FORCEPOINT_TYPES))
def test_columnar_page_matches_the_record_path(name):
    """parse_page (the walk's path) gives exactly what parse_records + build_table give: same
    rows and values, same rejections and reasons, same coercion failure count."""
    lt = FORCEPOINT_TYPES[name]
    ids = IdStrategy(lt)
    # How many values are odd, and whether every value comes as text (as CSV pages give them):
    # clean pages take Arrow's fast paths, odd ones the Coercer, text numbers Arrow's cast.
    for seed, (odd, as_text) in enumerate(
        [(0.0, False), (0.3, False), (0.002, False), (0.0, True), (0.002, True)]
    ):
        rng = random.Random(f"{name}-{seed}")
        records = [_random_record(rng, lt, i, odd) for i in range(300)]
        if as_text:
            records = [
                {k: v if isinstance(v, str) else "" if v is None else str(v) for k, v in r.items()}
                if isinstance(r, dict)
                else r
                for r in records
            ]
        old_coercer, new_coercer = Coercer(), Coercer()
        old = parse_records(lt, records, 123, ids)
        expected = build_table(lt, old.rows, old_coercer)
        got = parse_page(lt, records, 123, ids, new_coercer)
        assert got.table.schema == expected.schema
        for col in expected.column_names:
            assert got.table.column(col).to_pylist() == expected.column(col).to_pylist(), (name, seed, col)
        assert sorted(got.rejected) == sorted(old.rejected)
        assert new_coercer.failures == old_coercer.failures
