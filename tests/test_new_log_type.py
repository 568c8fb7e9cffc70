"""A log type is one catalog entry: a type added to a temporary catalog (Forcepoint, Aperture) is fetched
from the simulator into the lake, gets its warehouse table and its analytics.events rows, with nothing
else written for it (no generator, no SQL, no docs entry)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from log_assets import catalog as C
from log_assets.aperture.spool import Spool
from log_assets.catalog import APERTURE, FORCEPOINT, INT, LIST, Field, LogType, events
from log_assets.defs.aperture.assets import aperture_spool, build_landing_asset
from log_assets.defs.aperture.resources import ApertureApi
from log_assets.defs.forcepoint.assets import build_forcepoint_assets
from log_assets.defs.forcepoint.resources import ForcepointResource
from log_assets.defs.resources import LogAssetsHome
from log_assets.defs.warehouse.assets import build_warehouse_assets
from log_assets.defs.warehouse.resources import WarehouseDuckDB
from log_assets.forcepoint.parse import IdStrategy
from log_assets.simulator import values as V
from log_assets.warehouse import connect_readonly
from tests.aperture.helpers import canonical_id
from tests.lakeview import lake_days, lake_event_ids

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))
import build_tables_md  # noqa: E402

SWGDNS = LogType(
    FORCEPOINT,
    "swgdns",
    "Secure Web Gateway DNS queries.",
    tuple(Field(n) for n in ("syslogheader", "time", "transactionid", "email", "user", "ipaddress", "application"))
    + (Field("action"),)
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
def test_a_type_added_to_the_catalog_lands_end_to_end(simulator, swgdns, tmp_path, monkeypatch):
    sim = simulator(seed=5, days=3, forcepoint_events_per_day=60, page_size=50, aperture_backlog_per_type=0)
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

    # The walk may also have landed events of the day after the range: the warehouse has all the lake's.
    landed = sorted(
        i
        for d in lake_days(tmp_path, FORCEPOINT, "swgdns")
        for i in lake_event_ids(tmp_path, FORCEPOINT, "swgdns", d)
    )
    assert set(landed) >= {i for d in days for i in truth[d]}

    columns, ids, rows = warehouse_rows(home, FORCEPOINT, "swgdns", "email user ipaddress application action")
    assert columns["querytype"] == "VARCHAR" and columns["answers"] == "BIGINT"
    assert columns["usergroup"] == "VARCHAR[]"
    assert ids == landed
    assert [r[0] for r in rows] == landed
    for _, event_class, mapped, given, object_name, domain, requestdomain in rows:
        assert event_class == "activity"
        # user_email, user_name, src_ip, app_name, action from the vendor's convention; object_name
        # from the entry's mapping; domain from the convention, lower-cased by the events shape.
        assert mapped == given and None not in mapped
        assert object_name == requestdomain and domain == requestdomain.lower()


@pytest.mark.e2e
@pytest.mark.slow
def test_an_aperture_type_added_to_the_catalog_lands_end_to_end(simulator, tmp_path, monkeypatch):
    sharing = LogType(
        APERTURE,
        "sharing",
        "Sharing changes of items in monitored cloud apps.",
        tuple(
            Field(n) for n in ("log_type", "serial", "cloud_app_instance", "timestamp", "item_type", "item_name")
        )
        + (Field("user"), Field("source_ip"), Field("action"))
        + (Field("shared_with", LIST), Field("link_count", INT)),
        "timestamp",
        events=events("activity", activity_name="action"),
    )
    monkeypatch.setitem(C.APERTURE_TYPES, sharing.name, sharing)
    monkeypatch.setitem(C.CATALOG, (APERTURE, sharing.name), sharing)
    home = LogAssetsHome(root=str(tmp_path))
    sim = simulator(seed=9, days=2, forcepoint_events_per_day=10, aperture_backlog_per_type=30, long_poll=0.2)
    drained = dg.materialize([aperture_spool], resources={"home": home, "aperture": ApertureApi()})
    sent = sorted({canonical_id(e) for e in sim.aperture.intact_events() if e["log_type"] == "sharing"})
    assert drained.success and sent, "the simulator sent no sharing events: the test would prove nothing"
    landing = build_landing_asset()
    with Spool(home.get()) as spool:
        days = sorted({d for (_, d) in spool.pending_partitions()})
    for day in days:
        assert dg.materialize([landing], partition_key=day, resources={"home": home}).success

    columns, ids, rows = warehouse_rows(home, APERTURE, "sharing", "user source_ip cloud_app_instance action")
    assert columns["shared_with"] == "VARCHAR[]" and columns["link_count"] == "BIGINT"
    assert ids == sent
    assert [r[0] for r in rows] == sent
    for _, event_class, mapped, given, *_ in rows:
        assert event_class == "activity"
        # user_email from user (an address) by the events shape; the rest from the vendor's convention.
        assert mapped[0] == given[0] and mapped[1:] == given and None not in mapped


def warehouse_rows(home: LogAssetsHome, vendor: str, name: str, fields: str):
    """Build the warehouse; then the type's table (columns, sorted ids) and, per event_id, its
    analytics.events row beside the table's values: (event_id, event_class, (user_email, user_name,
    src_ip, app_name, action), the table's `fields`, object_name, domain, requestdomain or NULL)."""
    built = dg.materialize(
        [build_warehouse_assets()], resources={"home": home, "warehouse_duckdb": WarehouseDuckDB()}
    )
    assert built.success
    table = f"{vendor}.{name}"
    con = connect_readonly(home.root)
    try:
        columns = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ?",
                [vendor, name],
            ).fetchall()
        )
        ids = [r[0] for r in con.execute(f"SELECT event_id FROM {table} ORDER BY 1").fetchall()]
        given = ", ".join(f't."{f}"' for f in fields.split())
        domain = "t.requestdomain" if "requestdomain" in columns else "NULL"
        rows = con.execute(
            "SELECT e.event_id, e.event_class, e.user_email, e.user_name, e.src_ip, e.app_name, e.action, "
            f"{given}, e.object_name, e.domain, {domain} FROM analytics.events e JOIN {table} t USING (event_id) "
            "WHERE e.vendor = ? AND e.log_type = ? ORDER BY 1",
            [vendor, name],
        ).fetchall()
    finally:
        con.close()
    n = len(fields.split())
    return columns, ids, [(r[0], r[1], r[2:7], r[7 : 7 + n], *r[7 + n :]) for r in rows]


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
    from log_assets.warehouse.eventmap import entry_mapping

    odd = LogType(FORCEPOINT, "swgdns", "", SWGDNS.fields, "time", events=events("activity", user_key="email"))
    with pytest.raises(ValueError, match=r"'swgdns'.*does not have: user_key"):
        entry_mapping(odd)


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
