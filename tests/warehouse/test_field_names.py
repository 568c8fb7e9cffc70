"""Fields whose names Parquet cannot hold as they are (pyiceberg writes `a.b` as `a_x2Eb`, `sp ace`
as `sp_x20ace`) reach the warehouse under their own names: in the build's tables, in the published
views and in the tables published to the catalog."""

from __future__ import annotations

import pytest

from log_assets.paths import Home
from log_assets.warehouse import connect_readonly, sync
from log_assets.warehouse.sources import lake_of
from tests.warehouse.lakegen import event, write

pytestmark = [pytest.mark.slow]

ODD = {"a.b": "dotted", "sp ace": "spaced", "emoji😀": "smile", "1st": "digit"}


def _columns(con, schema: str, table: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = $s AND table_name = $t",
            {"s": schema, "t": table},
        ).fetchall()
    ]


def test_punctuated_names_reach_the_warehouse_under_their_own_names(tmp_path):
    home = Home(tmp_path)
    first = event("forcepoint", "access", "A1", "2026-04-01 09:00", transactionid="A1", user="ann")
    odd = event("forcepoint", "access", "A2", "2026-04-02 09:00", transactionid="A2", **ODD)
    write(home, [first])
    sync(home)
    write(home, [odd])
    sync(home)
    con = connect_readonly(home)
    try:
        cols = _columns(con, "forcepoint", "access")
        rows = con.execute(
            'SELECT event_id, "a.b", "sp ace", "emoji😀", "1st" FROM forcepoint.access ORDER BY event_id'
        ).fetchall()
    finally:
        con.close()
    assert set(ODD) <= set(cols)
    assert not {"a_x2Eb", "sp_x20ace", "emoji_x1F600", "_1st"} & set(cols)
    assert rows == [("A1", None, None, None, None), ("A2", "dotted", "spaced", "smile", "digit")]
    published = lake_of(home).read_days("warehouse", "forcepoint_access")
    assert set(ODD) <= set(published.column_names)
    assert published.sort_by("event_id").column("a.b").to_pylist() == [None, "dotted"]
