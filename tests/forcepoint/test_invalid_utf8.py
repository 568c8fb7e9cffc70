"""One value that is not valid UTF-8 — raw invalid bytes in the page, or a lone surrogate escape
(`"\\ud800"`, valid JSON syntax) — costs neither its page nor the walk: the page is read, the record
lands with the value made valid (U+FFFD) in its columns and `raw` keeping the exact original
(`\\uXXXX` escapes), the other records land, the walk goes on to the next token, the run succeeds,
and the count reaches the run's metadata (`values_not_typed`). See log_assets/jsonsafe.py."""

from __future__ import annotations

import csv
import io
import json
import math

import orjson
import pytest

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.forcepoint import native
from log_assets.forcepoint.client import Credentials, ForcepointClient
from log_assets.forcepoint.pagetable import PageTable
from log_assets.forcepoint.parse import IdStrategy, parse_page, parse_records
from log_assets.lake.schema import Coercer
from log_assets.simulator import SimConfig, Simulator
from tests.lakeview import lake_table

from .conftest import day_str, lake_ids, materialize, metadata, truth_ids

# a module-scoped fixture (a simulator's records): under xdist the module's tests run on one worker
pytestmark = [pytest.mark.xdist_group("forcepoint.test_invalid_utf8")]

ACCESS = FORCEPOINT_TYPES["access"]
BYTE = b"\xff"  # never valid in UTF-8
LONE = b"\\ud800"  # a high surrogate escape with no low one after it


def _client(fmt: str) -> ForcepointClient:
    return ForcepointClient(
        "http://127.0.0.1:1/", Credentials(token="t"), response_format=fmt, allow_insecure_http=True
    )


def _records(n: int = 6) -> list[dict]:
    return [
        {
            "time": f"23 Dec 2021 17:13:{i:02d}",
            "transactionid": f"tx-{i} [23 Dec 2021 17:13:{i:02d}]",
            "user": f"good-{i}",
            "email": f"user{i}@example.com",
        }
        for i in range(n)
    ]


def _body(records: list[dict], how: str) -> bytes:
    """A page's body: `json` as orjson writes it (the text the fast path reads), `json-spaced` with
    whitespace (read the careful way even when clean), `csv` CSV text in the envelope."""
    if how == "csv":
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(list(records[0]))
        w.writerows([list(r.values()) for r in records])
        data: object = out.getvalue()
    else:
        data = records
    env = {"status": "ok", "nextpagetoken": "dG9r", "response": {"dataformat": how[:4], "data": data}}
    return json.dumps(env).encode() if how == "json-spaced" else orjson.dumps(env)


def _read(body: bytes, how: str, lt=ACCESS) -> tuple[object, PageTable, Coercer]:
    page = _client("csv" if how == "csv" else "json").page_from_body(body, lt)
    coercer = Coercer()
    return page, parse_page(lt, page.records, 0, IdStrategy(lt), coercer), coercer


HOWS = ["json", "json-spaced", "csv"]


@pytest.mark.parametrize("how", HOWS)
def test_the_clean_page_takes_the_path_this_case_is_about(how):
    page, _, _ = _read(_body(_records(), how), how)
    native_page = isinstance(page.records, (native.JsonRecords, native.CsvRecords))
    assert native_page == (how != "json-spaced")


@pytest.mark.parametrize("how", HOWS)
def test_an_invalid_byte_and_a_lone_surrogate_land_their_records_and_the_page(how):
    records = _records()
    records[2]["user"] = "bad-A"
    records[4]["user"] = "bad-B"
    body = _body(records, how).replace(b"bad-A", b"bad-" + BYTE + b"A").replace(b"bad-B", b"bad-" + LONE + b"B")
    page, parsed, coercer = _read(body, how)
    assert parsed.rejected == [] and page.bad_records == []
    table = parsed.table
    assert table.num_rows == len(records)
    users = table.column("user").to_pylist()
    assert users == ["good-0", "good-1", "bad-\ufffdA", "good-3", "bad-\ufffdB", "good-5"]
    assert table.column("event_id").to_pylist() == [r["transactionid"] for r in records]
    raws = table.column("raw").to_pylist()
    # raw keeps the exact original: the byte as U+DCFF (surrogateescape), the lone surrogate as itself
    assert json.loads(raws[2])["user"].encode("utf-8", "surrogateescape") == b"bad-\xffA"
    assert json.loads(raws[4])["user"] == "bad-\ud800B"
    assert '"bad-\\udcffA"' in raws[2] and '"bad-\\ud800B"' in raws[4]
    for i in (0, 1, 3, 5):  # the other records exactly as before
        assert raws[i] == orjson.dumps(records[i]).decode()
    assert parsed.coercion_failures == 2 == coercer.failures  # counted: values_not_typed


def test_ids_keep_records_apart_that_differ_only_in_an_invalid_byte():
    records = _records(3)
    records[1]["transactionid"] = "tx-X"
    records[2]["transactionid"] = "tx-Y"
    body = _body(records, "json").replace(b"tx-X", b"tx-\xff").replace(b"tx-Y", b"tx-\xfe")
    _, parsed, _ = _read(body, "json")
    ids = parsed.table.column("event_id").to_pylist()
    assert ids[1:] == ["tx-\\udcff", "tx-\\udcfe"] and len(set(ids)) == 3


def test_a_record_rejected_for_another_reason_is_quarantined_with_text_that_can_be_written():
    records = _records(3)
    records[1]["time"] = "not a time BAD"
    body = _body(records, "json").replace(b"BAD", BYTE)
    _, parsed, _ = _read(body, "json")
    assert parsed.table.num_rows == 2
    ((raw, reason),) = parsed.rejected
    raw.encode("utf-8")  # the quarantine writes it as UTF-8
    assert "missing or unreadable 'time'" in reason
    assert json.loads(raw)["time"].encode("utf-8", "surrogateescape") == b"not a time \xff"


def test_the_record_path_repairs_the_same_way():
    records = _records(2)
    records[1]["user"] = "x\ud800y"
    page = parse_records(ACCESS, records, 0)
    assert page.rejected == [] and page.repaired == 1
    assert page.rows[1]["fields"]["user"] == "x\ufffdy"
    assert json.loads(page.rows[1]["raw"])["user"] == "x\ud800y"
    page.rows[1]["raw"].encode("utf-8")


def test_a_csv_row_of_the_wrong_width_with_an_invalid_byte_is_quarantined_with_its_text():
    records = _records(3)
    body = _body(records, "csv").replace(b"good-1", b"good-\xff1,extra")
    page, parsed, _ = _read(body, "csv")
    assert parsed.table.num_rows == 2
    ((raw, reason),) = page.bad_records
    raw.encode("utf-8")
    assert "fields, header has" in reason and "good-\\udcff1" in raw


# ---------------------------------------------------------------------------- every log type


@pytest.fixture(scope="module")
def sim_records():
    cfg = SimConfig(seed=3, days=2, forcepoint_events_per_day=12, aperture_backlog_per_type=0)
    sim = Simulator(cfg, port=0)
    try:
        day = sim.forcepoint.days("access")[0]
        return {name: sim.forcepoint.distinct_events(name, day=day) for name in FORCEPOINT_TYPES}
    finally:
        sim.stop()


@pytest.mark.parametrize("how", ["json", "csv"])
@pytest.mark.parametrize("name", sorted(FORCEPOINT_TYPES))
def test_every_type_lands_a_record_with_an_invalid_byte(sim_records, name, how):
    lt = FORCEPOINT_TYPES[name]
    records = [dict(r) for r in sim_records[name]][:6]
    assert len(records) >= 3, "the simulator must give a few records of the type"
    if how == "csv":
        records = [{k: "" if v is None else str(v) for k, v in r.items()} for r in records]
    skip = {lt.time_field, *lt.key_fields, lt.key_prefix_field}
    field = next(k for k, v in records[1].items() if k not in skip and isinstance(v, str) and v)
    records[1][field] = "MARK" + records[1][field]
    _, marked, marked_coercer = _read(_body(records, how), how, lt)
    assert marked.rejected == [] and marked.table.num_rows == len(records)
    body = _body(records, how).replace(b"MARK", BYTE)
    _, bad, bad_coercer = _read(body, how, lt)
    assert bad.rejected == [] and bad.table.num_rows == len(records)
    assert bad_coercer.failures == marked_coercer.failures + 1
    if lt.key_fields:  # a natural key: the same ids
        assert bad.table.column("event_id").to_pylist() == marked.table.column("event_id").to_pylist()
    raw = json.loads(bad.table.column("raw")[1].as_py())
    assert raw[field].encode("utf-8", "surrogateescape").startswith(BYTE)


# ------------------------------------------------------------------------ end to end, over HTTP

PAGE = 40


def _corrupting(sim) -> None:
    """The first page the simulator serves (the walk's first, at stream position 0) with an invalid
    byte in one record's syslogheader and a lone surrogate escape in the next one's, in JSON and CSV
    pages alike; the same page asked again is corrupted again (the simulator's public `rewrite` hook)."""
    first: list[bytes] = []

    def rewrite(log_type: str, fmt: str, body: bytes) -> bytes:
        if not first:
            first.append(body)
        if body != first[0]:
            return body
        host = b"api.bitglass.com"
        return body.replace(host, host + BYTE, 1).replace(host + b" ", host + LONE + b" ", 1)

    sim.forcepoint.rewrite = rewrite


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize(
    "log_type,fmt", [("access", "json"), ("access", "csv"), ("swgweb", "csv"), ("cloudaudit", "json")]
)
def test_a_walk_lands_the_page_goes_on_and_spends_each_request_once(simulator, tmp_path, clean_env, log_type, fmt):
    days = [day_str(-2), day_str(-1)]
    sim = simulator(
        seed=21,
        days=3,
        forcepoint_events_per_day=90,
        page_size=PAGE,
        duplicate_rate=0.0,
        aperture_backlog_per_type=0,
    )
    _corrupting(sim)
    clean_env.setenv("FORCEPOINT_RESPONSE_FORMAT", fmt)
    result = materialize(log_type, days[0], days[-1], tmp_path, raise_on_error=False)
    assert result.success, "one bad value failed the run"
    md = metadata(result, log_type)
    spent = sim.forcepoint.requests(log_type)
    # every page requested once (the bad one included); one more request finds the API caught
    # up unless a page already passed the window's end (that depends on the hour the test runs:
    # today's records follow the window's last day on the same page or the next)
    probe = 1 if md["stopped_because"] == "caught up with the API" else 0
    assert md["pages"] == math.ceil(md["events_received"] / PAGE)
    assert spent == md["requests_spent"] == md["pages"] + probe
    assert md["pages"] > 1 and md["quarantined_records"] == 0
    assert md["values_not_typed"] == 2
    assert sorted(md["complete_days"]) == days

    # every record landed once; ids are the truth's but for a hash-keyed type's two repaired records
    for day in days:
        got, want = lake_ids(tmp_path, log_type, day), truth_ids(sim, log_type, day)
        assert len(got) == len(set(got)) == len(want)
        assert len(set(want) - set(got)) <= (2 if not FORCEPOINT_TYPES[log_type].key_fields else 0)
    rows = lake_table(tmp_path, "forcepoint", log_type, days, ["raw", "syslogheader"]).to_pylist()
    (with_byte,) = [r for r in rows if "\\udcff" in r["raw"]]
    (with_lone,) = [r for r in rows if "\\ud800" in r["raw"]]
    assert "api.bitglass.com\ufffd " in with_byte["syslogheader"]
    assert "api.bitglass.com\ufffd " in with_lone["syslogheader"]
    original = json.loads(with_byte["raw"])["syslogheader"].encode("utf-8", "surrogateescape")
    assert b"api.bitglass.com\xff " in original
    assert "api.bitglass.com\ud800 " in json.loads(with_lone["raw"])["syslogheader"]

    # a clean run after it: the days are complete, nothing is requested again
    again = materialize(log_type, days[0], days[-1], tmp_path)
    assert again.success and sim.forcepoint.requests(log_type) == spent
    assert metadata(again, log_type)["requests_spent"] == 0


def test_a_day_rebuilt_from_raw_repairs_the_value_again():
    """A catalog change rebuilds a day's typed columns from `raw`, which keeps the lone surrogate."""
    from log_assets.lake.daymerge import rebuilt_from_raw
    from log_assets.lake.layout import with_event_day
    from log_assets.lake.schema import build_table

    records = _records(2)
    records[1]["user"] = "x\udcffy"
    table = with_event_day(build_table(ACCESS, parse_records(ACCESS, records, 0).rows, Coercer()))
    rebuilt = rebuilt_from_raw(ACCESS, table)
    assert rebuilt.column("user").to_pylist() == ["good-0", "x\ufffdy"]
    assert rebuilt.column("raw").to_pylist() == table.column("raw").to_pylist()
