"""Aperture: fields whose names cannot be columns are kept in raw and reported by the landing (and in
the run's metadata), also when only the lake table, holding a colliding column, refuses them."""

from __future__ import annotations

import json

from log_assets.aperture.spool import Spool, sort_bodies
from log_assets.defs.aperture.assets import land_figures

from .conftest import make_event
from .helpers import canonical_id, lake_rows
from .test_spool_land import land_all, spool_bodies


def test_the_landing_reports_fields_kept_in_raw(home):
    spool = Spool(home).ensure()
    first = make_event("incident", "2026-11-20T08:00:00Z", **{"a.b": "dotted", "Raw": "own", "": "empty"})
    spool_bodies(spool, [json.dumps({"events": [first]}).encode()])
    sort_bodies(spool)
    (report,) = land_all(spool)
    assert report.new_fields == ("a.b",)
    assert [e.split(" (")[0] for e in report.fields_kept_in_raw] == ['""', '"Raw"']
    # A later body alone is fine, but the lake table has `a.b`, which Parquet writes as `a_x2Eb`.
    later = make_event("incident", "2026-11-20T09:00:00Z", a_x2Eb="escaped")
    spool_bodies(spool, [json.dumps({"events": [later]}).encode()])
    sort_bodies(spool)
    (again,) = land_all(spool)
    assert again.new_fields == ()
    assert again.fields_kept_in_raw == ('"a_x2Eb" (written to Parquet as "a_x2Eb", like the column "a.b")',)
    assert again.landed == 1
    rows = {r["event_id"]: r for r in lake_rows(home, "incident")}
    assert json.loads(rows[canonical_id(later)]["raw"])["a_x2Eb"] == "escaped"
    figures = land_figures([report, again])
    assert "a_x2Eb" in figures["fields_kept_in_raw"] and '"Raw"' in figures["fields_kept_in_raw"]
