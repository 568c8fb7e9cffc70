"""`make ui`: the Dagster UI (`dagster dev`) on this code location.

With LOG_ASSETS_DEMO=1 it first starts the built-in simulator on 127.0.0.1 and points every
resource at it, so the pipeline can be clicked through with no account and no network.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    env = os.environ.copy()
    env.setdefault("LOG_ASSETS_HOME", str(ROOT / "data"))
    env.setdefault("DAGSTER_HOME", str(Path(env["LOG_ASSETS_HOME"]) / "dagster_home"))
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    sim = None
    if env.get("LOG_ASSETS_DEMO") == "1":
        from log_assets.simulator import SimConfig, Simulator

        sim = Simulator(SimConfig(), port=int(env.get("LOG_ASSETS_SIM_PORT", "0")))
        sim.start()
        env.update(sim.env())
        print(f"LOG_ASSETS_DEMO=1: simulator at {sim.base_url}; every resource points at it", flush=True)
    cmd = [sys.executable, "-m", "dagster", "dev", "-w", str(ROOT / "workspace.yaml"), *argv]
    try:
        return subprocess.call(cmd, cwd=ROOT, env=env)
    except KeyboardInterrupt:
        return 130
    finally:
        if sim is not None:
            sim.stop()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
