"""A field the catalog does not know lands as a text column holding the value as JSON spells it (what
`raw` says): `true`, not Python's `True`; on every path (the Forcepoint page read natively or the
careful way, an Aperture body)."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from log_assets.aperture.parse import lake_row, parse_body
from log_assets.catalog import APERTURE_TYPES, FORCEPOINT_TYPES
from log_assets.forcepoint import native
from log_assets.forcepoint.parse import IdStrategy, parse_page, parse_page_columnar
from log_assets.jsonsafe import json_text
from log_assets.lake.schema import Coercer, build_table

NEW = {"flagged": True, "muted": False, "score": 7, "ratio": 0.25, "huge": 1e20}
EXPECTED = {"flagged": "true", "muted": "false", "score": "7", "ratio": "0.25", "huge": "1e+20"}


def test_json_text_spells_values_as_json():
    assert [json_text(v) for v in (True, False, None, 7, 0.25, 1e20)] == [
        "true",
        "false",
        "null",
        "7",
        "0.25",
        "1e+20",
    ]
    assert json_text({"a": [True, None]}) == '{"a":[true,null]}'


def _records(n: int = 3) -> list[dict]:
    return [{"time": "23 Dec 2021 17:13:42", "transactionid": f"t{i}", **NEW} for i in range(n)]


@pytest.mark.parametrize("path", ["native", "careful"])
def test_forcepoint_new_fields_hold_json_text(path):
    lt = FORCEPOINT_TYPES["access"]
    if path == "native":
        body = orjson.dumps(
            {"status": "ok", "nextpagetoken": "", "response": {"dataformat": "json", "data": _records()}}
        )
        got = native.read_json_body(body)
        assert got is not None, "the page is not of the shape the native path reads"
        records = got[1]
        assert native.parse_json_records(lt, records, 0, IdStrategy(lt), Coercer()) is not None
        page = parse_page(lt, records, 0, IdStrategy(lt), Coercer())
    else:
        page = parse_page_columnar(lt, _records(), 0, IdStrategy(lt), Coercer())
    row = page.table.to_pylist()[0]
    assert {k: row[k] for k in NEW} == EXPECTED
    raw = row["raw"]
    assert '"flagged":true' in raw and '"muted":false' in raw  # what raw says, the column says


def test_aperture_new_fields_hold_json_text():
    event = {"log_type": "activity_monitoring", "timestamp": "2026-11-20T10:00:55Z", **NEW}
    parsed = parse_body(orjson.dumps({"events": [event]}))
    row = lake_row(parsed.events[0], datetime(2026, 11, 20, tzinfo=UTC))
    got = build_table(APERTURE_TYPES["activity_monitoring"], [row], Coercer()).to_pylist()[0]
    assert {k: got[k] for k in NEW} == EXPECTED
