"""CSV answers hold the same events as JSON ones, correctly quoted."""

import csv
import io

import pytest
import requests

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.simulator.testing import fetch_forcepoint, forcepoint_headers, simulator


def as_csv_value(v) -> str:
    return "" if v is None else str(v)


@pytest.mark.parametrize("log_type", sorted(FORCEPOINT_TYPES))
def test_csv_round_trips_to_the_json_records(sim, http, log_type):
    start = "2026-11-18T00:00:00Z"
    json_records, _, _ = fetch_forcepoint(sim, log_type, start, cv="1.1.7", fmt="json", session=http)
    csv_records, _, _ = fetch_forcepoint(sim, log_type, start, cv="1.1.7", fmt="csv", session=http)
    assert len(csv_records) == len(json_records) == sim.forcepoint.stream_length(log_type)
    for c, j in zip(csv_records, json_records, strict=True):
        assert c == {k: as_csv_value(v) for k, v in j.items()}
    # Ground truth in CSV form is what a CSV reader gets from the pages.
    truth = [
        r
        for d in sim.forcepoint.days(log_type)
        for r in sim.forcepoint.distinct_events(log_type, day=d, cv="1.1.7", fmt="csv")
    ]
    assert sorted(map(repr, truth)) == sorted(set(map(repr, csv_records)))


def test_csv_header_is_the_cv_field_list(sim, http):
    for cv in ("1.0.1", "1.1.5"):
        r = http.get(
            sim.forcepoint_url,
            headers=forcepoint_headers(sim),
            params={
                "type": "cloudsummary",
                "cv": cv,
                "responseformat": "csv",
                "startdate": "2026-11-18T00:00:00Z",
            },
        )
        data = r.json()["response"]["data"]
        header = next(csv.reader(io.StringIO(data)))
        assert header == [f.name for f in FORCEPOINT_TYPES["cloudsummary"].fields_for_cv(cv) if f.real]


def test_an_empty_csv_page_still_has_its_header(sim, http):
    r = http.get(
        sim.forcepoint_url,
        headers=forcepoint_headers(sim),
        params={"type": "admin", "cv": "1.0.1", "responseformat": "csv", "startdate": "2026-12-01T00:00:00Z"},
    )
    assert (
        r.json()["response"]["data"]
        == ",".join(f.name for f in FORCEPOINT_TYPES["admin"].fields_for_cv("1.0.1") if f.real) + "\r\n"
    )


def test_csv_pages_carry_the_hazards():
    """Commas, double quotes, newlines and non-ASCII inside values, all quoted correctly."""
    with simulator(days=1, forcepoint_events_per_day=2000, page_size=1000) as sim:
        r = requests.get(
            sim.forcepoint_url,
            headers=forcepoint_headers(sim),
            params={"type": "access", "cv": "1.1.5", "responseformat": "csv", "startdate": "2026-11-20T00:00:00Z"},
        )
        text = r.json()["response"]["data"]
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == 1000
        values = [v for row in rows for v in row.values()]
        assert any("," in v for v in values)
        assert any('"' in v for v in values)
        assert any("\n" in v for v in values)
        assert any(not v.isascii() for v in values)
        # A naive line split would see more lines than records.
        assert text.count("\n") > len(rows) + 1
