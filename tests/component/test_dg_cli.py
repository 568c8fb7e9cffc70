"""LogAssetsComponent in a dg project, through the `dg` CLI: scaffolded, two tenants in one defs.yaml
(two YAML documents), checked and listed with no credentials set; and this repository as a dg project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DG = Path(sys.executable).with_name("dg")

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PYPROJECT = """\
[project]
name = "myproj"
version = "0.1.0"
requires-python = ">=3.11"

[tool.dg]
directory_type = "project"

[tool.dg.project]
root_module = "myproj"
registry_modules = ["log_assets"]
"""

DEFINITIONS = """\
from pathlib import Path

import dagster as dg


@dg.definitions
def defs():
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
"""

BETA = """\
---
type: log_assets.LogAssetsComponent
attributes:
  tenant: beta
  home: {home}
  aperture:
    client_id_env: BETA_APERTURE_CLIENT_ID
    client_secret_env: BETA_APERTURE_CLIENT_SECRET
    log_types: [incident]
  warehouse: false
  detections: true
"""


def _env(tmp_path: Path, *paths: Path) -> dict[str, str]:
    """No credentials, no database URL, no home: loading the definitions needs none of them."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FORCEPOINT_", "APERTURE_", "LOG_ASSETS_", "ACME_", "BETA_", "DAGSTER_"))
    }
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir(exist_ok=True)
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env["DAGSTER_HOME"] = str(dagster_home)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (ROOT, *paths))
    return env


def _dg(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run([str(DG), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"dg {' '.join(args)}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def test_two_tenants_in_one_defs_yaml(tmp_path):
    project = tmp_path / "myproj_root"
    (project / "myproj" / "defs").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "myproj" / "__init__.py").write_text("")
    (project / "myproj" / "defs" / "__init__.py").write_text("")
    (project / "myproj" / "definitions.py").write_text(DEFINITIONS)
    env = _env(tmp_path, project)

    components = _dg(["list", "components", "--json"], project, env)
    assert "log_assets.LogAssetsComponent" in components

    _dg(["scaffold", "defs", "log_assets.LogAssetsComponent", "tenants/acme"], project, env)
    defs_yaml = project / "myproj" / "defs" / "tenants" / "acme" / "defs.yaml"
    scaffolded = defs_yaml.read_text()
    assert "tenant: acme" in scaffolded and "ACME_FORCEPOINT_API_TOKEN" in scaffolded
    defs_yaml.write_text(scaffolded.rstrip("\n") + "\n" + BETA.format(home=tmp_path / "beta_home"))

    _dg(["check", "defs"], project, env)
    listed = json.loads(_dg(["list", "defs", "--json"], project, env))
    keys = {a["asset_key"] for a in listed["assets"]}
    assert {"acme/forcepoint/access", "acme/aperture/spool", "acme/warehouse/analytics_events"} <= keys
    assert {"beta/aperture/spool", "beta/aperture/incident", "beta/aperture/other_log_types"} <= keys
    assert not any(k.startswith(("beta/forcepoint", "beta/warehouse", "forcepoint/")) for k in keys)
    names = {s["name"] for s in listed["schedules"]} | {s["name"] for s in listed["sensors"]}
    assert {
        "acme__forcepoint_open_day_schedule",
        "beta__aperture_drain_schedule",
        "beta__aperture_inbox_sensor",
    } <= names
    resources = {r["name"] for r in listed["resources"]}
    assert resources == {
        "acme__home",
        "acme__forcepoint",
        "acme__aperture",
        "acme__warehouse_duckdb",
        "beta__home",
        "beta__aperture",
    }


def test_this_repository_is_a_dg_project(tmp_path):
    env = _env(tmp_path)
    _dg(["check", "defs"], ROOT, env)
    listed = json.loads(_dg(["list", "defs", "--json"], ROOT, env))
    keys = {a["asset_key"] for a in listed["assets"]}
    assert "forcepoint/access" in keys and "aperture/spool" in keys
    assert {r["name"] for r in listed["resources"]} == {"home", "forcepoint", "aperture", "warehouse_duckdb"}
