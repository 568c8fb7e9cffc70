"""New fields reach what is derived from their table, and the columns they add are bounded.

A field the catalog does not know lands as a text column of its type's lake table and per-type
warehouse table; the latest-state tables (`*_current`, `SELECT *` of their source) carry it too, in
the same build. A log type gains at most `MAX_NEW_COLUMNS` such columns: the fields beyond stay in
`raw` and are named in the load's report."""

from __future__ import annotations

import json

import pytest

from log_assets.paths import Home
from log_assets.warehouse import connect_readonly, sync
from tests.lakeview import lake_table
from tests.warehouse.conftest import C1, C2, C3, IN1, IN2, IN3, cloudsummary, incident
from tests.warehouse.lakegen import event, write

FP = "forcepoint"


def _columns(con, schema: str, table: str) -> dict[str, str]:
    return dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchall()
    )


def _with(row: dict, **fields) -> dict:
    """A copy of a lakegen event carrying more fields (in `raw` too)."""
    out = {**row, "fields": {**row["fields"], **fields}}
    out["raw"] = json.dumps({"log_type": row["log_type"], **out["fields"]}, sort_keys=True)
    return out


def test_a_new_field_reaches_the_latest_state_tables_in_the_same_build(home):
    sync(home)  # the tables and their cursors exist before the new field arrives
    c4 = _with(cloudsummary("F3-c4", "2026-03-02 11:00", "F3", "Public", "gus", "Alert"), ipaddress="10.9.9.9")
    write(home, [C3, c4], "p0")
    in4 = _with(
        incident(
            "IN4", "2026-03-02 15:00", "inc-3", 3, "public", "2026-03-02T15:00:00Z", "hal", "Box", "x", "PII"
        ),
        ticket_url="https://t/1",
    )
    write(home, [IN2, IN3, in4])
    result = sync(home)
    assert result["derived"]["forcepoint.cloudsummary_current"].full is False  # followed, not rebuilt
    con = connect_readonly(home)
    try:
        current = con.execute(
            "SELECT fileid, ipaddress FROM forcepoint.cloudsummary_current ORDER BY fileid"
        ).fetchall()
        incidents = con.execute(
            "SELECT incident_id, ticket_url FROM aperture.incident_current ORDER BY incident_id"
        ).fetchall()
        kinds = _columns(con, "forcepoint", "cloudsummary_current")
    finally:
        con.close()
    assert current == [("F1", None), ("F2", None), ("F3", "10.9.9.9")]
    assert incidents == [("inc-1", None), ("inc-2", None), ("inc-3", "https://t/1")]
    assert kinds["ipaddress"] == "VARCHAR"


def test_a_new_field_in_the_first_build_reaches_the_latest_state_table(tmp_path):
    home = Home(tmp_path)
    write(home, [_with(C1, ipaddress="10.0.0.7"), C2], "p0")
    write(home, [_with(IN1, ticket_url="https://t/0")], "p0")
    sync(home)
    sync(home)  # and the next build finds nothing to change
    con = connect_readonly(home)
    try:
        current = con.execute(
            "SELECT fileid, ipaddress FROM forcepoint.cloudsummary_current ORDER BY 1"
        ).fetchall()
        incident_row = con.execute("SELECT incident_id, ticket_url FROM aperture.incident_current").fetchall()
    finally:
        con.close()
    assert current == [("F1", "10.0.0.7"), ("F2", None)]
    assert incident_row == [("inc-1", "https://t/0")]


def _carrying(eid: str, time: str, fileid: str, names: list[str]) -> dict:
    return event(FP, "cloudsummary", eid, time, fileid=fileid, status="Public", **{n: f"{n}@{eid}" for n in names})


@pytest.mark.slow
def test_thousands_of_new_fields_are_bounded_and_reported(tmp_path):
    from log_assets.lake.limits import MAX_NEW_COLUMNS

    assert MAX_NEW_COLUMNS == 1000  # the figures below
    home = Home(tmp_path)
    names = [f"nf{k:04d}" for k in range(2500)]
    # Day 1: 1,500 new fields over 300 records (record i carries names i, i + 300, ...).
    day1 = [
        _carrying(f"E{i}", f"2026-03-01 10:{i // 60:02d}:{i % 60:02d}", f"F{i % 20}", names[i:1500:300])
        for i in range(300)
    ]
    write(home, day1)
    first = sync(home)["loads"]["forcepoint.cloudsummary"]
    assert first.new_columns == names[:1000]
    # The lake's table took the same 1,000 (lake/limits.py), the rest are in raw only: the warehouse
    # finds no more in the files (its own bound is for lakes that earlier versions left wider).
    assert first.new_columns_beyond_limit == []
    assert (
        sorted(n for n in lake_table(home, "forcepoint", "cloudsummary").column_names if n[:2] == "nf")
        == (names[:1000])
    )
    # Day 2: a field that is a column already, and 1,000 more that are not: no column is added.
    day2 = [_carrying("G0", "2026-03-02 09:00", "F0", ["nf0001", *names[1500:]])]
    write(home, day2)
    second = sync(home)["loads"]["forcepoint.cloudsummary"]
    assert second.new_columns == []
    assert second.new_columns_beyond_limit == []

    con = connect_readonly(home)
    try:
        table = _columns(con, "forcepoint", "cloudsummary")
        current = _columns(con, "forcepoint", "cloudsummary_current")
        values = con.execute(
            "SELECT event_id, nf0001, nf0999, raw FROM forcepoint.cloudsummary "
            "WHERE event_id IN ('E1', 'E99', 'E200', 'G0') ORDER BY event_id"
        ).fetchall()
        latest = con.execute("SELECT nf0001 FROM forcepoint.cloudsummary_current WHERE fileid = 'F0'").fetchone()
    finally:
        con.close()
    new = [n for n in table if n.startswith("nf")]
    assert sorted(new) == names[:1000] and all(table[n] == "VARCHAR" for n in new)
    assert list(current) == list(table)  # the latest-state table has the same columns, in order
    by_id = {eid: (a, b, json.loads(raw)) for eid, a, b, raw in values}
    assert by_id["E1"][:2] == ("nf0001@E1", None)
    assert by_id["E99"][:2] == (None, "nf0999@E99")  # 99 + 3 * 300 = 999
    assert by_id["E200"][2]["nf1400"] == "nf1400@E200"  # past the bound: in raw (200 + 4 * 300)
    assert by_id["G0"][0] == "nf0001@G0" and by_id["G0"][2]["nf2499"] == "nf2499@G0"
    assert latest == ("nf0001@G0",)


@pytest.mark.slow
def test_the_runs_metadata_counts_and_names_new_fields(tmp_path, monkeypatch):
    import dagster as dg

    from log_assets.defs.resources import LogAssetsHome
    from log_assets.defs.warehouse.assets import build_warehouse_assets
    from log_assets.defs.warehouse.resources import WarehouseDuckDB
    from log_assets.lake import limits

    monkeypatch.setattr(limits, "MAX_NEW_COLUMNS", 2)
    home = Home(tmp_path)
    write(home, [_carrying("E1", "2026-03-01 10:00", "F1", ["zeta", "alpha", "mu"])])
    result = dg.materialize(
        [build_warehouse_assets()],
        resources={"home": LogAssetsHome(root=str(home.root)), "warehouse_duckdb": WarehouseDuckDB()},
    )
    assert result.success
    meta = {m.asset_key.path[-1]: m.metadata for m in result.asset_materializations_for_node("warehouse")}
    got = meta["forcepoint_cloudsummary"]
    assert (got["new_columns"].value, got["new_fields_beyond_limit"].value) == (2, 1)
    assert got["new_fields_beyond_limit_names"].value == {"forcepoint.cloudsummary": ["zeta"]}
    assert meta["forcepoint_access"]["new_fields_beyond_limit"].value == 0


def test_a_build_stopped_between_load_and_refresh_is_followed_not_rebuilt(home):
    from log_assets.warehouse.writer import open_writer

    sync(home)
    c4 = _with(cloudsummary("F3-c4", "2026-03-02 11:00", "F3", "Public", "gus", "Alert"), ipaddress="10.9.9.9")
    write(home, [C3, c4], "p0")
    with open_writer(home) as w:
        w.sync()  # the per-type table has the column now; the run ends before the refresh
    result = sync(home)
    assert result["derived"]["forcepoint.cloudsummary_current"].full is False
    con = connect_readonly(home)
    try:
        current = con.execute(
            "SELECT fileid, ipaddress FROM forcepoint.cloudsummary_current ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    assert current == [("F1", None), ("F2", None), ("F3", "10.9.9.9")]


@pytest.mark.slow
def test_every_log_type_builds_with_fields_the_catalog_does_not_know(tmp_path):
    """Records of every log type of both vendors carrying fields the catalog does not know (among them
    names the derived tables use for their own columns): the warehouse builds, and builds again when a
    second day brings another new field, each a column of its type's table."""
    from log_assets.catalog import CATALOG

    home = Home(tmp_path)
    extra = {"zz_first": "one", "user_key": "u", "violations": "v", "ipaddress": "10.1.2.3"}
    for vendor, log_type in sorted(CATALOG):
        write(home, [event(vendor, log_type, f"{log_type}-1", "2026-03-01 10:00", **extra)])
    sync(home)
    for vendor, log_type in sorted(CATALOG):
        write(home, [event(vendor, log_type, f"{log_type}-2", "2026-03-02 10:00", zz_second="two")])
    sync(home)
    con = connect_readonly(home)
    try:
        for vendor, log_type in sorted(CATALOG):
            columns = _columns(con, vendor, log_type)
            assert {"zz_first", "zz_second", "user_key", "violations"} <= set(columns), (vendor, log_type)
            assert con.execute(f'SELECT count(*) FROM {vendor}."{log_type}"').fetchone()[0] == 2, (
                vendor,
                log_type,
            )
    finally:
        con.close()
