"""Fields the catalog does not know whose names cannot be columns (they would collide in Parquet,
Iceberg or DuckDB, or are empty, too long, the lake's own): kept in raw and reported, never silently;
the others land as columns under their own names."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import orjson
import pytest

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.defs.forcepoint.assets import report_metadata
from log_assets.forcepoint import native
from log_assets.forcepoint.parse import IdStrategy, parse_page, parse_page_columnar
from log_assets.lake.colnames import kept_in_raw
from log_assets.lake.schema import Coercer, build_table, new_fields
from tests.lakeview import lake_table

from .test_native_parse import _JSON_CLIENT, envelope
from .test_walk_unit import DAY, ScriptedClient, ingest, page, rec

LT = FORCEPOINT_TYPES["access"]
LONG = "x" * 129
ODD = {
    "a.b": "dotted",
    "a_x2Eb": "escape of a.b",
    "sp ace": "spaced",
    "emoji😀": "smile",
    "Email": "twin of email",
    "EVENT_ID": "own column",
    "Raw": "own column",
    "date": "own column",
    "": "empty",
    LONG: "too long",
    "Foo": "one",
    "foo": "two",
    "FOO": "three",
}
COLUMNS = ["FOO", "a.b", "emoji😀", "sp ace"]  # in name order, the first of colliding names wins
KEPT = {
    "a_x2Eb": 'like the column "a.b"',
    "Email": '"email"',
    "EVENT_ID": "reserved for the lake's own columns (event_id",
    "Raw": "reserved for the lake's own columns (raw",
    "date": "reserved for the lake's own columns (date",
    "": "empty",
    LONG: "longer than 128",
    "Foo": '"FOO"',
    "foo": '"FOO"',
}


def records() -> list[dict]:
    return [{**rec(i), **ODD} for i in range(3)]


def _check(table) -> None:
    assert new_fields(table, LT) == COLUMNS
    kept = kept_in_raw(table)
    assert set(kept) == set(KEPT)
    for name, words in KEPT.items():
        assert words in kept[name], (name, kept[name])
    row = table.to_pylist()[0]
    assert row["a.b"] == "dotted" and row["sp ace"] == "spaced" and row["emoji😀"] == "smile"
    assert json.loads(row["raw"])["a_x2Eb"] == "escape of a.b"  # kept: in raw


@pytest.mark.parametrize("how", ["body", "native", "columnar", "build_table"])
def test_each_name_is_a_column_or_kept_in_raw_with_its_reason(how):
    recs = records()
    if how == "body":  # the page read from the response's text (compiled code)
        body = _JSON_CLIENT.page_from_body(envelope(orjson.dumps(recs)), LT).records
        assert isinstance(body, native.JsonRecords)
        got = parse_page(LT, body, 0, IdStrategy(LT), Coercer())
        assert not got.rejected
        table = got.table
    elif how == "native":
        got = parse_page(LT, recs, 0, IdStrategy(LT), Coercer())
        assert not got.rejected
        table = got.table
    elif how == "columnar":
        table = parse_page_columnar(LT, recs, 0, IdStrategy(LT), Coercer()).table
    else:
        rows = [
            {
                "event_id": r["transactionid"],
                "event_time": DAY,
                "vendor": "forcepoint",
                "log_type": "access",
                "raw": json.dumps(r),
                "ingested_at": DAY,
                "fields": r,
            }
            for r in recs
        ]
        table = build_table(LT, rows, Coercer())
    _check(table)


def test_the_walk_reports_what_stayed_in_raw_also_when_the_lake_table_refuses_it(tmp_path, state_store, caplog):
    caplog.set_level(logging.WARNING)
    # Each page alone is fine; together `a_x2Eb` would be written to Parquet like `a.b`, `foo` be
    # `Foo` in the warehouse: the lake table refuses the later names.
    pages = [
        page([{**rec(0), "a.b": "dotted", "Email": "twin"}], "t1"),
        page([{**rec(1), "a_x2Eb": "escaped", "Foo": "one"}], "t2"),
        page([{**rec(2), "foo": "two", "sp ace": "spaced"}], "t3"),
        page([], "t3"),
    ]
    report = ingest(tmp_path, state_store, ScriptedClient(pages)).run(DAY, DAY + timedelta(days=1))
    assert report.new_fields == ["Foo", "a.b", "sp ace"]
    assert [e.split(" (")[0] for e in report.fields_kept_in_raw] == ['"Email"', '"a_x2Eb"', '"foo"']
    assert any('like the column "a.b"' in e for e in report.fields_kept_in_raw)
    assert "a_x2Eb" in caplog.text and "Email" in caplog.text
    meta = report_metadata(report)
    assert meta["new_fields"].value == "Foo, a.b, sp ace"
    assert meta["fields_kept_in_raw"].value == "; ".join(report.fields_kept_in_raw)
    table = lake_table(tmp_path, "forcepoint", "access", "2026-11-10").sort_by("event_id")
    assert table.num_rows == 3
    assert "a_x2Eb" not in table.column_names and "foo" not in table.column_names
    assert table.column("a.b").to_pylist() == ["dotted", None, None]
    assert json.loads(table.column("raw")[1].as_py())["a_x2Eb"] == "escaped"


def test_a_walk_keeps_its_report_of_fields_kept_in_raw_across_runs():
    from log_assets.state import Walk

    walk = Walk(id="w", stage_from="2026-11-10", end="2026-11-11", token=None, started_from="start")
    assert "kept_in_raw" not in walk.to_dict()  # as earlier versions wrote it
    walk.kept_in_raw = ['"a_x2Eb" (written to Parquet as "a_x2Eb", like the column "a.b")']
    assert Walk.from_dict(json.loads(json.dumps(walk.to_dict()))).kept_in_raw == walk.kept_in_raw
