import dagster as dg

from log_assets.defs.forcepoint.assets import FORCEPOINT_ASSETS
from log_assets.defs.forcepoint.resources import ForcepointResource

defs = dg.Definitions(assets=FORCEPOINT_ASSETS, resources={"forcepoint": ForcepointResource()})
