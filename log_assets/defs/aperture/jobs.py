"""Aperture jobs."""

from __future__ import annotations

import dagster as dg

from log_assets.defs.aperture.assets import SPOOL_KEY
from log_assets.defs.aperture.checks import aperture_token_check, drain_freshness_checks

DRAIN_TAG = "log_assets/aperture_drain"

aperture_drain_job = dg.define_asset_job(
    "aperture_drain",
    selection=dg.AssetSelection.assets(SPOOL_KEY).without_checks()
    | dg.AssetSelection.checks(*drain_freshness_checks),
    description="Drain the Aperture queue into the durable spool (see asset aperture/spool).",
    tags={DRAIN_TAG: "true"},
)

aperture_connectivity_job = dg.define_asset_job(
    "aperture_connectivity",
    selection=dg.AssetSelection.checks(aperture_token_check),
    description="Ask the Aperture token endpoint for a token; never reads (pops) events.",
)
