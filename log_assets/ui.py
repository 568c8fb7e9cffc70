"""`make ui`, `log-assets ui`: the Dagster UI (`dagster dev`) on this code location.

On http://127.0.0.1:PORT: --port, else $UI_PORT, else 3000. With LOG_ASSETS_DEMO=1 it first starts
the built-in simulator on 127.0.0.1 and points every resource at it, so the pipeline can be clicked
through with no account and no network; the partitions then start on the simulator's first day. The
demo has its own home, $LOG_ASSETS_DEMO_HOME (default ./data-demo, with its own Dagster instance
under it): demo data never lands where real runs write ($LOG_ASSETS_HOME, default ./data), and a
home that real runs wrote to is refused.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

from log_assets import data
from log_assets.paths import DEFAULT_DEMO_HOME, DEFAULT_HOME, DEMO_ENV, DEMO_HOME_ENV, Home

PORT_ENV = "UI_PORT"
DEFAULT_PORT = 3000


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
        env.setdefault("LOG_ASSETS_HOME", str(Path(DEFAULT_HOME).resolve()))
        env.setdefault("DAGSTER_HOME", str(Path(env["LOG_ASSETS_HOME"]) / "dagster_home"))
    dagster_home = Path(env["DAGSTER_HOME"])
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    # A user's own instance (DAGSTER_HOME of real runs) is theirs: written only when missing. The
    # demo's instance under its own home is the package's, refreshed when the package's is newer.
    demo = env.get(DEMO_ENV) == "1"
    with resources.as_file(data.resource(data.INSTANCE)) as packaged:
        if not config.exists() or (demo and config.stat().st_mtime < packaged.stat().st_mtime):
            data.install(data.INSTANCE, config)
    return env


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m log_assets.ui",
        description=__doc__.split("\n\n")[0],
        epilog="Other arguments are passed to `dagster dev`.",
        allow_abbrev=False,
    )
    parser.add_argument(
        "--port",
        "-p",
        type=int,
        default=None,
        help=f"the UI's port on 127.0.0.1 (default ${PORT_ENV}, else {DEFAULT_PORT})",
    )
    args, rest = parser.parse_known_args(argv)  # --help answers before any folder or file is made
    port = args.port if args.port is not None else _port_from_env(os.environ, parser)
    env = prepare_env(dict(os.environ))
    sim = None
    if env.get(DEMO_ENV) == "1":
        from log_assets.demo import partition_env
        from log_assets.simulator import SimConfig, Simulator

        sim = Simulator(SimConfig(scenarios=True), port=int(env.get("LOG_ASSETS_SIM_PORT", "0")))
        sim.start()
        env.update(sim.env())
        env.update(partition_env(sim))  # the partitions start on the simulator's first day
        print(
            f"LOG_ASSETS_DEMO=1: simulator at {sim.base_url}; every resource points at it; demo home "
            f"{env['LOG_ASSETS_HOME']}",
            flush=True,
        )
    try:
        with resources.as_file(data.resource(data.WORKSPACE)) as workspace:
            cmd = [sys.executable, "-m", "dagster", "dev", "-w", str(workspace), "--port", str(port), *rest]
            return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 130
    finally:
        if sim is not None:
            sim.stop()


def _port_from_env(environ, parser: argparse.ArgumentParser) -> int:
    value = environ.get(PORT_ENV) or str(DEFAULT_PORT)
    try:
        return int(value)
    except ValueError:
        parser.error(f"{PORT_ENV}={value!r} is not a port number")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
