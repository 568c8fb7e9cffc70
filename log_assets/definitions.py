"""The code location: `dagster ... -m log_assets.definitions` loads `defs`, the default tenant's
definitions configured from the environment (log_assets.build_defs())."""

from log_assets.defs import console
from log_assets.factory import build_defs

# A failed run prints its error once (the run-failure line no longer repeats the step's error).
console.install()

defs = build_defs()
