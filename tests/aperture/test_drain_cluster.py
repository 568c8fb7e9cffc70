"""Cluster mode for Aperture: the spool, the inbox and the quarantine on an S3-compatible store, the
locks and the lake's catalog in PostgreSQL, and two nodes that share nothing else.

The truth is what the simulator says it delivered; the lake is read back through its Iceberg catalog.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from log_assets.defs.aperture.assets import aperture_landing
from log_assets.defs.resources import LogAssetsHome
from log_assets.lake.lake import Lake
from log_assets.paths import Home
from log_assets.storage import Storage
from log_assets.warehouse import connect_readonly
from tests.infra.dagster_cli import cli_env, dagster_cmd, job_args

from .helpers import canonical_id, lake_rows, quarantined_bodies
from .test_e2e_simulator import TYPES, assert_lake_matches, run_drain, sim_config, truth

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def space(cluster, monkeypatch):
    """The variables of a cluster (a fresh PostgreSQL database and bucket), set for this process; returns them."""
    env = cluster.fresh("logs").env()
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def land_everything(home: Home) -> list[str]:
    from log_assets.aperture.spool import Spool

    days = sorted({d for (_, d) in Spool(home).pending_partitions()})
    for day in days:
        res = dg.materialize(
            [aperture_landing], partition_key=day, resources={"home": LogAssetsHome(root=str(home.root))}
        )
        assert res.success
    return days


def local_files(home: Home) -> list[str]:
    """Files under the home but the markers: on a cluster the home is scratch and keeps no data."""
    if not home.root.exists():
        return []
    return sorted(
        str(p.relative_to(home.root))
        for p in home.root.rglob("*")
        if p.is_file() and not p.name.startswith(".log-assets")
    )


def test_drain_and_land_with_the_spool_on_s3_and_the_state_in_postgresql(simulator, tmp_path, space, monkeypatch):
    home = Home.from_env(tmp_path / "home")
    sim = simulator(sim_config(aperture_backlog_per_type=60, aperture_bulk_max=10, aperture_broken_rate=0.2))
    res, md = run_drain(home, readers=2)
    assert res.success and sim.aperture.pending() == 0
    assert md["spool"].startswith("s3://") and md["bodies_read"] == len(sim.aperture.delivered_bodies())
    storage = Storage.from_env()
    assert storage.list("spool/aperture/bodies") == []  # all sorted into the inbox
    assert storage.list("spool/aperture/inbox"), "the inbox is on the store"
    land_everything(home)
    assert_lake_matches(home, sim)
    broken = sim.aperture.broken_bodies()
    assert broken and md["bodies_quarantined"] == len(broken)
    assert sorted(quarantined_bodies(home).values()) == sorted(bytes(b) for b in broken)
    assert storage.list("spool/aperture/inbox") == []  # landed, then removed
    assert local_files(home) == []


def test_a_node_killed_mid_drain_is_taken_over_by_another(simulator, tmp_path, space, monkeypatch):
    """Node A (its own home) drains in a `dagster job execute` process and is SIGKILLed mid-drain;
    node B, with another home and nothing shared but the database and the bucket, drains the rest,
    sorts A's spooled bodies and lands everything: every event once, nothing lost but the body that
    was in flight when A died."""
    home_a, home_b = Home.from_env(tmp_path / "a"), Home.from_env(tmp_path / "b")
    sim = simulator(sim_config(aperture_backlog_per_type=200, aperture_bulk_max=10, latency=0.05), env=False)
    run_config = {"ops": {"aperture__spool": {"config": {"readers": 1, "budget_seconds": 120}}}}
    log = tmp_path / "drain-a.log"
    proc = subprocess.Popen(
        dagster_cmd(job_args("aperture_drain", run_config, tmp_path)),
        cwd=tmp_path,
        env=cli_env(home_a.root, space, sim.env(), dagster_home=tmp_path / "dagster_home_a"),
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,
    )
    storage = Storage.from_env()
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            if len(storage.list("spool/aperture/bodies")) >= 8:
                break
            assert proc.poll() is None, "node A ended before it could be killed:\n" + log.read_text()[-3000:]
            time.sleep(0.05)
        else:
            pytest.fail("node A never spooled enough bodies:\n" + log.read_text()[-3000:])
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    delivered_before = len(sim.aperture.delivered_bodies())
    spooled = len(storage.list("spool/aperture/bodies"))
    assert sim.aperture.pending() > 0, "the kill came too late to be mid-drain"
    assert delivered_before - spooled <= 1, "more than the body in flight was lost"

    simulator.use(sim)
    res, md = run_drain(home_b, readers=2)
    assert res.success and sim.aperture.pending() == 0
    assert md["events_sorted"] >= md["events_read"]  # B sorted A's bodies too
    land_everything(home_b)

    good, _broken = truth(sim)
    ids = [r["event_id"] for r in lake_rows(home_b)]
    assert len(ids) == len(set(ids)), "an event landed twice"
    assert set(ids) <= set(good)
    missing = set(good) - set(ids)
    # At most the one body A had read and not yet stored: up to aperture_bulk_max events.
    assert len(missing) <= 10, f"{len(missing)} events lost, more than one body's worth"
    for r in lake_rows(home_b):
        assert canonical_id(json.loads(r["raw"])) == r["event_id"]

    # Node B's warehouse, built from the lake on the store: one row per event of the lake.
    proc = subprocess.run(
        [sys.executable, "-m", "log_assets.warehouse", "sync", "--home", str(home_b.root)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    conn = connect_readonly(str(home_b.root))
    in_warehouse = sorted(
        i for t in TYPES for (i,) in conn.execute(f"SELECT event_id FROM aperture.{t}").fetchall()
    )
    assert in_warehouse == sorted(ids)
    # ... and published to the catalog, where any node's engines read it.
    with Lake.for_home(home_b) as lake:
        events = lake.catalog.load_table(("analytics", "events")).scan(selected_fields=("event_id",))
        assert sorted(events.to_arrow().column("event_id").to_pylist()) == sorted(ids)
    assert [
        f for f in local_files(home_b) if not f.startswith(("warehouse", ".warehouse/", ".cache/"))
    ] == []  # scratch
