"""The code location: `dagster ... -m log_assets.definitions` loads `defs`."""

import dagster as dg

from log_assets.defs import console, maintenance
from log_assets.defs.aperture import definitions as aperture
from log_assets.defs.forcepoint import definitions as forcepoint
from log_assets.defs.resources import LogAssetsHome
from log_assets.defs.warehouse import definitions as warehouse

# A failed run prints its error once (the run-failure line no longer repeats the step's error).
console.install()

defs = dg.Definitions.merge(
    dg.Definitions(resources={"home": LogAssetsHome()}),
    forcepoint.defs,
    aperture.defs,
    warehouse.defs,
    maintenance.defs,
)
