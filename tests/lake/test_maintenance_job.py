"""The `lake_maintenance` job, run as a user runs it: `dagster job execute` in a process of its own,
on a home whose lake has a day of many files and a file an interrupted write left behind."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from log_assets.lake.lake import Lake
from log_assets.paths import Home
from tests.infra.dagster_cli import cli_env, dagster_cmd, job_args

from .test_iceberg import D1, D2, ids, rows

ROOT = Path(__file__).resolve().parents[2]


def test_the_job_compacts_and_removes_orphans_and_reports_it(tmp_path):
    home = Home.from_env(tmp_path / "home")
    home.claim_for_real()
    with Lake.for_home(home) as lake:
        for i in range(4):
            lake.append("forcepoint", "access", rows(D1, [f"e{i}"]))
        lake.replace_days("forcepoint", "access", rows(D2, ["x"]))
    data = home.root / "lake" / "forcepoint.db" / "access" / "data"
    orphan = data / "event_day=2026-11-19" / "00000-0-left-by-a-killed-write.parquet"
    orphan.write_bytes(b"never committed")
    past_retention = time.time() - 8 * 86400
    os.utime(orphan, (past_retention, past_retention))
    young = data / "event_day=2026-11-19" / "00000-0-a-write-in-progress.parquet"
    young.write_bytes(b"not committed yet")

    config = {"ops": {"maintain_lake": {"config": {"compact_over_files": 2}}}}
    proc = subprocess.run(
        dagster_cmd(job_args("lake_maintenance", config, tmp_path)),
        cwd=tmp_path,
        env=cli_env(home.root, dagster_home=tmp_path / "dagster_home"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "forcepoint.access: 0 snapshot(s) expired" in out and "compacted 2026-11-19" in out
    assert not orphan.exists(), "a file older than the retention that no snapshot references is removed"
    assert young.exists(), "a young file may belong to a write in progress"
    with Lake.for_home(home) as lake:
        assert lake.days("forcepoint", "access")[D1].files == 1
        assert ids(lake.read_day("forcepoint", "access", D1)) == [f"e{i}" for i in range(4)]
        assert ids(lake.read_day("forcepoint", "access", D2)) == ["x"]
