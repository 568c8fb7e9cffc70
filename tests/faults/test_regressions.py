"""Single faults, deterministic: each one the randomized trials found or that the issue names
explicitly, pinned so that a fix stays fixed."""

from __future__ import annotations

import os

import dagster as dg
import pytest

from log_assets.defs.forcepoint.assets import FORCEPOINT_ASSETS
from log_assets.defs.forcepoint.resources import ForcepointResource
from log_assets.defs.resources import LogAssetsHome

from . import harness as h

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def sim(simulator, monkeypatch):
    for k in list(os.environ):
        if k.startswith(("FORCEPOINT_", "APERTURE_")):
            monkeypatch.delenv(k)
    return simulator(
        seed=13, days=3, forcepoint_events_per_day=120, page_size=20, quota=100_000, aperture_backlog_per_type=0
    )


def materialize(lt: str, home, first: str, last: str):
    asset = next(a for a in FORCEPOINT_ASSETS if a.key.path[-1] == lt)
    return dg.materialize(
        [asset],
        raise_on_error=False,
        resources={
            "forcepoint": ForcepointResource(retries=3, backoff=0.01),
            "home": LogAssetsHome(root=str(home)),
        },
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
    )


def failure_text(res) -> str:
    return " ".join(str(e.event_specific_data) for e in res.all_events if e.is_failure)


@pytest.mark.parametrize("at", [0, 3])
def test_forcepoint_connection_dropped_mid_body_is_retried_within_the_run(sim, tmp_path, at):
    """A response cut off mid-body is a transport failure like a 503: retried (and charged) within
    the run, not a failed run that waits for the next schedule tick."""
    lt, first, last = "access", h.day_str(-2), h.day_str(-1)
    tap = h.Tap(sim)
    clean = materialize(lt, tmp_path / "clean", first, last)
    assert clean.success
    baseline = tap.count("forcepoint", lt)

    def drop_next():
        sim.faults.add("drop", 1, path="forcepoint")

    fired = []
    tap.on_request = lambda: (
        not fired and tap.count("forcepoint", lt) - baseline >= max(at, 1) and (fired.append(1), drop_next())
    )
    if at == 0:
        sim.faults.add("drop", 1, path="forcepoint")
        fired.append(1)
    res = materialize(lt, tmp_path / "home", first, last)
    tap.on_request = None
    assert res.success, f"one dropped connection failed the run: {failure_text(res)[:400]}"
    trial = h.Trial(0, "regression", tmp_path)
    for day in (first, last):
        h.check_forcepoint_day(trial, sim, tmp_path / "home", lt, day, "json")
    spent = tap.count("forcepoint", lt) - baseline
    assert spent <= baseline + 1, f"{spent} requests; a clean walk costs {baseline}, the drop may add one"
    assert not trial.violations, trial.violations


def test_forcepoint_failure_message_does_not_claim_retries_that_did_not_happen(sim, tmp_path):
    """With retries=0 a dropped connection fails the run; the message must say what happened."""
    sim.faults.add("drop", 1, path="forcepoint")
    asset = next(a for a in FORCEPOINT_ASSETS if a.key.path[-1] == "admin")
    res = dg.materialize(
        [asset],
        partition_key=h.day_str(-1),
        raise_on_error=False,
        resources={"forcepoint": ForcepointResource(retries=0), "home": LogAssetsHome(root=str(tmp_path))},
    )
    assert not res.success
    text = failure_text(res)
    assert "onnection" in text  # names the cause (connection broken / dropped)


def test_aperture_sigkill_of_a_default_drain_loses_at_most_one_batch(simulator, tmp_path, monkeypatch):
    """The promise: a drain killed at any instant loses at most the one batch it had in flight.

    The answers are slowed so that every reader of a default drain holds a popped batch when the
    kill comes; afterwards a clean drain and landing run, and every delivered batch must be in the
    lake except at most one.
    """
    import json
    import time

    for k in list(os.environ):
        if k.startswith(("FORCEPOINT_", "APERTURE_")):
            monkeypatch.delenv(k)
    home = tmp_path / "home"
    sim = simulator(
        seed=17,
        days=1,
        forcepoint_events_per_day=1,
        aperture_backlog_per_type=40,
        aperture_bulk_max=20,
        long_poll=0.1,
        latency=1.5,
        env=False,
    )
    env = h.cli_env(home, sim.env())
    drain = h.start(h.job_args("aperture_drain"), env, tmp_path / "drain.log")
    deadline = time.monotonic() + 120
    while not sim.aperture.deliveries() and drain.running() and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.5)  # within the 1.5 s the answers take: any other reader has popped its batch by now
    assert drain.running(), drain.tail()
    drain.kill()
    popped = len(sim.aperture.deliveries())
    sim.config = sim.config.with_(latency=0.0)
    for name, args in (
        ("drain2", h.job_args("aperture_drain")),
        (
            "land",
            h.materialize_args(
                ",".join(
                    f"aperture/{t}"
                    for t in (
                        "activity_monitoring",
                        "admin_audit",
                        "incident",
                        "policy_violation",
                        "remediation",
                    )
                ),
                h.day_str(-1),
                h.day_str(0),
            ),
        ),
    ):
        r = h.start(args, env, tmp_path / f"{name}.log")
        assert r.wait() == 0, r.tail()
    lake = set()
    for _, _, rows in h.lake_partitions(home, "aperture"):
        lake.update(h.canon(json.loads(x["raw"])) for x in rows)
    deliveries = sim.aperture.deliveries()
    lost = [i for i, d in enumerate(deliveries) if not all(h.canon(e) in lake for e in d.events)]
    assert not sim.aperture.pending()
    assert len(lost) <= 1, (
        f"one SIGKILL of a default drain lost {len(lost)} popped batches "
        f"({popped} were popped when it came): batches {lost}"
    )
