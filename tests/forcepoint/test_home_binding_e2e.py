"""A Forcepoint run on a home whose database and storage root do not belong together, or whose table
lost its current metadata file, is refused before it sends a single request; `python -m
log_assets.lake adopt` brings a home whose database was lost back to running."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from log_assets.simulator import SimConfig, Simulator

from .conftest import assert_lake_matches_truth_once, day_str, materialize

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("forcepoint.test_home_binding_e2e")]

ROOT = Path(__file__).resolve().parents[2]
LT = "access"


@pytest.fixture(scope="module")
def sim():
    cfg = SimConfig(
        seed=5, days=2, forcepoint_events_per_day=40, page_size=50, quota=100_000, aperture_backlog_per_type=0
    )
    with Simulator(cfg, port=0) as s:
        yield s


@pytest.fixture
def env(simulator, sim, clean_env):
    simulator.use(sim)
    for k in ("LOG_ASSETS_DATABASE_URL", "LOG_ASSETS_STORAGE_URL", "LOG_ASSETS_HOME"):
        clean_env.delenv(k, raising=False)
    return clean_env


def _failure(result) -> str:
    return " ".join(str(e.event_specific_data) for e in result.all_events if e.is_failure)


def _metadata_files(home: Path) -> list[Path]:
    return sorted((home / "lake" / "forcepoint.db" / LT / "metadata").glob("*.metadata.json"))


def _refused_without_a_request(sim, home: Path, *words: str, refetch: bool = False) -> str:
    day = day_str(-1)
    before = sim.forcepoint.requests(LT)
    result = materialize(LT, day, day, home, raise_on_error=False, refetch=refetch)
    assert not result.success
    assert sim.forcepoint.requests(LT) == before, "refused before any request"
    text = _failure(result)
    for w in words:
        assert w in text, text
    return text


def test_a_lost_database_is_refused_before_any_request_and_adopt_brings_the_home_back(sim, env, tmp_path):
    home = tmp_path / "home"
    day = day_str(-1)
    assert materialize(LT, day, day, home).success
    metadata = _metadata_files(home)
    for f in [home / "log_assets.db", home / "log_assets.db-wal", home / "log_assets.db-shm"]:
        f.unlink(missing_ok=True)  # the database is lost; the lake is still there
    _refused_without_a_request(sim, home, "storage root", "backup", "log_assets.lake adopt")
    assert _metadata_files(home) == metadata, "no table made anew over the lake"

    proc = _adopt(home)
    assert f"registered forcepoint.{LT}" in proc.stdout
    # The walk state went with the database: the day is fetched again, and lands once.
    assert materialize(LT, day, day, home).success
    assert_lake_matches_truth_once(sim, home, LT, day)


def _adopt(home: Path, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "log_assets.lake", "adopt", *args],
        env={**os.environ, "LOG_ASSETS_HOME": str(home), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_a_mistyped_database_url_is_refused_before_any_request(sim, env, tmp_path):
    home = tmp_path / "home"
    url = f"sqlite:///{tmp_path / 'nonexistent' / 'dir' / 'la.db'}"
    env.setenv("LOG_ASSETS_DATABASE_URL", url)
    _refused_without_a_request(sim, home, url, "does not exist")
    assert not (tmp_path / "nonexistent").exists()


def test_a_database_of_another_home_is_refused_before_any_request(sim, env, tmp_path):
    mine, other = tmp_path / "mine", tmp_path / "other"
    day = day_str(-1)
    assert materialize(LT, day, day, mine).success
    assert materialize(LT, day, day, other).success
    env.setenv("LOG_ASSETS_DATABASE_URL", f"sqlite:///{other / 'log_assets.db'}")
    _refused_without_a_request(sim, mine, str(other / "log_assets.db"), str(mine), "not one home", refetch=True)


def test_a_missing_current_metadata_file_is_refused_before_any_request(sim, env, tmp_path):
    home = tmp_path / "home"
    day = day_str(-1)
    assert materialize(LT, day, day, home).success
    assert materialize(LT, day, day, home, refetch=True).success  # a second version of the table
    current = _metadata_files(home)[-1]
    current.unlink()
    text = _refused_without_a_request(sim, home, current.name, "backup", refetch=True)
    assert f"adopt --table forcepoint.{LT}" in text

    # No copy of the file left: the table goes back to the version before, and the day is fetched again.
    proc = _adopt(home, "--table", f"forcepoint.{LT}")
    assert f"pointed forcepoint.{LT} at" in proc.stdout, proc.stdout
    assert materialize(LT, day, day, home, refetch=True).success
    assert_lake_matches_truth_once(sim, home, LT, day)
