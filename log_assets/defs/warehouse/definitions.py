"""The warehouse domain: merged into `log_assets.definitions` (which provides the `home` resource)."""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from log_assets.catalog import CATALOG, LogType
from log_assets.defs.warehouse.assets import GROUP, build_warehouse_assets, upstream_key
from log_assets.defs.warehouse.checks import build_warehouse_checks
from log_assets.defs.warehouse.resources import WarehouseDuckDB
from log_assets.defs.warehouse.sensors import warehouse_after_sources_sensor

_ALL = dg.AssetSelection.groups(GROUP)


def build_defs(
    catalog: dict = CATALOG, upstream: Callable[[LogType], dg.AssetKey] = upstream_key
) -> dg.Definitions:
    return dg.Definitions(
        assets=[build_warehouse_assets(catalog, upstream)],
        asset_checks=[build_warehouse_checks(catalog)],
        jobs=[
            dg.define_asset_job(
                "warehouse_update",
                selection=_ALL,
                description="Load the lake days that changed, refresh the derived tables, publish.",
            ),
            dg.define_asset_job(
                "warehouse_rebuild",
                selection=_ALL,
                description="Build the whole warehouse again from the lake (readers keep the old snapshot "
                "meanwhile).",
                config={"ops": {"warehouse": {"config": {"full_rebuild": True}}}},
            ),
        ],
        sensors=[warehouse_after_sources_sensor],
        resources={"warehouse_duckdb": WarehouseDuckDB()},
    )


defs = build_defs()
