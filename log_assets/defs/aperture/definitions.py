"""Aperture domain definitions, merged into `log_assets.definitions`.

The shared "home" resource (LogAssetsHome) is provided there, once for every domain.
"""

import dagster as dg

from log_assets.defs.aperture.assets import aperture_landing, aperture_spool
from log_assets.defs.aperture.checks import aperture_token_check, drain_freshness_checks
from log_assets.defs.aperture.jobs import aperture_connectivity_job, aperture_drain_job
from log_assets.defs.aperture.resources import ApertureApi
from log_assets.defs.aperture.schedules import aperture_drain_schedule
from log_assets.defs.aperture.sensors import aperture_drain_freshness_sensor, aperture_inbox_sensor

defs = dg.Definitions(
    assets=[aperture_spool, aperture_landing],
    asset_checks=[aperture_token_check, *drain_freshness_checks],
    jobs=[aperture_drain_job, aperture_connectivity_job],
    schedules=[aperture_drain_schedule],
    sensors=[aperture_inbox_sensor, aperture_drain_freshness_sensor],
    resources={"aperture": ApertureApi()},
)
