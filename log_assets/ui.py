"""`make ui`: the Dagster UI (`dagster dev`) on this code location.

With LOG_ASSETS_DEMO=1 it first starts the built-in simulator on 127.0.0.1 and points every
resource at it, so the pipeline can be clicked through with no account and no network. The demo
then has its own home, $LOG_ASSETS_DEMO_HOME (default ./data-demo, with its own Dagster instance
under it): demo data never lands where real runs write ($LOG_ASSETS_HOME, default ./data), and a
home that real runs wrote to is refused.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from log_assets.paths import DEFAULT_DEMO_HOME, DEMO_ENV, DEMO_HOME_ENV, Home

ROOT = Path(__file__).resolve().parents[1]


def prepare_env(environ: dict[str, str]) -> dict[str, str]:
    """The environment of `dagster dev`: the home and the Dagster instance of this mode (the demo's,
    checked and marked, under LOG_ASSETS_DEMO=1), with the instance's dagster.yaml in place."""
    env = dict(environ)
    if env.get(DEMO_ENV) == "1":
        root = Path(env.get(DEMO_HOME_ENV) or DEFAULT_DEMO_HOME).resolve()
        try:
            Home(root).claim_for_demo()  # refuses a home real runs wrote to
        except RuntimeError as e:
            raise SystemExit(f"make ui: {e}") from None
        # Both follow the demo's home: Make exports LOG_ASSETS_HOME and DAGSTER_HOME for real runs.
        env[DEMO_HOME_ENV] = env["LOG_ASSETS_HOME"] = str(root)
        env["DAGSTER_HOME"] = str(root / "dagster_home")
    else:
        env.setdefault("LOG_ASSETS_HOME", str(ROOT / "data"))
        env.setdefault("DAGSTER_HOME", str(Path(env["LOG_ASSETS_HOME"]) / "dagster_home"))
    dagster_home = Path(env["DAGSTER_HOME"])
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists() or config.stat().st_mtime < (ROOT / "dagster.yaml").stat().st_mtime:
        shutil.copy(ROOT / "dagster.yaml", config)
    return env


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m log_assets.ui",
        description=__doc__.split("\n\n")[0],
        epilog="Other arguments are passed to `dagster dev` (e.g. --port 3001).",
        allow_abbrev=False,
    )
    _, rest = parser.parse_known_args(argv)  # --help answers before any folder or file is made
    env = prepare_env(dict(os.environ))
    sim = None
    if env.get(DEMO_ENV) == "1":
        from log_assets.simulator import SimConfig, Simulator

        sim = Simulator(SimConfig(), port=int(env.get("LOG_ASSETS_SIM_PORT", "0")))
        sim.start()
        env.update(sim.env())
        print(
            f"LOG_ASSETS_DEMO=1: simulator at {sim.base_url}; every resource points at it; demo home "
            f"{env['LOG_ASSETS_HOME']}",
            flush=True,
        )
    cmd = [sys.executable, "-m", "dagster", "dev", "-w", str(ROOT / "workspace.yaml"), *rest]
    try:
        return subprocess.call(cmd, cwd=ROOT, env=env)
    except KeyboardInterrupt:
        return 130
    finally:
        if sim is not None:
            sim.stop()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
