"""A log type is one catalog entry: a Forcepoint type added to a temporary catalog is fetched from the
simulator into the lake, gets its warehouse table and its analytics.events rows, with nothing else
written for it (no generator, no SQL, no docs entry)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from log_assets import catalog as C
from log_assets.catalog import FORCEPOINT, INT, LIST, Field, LogType, events
from log_assets.defs.forcepoint.assets import build_forcepoint_assets
from log_assets.defs.forcepoint.resources import ForcepointResource
from log_assets.defs.resources import LogAssetsHome
from log_assets.defs.warehouse.assets import build_warehouse_assets
from log_assets.defs.warehouse.resources import WarehouseDuckDB
from log_assets.forcepoint.parse import IdStrategy
from log_assets.simulator import SimConfig, Simulator
from log_assets.warehouse import connect_readonly
from tests.lakeview import lake_days, lake_event_ids

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SWGDNS = LogType(
    FORCEPOINT,
    "swgdns",
    "Secure Web Gateway DNS queries.",
    C._f("syslogheader time transactionid email user ipaddress application action requestdomain")
    + C._f("usergroup", LIST)
    + (Field("querytype", doc="The DNS record type asked for (A, AAAA, MX, ...)."),)
    + (Field("answers", INT, doc="How many records the answer held."),),
    "time",
    ("transactionid",),
    events=events("activity", object_name="requestdomain"),
)


@pytest.fixture
def swgdns(monkeypatch):
    """The catalog with swgdns added: its public registries, as a catalog.py entry would fill them."""
    monkeypatch.setitem(C.FORCEPOINT_TYPES, SWGDNS.name, SWGDNS)
    monkeypatch.setitem(C.CATALOG, (FORCEPOINT, SWGDNS.name), SWGDNS)
    return SWGDNS


def _day(offset: int) -> str:
    return (datetime.now(UTC) + timedelta(days=offset)).strftime("%Y-%m-%d")


def test_a_type_added_to_the_catalog_lands_end_to_end(swgdns, tmp_path, monkeypatch):
    cfg = SimConfig(seed=5, days=3, forcepoint_events_per_day=60, page_size=50, aperture_backlog_per_type=0)
    with Simulator(cfg, port=0) as sim:
        for k, v in sim.env().items():
            monkeypatch.setenv(k, v)
        days = [_day(-2), _day(-1)]
        truth = {d: sorted(map(IdStrategy(swgdns), sim.forcepoint.distinct_events("swgdns", day=d))) for d in days}
        (asset,) = build_forcepoint_assets(log_types=["swgdns"])
        home = LogAssetsHome(root=str(tmp_path))
        fetched = dg.materialize(
            [asset],
            resources={"forcepoint": ForcepointResource(retries=2, backoff=0.01), "home": home},
            tags={"dagster/asset_partition_range_start": days[0], "dagster/asset_partition_range_end": days[-1]},
        )
    assert fetched.success
    assert all(truth.values()), "the simulator served no swgdns events: the test would prove nothing"
    for d in days:
        assert sorted(lake_event_ids(tmp_path, FORCEPOINT, "swgdns", d)) == truth[d]

    built = dg.materialize(
        [build_warehouse_assets()], resources={"home": home, "warehouse_duckdb": WarehouseDuckDB()}
    )
    assert built.success
    # The walk may also have landed events of the day after the range: the warehouse has all the lake's.
    want = sorted(
        i
        for d in lake_days(tmp_path, FORCEPOINT, "swgdns")
        for i in lake_event_ids(tmp_path, FORCEPOINT, "swgdns", d)
    )
    assert set(want) >= {i for d in days for i in truth[d]}
    con = connect_readonly(tmp_path)
    try:
        columns = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'forcepoint' AND table_name = 'swgdns'"
            ).fetchall()
        )
        assert columns["querytype"] == "VARCHAR" and columns["answers"] == "BIGINT"
        assert columns["usergroup"] == "VARCHAR[]"
        assert [r[0] for r in con.execute("SELECT event_id FROM forcepoint.swgdns ORDER BY 1").fetchall()] == want
        rows = con.execute(
            "SELECT e.event_id, e.event_class, e.user_email, e.user_name, e.src_ip, e.app_name, e.action, "
            "e.object_name, e.domain, t.email, t.user, t.ipaddress, t.application, t.action, t.requestdomain "
            "FROM analytics.events e JOIN forcepoint.swgdns t USING (event_id) "
            "WHERE e.vendor = 'forcepoint' AND e.log_type = 'swgdns' ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    assert [r[0] for r in rows] == want
    for r in rows:
        assert r[1] == "activity"
        # user_email, user_name, src_ip, app_name, action from the vendor's convention; object_name and
        # domain from the entry's mapping (domain lower-cased by the events shape).
        assert r[2:7] == r[9:14] and None not in r[2:7]
        assert r[7] == r[14] and r[8] == r[14].lower()
