"""Every command a user runs answers `--help` and does nothing else: no folder made, no file written,
no demo home wiped (`python -m log_assets.demo --help` once ran the whole demo and emptied its home)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from log_assets.cli import COMMANDS
from log_assets.paths import DEMO_MARKER

MODULES = [
    "log_assets",  # `log-assets`, the console script
    "log_assets.cli",
    "log_assets.notebook",
    "log_assets.demo",
    "log_assets.ui",
    "log_assets.warehouse",
    "log_assets.lake",
    "log_assets.migrate",
    "log_assets.simulator",
]


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    "args",
    [[m, "--help"] for m in MODULES] + [["log_assets", command, "--help"] for command in COMMANDS],
    ids=lambda args: " ".join(args[:-1]),
)
def test_help_answers_and_touches_nothing(args, tmp_path):
    demo = tmp_path / "data-demo"
    demo.mkdir()
    (demo / DEMO_MARKER).write_text("")
    (demo / "kept.txt").write_text("an earlier demo's data")
    before = _tree(tmp_path)
    env = {
        **os.environ,
        "LOG_ASSETS_HOME": str(tmp_path / "data"),
        "LOG_ASSETS_DEMO_HOME": str(demo),
        "DAGSTER_HOME": str(tmp_path / "data" / "dagster_home"),
    }
    env.pop("LOG_ASSETS_DATABASE_URL", None)
    env.pop("LOG_ASSETS_STORAGE_URL", None)
    cmd = [sys.executable, "-m", *args]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
    assert _tree(tmp_path) == before  # nothing written, the demo's home as it was
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data-demo"]  # no folder made either
