"""The native page path (`forcepoint.native`) gives exactly the careful path's rows: the same columns and
values, `raw` byte for byte, the same rejections and reasons, the same coercion failure count — on the
shapes real tenants send (every value a string, the same keys in every record), on hostile pages it
must hand back to the careful path, and on CSV pages with every quoting quirk.

The careful path is `parse_records` + `build_table`; CSV text is decoded by `parse_csv` for it."""

from __future__ import annotations

import csv
import io
import random

import orjson
import pytest
import requests

from log_assets.catalog import FORCEPOINT_TYPES, INT, LIST, LOCATION, STRING, TIMESTAMP
from log_assets.forcepoint import native
from log_assets.forcepoint.client import Credentials, ForcepointClient
from log_assets.forcepoint.csvpage import parse_csv
from log_assets.forcepoint.parse import IdStrategy, parse_page, parse_records
from log_assets.lake.schema import Coercer, build_table, typed_fields
from log_assets.simulator.testing import forcepoint_headers, sim_config

from .test_real_shapes import REAL_ACCESS

INGESTED = 1_700_000_000_000_000


def careful(lt, records: list, bad: list | None = None):
    coercer = Coercer()
    old = parse_records(lt, records, INGESTED, IdStrategy(lt))
    return build_table(lt, old.rows, coercer), sorted(old.rejected + (bad or [])), coercer.failures


def walk_path(lt, records, bad: list | None = None):
    coercer = Coercer()
    got = parse_page(lt, records, INGESTED, IdStrategy(lt), coercer)
    return got.table, sorted(got.rejected + (bad or [])), coercer.failures


def native_reads(lt, records) -> bool:
    if isinstance(records, native.CsvRecords):
        return native.parse_csv_records(lt, records, INGESTED, IdStrategy(lt), Coercer()) is not None
    return native.parse_json_records(lt, records, INGESTED, IdStrategy(lt), Coercer()) is not None


def assert_same(lt, records, careful_records=None, bad=None, careful_bad=None, where=""):
    expected, exp_rejected, exp_failures = careful(
        lt, careful_records if careful_records is not None else records, careful_bad
    )
    got, rejected, failures = walk_path(lt, records, bad)
    assert got.schema == expected.schema, where
    for col in expected.column_names:
        assert got.column(col).to_pylist() == expected.column(col).to_pylist(), (where, col)
    assert rejected == exp_rejected, where
    assert failures == exp_failures, where
    for text in got.column("raw").to_pylist():  # raw is the record: reading it again gives the same object
        assert isinstance(orjson.loads(text), dict)


# ---------------------------------------------------------------------------------- JSON pages

GOOD_TIMES = [
    "23 Dec 2021 17:13:42",
    "01 Jan 2026 00:00:00",
    "29 Feb 2024 23:59:60",
    "31 Dec 2199 23:59:59",
    "01 Jan 1970 00:00:00",
    "09 Sep 2026 09:09:09",
]
# Times that parse, but not in the API's own form (they take the per-value path).
ODD_GOOD_TIMES = [
    " 23 Dec 2021 17:13:42 ",
    "23 dec 2021 01:02:03.25",
    "2021-12-23T17:13:42Z",
    "2021-12-23 17:13:42",
    "3 Dec 2021 17:13:42",
    "23 December 2021 17:13:42",
]
BAD_TIMES = [
    "31 Nov 2026 00:00:00",
    "29 Feb 2023 10:00:00",
    "31 Dec 9999 23:59:59",
    "yesterday",
    "",
    "None",
    "23 Dec 2021 24:00:00",
    "00 Dec 2021 10:00:00",
    "23 Dec 0999 10:00:00",
]
TEXTS = [
    "",
    "text",
    " 7 ",
    "5",
    "-12",
    "5.0",
    "1e3",
    "3.25",
    "n/a",
    "NULL",
    "null",
    "None",
    "[]",
    "-",
    "0x1A",
    "99999999999999999999",
    'say "hi"',
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "cr\r\n",
    "\x01ctl\x1f",
    "é",
    "\u2028 sep",
    "emoji 😀",
    "ü" * 7,
    "x" * 12,
    "y" * 13,
    "z" * 4000,
    '["Zürich", "Zurich", "ZH", "CH"]',
    "['67521', 'All Users']",
    "Alert, Blocked, DLP, Notify",
    "a||b||c||d||e",
    "London||Eng",
    " || ",
    "[not, json",
    '"',
    "\\",
    '\\\\"',
    "{}",
    "  ",
]


def value_for(rng: random.Random, f, odd: float) -> str:
    if rng.random() < odd:
        return rng.choice(TEXTS + BAD_TIMES + ODD_GOOD_TIMES)
    if f.type == INT:
        return str(rng.randrange(-5, 10**6))
    if f.type == TIMESTAMP:
        return rng.choice(GOOD_TIMES)
    if f.type == LIST:
        return rng.choice(["Alert, Blocked", '["WR:Gambling"]', "['1', 'All Users']", "Login", ""])
    if f.type == LOCATION:
        return rng.choice(["San Jose||California||CA||US", '["Guest"]', "Zürich||Zurich||ZH||CH", ""])
    if f.type == STRING:
        return f"{f.name}-{rng.randrange(50)}"
    return f"{rng.random() * 100:.2f}"


def string_page(lt, rng: random.Random, n: int, odd: float, time_odd: float = 0.0, extra=()) -> list[dict]:
    """Records as real tenants send them: every value a string, the same keys in the same order."""
    names = [f.name for f in typed_fields(lt) if rng.random() < 0.8] + list(extra)
    for must in (lt.time_field, *lt.key_fields[:1]):
        if must not in names:
            names.append(must)
    rng.shuffle(names)
    fields = {f.name: f for f in lt.fields}
    out = []
    for i in range(n):
        rec = {}
        for name in names:
            if name == lt.time_field:
                r = rng.random()
                rec[name] = (
                    rng.choice(GOOD_TIMES)
                    if r >= time_odd * 2
                    else rng.choice(ODD_GOOD_TIMES)
                    if r >= time_odd
                    else rng.choice(BAD_TIMES)
                )
            elif name in lt.key_fields:
                rec[name] = f"id-{i} [23 Dec 2021 17:13:42]" if rng.random() >= odd / 3 else rng.choice(["", "x"])
            elif name in fields:
                rec[name] = value_for(rng, fields[name], odd)
            else:
                rec[name] = rng.choice(TEXTS)
        out.append(rec)
    return out


@pytest.mark.parametrize("name", sorted(FORCEPOINT_TYPES))
def test_native_json_pages_match_the_careful_path(name):
    lt = FORCEPOINT_TYPES[name]
    cases = [
        (0.0, 0.0, ()),
        (0.05, 0.0, ()),
        (0.5, 0.0, ()),
        (0.0, 0.05, ()),
        (0.1, 0.0, ("riskscore", "User", "", "_x", "Newthing")),
    ]
    for seed, (odd, time_odd, extra) in enumerate(cases):
        rng = random.Random(f"{name}-native-{seed}")
        records = string_page(lt, rng, 400, odd, time_odd, extra)
        assert_same(lt, records, where=(name, seed))
    # A clean page is read natively (what the walk's speed rests on).
    clean = string_page(lt, random.Random(name), 200, 0.0)
    assert native_reads(lt, clean)


HOSTILE = {
    "a number among the values": lambda recs: recs[3].update(transactionid=17) or recs,
    "a null value": lambda recs: recs[5].update({_some_key(recs): None}) or recs,
    "a nested object": lambda recs: recs[0].update(details={"a": [1, "b", {"c": None}]}) or recs,
    "a boolean": lambda recs: recs[7].update({_some_key(recs): True}) or recs,
    "a huge integer": lambda recs: recs[2].update(responsecode=2**70) or recs,
    "keys in another order": lambda recs: [dict(reversed(list(recs[0].items())))] + recs[1:],
    "a missing key": lambda recs: (
        recs[:4] + [{k: v for k, v in recs[4].items() if k != _some_key(recs)}] + recs[5:]
    ),
    "an extra key": lambda recs: recs[:1] + [dict(recs[1], brandnew="x")] + recs[2:],
    "a key with a quote": lambda recs: [dict(r, **{'we"ird': "v"}) for r in recs],
    "a key with a control character": lambda recs: [dict(r, **{"a\nb": "v"}) for r in recs],
    "not an object": lambda recs: recs[:2] + [["not", "an", "object"], "text", 7, None] + recs[2:],
    "an unreadable time": lambda recs: recs[4].update(time="not a time") or recs,
    "a time beyond the lake": lambda recs: recs[4].update(time="31 Dec 9999 23:59:59") or recs,
    "no id": lambda recs: recs[6].update(transactionid="") or recs,
    "nested 1000 deep": lambda recs: recs[1].update(details=_nested(1000)) or recs,
    "nested 100 deep": lambda recs: recs[1].update(details=_nested(100)) or recs,
}


def _some_key(recs: list[dict]) -> str:
    return next(k for k in recs[0] if k not in ("time", "transactionid"))


def _nested(levels: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(levels):
        value = {"a": value}
    return value


# Numbers, booleans and nulls among the values: their columns are typed the careful way, the rest natively.
SCALARS = {"a number among the values", "a null value", "a boolean"}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_json_pages_give_the_careful_result(case):
    lt = FORCEPOINT_TYPES["access"]
    records = HOSTILE[case](string_page(lt, random.Random(case), 60, 0.0))
    assert native_reads(lt, records) == (case in SCALARS)
    assert_same(lt, records, where=case)


def test_columns_of_numbers_and_nulls_beside_text_columns():
    lt = FORCEPOINT_TYPES["healthsystem"]
    records = [
        {
            "time": "23 Dec 2021 17:13:42",
            "transactionid": f"h{i}",
            "activity": "Bitglass4xx, RestAPI",
            "responsecode": code,
            "user": user,
            "riskscore": score,
        }
        for i, (code, user, score) in enumerate(
            [
                (429, "Anna", 1.5),
                (None, "Bo", None),
                (500, "", 7),
                (True, "Cy", "x"),
                (2.0, "Di", False),
                (2.5, "Ed", -0.0),
                ("404", "Fa", 2**64 - 1),
            ]
        )
    ]
    assert native_reads(lt, records)
    assert_same(lt, records)


def test_escapes_decode_and_raw_is_what_orjson_writes():
    lt = FORCEPOINT_TYPES["access"]
    texts = [t for t in TEXTS if "\\" in t or '"' in t or any(ord(c) < 32 for c in t)] + ["é\\u00e9", "\ud7ff"]
    records = [
        {"time": "23 Dec 2021 17:13:42", "transactionid": f"t{i}", "details": t, "user": t[::-1], "url": t * 3}
        for i, t in enumerate(texts)
    ]
    assert native_reads(lt, records)
    assert_same(lt, records)
    got = parse_page(lt, records, 0, IdStrategy(lt), Coercer()).table
    assert got.column("details").to_pylist() == [None if t.strip() in ("", "[]") else t for t in texts]
    assert got.column("raw").to_pylist() == [orjson.dumps(r).decode() for r in records]


def test_real_access_records_land_typed_the_same_way():
    lt = FORCEPOINT_TYPES["access"]
    base = REAL_ACCESS
    records = [dict(base, transactionid=f"a{i} [23 Dec 2021 17:13:42]") for i in range(5)]
    records[1]["location"] = '["Guest"]'
    records[2]["location"] = "London||Eng"
    assert native_reads(lt, records)
    assert_same(lt, records)
    row = parse_page(lt, records, 0, IdStrategy(lt), Coercer()).table.to_pylist()[0]
    assert row["action"] == ["Alert", "Blocked", "DLP", "Notify"] and row["usergroup"] == ["67521", "All Users"]
    assert (row["location_city"], row["location_country_code"]) == ("San Jose", "US")
    assert row["emailbcc"] is None and row["orgid"] is None


def test_swgweb_strings_of_numbers_lists_and_times():
    lt = FORCEPOINT_TYPES["swgweb"]
    rec = {
        "time": "23 Dec 2021 17:13:42",
        "setransactionid": "5f0c",
        "webcategories": '["WR:Gambling"]',
        "customcategories": "[]",
        "bgcloudscore": "7.00",
        "webreputation": "80.00",
        "lat": "51.5072",
        "long": "-0.1276",
        "indexedtime": "2021-12-23 17:13:50",
        "uploadedbytes": "31466",
        "requestport": "443",
        "size": "n/a",
    }
    records = [dict(rec, setransactionid=f"s{i}") for i in range(4)]
    records[3]["uploadedbytes"] = "12.5"  # not an integer: NULL and a coercion failure, in both paths
    assert native_reads(lt, records)
    assert_same(lt, records)


# ----------------------------------------------------------------------------------- CSV pages

_CLIENT = ForcepointClient(
    "http://127.0.0.1:1/", Credentials(token="t"), allow_insecure_http=True, response_format="csv"
)


def csv_body(text: str) -> bytes:
    return orjson.dumps(
        {
            "status": "Request was successful",
            "nextpagetoken": "tok",
            "response": {"dataformat": "csv", "dataencoding": "utf-8", "data": text},
        }
    )


def assert_csv_same(lt, text: str, native_expected: bool | None = None):
    page = _CLIENT.page_from_body(csv_body(text), lt)
    records, bad = parse_csv(text)
    if native_expected is not None:
        assert isinstance(page.records, native.CsvRecords) == native_expected, text[:200]
    assert len(page.records) == len(records)
    assert_same(
        lt, page.records, careful_records=records, bad=list(page.bad_records), careful_bad=bad, where=text[:100]
    )


def csv_text(records: list[dict], quoting=csv.QUOTE_MINIMAL, terminator="\r\n") -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(records[0]), quoting=quoting, lineterminator=terminator)
    w.writeheader()
    w.writerows(records)
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(FORCEPOINT_TYPES))
def test_native_csv_pages_match_the_careful_path(name):
    lt = FORCEPOINT_TYPES[name]
    for seed, (odd, time_odd, quoting, term) in enumerate(
        [
            (0.0, 0.0, csv.QUOTE_MINIMAL, "\r\n"),
            (0.3, 0.0, csv.QUOTE_MINIMAL, "\n"),
            (0.1, 0.0, csv.QUOTE_ALL, "\r\n"),
            (0.05, 0.05, csv.QUOTE_MINIMAL, "\r\n"),
        ]
    ):
        records = string_page(lt, random.Random(f"{name}-csv-{seed}"), 300, odd, time_odd, ("riskscore",))
        # Python's csv reads a lone carriage return as a line end: such values do not survive CSV at all.
        records = [{k: v.replace("\r\n", "\n").replace("\r", "") for k, v in r.items()} for r in records]
        assert_csv_same(lt, csv_text(records, quoting, term), native_expected=True)


CSV_QUIRKS = {
    "quoted commas, doubled quotes, newlines": (
        'time,transactionid,pagetitle\r\n23 Dec 2021 17:13:42,t1,"a, ""quoted""\nmulti-line é"\r\n'
        "23 Dec 2021 17:13:43,t2,\r\n",
        True,
    ),
    "a quoted empty value and a quoted CRLF": (
        'time,transactionid,details\r\n23 Dec 2021 17:13:42,t1,""\r\n23 Dec 2021 17:13:43,t2,"x\r\ny"\r\n',
        True,
    ),
    "blank lines between rows": (
        "time,transactionid\r\n\r\n23 Dec 2021 17:13:42,t1\r\n\r\n\r\n23 Dec 2021 17:13:43,t2\r\n",
        True,
    ),
    "no line end after the last row": (
        "time,transactionid\n23 Dec 2021 17:13:42,t1\n23 Dec 2021 17:13:43,t2",
        True,
    ),
    "a value of only doubled quotes": ('time,transactionid,details\n23 Dec 2021 17:13:42,t1,""""""\n', True),
    "a row wider than the header": (
        "time,transactionid\r\n23 Dec 2021 17:13:42,t1\r\n23 Dec 2021 17:13:43,t2,x\r\n",
        False,
    ),
    "a row narrower than the header": (
        "time,transactionid,user\r\n23 Dec 2021 17:13:42,t1,u\r\n23 Dec 2021 17:13:43,t2\r\n",
        False,
    ),
    "text after a closing quote": ('time,transactionid,user\r\n23 Dec 2021 17:13:42,t1,"ab"c\r\n', False),
    "a quote inside an unquoted value": ('time,transactionid,user\r\n23 Dec 2021 17:13:42,t1,ab"c\r\n', False),
    "an unclosed quote": ('time,transactionid,user\r\n23 Dec 2021 17:13:42,t1,"abc\r\n', False),
    "a lone carriage return": ("time,transactionid,user\r\n23 Dec 2021 17:13:42,t1,a\rb\r\n", False),
    "a NUL character": ("time,transactionid,user\r\n23 Dec 2021 17:13:42,t1,a\x00b\r\n", False),
    "a byte order mark": ("\ufefftime,transactionid\r\n23 Dec 2021 17:13:42,t1\r\n", False),
    "a padded header": (" time ,transactionid\r\n23 Dec 2021 17:13:42,t1\r\n", False),
    "a quoted header": ('"time","transactionid"\r\n23 Dec 2021 17:13:42,t1\r\n', True),
    "a repeated header name": ("time,transactionid,time\r\n23 Dec 2021 17:13:42,t1,x\r\n", False),
    "a header only": ("time,transactionid\r\n", False),
    "nothing but blanks": ("  \r\n", False),
    "an unreadable time": ("time,transactionid\r\nsoon,t1\r\n23 Dec 2021 17:13:43,t2\r\n", True),
    "a missing id": ("time,transactionid\r\n23 Dec 2021 17:13:42,\r\n23 Dec 2021 17:13:43,t2\r\n", True),
    "a new field and an unusable one": (
        "time,transactionid,riskscore,_x,\r\n23 Dec 2021 17:13:42,t1,7,y,z\r\n",
        True,
    ),
    "backslashes and control characters": (
        'time,transactionid,details\r\n23 Dec 2021 17:13:42,t1,"a\\b\t\x01\x1f"\r\n',
        True,
    ),
}


@pytest.mark.parametrize("case", sorted(CSV_QUIRKS))
def test_csv_quirks_read_the_same_way(case):
    text, native_expected = CSV_QUIRKS[case]
    assert_csv_same(FORCEPOINT_TYPES["access"], text, native_expected)


def test_csv_records_become_dicts_only_when_asked():
    records = native.read_csv("time,transactionid\r\n23 Dec 2021 17:13:42,t1\r\n")
    assert records is not None and len(records) == 1 and not records.materialized
    assert list(records) == [{"time": "23 Dec 2021 17:13:42", "transactionid": "t1"}]


# ------------------------------------------------------------------------ the simulator's pages


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_simulator_pages_of_every_type_are_read_natively_and_alike(simulator, fmt):
    sim = simulator(sim_config(forcepoint_events_per_day=300, page_size=200, days=1))
    session = requests.Session()
    for name, lt in sorted(FORCEPOINT_TYPES.items()):
        client = ForcepointClient(
            sim.forcepoint_url, Credentials(token="x"), allow_insecure_http=True, response_format=fmt
        )
        r = session.get(
            sim.forcepoint_url,
            params={
                "type": name,
                "cv": client.cv_for(lt),
                "responseformat": fmt,
                "startdate": "2026-11-19T00:00:00Z",
            },
            headers=forcepoint_headers(sim),
            timeout=30,
        )
        r.raise_for_status()
        page = client.page_from_body(r.content, lt)
        assert len(page.records) > 0, name
        if fmt == "csv":
            assert isinstance(page.records, native.CsvRecords), name
            records, bad = parse_csv(orjson.loads(r.content)["response"]["data"])
        else:
            assert isinstance(page.records, native.JsonRecords), name
            records, bad = orjson.loads(r.content)["response"]["data"], []
        assert native_reads(lt, page.records), name
        assert_same(
            lt, page.records, careful_records=records, bad=list(page.bad_records), careful_bad=bad, where=name
        )


# -------------------------------------------------------------------- JSON pages read from the body

_JSON_CLIENT = ForcepointClient("http://127.0.0.1:1/", Credentials(token="t"), allow_insecure_http=True)


def envelope(data_text: bytes, token: str = "eyJsb2dfaWQiOiAyfQ==") -> bytes:
    return (
        b'{"status":"Request was successful","nextpagetoken":"' + token.encode() + b'","response":'
        b'{"dataformat":"json","dataencoding":"utf-8","data":' + data_text + b"}}"
    )


def assert_body_same(lt, body: bytes, native_expected: bool, where=""):
    page = _JSON_CLIENT.page_from_body(body, lt)
    assert isinstance(page.records, native.JsonRecords) == native_expected, where
    doc = orjson.loads(body)
    assert page.next_token == (doc.get("nextpagetoken") or None)
    records = doc["response"]["data"]
    assert len(page.records) == len(records)
    assert_same(lt, page.records, careful_records=records, where=where)


def test_a_canonical_body_is_read_from_its_text():
    lt = FORCEPOINT_TYPES["access"]
    records = string_page(lt, random.Random("body"), 300, 0.3)
    for i, r in enumerate(records):
        r["transactionid"] = f"t{i}"  # no record to quarantine: the whole page lands natively
    assert_body_same(lt, envelope(orjson.dumps(records)), True)
    got = _JSON_CLIENT.page_from_body(envelope(orjson.dumps(records)), lt)
    assert native_reads(lt, got.records)
    assert not got.records.materialized  # no dicts were made
    table = parse_page(lt, got.records, 0, IdStrategy(lt), Coercer()).table
    assert table.column("raw").to_pylist() == [orjson.dumps(r).decode() for r in records]


def _one(rec_text: bytes, n: int = 3) -> bytes:
    return b"[" + b",".join(rec_text.replace(b"ID", f"t{i}".encode()) for i in range(n)) + b"]"


OK = b'{"time":"23 Dec 2021 17:13:42","transactionid":"ID","user":'
BODIES = {
    # (the body, read from its text?)
    "plain": (envelope(_one(OK + b'"anna"}')), True),
    "escaped quotes and a backslash": (envelope(_one(OK + b'"a \\"b\\" \\\\ c"}')), True),
    "short escapes and a control character": (envelope(_one(OK + b'"\\n\\r\\t\\b\\f\\u0001\\u001f"}')), True),
    "numbers, true, false, null": (envelope(_one(OK + b'1,"responsecode":404,"x":true,"y":null,"z":-2.5}')), True),
    "non-ASCII as is": (envelope(_one(OK + '"Zürich 😀 \u2028"}'.encode())), True),
    "a page with one record": (envelope(_one(OK + b'"a"}', 1)), True),
    "spaces after separators (Python's json.dumps)": (
        envelope(_one(b'{"time": "23 Dec 2021 17:13:42", "transactionid": "ID"}')),
        False,
    ),
    "a new line between records": (
        envelope(
            b"[" + b",\n".join([OK.replace(b"ID", b"a") + b'"x"}', OK.replace(b"ID", b"b") + b'"y"}']) + b"]"
        ),
        False,
    ),
    "non-ASCII escaped (ensure_ascii)": (envelope(_one(OK + b'"Z\\u00fcrich"}')), False),
    "an escaped slash": (envelope(_one(OK + b'"a\\/b"}')), False),
    "upper-case hex escape": (envelope(_one(OK + b'"\\u001F"}')), False),
    "an escaped printable character": (envelope(_one(OK + b'"\\u0041"}')), False),
    "a float written long": (envelope(_one(OK + b'"a","n":1.50}')), False),
    "an exponent": (envelope(_one(OK + b'"a","n":1e3}')), False),
    "an integer beyond 64 bits": (envelope(_one(OK + b'"a","n":123456789012345678901234567890}')), False),
    "a repeated key": (envelope(_one(OK + b'"a","user":"b"}')), False),
    "keys in another order": (
        envelope(
            b"[" + OK.replace(b"ID", b"a") + b'"x"},{"transactionid":"b","time":'
            b'"23 Dec 2021 17:13:42","user":"y"}]'
        ),
        False,
    ),
    "a nested object": (envelope(_one(OK + b'{"a":"b"}}')), False),
    "an array of objects": (envelope(_one(OK + b'[{"a":"b"},{"c":"d"}]}')), False),
    "a string holding `},{`": (envelope(_one(OK + b'"x},{y"}')), True),
    "a key with an escape": (
        envelope(_one(b'{"time":"23 Dec 2021 17:13:42","transactionid":"ID","a\\"b":"c"}')),
        False,
    ),
    "data not last": (
        b'{"status":"ok","response":{"dataformat":"json","data":'
        + _one(OK + b'"a"}')
        + b',"dataencoding":"utf-8"},"nextpagetoken":"t"}',
        False,
    ),
    "an empty page": (envelope(b"[]"), False),
    "records that are not objects": (envelope(b'["a",1,null]'), False),
    "whitespace around the envelope": (
        b'{ "status" : "ok" , "nextpagetoken" : "t" , "response" : { "data" : ' + _one(OK + b'"a"}') + b" } }\n",
        True,
    ),
}


@pytest.mark.parametrize("case", sorted(BODIES))
def test_json_bodies_read_from_their_text_or_decoded_alike(case):
    body, native_expected = BODIES[case]
    assert_body_same(FORCEPOINT_TYPES["access"], body, native_expected, case)


# (Invalid UTF-8 and a lone surrogate escape inside a string are read, their records repaired:
# test_invalid_utf8.py.)
INVALID = {
    "an invalid byte outside a string": envelope(_one(OK + b'"a"\xff}')),
    "a NaN beside an invalid byte": envelope(_one(OK + b'"\xff","n":NaN}')),
    # (a token that cannot be sent back: the walk could not go on from it)
    "an invalid byte in the token": envelope(_one(OK + b'"a"}')).replace(b'AyfQ=="', b'AyfQ=\xff"'),
    "a raw control character in a string": envelope(_one(OK + b'"a\x01b"}')),
    "a bad escape": envelope(_one(OK + b'"a\\qb"}')),
    "a truncated record": envelope(b'[{"time":"23 Dec 2021 17:13:42","transactionid":"t1","user":"a"') + b"]}}",
    "a missing comma": envelope(b"[" + OK.replace(b"ID", b"a") + b'"x"}{"time":"x"}]'),
    "a bare word": envelope(_one(OK + b"nope}")),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_bodies_are_refused_as_before(case):
    from log_assets.forcepoint.client import MalformedPage

    body = INVALID[case]
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(body)
    with pytest.raises(MalformedPage):
        _JSON_CLIENT.page_from_body(body, FORCEPOINT_TYPES["access"])
