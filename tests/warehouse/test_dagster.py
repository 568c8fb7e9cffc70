"""The Dagster layer: definitions, one writer op in the pool, materializations, checks."""

from __future__ import annotations

from contextlib import closing

import dagster as dg
import duckdb
import pytest

from log_assets.catalog import CATALOG
from log_assets.defs.forcepoint.definitions import defs as forcepoint_defs
from log_assets.defs.resources import LogAssetsHome
from log_assets.defs.warehouse.assets import POOL, build_warehouse_assets
from log_assets.defs.warehouse.checks import build_warehouse_checks
from log_assets.defs.warehouse.definitions import defs
from log_assets.defs.warehouse.resources import WarehouseDuckDB
from log_assets.warehouse.layout import Layout
from log_assets.warehouse.ocsftables import OCSF_CLASSES
from tests.warehouse import conftest as lake
from tests.warehouse.lakegen import ts, write

pytestmark = [pytest.mark.slow]

NOW = ts("2026-03-03 12:00")  # newest events: Forcepoint D2 10:00 (26 h before), Aperture D3 09:00


def resources(home):
    return {"home": LogAssetsHome(root=str(home.root)), "warehouse_duckdb": WarehouseDuckDB()}


def test_definitions_merge_with_the_sources_and_load():
    merged = dg.Definitions.merge(forcepoint_defs, defs, dg.Definitions(resources={"home": LogAssetsHome()}))
    merged.resolve_all_job_defs()
    graph = merged.resolve_asset_graph()
    warehouse = {k for k in graph.get_all_asset_keys() if k.path[0] == "warehouse"}
    # per type, uncataloged, events, 5 derived, the OCSF classes, 2 ops (ingest_audit, source_health)
    assert len(warehouse) == len(CATALOG) + 1 + 1 + 5 + len(OCSF_CLASSES) + 2
    for key in warehouse:
        assert graph.get(key).group_name == "warehouse"
    assert graph.get(dg.AssetKey(["warehouse", "forcepoint_access"])).parent_keys == {
        dg.AssetKey(["forcepoint", "access"])
    }
    assert graph.get(dg.AssetKey(["warehouse", "analytics_incidents"])).parent_keys == {
        dg.AssetKey(["warehouse", k])
        for k in (
            "aperture_incident",
            "aperture_policy_violation",
            "aperture_remediation",
            "forcepoint_swgwebdlp",
            "forcepoint_access",
            "forcepoint_cloudaudit",
            "analytics_identities",  # user_key of a record with only a name
        )
    }
    assert graph.get(dg.AssetKey(["warehouse", "ocsf_http_activity"])).parent_keys == {
        dg.AssetKey(["warehouse", "forcepoint_swgweb"])
    }
    (op,) = [a for a in merged.assets if isinstance(a, dg.AssetsDefinition) and a.node_def.name == "warehouse"]
    assert op.node_def.pool == POOL
    assert {j.name for j in merged.resolve_all_job_defs()} >= {"warehouse_update", "warehouse_rebuild"}


def _checks(result) -> dict:
    return {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}


def test_materialize_all_and_every_check_passes(home):
    result = dg.materialize(
        [build_warehouse_assets(), build_warehouse_checks(clock=lambda: NOW)], resources=resources(home)
    )
    assert result.success
    meta = {m.asset_key.path[-1]: m.metadata for m in result.asset_materializations_for_node("warehouse")}
    assert meta["forcepoint_access"]["dagster/row_count"].value == 6
    assert meta["forcepoint_access"]["duplicates_dropped"].value == 2  # 8 lake rows: A1 twice, A6 twice
    assert meta["analytics_events"]["dagster/row_count"].value == 24
    assert meta["analytics_incidents"]["dagster/row_count"].value == 7
    assert meta["analytics_identities"]["ambiguous_names"].value == 0  # counted in the run's metadata
    failed = {k: e.description for k, e in _checks(result).items() if not e.passed}
    assert failed == {}
    assert len(_checks(result)) == 3 * len(CATALOG) + 3 + 2 + 1 + 1 + 3


def test_checks_fail_on_duplicate_ids_and_future_times(home):
    write(home, [lake.access("F", "2026-03-03 13:00", "mallory", "10.6.6.6", "Box", "Allowed")])  # 1 h after NOW
    assets, checks = build_warehouse_assets(), build_warehouse_checks(clock=lambda: NOW)
    assert dg.materialize([assets, checks], resources=resources(home)).success

    # A second copy of A1 slipped into D3 (what a faulty writer would do), then published.
    with closing(duckdb.connect(str(Layout(home).build_db))) as c:
        c.execute(
            "INSERT INTO forcepoint.access BY NAME SELECT * REPLACE (DATE '2026-03-03' AS event_day) "
            "FROM forcepoint.access WHERE event_id = 'A1'"
        )
        c.execute("INSERT INTO _warehouse.changes VALUES (999999, 'forcepoint.access', DATE '2026-03-03')")
    result = dg.materialize([assets, checks], resources=resources(home), selection=["warehouse/forcepoint_access"])
    got = _checks(result)
    assert not got[("forcepoint_access", "event_id_unique")].passed
    assert got[("forcepoint_access", "event_id_unique")].metadata["duplicated_keys"].value == 1
    assert not got[("forcepoint_access", "no_future_events")].passed
    assert got[("forcepoint_access", "no_future_events")].metadata["future_events"].value == 1
    lake_check = got[("forcepoint_access", "matches_lake")]
    assert not lake_check.passed  # D1-D3: 8 rows for the lake's 7 distinct ids (A1-A6, F)
    assert (lake_check.metadata["warehouse_rows"].value, lake_check.metadata["lake_distinct_ids"].value) == (8, 7)


def test_stale_sources_warn(home):
    result = dg.materialize(
        [build_warehouse_assets(), build_warehouse_checks(clock=lambda: ts("2026-03-10 00:00"))],
        resources=resources(home),
        selection=["warehouse/analytics_events"],
    )
    got = _checks(result)
    for vendor in ("forcepoint", "aperture"):
        e = got[("analytics_events", f"{vendor}_fresh")]
        assert not e.passed and e.severity == dg.AssetCheckSeverity.WARN


def test_rebuild_job(home):
    merged = dg.Definitions.merge(defs, dg.Definitions(resources={"home": LogAssetsHome(root=str(home.root))}))
    result = merged.resolve_job_def("warehouse_rebuild").execute_in_process()
    assert result.success
    mats = result.asset_materializations_for_node("warehouse")
    assert len(mats) == len(CATALOG) + 1 + 1 + 5 + len(OCSF_CLASSES) + 2
