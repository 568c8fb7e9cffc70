"""New fields reach what is derived from their table, and the columns they add are bounded.

A field the catalog does not know lands as a text column of its type's lake table and per-type
warehouse table; the latest-state tables (`*_current`, `SELECT *` of their source) carry it too, in
the same build. A log type gains at most `MAX_NEW_COLUMNS` such columns: the fields beyond stay in
`raw` and are named in the load's report."""

from __future__ import annotations

from log_assets.paths import Home
from log_assets.warehouse import connect_readonly, sync
from tests.warehouse.conftest import C1, C2, C3, IN1, IN2, IN3, cloudsummary, incident
from tests.warehouse.lakegen import write


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
    import json

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
