"""The code location: `dagster ... -m log_assets.definitions` loads `defs`, the default tenant's
definitions configured from the environment (log_assets.build_defs()), whose runs of one step execute
in-process (log_assets.defs.executor)."""

import dagster as dg

from log_assets.defs import console
from log_assets.defs.executor import single_step_in_process_executor
from log_assets.factory import build_defs

# A failed run prints its error once (the run-failure line no longer repeats the step's error).
console.install()

defs = dg.Definitions.merge(build_defs(), dg.Definitions(executor=single_step_in_process_executor))
