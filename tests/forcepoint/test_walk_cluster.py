"""The walk in cluster mode: its state in PostgreSQL (`LOG_ASSETS_DATABASE_URL`) and everything durable
on S3 (`LOG_ASSETS_STORAGE_URL=s3://…`): the staged parts, the kept answers and the lake. A walk lands
every event once for pages + 1 requests and leaves nothing staged in the bucket nor anything but
scratch in its home; a walk SIGKILLed on one machine is finished by another (its own, empty home,
the same database and bucket) from the checkpoint, with the parts the first one staged, re-requesting
nothing but the page that was in flight."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from log_assets.state import StateStore

from .conftest import assert_lake_matches_truth_once, day_str, lake_ids, materialize, metadata, truth_ids
from .test_kill_resume import dagster_cli as kill_resume_cli

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LT = "access"
STAGING = f"lake/.staging/forcepoint/{LT}"


@pytest.fixture
def space(cluster):
    """The variables of a cluster (a fresh PostgreSQL database and a fresh bucket) and its store."""
    fresh = cluster.fresh("lake-root")
    return fresh.env(), fresh.storage()


def _use(clean_env, *envs: dict) -> None:
    for env in envs:
        for k, v in env.items():
            clean_env.setenv(k, v)


def local_files(home: Path) -> list[str]:
    """Files a run left in its home but the marker that claims it (folders are the layout, scratch)."""
    return sorted(
        str(p.relative_to(home)) for p in home.rglob("*") if p.is_file() and p.name != ".log-assets-home"
    )


def test_a_walk_on_postgres_and_s3_lands_every_event_once(simulator, space, tmp_path, clean_env):
    env, storage = space
    days = [day_str(-2), day_str(-1), day_str(0)]  # up to the open day: the walk ends caught up
    sim = simulator(seed=5, days=3, forcepoint_events_per_day=120, page_size=25, quota=100_000)
    _use(clean_env, env)
    home = tmp_path / "home"
    before = sim.forcepoint.requests(LT)
    result = materialize(LT, days[0], days[-1], home)
    assert result.success
    spent = sim.forcepoint.requests(LT) - before
    md = metadata(result, LT)
    assert spent == md["pages"] + 1 == math.ceil(md["events_received"] / 25) + 1 == md["requests_spent"]
    for day in days[:2]:
        assert_lake_matches_truth_once(sim, home, LT, day)
    assert sorted(lake_ids(home, LT, days[2])) == sorted(truth_ids(sim, LT, days[2]))
    assert md["open_days"] == [days[2]]
    assert storage.list("lake/forcepoint.db/access/data"), "the lake's files are not in the bucket"
    assert storage.list(STAGING) == [], "staged parts or kept answers left in the bucket"
    assert local_files(home) == [], "the walk wrote to its home"


def dagster_cli(home: Path, env: dict, first: str, last: str) -> subprocess.Popen:
    """`dagster asset materialize` of the walk, as a machine of the cluster runs it: its own
    $LOG_ASSETS_HOME and Dagster instance (beside the home, which then holds only the run's files)."""
    return kill_resume_cli(home, env, LT, first, last, dagster_home=home.parent / f"{home.name}-dagster")


def test_a_walk_killed_on_one_machine_is_finished_by_another(simulator, space, tmp_path, clean_env):
    env, storage = space
    first, last = day_str(-2), day_str(-1)
    sim = simulator(
        seed=21,
        days=3,
        forcepoint_events_per_day=240,
        page_size=20,
        quota=100_000,
        latency=0.02,
        aperture_backlog_per_type=0,
    )
    # the minimum: one uninterrupted walk of the same window (a home of its own, on one machine)
    before = sim.forcepoint.requests(LT)
    materialize(LT, first, last, tmp_path / "baseline")
    minimum = sim.forcepoint.requests(LT) - before
    assert minimum > 20

    # machine A: killed in the first day (12 pages a day), after some checkpoints
    home_a, home_b = tmp_path / "a" / "home", tmp_path / "b" / "home"
    start = sim.forcepoint.requests(LT)
    proc = dagster_cli(home_a, {**sim.env(), **env}, first, last)
    deadline = time.monotonic() + 120
    while sim.forcepoint.requests(LT) - start < 9:
        assert proc.poll() is None, proc.stdout.read().decode()[-3000:]
        assert time.monotonic() < deadline
        time.sleep(0.002)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    kills = 1
    with StateStore.open(tmp_path, url=env["LOG_ASSETS_DATABASE_URL"]) as store:
        walk = store.load_walk(f"forcepoint/{LT}").walk
    assert walk is not None and walk.pages >= 3, "killed before any checkpoint: the test proves nothing"
    assert first in walk.staged and first not in walk.committed, "the first day is already in the lake"
    parts = [o.key for o in storage.list(f"{STAGING}/{walk.id}") if o.key.endswith(".arrow")]
    assert len(parts) >= walk.pages, f"{walk.pages} pages checkpointed, {len(parts)} parts in the bucket"
    assert local_files(home_a) == [], "machine A kept something the walk needs in its home"

    # machine B: an empty home of its own, the same database and bucket
    assert not home_b.exists()
    proc = dagster_cli(home_b, {**sim.env(), **env}, first, last)
    out = proc.communicate(timeout=300)[0].decode()
    assert proc.returncode == 0, out[-3000:]
    assert f"resumed walk {walk.id}" in out, out[-3000:]
    spent = sim.forcepoint.requests(LT) - start
    assert spent <= minimum + kills, f"spent {spent}, minimum {minimum} (pages + 1), kills {kills}"

    _use(clean_env, env)  # the lake as the cluster has it
    for day in (first, last):
        assert_lake_matches_truth_once(sim, home_b, LT, day)
    assert storage.list(STAGING) == [], "staged parts or kept answers left in the bucket"
    assert local_files(home_b) == []
