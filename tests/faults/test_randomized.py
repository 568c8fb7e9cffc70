"""Randomized fault trials against the real CLI: SIGKILL, quota, network faults, disk full, bad
bodies, overlapping runs, a reader during every write, and in cluster mode (PostgreSQL and S3)
database restarts and store outages. See conftest.py for the seed settings."""

from __future__ import annotations

import time

import pytest

from tests.faults import harness
from tests.faults.trials import CLUSTER_KINDS, kind_of, run_trial

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]


def test_trial(trial_seed, ledger, tmp_path, request):
    kind = kind_of(trial_seed)
    # the cluster kinds run on the session's PostgreSQL and S3 servers, started only for them
    cluster = request.getfixturevalue("cluster") if kind in CLUSTER_KINDS else None
    trial = harness.Trial(trial_seed, kind, tmp_path)
    print(f"trial seed {trial_seed} ({kind}); replay with LOG_ASSETS_FAULT_SEED={trial_seed}")
    started = time.monotonic()
    try:
        run_trial(trial, cluster)
    except Exception as e:  # noqa: BLE001 - a crash of the trial itself is recorded too
        trial.violation(f"trial crashed: {type(e).__name__}: {e}")
        raise
    finally:
        record = trial.record()
        record["seconds"] = round(time.monotonic() - started, 1)
        ledger.trials.append(record)
        ledger.faults.update(trial.faults)
        ledger.violations += [f"[seed {trial_seed} {kind}] {v}" for v in trial.violations]
        print("\n".join(trial.notes))
        print(f"faults: {dict(trial.faults)}; runs: {[r.describe() for r in trial.runs]}")
    assert not trial.violations, (
        f"seed {trial_seed} ({kind}): {len(trial.violations)} violation(s); replay with "
        f"LOG_ASSETS_FAULT_SEED={trial_seed}\n" + "\n".join(trial.violations)
    )
