"""The value shapes real tenants send (api-facts.md, "Fields seen in real records") land typed under their
own names: lists from JSON arrays, Python lists and comma lists; location parts; decimals in strings;
times in other fields; empty values as NULL; fields the catalog does not know as new text columns."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from log_assets.aperture.parse import lake_row, parse_body
from log_assets.catalog import APERTURE_TYPES, FORCEPOINT_TYPES
from log_assets.forcepoint.parse import IdStrategy, parse_page
from log_assets.lake.daymerge import DayMerge
from log_assets.lake.lake import Lake
from log_assets.lake.schema import Coercer, build_table, parse_list
from tests.lakeview import lake_table

HEADER = "<110>1 2021-12-23T17:13:42.754000Z api.bitglass.com NILVALUE NILVALUE access"


def land(log_type: str, records: list[dict]) -> dict:
    lt = FORCEPOINT_TYPES[log_type]
    page = parse_page(lt, records, 0, IdStrategy(lt), Coercer())
    assert not page.rejected, page.rejected
    return page.table.to_pylist()[0]


# A real access record (public sample): comma lists, a Python-list text, location parts, a mail time.
REAL_ACCESS = {
    "time": "23 Dec 2021 17:13:42",
    "syslogheader": HEADER,
    "transactionid": "a1b2 [23 Dec 2021 17:13:42]",
    "action": "Alert, Blocked, DLP, Notify",
    "activity": "Cloudstorage, Downloaded, Web",
    "usergroup": "['67521', 'All Users']",
    "location": "San Jose||California||CA||US",
    "details": "User challenged with Multi-Factor Authentication.",
    "emailsenttime": "23 Dec 2021 17:13:40",
    "emailbcc": "",
    "orgid": "None",
}


def test_access_comma_lists_location_parts_details_and_mail_time():
    row = land(
        "access",
        [REAL_ACCESS],
    )
    assert row["action"] == ["Alert", "Blocked", "DLP", "Notify"]
    assert row["activity"] == ["Cloudstorage", "Downloaded", "Web"]
    assert row["usergroup"] == ["67521", "All Users"]
    assert row["location"] == "San Jose||California||CA||US"
    assert (
        row["location_city"],
        row["location_region"],
        row["location_region_code"],
        row["location_country_code"],
    ) == (
        "San Jose",
        "California",
        "CA",
        "US",
    )
    assert row["details"] == "User challenged with Multi-Factor Authentication."
    assert row["emailsenttime"] == datetime(2021, 12, 23, 17, 13, 40, tzinfo=UTC)
    assert row["emailbcc"] is None and row["orgid"] is None  # "" and "None" are NULL


def test_location_short_and_json_shapes():
    short = land("access", [{"time": "23 Dec 2021 17:13:42", "transactionid": "t1", "location": "London||Eng"}])
    assert (short["location_city"], short["location_region"], short["location_country_code"]) == (
        "London",
        "Eng",
        None,
    )
    guest = land("access", [{"time": "23 Dec 2021 17:13:42", "transactionid": "t2", "location": '["Guest"]'}])
    assert guest["location"] == '["Guest"]' and guest["location_city"] is None


def test_swgweb_json_arrays_decimals_and_indexedtime():
    row = land(
        "swgweb",
        [
            {
                "time": "23 Dec 2021 17:13:42",
                "setransactionid": "5f0c",
                "firstname": "Anna",
                "lastname": "Lee",
                "email": "anna.lee@example.com",
                "webcategories": '["WR:Gambling"]',
                "customcategories": "[]",
                "bgcategories": '["Gambling", "Games"]',
                "bgcloudscore": "7.00",
                "webreputation": "80.00",
                "lat": "51.5072",
                "long": "-0.1276",
                "indexedtime": "2021-12-23 17:13:50",
                "uri": "/bet",
                "devicehostname": "LAPTOP-7Q2M1",
                "uploadedbytes": "31466",
            }
        ],
    )
    assert row["webcategories"] == ["WR:Gambling"] and row["customcategories"] is None
    assert row["bgcategories"] == ["Gambling", "Games"]
    assert (row["bgcloudscore"], row["webreputation"], row["lat"], row["long"]) == (7.0, 80.0, 51.5072, -0.1276)
    assert row["indexedtime"] == datetime(2021, 12, 23, 17, 13, 50, tzinfo=UTC)
    assert (row["uri"], row["devicehostname"], row["uploadedbytes"]) == ("/bet", "LAPTOP-7Q2M1", 31466)
    assert row["user"] is None and (row["firstname"], row["lastname"]) == ("Anna", "Lee")


def test_swgwebdlp_empty_arrays_are_null_and_keywords_a_list():
    row = land(
        "swgwebdlp",
        [
            {
                "time": "23 Dec 2021 17:13:42",
                "transactionid": "t9 [2021-12-23 16:57:46]",
                "filename": "[]",
                "keyword": '["Pol-keyword"]',
                "dlppattern": '["US SSN", "Credit Card"]',
                "activity": '["Upload"]',
                "application": "",
                "action": "tobitglass",
            }
        ],
    )
    assert row["filename"] is None and row["application"] is None
    assert row["keyword"] == ["Pol-keyword"] and row["dlppattern"] == ["US SSN", "Credit Card"]
    assert row["activity"] == ["Upload"] and row["action"] == "tobitglass"


def test_cloud_types_times_status_list_and_size():
    row = land(
        "cloudsummary",
        [
            {
                "time": "23 Dec 2021 17:13:42",
                "fileid": "1AbC",
                "filename": "Budget.xlsx",
                "owner": "owner@example.com",
                "status": "Internal, Shared, DLP",
                "size": "31466",
                "createdtime": "01 Dec 2021 09:00:00",
                "modifiedtime": "22 Dec 2021 10:30:00",
            }
        ],
    )
    assert row["status"] == ["Internal", "Shared", "DLP"] and row["size"] == 31466
    assert row["createdtime"] == datetime(2021, 12, 1, 9, tzinfo=UTC)
    assert row["modifiedtime"] == datetime(2021, 12, 22, 10, 30, tzinfo=UTC)
    audit = land(
        "cloudaudit",
        [{"time": "23 Dec 2021 17:13:42", "fileid": "1AbC", "owner": "o@example.com", "folder": "/Finance"}],
    )
    assert (audit["owner"], audit["folder"]) == ("o@example.com", "/Finance")


def test_health_activity_list_and_real_fields():
    row = land(
        "healthsystem",
        [
            {
                "time": "23 Dec 2021 17:13:42",
                "transactionid": "h1",
                "activity": "Bitglass4xx, RestAPI",
                "responsecode": 429,
                "user": "Anna Lee",
                "email": "anna.lee@example.com",
                "url": "https://portal.bitglass.com/api/log-export",
                "requestmethod": "GET",
            }
        ],
    )
    assert row["activity"] == ["Bitglass4xx", "RestAPI"] and row["responsecode"] == 429
    assert (row["user"], row["email"], row["requestmethod"]) == ("Anna Lee", "anna.lee@example.com", "GET")


def test_list_shapes():
    assert parse_list('["WR:Gambling"]') == ["WR:Gambling"]
    assert parse_list("['355160', 'All Users']") == ["355160", "All Users"]
    assert parse_list("Alert, Blocked") == ["Alert", "Blocked"]
    assert parse_list("All Users") == ["All Users"]
    assert parse_list(["a", "", None]) == ["a"]
    for empty in ("", "[]", "None", None, [], "  "):
        assert parse_list(empty) is None, empty
    assert parse_list("[not, json") == ["[not", "json"]  # not a list literal: a comma list


def test_unknown_fields_land_as_columns_and_a_day_merges_pages_of_both_schemas(tmp_path):
    lt = FORCEPOINT_TYPES["access"]
    old = parse_page(lt, [{"time": "23 Dec 2021 17:13:42", "transactionid": "t1"}], 0, IdStrategy(lt), Coercer())
    new = parse_page(
        lt,
        [{"time": "23 Dec 2021 17:14:42", "transactionid": "t2", "riskscore": 7, "newthing": {"a": 1}, "": "x"}],
        0,
        IdStrategy(lt),
        Coercer(),
    )
    assert new.table.column_names[-2:] == ["newthing", "riskscore"]  # text columns, sorted, after the catalog's
    assert new.table.column("riskscore").to_pylist() == ["7"]
    assert new.table.column("newthing").to_pylist() == ['{"a":1}']
    assert orjson.loads(new.table.column("raw")[0].as_py())[""] == "x"  # an unusable name stays in raw
    with Lake.for_home(tmp_path) as lake:
        merge = DayMerge(lake, lt, "2021-12-23")
        merge.add(old.table)
        merge.add(new.table)
        merge.add(old.table)  # a duplicate, whatever its schema
        result = merge.commit()
    assert (result.added, result.duplicates) == (2, 1)
    table = lake_table(tmp_path, "forcepoint", "access", "2021-12-23").sort_by("event_id")
    assert table.column("event_id").to_pylist() == ["t1", "t2"]
    assert table.column("riskscore").to_pylist() == [None, "7"]


def test_aperture_timestamp_trimmed_severity_kept_and_new_fields():
    event = {
        "log_type": "activity_monitoring",
        "timestamp": "2026-11-20T10:00:55Z ",
        "user": "anna.lee@example.com",
        "severity": 1.0,
        "target_type": "",
        "brand_new": "yes",
    }
    parsed = parse_body(orjson.dumps({"events": [event]}))
    row = lake_row(parsed.events[0], datetime(2026, 11, 20, tzinfo=UTC))
    table = build_table(APERTURE_TYPES["activity_monitoring"], [row], Coercer())
    got = table.to_pylist()[0]
    assert got["timestamp"] == "2026-11-20T10:00:55Z" and got["severity"] == 1.0
    assert got["target_type"] is None and got["brand_new"] == "yes"
    assert orjson.loads(got["raw"])["timestamp"] == "2026-11-20T10:00:55Z "  # raw keeps what was received


def nested(levels: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(levels):
        value = {"a": value}
    return value


def test_a_record_nested_1000_deep_is_quarantined_and_the_rest_of_its_page_lands():
    for log_type in ("access", "cloudaudit"):
        lt = FORCEPOINT_TYPES[log_type]
        deep = {"time": "23 Dec 2021 17:13:42", "transactionid": "deep", "fileid": "f1", "details": nested(1000)}
        ok = {"time": "23 Dec 2021 17:13:43", "transactionid": "ok", "fileid": "f2"}
        page = parse_page(lt, [deep, ok, deep], 0, IdStrategy(lt), Coercer())
        assert page.table.num_rows == 1 and page.table.column("time").to_pylist() == ["23 Dec 2021 17:13:43"]
        assert len(page.rejected) == 2
        text, reason = page.rejected[0]
        assert reason == "record nested more than 64 levels deep"
        assert orjson.loads(text.encode())["transactionid"] == "deep"  # the record's text is kept


def test_times_outside_the_lake_are_quarantined_with_the_reason():
    lt = FORCEPOINT_TYPES["access"]
    records = [
        {"time": "31 Dec 9999 23:59:59", "transactionid": "far"},
        {"time": "1969-12-31T23:00:00Z", "transactionid": "before"},
        {"time": "23 Dec 2021 17:13:42", "transactionid": "ok"},
    ]
    page = parse_page(lt, records, 0, IdStrategy(lt), Coercer())
    assert page.table.column("event_id").to_pylist() == ["ok"]
    assert [r for _, r in page.rejected] == [
        "'time' out of range: '31 Dec 9999 23:59:59'",
        "'time' out of range: '1969-12-31T23:00:00Z'",
    ]
