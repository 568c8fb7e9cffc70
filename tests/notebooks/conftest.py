"""A small warehouse built from simulator data, shared by the notebook and documentation tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def warehouse_home(tmp_path_factory) -> Path:
    """A $LOG_ASSETS_HOME filled the way `make demo` fills one (the real pipeline through Dagster on the
    built-in simulator: seven days of all ten Forcepoint types, the Aperture drain, the warehouse),
    with small volumes so that it takes about 15 s."""
    home = tmp_path_factory.mktemp("analyst") / "home"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LOG_ASSETS_", "DAGSTER_", "FORCEPOINT_", "APERTURE_"))
    }
    env.update(
        LOG_ASSETS_DEMO_HOME=str(home),
        LOG_ASSETS_DEMO_EVENTS_PER_DAY="150",
        LOG_ASSETS_DEMO_APERTURE_EVENTS="60",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "log_assets.demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, f"building the warehouse failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    assert (home / "warehouse.duckdb").exists()
    return home
