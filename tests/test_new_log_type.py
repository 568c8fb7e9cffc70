"""A log type is one catalog entry: a Forcepoint type added to a temporary catalog is fetched from the
simulator into the lake, gets its warehouse table and its analytics.events rows, with nothing else
written for it (no generator, no SQL, no docs entry)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
from log_assets.simulator import values as V
from log_assets.warehouse import connect_readonly
from tests.lakeview import lake_days, lake_event_ids

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))
import build_tables_md  # noqa: E402

SWGDNS = LogType(
    FORCEPOINT,
    "swgdns",
    "Secure Web Gateway DNS queries.",
    tuple(Field(n) for n in "syslogheader time transactionid email user ipaddress application action".split())
    + (Field("requestdomain"), Field("usergroup", LIST))
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


@pytest.mark.e2e
@pytest.mark.slow
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


def test_a_type_added_to_the_catalog_is_served_mapped_and_documented(swgdns):
    from log_assets.simulator.forcepoint import records

    cols = records.columns(swgdns, seed=3, indices=range(200), times_ms=[1_780_000_000_000] * 200, origin_ms=0)
    rows = records.records(swgdns, "1.1.5", cols)
    assert len(rows) == 200 and all(set(r) == set(swgdns.field_names) for r in rows)
    assert len({r["transactionid"] for r in rows}) == 200  # each event keeps its own event_id
    assert {r["email"] for r in rows} <= {u.email for u in V.USERS}
    assert all(int(r["answers"]) >= 0 for r in rows)  # an INT field: a number in a string, as real records send

    # analytics.events and the docs: the vendor's convention plus the entry's differences.
    mapped = dict(build_tables_md.events_mapping()["forcepoint.swgdns"])
    assert mapped["event_class"] == "'activity'"
    assert mapped["object_name"] == "requestdomain" and mapped["domain"] == "requestdomain"
    assert mapped["user_email"] == "email" and mapped["src_ip"] == "ipaddress"
    assert "bytes_in" not in mapped and "url" not in mapped  # no such fields: the column stays NULL
    assert build_tables_md.field_doc(FORCEPOINT, "swgdns", "querytype") == SWGDNS.fields[-2].doc
    assert build_tables_md.field_doc(FORCEPOINT, "swgdns", "email") == build_tables_md.FP_FIELDS["email"]


def test_an_entry_naming_fields_it_lacks_is_refused_with_its_name():
    with pytest.raises(ValueError, match=r"forcepoint log type 'swgdns'.*does not have: hostname, qname"):
        LogType(
            FORCEPOINT,
            "swgdns",
            "",
            SWGDNS.fields,
            "time",
            events=events("activity", object_name="qname hostname"),
        )
    with pytest.raises(ValueError, match=r"'swgdns'.*does not have: verdict"):
        LogType(FORCEPOINT, "swgdns", "", SWGDNS.fields, "time", events=events("activity", dlp="verdict"))


def test_a_mapping_to_a_column_events_lacks_is_refused_with_its_name():
    from log_assets.warehouse.eventmap import mapping

    odd = LogType(FORCEPOINT, "swgdns", "", SWGDNS.fields, "time", events=events("activity", user_key="email"))
    with pytest.raises(ValueError, match=r"'swgdns'.*does not have: user_key"):
        mapping(odd)


def test_events_sql_sections_are_only_for_types_their_entry_does_not_map():
    """One source per type: a type with a section in events.sql leaves its entry's mapping at the
    default (the section replaces it); every other section is a vendor's fallback for unknown types."""
    from log_assets.warehouse.sqlfiles import sections

    for name in sections("events"):
        vendor, _, log_type = name.partition(".")
        if log_type == "*":
            assert vendor in (C.FORCEPOINT, C.APERTURE)
            continue
        assert (vendor, log_type) in C.CATALOG, f"sql/events.sql section {name} names no catalog type"
        assert C.CATALOG[(vendor, log_type)].events == C.Events(), f"{name}: mapped twice (entry and section)"
