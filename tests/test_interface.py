"""The interface users rely on matches the committed snapshot (tests/interface_snapshot.json).

A difference is either a mistake or a deliberate change: for a deliberate one, rewrite the snapshot with
`python -m tests.interface <a built LOG_ASSETS_HOME>` and change docs/INTERFACE.md in the same commit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.interface import ROOT, SNAPSHOT, warehouse_tables

HOW = "a deliberate change? rewrite it: python -m tests.interface <home>, and update docs/INTERFACE.md"


def _differences(old, new, path="") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in sorted(set(old) | set(new)):
            if k not in new:
                out.append(f"{path}/{k}: gone")
            elif k not in old:
                out.append(f"{path}/{k}: new")
            else:
                out += _differences(old[k], new[k], f"{path}/{k}")
        return out
    return [] if old == new else [f"{path}: {old!r} -> {new!r}"]


def _snapshot() -> dict:
    return json.loads(SNAPSHOT.read_text())


def test_code_location_matches_snapshot():
    # A clean environment: defaults (partition starts, URLs) are part of the interface.
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "TMPDIR", "LANG")}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.interface", "--print"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    diff = _differences(_snapshot()["code_location"], json.loads(proc.stdout))
    assert not diff, "the code location differs from the snapshot:\n" + "\n".join(diff[:40]) + "\n" + HOW


@pytest.mark.e2e
def test_warehouse_tables_match_snapshot(warehouse_home):
    diff = _differences(_snapshot()["warehouse_tables"], warehouse_tables(warehouse_home))
    assert not diff, "the warehouse's tables differ from the snapshot:\n" + "\n".join(diff[:40]) + "\n" + HOW


def test_differences_name_a_renamed_asset():
    old = {"assets": {"forcepoint/access": {"group": "forcepoint"}}}
    new = {"assets": {"forcepoint/acess": {"group": "forcepoint"}}}
    assert _differences(old, new) == ["/assets/forcepoint/access: gone", "/assets/forcepoint/acess: new"]
