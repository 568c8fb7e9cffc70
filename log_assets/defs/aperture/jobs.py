"""Aperture jobs.

The drain job carries the tag `log_assets/aperture_drain`, its value the tenant (`true` for the default
tenant, as in earlier versions; the name for a named one): the instance's tag concurrency limit on that
key, applied per unique value, keeps one drain of a tenant at a time without making another tenant's
drain wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import dagster as dg

from log_assets.defs.aperture.assets import SPOOL_KEY
from log_assets.defs.aperture.checks import aperture_token_check, drain_freshness_checks
from log_assets.defs.scope import DEFAULT_SCOPE, Scope

if TYPE_CHECKING:  # no public name for what define_asset_job returns
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

DRAIN_TAG = "log_assets/aperture_drain"


def drain_tags(scope: Scope) -> dict[str, str]:
    return {DRAIN_TAG: "true" if scope.tenant.name is None else scope.tenant.name}


def build_drain_job(
    scope: Scope, spool_key: dg.AssetKey, freshness_checks: Sequence[dg.AssetChecksDefinition]
) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        scope.name("aperture_drain"),
        selection=dg.AssetSelection.assets(spool_key).without_checks()
        | dg.AssetSelection.checks(*freshness_checks),
        description="Drain the Aperture queue into the durable spool (see asset aperture/spool).",
        tags=drain_tags(scope),
    )


def build_connectivity_job(scope: Scope, token_check: dg.AssetChecksDefinition) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        scope.name("aperture_connectivity"),
        selection=dg.AssetSelection.checks(token_check),
        description="Ask the Aperture token endpoint for a token; never reads (pops) events.",
    )


# The default tenant's.
aperture_drain_job = build_drain_job(DEFAULT_SCOPE, SPOOL_KEY, drain_freshness_checks)
aperture_connectivity_job = build_connectivity_job(DEFAULT_SCOPE, aperture_token_check)
