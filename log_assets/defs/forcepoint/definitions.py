import dagster as dg

from log_assets.defs.forcepoint.assets import FORCEPOINT_ASSETS
from log_assets.defs.forcepoint.resources import ForcepointResource
from log_assets.defs.forcepoint.schedules import (
    forcepoint_close_day_schedule,
    forcepoint_job,
    forcepoint_open_day_schedule,
)

defs = dg.Definitions(
    assets=FORCEPOINT_ASSETS,
    jobs=[forcepoint_job],
    schedules=[forcepoint_open_day_schedule, forcepoint_close_day_schedule],
    resources={"forcepoint": ForcepointResource()},
)
