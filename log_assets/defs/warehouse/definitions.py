"""The warehouse domain of one tenant (its `home` resource is provided by log_assets.factory)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import dagster as dg

from log_assets.catalog import CATALOG, LogType
from log_assets.defs.ops.checks import build_health_checks
from log_assets.defs.scope import DEFAULT_SCOPE, WAREHOUSE_DUCKDB, Scope
from log_assets.defs.warehouse.assets import build_warehouse_assets, upstream_key
from log_assets.defs.warehouse.checks import build_warehouse_checks
from log_assets.defs.warehouse.resources import WarehouseDuckDB
from log_assets.defs.warehouse.sensors import SOURCE_KEYS, UPDATE_JOB, build_warehouse_sensor


def build_defs(
    catalog: dict = CATALOG,
    upstream: Callable[[LogType], dg.AssetKey] = upstream_key,
    scope: Scope = DEFAULT_SCOPE,
    source_keys: Sequence[dg.AssetKey] = SOURCE_KEYS,
    automation: bool = True,
    followers: Sequence[dg.AssetsDefinition] = (),
) -> dg.Definitions:
    """`source_keys`: the assets whose materializations the sensor follows (the tenant's sources).
    `followers`: assets the warehouse's jobs update after it (the detections)."""
    assets = build_warehouse_assets(catalog, upstream, scope)
    everything = dg.AssetSelection.assets(assets, *followers)
    return dg.Definitions(
        assets=[assets],
        asset_checks=[build_warehouse_checks(catalog, scope=scope), build_health_checks(catalog, scope)],
        jobs=[
            dg.define_asset_job(
                scope.name(UPDATE_JOB),
                selection=everything,
                description="Load the lake days that changed, refresh the derived tables, publish.",
            ),
            dg.define_asset_job(
                scope.name("warehouse_rebuild"),
                selection=everything,
                description="Build the whole warehouse again from the lake (readers keep the old snapshot "
                "meanwhile).",
                config={"ops": {scope.name("warehouse"): {"config": {"full_rebuild": True}}}},
            ),
        ],
        sensors=[build_warehouse_sensor(scope, source_keys)] if automation else [],
        resources={scope.resource_key(WAREHOUSE_DUCKDB): WarehouseDuckDB()},
    )


defs = build_defs()
