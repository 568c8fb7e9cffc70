"""Aperture jobs.

The drain job carries a tag of its tenant's own (`log_assets/aperture_drain` for the default tenant,
`log_assets/<tenant>__aperture_drain` for a named one), so that an instance's tag concurrency limit
keeps one drain of a tenant at a time without making another tenant's drain wait.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from log_assets.defs.aperture.assets import SPOOL_KEY
from log_assets.defs.aperture.checks import aperture_token_check, drain_freshness_checks
from log_assets.defs.scope import DEFAULT_SCOPE, Scope

DRAIN_TAG = "log_assets/aperture_drain"


def drain_tag(scope: Scope) -> str:
    return f"log_assets/{scope.name('aperture_drain')}"


def build_drain_job(
    scope: Scope, spool_key: dg.AssetKey, freshness_checks: Sequence[dg.AssetChecksDefinition]
) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        scope.name("aperture_drain"),
        selection=dg.AssetSelection.assets(spool_key).without_checks()
        | dg.AssetSelection.checks(*freshness_checks),
        description="Drain the Aperture queue into the durable spool (see asset aperture/spool).",
        tags={drain_tag(scope): "true"},
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
