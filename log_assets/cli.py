"""`log-assets <command>` (also `python -m log_assets <command>`): the package's commands in one place.

Each command is the `python -m log_assets.<module>` of the same name, given the rest of the line
(`log-assets <command> --help` shows its own options).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

# command -> (module whose main(argv) runs it, arguments put before the user's, what it does)
COMMANDS: dict[str, tuple[str, list[str], str]] = {
    "demo": ("log_assets.demo", [], "the pipeline on the built-in simulator, into the demo's own home"),
    "ui": ("log_assets.ui", [], "the Dagster UI (`dagster dev`); LOG_ASSETS_DEMO=1: on the demo's home"),
    "notebook": ("log_assets.notebook", [], "the analyst notebook in JupyterLab (the [notebook] extra)"),
    "sql": ("log_assets.warehouse.__main__", ["sql"], "one read-only SQL statement on the warehouse"),
    "warehouse": ("log_assets.warehouse.__main__", [], "warehouse without Dagster (sync, rebuild, status, sql)"),
    "migrate": ("log_assets.migrate", [], "move a one-machine home into the cluster-mode layout"),
    "lake": ("log_assets.lake.__main__", [], "re-attach the lake's tables to the database (adopt)"),
    "simulator": ("log_assets.simulator.cli", [], "the simulator of both vendor APIs on 127.0.0.1"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="log-assets",
        description=__doc__.split("\n\n")[0],
        epilog="commands:\n" + "\n".join(f"  {name:<10} {what}" for name, (_, _, what) in COMMANDS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=COMMANDS, metavar="command", help="one of the commands below")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the command's own arguments (see its --help)")
    args = parser.parse_args(argv)
    module, before, _ = COMMANDS[args.command]
    return importlib.import_module(module).main([*before, *args.args])


def console_logging(fmt: str = "%(message)s") -> None:
    """Log lines of this package at INFO on stderr, for the commands; other libraries' INFO chatter
    stays out (pyiceberg says `Loaded FileIO: ...` each time a table is opened)."""
    logging.basicConfig(level=logging.INFO, format=fmt)
    for noisy in ("pyiceberg",):
        logging.getLogger(noisy).setLevel(logging.WARNING)


if __name__ == "__main__":
    sys.exit(main())
