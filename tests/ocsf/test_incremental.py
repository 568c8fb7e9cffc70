"""The OCSF tables follow the per-type tables by day: a rewritten day is recomputed alone, and
published again."""

from __future__ import annotations

from log_assets.paths import Home
from log_assets.warehouse import connect_readonly, sync
from tests.lakeview import lake_table
from tests.warehouse.lakegen import event, write


def swg(eid: str, time: str) -> dict:
    fields = {"setransactionid": eid, "url": "https://a.example/", "ipaddress": "10.0.0.1"}
    return event("forcepoint", "swgweb", eid, time, **fields)


def uids(home: Home) -> list[str]:
    conn = connect_readonly(home)
    try:
        return sorted(r[0] for r in conn.execute("SELECT metadata.uid FROM ocsf.http_activity").fetchall())
    finally:
        conn.close()


def test_a_rewritten_day_is_recomputed_alone(tmp_path):
    home = Home.from_env(tmp_path)
    write(home, [swg("S1", "2026-04-01 08:00")])
    write(home, [swg("S2", "2026-04-02 08:00")])
    first = sync(home)["derived"]["ocsf.http_activity"]
    assert first.full and first.rows == 2
    assert uids(home) == ["S1", "S2"]

    write(home, [swg("S3", "2026-04-02 09:00")])  # day 2 now holds S3 instead of S2
    report = sync(home)["derived"]["ocsf.http_activity"]
    assert (report.full, report.days, report.rows) == (False, 1, 2)
    assert uids(home) == ["S1", "S3"]
    published = lake_table(home, "ocsf", "http_activity", columns=["metadata"]).column("metadata").to_pylist()
    assert sorted(m["uid"] for m in published) == ["S1", "S3"]

    untouched = sync(home)["derived"]["ocsf.http_activity"]
    assert (untouched.full, untouched.days) == (False, 0)
