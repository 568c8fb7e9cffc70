"""`log-assets notebook`: the analyst notebook in JupyterLab on 127.0.0.1, reading the warehouse of
$LOG_ASSETS_HOME (default ./data; with LOG_ASSETS_DEMO=1 the demo's home).

The notebook ships inside the package. A copy is written to --dir (default: the current folder)
unless one is there already (then that one, yours to edit, is opened). JupyterLab comes with the
`notebook` extra: pip install 'log-assets[notebook]'.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from log_assets import data
from log_assets.paths import Home

PORT_ENV = "NOTEBOOK_PORT"
DEFAULT_PORT = 8888


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="log-assets notebook",
        description=__doc__.split("\n\n")[0],
        epilog="Other arguments are passed to `jupyter lab` (e.g. --allow-root in a container).",
        allow_abbrev=False,
    )
    parser.add_argument("--dir", default=".", help="where the notebook's copy is (default: the current folder)")
    parser.add_argument(
        "--port", type=int, default=None, help=f"JupyterLab's port (default ${PORT_ENV}, else {DEFAULT_PORT})"
    )
    args, rest = parser.parse_known_args(argv)  # --help answers before anything is written
    port = args.port if args.port is not None else int(os.environ.get(PORT_ENV) or DEFAULT_PORT)
    if importlib.util.find_spec("jupyterlab") is None:
        print(
            "error: JupyterLab is not installed: pip install 'log-assets[notebook]' (the notebook's libraries)",
            file=sys.stderr,
        )
        return 1
    folder = Path(args.dir).resolve()
    copy = folder / data.NOTEBOOK
    if not copy.exists():
        folder.mkdir(parents=True, exist_ok=True)
        data.install(data.NOTEBOOK, copy)
        print(f"wrote {copy} (the packaged notebook; yours to edit, kept on later runs)", flush=True)
    home = Home.from_env().root
    env = {**os.environ, "LOG_ASSETS_HOME": str(home)}
    print(f"the notebook reads the warehouse of {home}", flush=True)
    cmd = [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}", *rest, str(copy)]
    try:
        return subprocess.call(cmd, cwd=folder, env=env)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
