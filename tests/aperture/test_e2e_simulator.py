"""End to end over HTTP against the built-in simulator.

The truth is what the simulator says it delivered; the lake and quarantine are read back with
DuckDB and plain file reads, and event ids are recomputed here from the documented rule.
"""

import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest

from log_assets.defs.aperture.assets import aperture_landing, aperture_spool
from log_assets.defs.aperture.resources import ApertureApi
from log_assets.defs.resources import LogAssetsHome
from log_assets.paths import Home
from log_assets.simulator import SimConfig
from tests.infra.dagster_cli import cli_env, dagster_cmd, job_args

from .helpers import FULL_DEFS, canonical_id, lake_rows, quarantined_bodies

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
TYPES = ["activity_monitoring", "incident", "remediation", "policy_violation", "admin_audit"]


def sim_config(**kw):
    base = dict(
        seed=7,
        aperture_backlog_per_type=50,
        aperture_expires_in=3600,
        aperture_ttl=3600.0,
        aperture_bulk_max=100,
        long_poll=0.2,
        aperture_broken_rate=0.0,
        aperture_max_concurrent=8,
        latency=0.0,
    )
    base.update(kw)
    return SimConfig(**base)


def run_drain(home: Home, readers=2, budget=30.0):
    res = dg.materialize(
        [aperture_spool],
        resources={"home": LogAssetsHome(root=str(home.root)), "aperture": ApertureApi()},
        run_config={"ops": {"aperture__spool": {"config": {"readers": readers, "budget_seconds": budget}}}},
        raise_on_error=False,
    )
    mats = res.asset_materializations_for_node("aperture__spool") if res.success else []
    return res, ({k: v.value for k, v in mats[0].metadata.items()} if mats else {})


def land_everything(home: Home):
    """Materialize every day partition that has spooled data, as the sensor would."""
    from log_assets.aperture.spool import Spool

    days = sorted({d for (_, d) in Spool(home).pending_partitions()})
    for day in days:
        res = dg.materialize(
            [aperture_landing], partition_key=day, resources={"home": LogAssetsHome(root=str(home.root))}
        )
        assert res.success
    return days


def truth(sim):
    """(ids of the events that arrived in full, valid bodies; bodies sent that are not JSON)."""
    return Counter(canonical_id(e) for e in sim.aperture.intact_events()), [
        bytes(b) for b in sim.aperture.broken_bodies()
    ]


def assert_lake_matches(home, sim, lost_events=()):
    good, broken = truth(sim)
    rows = lake_rows(home)
    ids = [r["event_id"] for r in rows]
    assert len(ids) == len(set(ids)), "an event landed twice"
    expected = set(good) - set(lost_events)
    assert set(ids) == expected
    for r in rows:
        assert canonical_id(json.loads(r["raw"])) == r["event_id"]
        assert r["event_day"] == r["event_time"].date()  # in the partition of its UTC day
    assert sorted(quarantined_bodies(home).values()) == sorted(broken)
    return rows


def test_drain_to_empty_with_tokens_expiring_mid_drain(simulator, home):
    sim = simulator(
        sim_config(aperture_backlog_per_type=120, aperture_expires_in=1, aperture_bulk_max=10, latency=0.05)
    )
    res, md = run_drain(home, readers=2)
    assert res.success, res
    assert sim.aperture.pending() == 0
    assert md["stop_reason"] == "empty" and md["tokens_issued"] >= 2  # refreshed mid-drain
    assert md["events_read"] == len(sim.aperture.delivered_events()) >= 600
    land_everything(home)
    rows = assert_lake_matches(home, sim)
    assert {r["log_type"] for r in rows} == set(TYPES)


def test_401_mid_drain_refreshes_the_token(simulator, home):
    sim = simulator(sim_config(aperture_bulk_max=20))
    sim.faults.add("401", count=1, path="aperture")
    res, md = run_drain(home, readers=1)
    assert res.success and md["tokens_issued"] == 2 and sim.aperture.pending() == 0
    land_everything(home)
    assert_lake_matches(home, sim)


def test_several_concurrent_readers_with_transient_faults(simulator, home):
    sim = simulator(
        sim_config(aperture_backlog_per_type=200, aperture_bulk_max=25, latency=0.02, aperture_max_concurrent=3)
    )
    sim.faults.add("503", count=2, path="aperture")
    sim.faults.add("429", count=2, path="aperture")
    res, md = run_drain(home, readers=4)
    assert res.success
    assert sim.aperture.pending() == 0
    assert md["bodies_read"] == len(sim.aperture.delivered_bodies())
    land_everything(home)
    assert_lake_matches(home, sim)


def test_broken_bodies_quarantined_byte_for_byte(simulator, home):
    sim = simulator(sim_config(aperture_backlog_per_type=100, aperture_bulk_max=10, aperture_broken_rate=0.3))
    res, md = run_drain(home)
    assert res.success
    broken = sim.aperture.broken_bodies()
    assert broken, "the simulator was asked for broken bodies"
    assert md["bodies_quarantined"] == len(broken)
    land_everything(home)
    assert_lake_matches(home, sim)
    assert sorted(quarantined_bodies(home).values()) == sorted(bytes(b) for b in broken)
    notes = list((home.quarantine / "aperture").glob("*.note.json"))
    assert len(notes) == len(broken) and all("reason" in json.loads(n.read_text()) for n in notes)


def test_dropped_connection_keeps_what_arrived(simulator, home):
    sim = simulator(sim_config(aperture_bulk_max=20))
    sim.faults.add("drop", count=1, path="aperture")
    res, md = run_drain(home, readers=1)
    assert res.success and md["bodies_truncated"] == 1
    land_everything(home)
    good, _ = truth(sim)
    ids = {r["event_id"] for r in lake_rows(home)}
    assert ids <= set(good) and len(ids) >= len(good) - 20
    (partial,) = [b for n, b in quarantined_bodies(home).items() if "truncated" in n]
    assert partial and not partial.endswith(b"}")


def test_two_days_routed_and_quirks_kept(simulator, home):
    events = [
        {
            "log_type": "incident",
            "severity": 1,
            "serial": None,
            "item_type": "File",
            "timestamp": "2026-11-19T23:59:59.999Z",
            "incident_id": "i1",
            "item_size": "1335",
        },
        {
            "log_type": "incident",
            "severity": 1.0,
            "serial": "0042",
            "item_type": "file",
            "timestamp": "2026-11-20T00:00:00Z ",
            "incident_id": "i1",
        },
        {
            "log_type": "policy_violation",
            "severity": 3.0,
            "serial": None,
            "item_type": "File",
            "timestamp": "2026-11-20T10:00:00.961Z",
            "incident_id": "i2",
        },
        {
            "log_type": "admin_audit",
            "action": "sign_in",
            "serial": "mySerial",
            "timestamp": "2026-11-19T05:00:06Z",
        },
        {
            "log_type": "activity_monitoring",
            "target_type": "",
            "target_name": None,
            "timestamp": "2026-11-20T01:02:03Z",
        },
    ]
    sim = simulator(sim_config(aperture_backlog_per_type=0))
    sim.aperture.enqueue(events=events + [events[0]])  # plus a byte-identical repeat
    res, md = run_drain(home)
    assert res.success
    assert land_everything(home) == ["2026-11-19", "2026-11-20"]
    rows = {r["event_id"]: r for r in lake_rows(home)}
    assert len(rows) == 5
    r = [rows[canonical_id(e)] for e in events]
    assert [x["event_time"].date().isoformat() for x in r] == [
        "2026-11-19",
        "2026-11-20",
        "2026-11-20",
        "2026-11-19",
        "2026-11-20",
    ]
    assert (r[0]["severity"], r[1]["severity"], r[2]["severity"]) == (1.0, 1.0, 3.0)
    assert (r[0]["serial"], r[1]["serial"]) == (None, "0042")
    assert (r[0]["item_type"], r[1]["item_type"]) == ("File", "file")
    assert r[0]["item_size"] == 1335 and r[4]["target_type"] is None  # "" is NULL (raw keeps it)
    assert json.loads(r[1]["raw"])["timestamp"] == "2026-11-20T00:00:00Z "


def test_missing_credentials_send_nothing(simulator, home, monkeypatch):
    sim = simulator(sim_config())
    monkeypatch.delenv("APERTURE_CLIENT_SECRET")
    before = sim.aperture.pending()
    res, _ = run_drain(home)
    assert not res.success
    failure = res.failure_data_for_node("aperture__spool")
    assert "APERTURE_CLIENT_SECRET" in failure.error.message
    assert sim.aperture.pending() == before and sim.aperture.delivered_bodies() == []


def test_connectivity_check_never_pops_events(simulator, home):
    sim = simulator(sim_config())
    before = sim.aperture.pending()
    result = FULL_DEFS.resolve_job_def("aperture_connectivity").execute_in_process(
        instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success and result.get_asset_check_evaluations()[0].passed
    assert sim.aperture.pending() == before > 0
    assert sim.aperture.delivered_bodies() == []


def test_sigkill_mid_drain_loses_at_most_the_batch_in_flight(simulator, home, tmp_path):
    sim = simulator(sim_config(aperture_backlog_per_type=200, aperture_bulk_max=10, latency=0.05), env=False)
    run_config = {"ops": {"aperture__spool": {"config": {"readers": 1, "budget_seconds": 120}}}}
    log = tmp_path / "drain.log"
    # An instance of its own: a killed CLI run would otherwise leave a temporary one in the cwd.
    proc = subprocess.Popen(
        dagster_cmd(job_args("aperture_drain", run_config, tmp_path)),
        cwd=REPO,
        env=cli_env(home.root, sim.env(), dagster_home=tmp_path / "dagster_home"),
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,
    )
    bodies_dir = home.spool / "aperture" / "bodies"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if bodies_dir.exists() and len([p for p in bodies_dir.glob("*.json")]) >= 8:
                break
            assert proc.poll() is None, "the drain ended before it could be killed:\n" + log.read_text()[-3000:]
            time.sleep(0.02)
        else:
            pytest.fail("the drain never spooled enough bodies")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    delivered_before = len(sim.aperture.delivered_bodies())
    spooled = len(list(bodies_dir.glob("*.json")))
    assert sim.aperture.pending() > 0, "the kill came too late to be mid-drain"
    assert delivered_before - spooled <= 1

    # Re-run: picks up the spooled bodies, drains the rest.
    simulator.use(sim)
    res, md = run_drain(home, readers=2)
    assert res.success and sim.aperture.pending() == 0
    land_everything(home)

    good, broken = truth(sim)
    ids = [r["event_id"] for r in lake_rows(home)]
    assert len(ids) == len(set(ids)), "an event landed twice"
    missing = set(good) - set(ids)
    print(
        f"delivered before the kill: {delivered_before} bodies, spooled {spooled}, events missing: {len(missing)}"
    )
    assert set(ids) <= set(good)
    # Whatever is missing must be one whole delivered body: the one in flight at the kill.
    if missing:
        bodies_with_missing = [
            b
            for b in sim.aperture.delivered_bodies()[:delivered_before]
            if {canonical_id(e) for e in json.loads(b)["events"]} & missing
        ]
        assert len(bodies_with_missing) == 1
        assert {canonical_id(e) for e in json.loads(bodies_with_missing[0])["events"]} == missing
    assert not broken
