"""A field the catalog does not know becomes a column of its type's lake files and warehouse table,
under its own name; old days without it read NULL there, and it never fails a load."""

from __future__ import annotations

from log_assets.paths import Home
from log_assets.warehouse import connect_readonly, sync
from tests.warehouse.lakegen import event, write


def test_new_fields_become_warehouse_columns_across_days(tmp_path):
    home = Home(tmp_path)
    old = event("forcepoint", "access", "A1", "2026-04-01 09:00", transactionid="A1", user="ann")
    new = event("forcepoint", "access", "A2", "2026-04-02 09:00", transactionid="A2", riskscore=7, zone="eu")
    write(home, [old])
    sync(home)
    write(home, [new])
    sync(home)
    later = event("forcepoint", "access", "A3", "2026-04-02 10:00", transactionid="A3", verdict="clean")
    write(home, [later], file="part-1")  # the same day, a file with yet another field
    sync(home)
    con = connect_readonly(home)
    try:
        rows = con.execute(
            'SELECT event_id, riskscore, zone, verdict, "user" FROM forcepoint.access ORDER BY event_id'
        ).fetchall()
        kinds = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'forcepoint' AND table_name = 'access'"
            ).fetchall()
        )
        events = con.execute("SELECT count(*) FROM analytics.events WHERE log_type = 'access'").fetchone()
    finally:
        con.close()
    assert rows == [
        ("A1", None, None, None, "ann"),
        ("A2", "7", "eu", None, None),
        ("A3", None, None, "clean", None),
    ]
    assert kinds["riskscore"] == kinds["zone"] == kinds["verdict"] == "VARCHAR"
    assert events == (3,)
