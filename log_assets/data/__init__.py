"""Files the package's commands need, shipped inside it (read with importlib.resources, so they are
found in an installed wheel as in a checkout): Dagster's instance settings for the demo and the UI,
the workspace `dagster dev` loads, and the analyst notebook."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

# Dagster's instance settings of `make demo` and `make ui` (run limits, the DuckDB pool, telemetry off),
# copied into $DAGSTER_HOME.
INSTANCE = "dagster.yaml"
# The code location `make ui` serves (`dagster dev -w`).
WORKSPACE = "workspace.yaml"
# The analyst notebook (written by notebooks/build_notebook.py).
NOTEBOOK = "security_analyst.ipynb"


def resource(name: str) -> Traversable:
    """The packaged file `name` (one of the names above)."""
    return resources.files(__name__).joinpath(name)


def install(name: str, dest: Path) -> Path:
    """Write the packaged file `name` to `dest` (its folder must exist); returns `dest`."""
    dest.write_bytes(resource(name).read_bytes())
    return dest
