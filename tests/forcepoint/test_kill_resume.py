"""SIGKILL a real `dagster asset materialize` run at several points, then re-run: every event of
its days is in the lake exactly once, the requests made before each kill are not made again, and the
request count in the pipeline's database is the server's (give or take one per kill)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.infra.dagster_cli import ROOT, cli_env, dagster_cmd, materialize_args
from tests.pipeline_state import todays_count

from .conftest import assert_lake_matches_truth_once, day_str, materialize

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def dagster_cli(
    home: Path, env: dict, lt: str, first: str, last: str, dagster_home: Path | None = None
) -> subprocess.Popen:
    """`dagster asset materialize` of forcepoint/<lt> over the range, in its own process group, with
    `home` as $LOG_ASSETS_HOME and the Dagster instance in `dagster_home` (default: inside the home)."""
    return subprocess.Popen(
        dagster_cmd(materialize_args(f"forcepoint/{lt}", first, last)),
        cwd=ROOT,
        env=cli_env(home, env, dagster_home=dagster_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_sigkill_at_several_points_then_resume(simulator, tmp_path, clean_env):
    lt = "access"
    first, last = day_str(-3), day_str(-1)
    sim = simulator(
        seed=21,
        days=4,
        forcepoint_events_per_day=240,
        page_size=20,
        quota=100_000,
        latency=0.02,
        aperture_backlog_per_type=0,
    )
    # the minimum: one uninterrupted walk of the same window on another home
    before = sim.forcepoint.requests(lt)
    materialize(lt, first, last, tmp_path / "baseline")
    minimum = sim.forcepoint.requests(lt) - before
    assert minimum > 30

    home = tmp_path / "home"
    start = sim.forcepoint.requests(lt)
    kills = 0
    for kill_at in (1, 9, 22):
        proc = dagster_cli(home, sim.env(), lt, first, last)
        deadline = time.monotonic() + 120
        while sim.forcepoint.requests(lt) - start < kill_at:
            assert proc.poll() is None, proc.stdout.read().decode()[-3000:]
            assert time.monotonic() < deadline
            time.sleep(0.002)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += 1
    proc = dagster_cli(home, sim.env(), lt, first, last)
    out = proc.communicate(timeout=300)[0].decode()
    assert proc.returncode == 0, out[-3000:]
    spent = sim.forcepoint.requests(lt) - start
    assert spent <= minimum + kills, f"spent {spent}, minimum {minimum}, kills {kills}"
    # Every request is counted in the database before it is sent: the count is never below what
    # the server saw, and above it only by requests counted when a kill came before their sending.
    counted = todays_count(home, lt).spent
    assert spent <= counted <= spent + kills, f"counted {counted}, sent {spent}, kills {kills}"
    for day in (first, day_str(-2), last):
        assert_lake_matches_truth_once(sim, home, lt, day)
    # nothing half-written is left visible in the lake
    assert not [p for p in (home / "lake" / "forcepoint").rglob("*") if p.name.endswith(".tmp")]
