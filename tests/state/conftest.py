"""Every state test runs on both databases: a SQLite file and a real PostgreSQL (tests/infra/postgres.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from log_assets.state import Database, RetryPolicy, StateStore

ROOT = Path(__file__).resolve().parents[2]
# Short waits: the outage tests restart the server on purpose.
FAST_RETRY = RetryPolicy(attempts=3, first_wait=0.05, max_wait=0.2, deadline=5.0)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/log_assets.db"
    return request.getfixturevalue("postgres").create_database()


@pytest.fixture
def store(db_url) -> Iterator[StateStore]:
    s = StateStore(Database(db_url, retry=FAST_RETRY))
    yield s
    s.close()


def worker(*args: str) -> subprocess.Popen:
    """`python -m tests.state.workers ARGS` with stdout piped (one JSON line or `held`)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.state.workers", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def result_of(proc: subprocess.Popen, timeout: float = 120) -> dict:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"worker failed ({proc.returncode}):\n{out}\n{err}"
    return json.loads(out.strip().splitlines()[-1])
