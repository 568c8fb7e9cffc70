"""The detections domain of one tenant: its assets after the tenant's warehouse tables."""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from log_assets.catalog import CATALOG, LogType
from log_assets.defs.detections.assets import ALERTS, build_detection_assets, detection_specs
from log_assets.defs.detections.checks import build_detection_checks
from log_assets.defs.scope import DEFAULT_SCOPE, Scope
from log_assets.defs.warehouse.assets import upstream_key, warehouse_specs
from log_assets.warehouse.sources import cataloged_sources


def build_defs(
    scope: Scope = DEFAULT_SCOPE,
    catalog: dict = CATALOG,
    upstream: Callable[[LogType], dg.AssetKey] = upstream_key,
    rules_folder: str | None = None,
) -> dg.Definitions:
    """The rules read the tenant's per-type warehouse tables: the detections follow those assets."""
    ws = warehouse_specs(catalog, upstream, scope)
    deps = [ws.key(s.ref) for s in cataloged_sources(catalog)]
    assets = build_detection_assets(scope, deps, rules_folder)
    return dg.Definitions(
        assets=[assets],
        asset_checks=[build_detection_checks(scope, detection_specs(scope, deps)[ALERTS].key)],
        jobs=[
            dg.define_asset_job(
                scope.name("detections_update"),
                selection=dg.AssetSelection.assets(assets),
                description="Evaluate the detection rules over what changed in the warehouse, publish the alerts.",
            )
        ],
    )
