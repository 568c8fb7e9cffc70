"""The example project, end to end, as a user runs it: CI calls this with the Python of a fresh virtual
environment holding the log-assets wheel and this project (nothing of the checkout on the path).

Two simulators stand for two tenants' vendor accounts (different seeds, different credentials). The
check runs `dg check defs` and `dg list defs` with no credentials set, then, with each tenant's
credentials in its own variables, materializes one Forcepoint day and drains and lands Aperture for
each tenant with `dg launch`, and reads each tenant's Iceberg catalog back: every event of its own
simulator once, nothing of the other tenant's, requests <= pages + 1, and no secret in any output,
definition or event log.

    python check.py [--workdir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parent
TENANTS = ("acme", "globex")
FORCEPOINT_TYPE = "access"
PAGE_SIZE = 50


def _fail(message: str) -> None:
    print(f"check failed: {message}", file=sys.stderr)
    sys.exit(1)


def _require(ok: bool, message: str) -> None:
    if not ok:
        _fail(message)


class Runner:
    """Runs `dg` in the project with a given environment and keeps every byte it printed."""

    def __init__(self, base_env: dict[str, str]):
        self.base_env = base_env
        self.outputs: list[str] = []
        self.dg = str(Path(sys.executable).with_name("dg"))

    def dg_run(self, *args: str, env: dict[str, str] | None = None) -> str:
        full = {**self.base_env, **(env or {})}
        print("$ dg " + " ".join(args), flush=True)
        p = subprocess.run(
            [self.dg, *args], cwd=PROJECT, env=full, capture_output=True, text=True, timeout=900, check=False
        )
        self.outputs += [p.stdout, p.stderr]
        if p.returncode != 0:
            print(p.stdout[-4000:], p.stderr[-8000:], sep="\n", file=sys.stderr)
            _fail(f"`dg {' '.join(args)}` exited {p.returncode}")
        return p.stdout


def forcepoint_truth(sim, day: str) -> set[str]:
    from log_assets.catalog import FORCEPOINT_TYPES
    from log_assets.forcepoint.parse import IdStrategy

    ids = IdStrategy(FORCEPOINT_TYPES[FORCEPOINT_TYPE])
    return {ids(r) for r in sim.forcepoint.distinct_events(FORCEPOINT_TYPE, day=day)}


def aperture_truth(sim) -> set[str]:
    # The documented event_id rule, written out again: sha256 of key-sorted compact JSON.
    return {
        hashlib.sha256(json.dumps(e, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        for e in sim.aperture.intact_events()
    }


def lake_ids(home: Path, tenant: str, namespace: str, table: str | None = None, day: str | None = None) -> list:
    """Event ids in a tenant's own Iceberg catalog (`log_assets_<tenant>`), read with pyiceberg."""
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.expressions import AlwaysTrue, EqualTo

    catalog = SqlCatalog(
        f"log_assets_{tenant}", uri=f"sqlite:///{home / 'log_assets.db'}", warehouse=(home / "lake").as_uri()
    )
    names = [table] if table else [t[-1] for t in catalog.list_tables(namespace)]
    ids: list[str] = []
    for name in names:
        t = catalog.load_table(f"{namespace}.{name}")
        scan = t.scan(selected_fields=("event_id",), row_filter=EqualTo("event_day", day) if day else AlwaysTrue())
        ids += scan.to_arrow().column("event_id").to_pylist()
    return ids


def run_metadata(dagster_home: Path, key: list[str]) -> dict:
    """The last materialization's metadata of an asset, from the instance the runs used."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    with dg.DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey(key))
        _require(event is not None, f"no materialization of {'/'.join(key)}")
        return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", help="where homes and the Dagster instance go (default: a new temp folder)")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="two-tenants-")).resolve()
    work.mkdir(parents=True, exist_ok=True)

    from log_assets.simulator import SimConfig, Simulator

    secrets = {
        "acme": dict(forcepoint_token="acme-fp-token-7f3a91", aperture_client_secret="acme-ap-secret-c04d"),
        "globex": dict(forcepoint_password="globex-fp-pass-19be", aperture_client_secret="globex-ap-secret-e5a2"),
    }
    configs = {
        "acme": SimConfig(
            seed=101,
            days=3,
            forcepoint_events_per_day=240,
            page_size=PAGE_SIZE,
            aperture_backlog_per_type=30,
            forcepoint_token=secrets["acme"]["forcepoint_token"],
            aperture_client_id="acme-client",
            aperture_client_secret=secrets["acme"]["aperture_client_secret"],
        ),
        "globex": SimConfig(
            seed=202,
            days=3,
            forcepoint_events_per_day=180,
            page_size=PAGE_SIZE,
            aperture_backlog_per_type=20,
            forcepoint_username="globex-collector",
            forcepoint_password=secrets["globex"]["forcepoint_password"],
            aperture_client_id="globex-client",
            aperture_client_secret=secrets["globex"]["aperture_client_secret"],
        ),
    }
    dagster_home = work / "dagster_home"
    dagster_home.mkdir(exist_ok=True)
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    base_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("FORCEPOINT_", "APERTURE_", "LOG_ASSETS_"))
    }
    base_env.update(LOG_ASSETS_HOME=str(work / "data"), DAGSTER_HOME=str(dagster_home))
    runner = Runner(base_env)

    # 1. The Component is registered by the installed package; the definitions load with no
    # credentials and no network.
    components = json.loads(runner.dg_run("list", "components", "--json"))["items"]
    _require(
        any(c["key"] == "log_assets.LogAssetsComponent" for c in components),
        "dg list components does not show log_assets.LogAssetsComponent",
    )
    runner.dg_run("check", "defs")
    listed = runner.dg_run("list", "defs", "--json")
    keys = {a["asset_key"] for a in json.loads(listed)["assets"]}
    for tenant in TENANTS:
        _require(f"{tenant}/forcepoint/{FORCEPOINT_TYPE}" in keys, f"{tenant}/forcepoint/access not listed")
        _require(f"{tenant}/aperture/incident" in keys, f"{tenant}/aperture/incident not listed")
    _require("acme/forcepoint/cloudaudit" not in keys, "acme lists a Forcepoint type it did not choose")
    _require("globex/aperture/remediation" not in keys, "globex lists an Aperture type it did not choose")
    print(f"{len(keys)} asset keys listed for {len(TENANTS)} tenants")

    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    with Simulator(configs["acme"], port=0) as acme_sim, Simulator(configs["globex"], port=0) as globex_sim:
        sims = {"acme": acme_sim, "globex": globex_sim}
        env = {}
        for tenant, sim in sims.items():
            T = tenant.upper()
            cfg = sim.config
            env[f"{T}_FORCEPOINT_API_URL"] = sim.forcepoint_url
            env[f"{T}_APERTURE_API_URL"] = sim.aperture_url
            env[f"{T}_APERTURE_CLIENT_ID"] = cfg.aperture_client_id
            env[f"{T}_APERTURE_CLIENT_SECRET"] = cfg.aperture_client_secret
        env["ACME_FORCEPOINT_API_TOKEN"] = acme_sim.config.forcepoint_token
        env["GLOBEX_FORCEPOINT_USERNAME"] = globex_sim.config.forcepoint_username
        env["GLOBEX_FORCEPOINT_PASSWORD"] = globex_sim.config.forcepoint_password

        for tenant, sim in sims.items():
            home = work / "data" / "tenants" / tenant
            # 2. One Forcepoint day.
            key = f"{tenant}/forcepoint/{FORCEPOINT_TYPE}"
            runner.dg_run("launch", "--assets", key, "--partition", yesterday, env=env)
            got = lake_ids(home, tenant, "forcepoint", FORCEPOINT_TYPE, yesterday)
            want = forcepoint_truth(sim, yesterday)
            other = forcepoint_truth(sims["globex" if tenant == "acme" else "acme"], yesterday)
            _require(len(want) > 0, f"{tenant}: its simulator has no events on {yesterday}")
            _require(len(got) == len(set(got)), f"{tenant}: an event landed twice")
            _require(set(got) == want, f"{tenant}: lake has {len(got)} events of {yesterday}, its API {len(want)}")
            _require(not (set(got) & other), f"{tenant}: events of the other tenant in its lake")
            md = run_metadata(dagster_home, [tenant, "forcepoint", FORCEPOINT_TYPE])
            spent = sim.forcepoint.requests(FORCEPOINT_TYPE)
            _require(
                spent == md["requests_spent"] <= md["pages"] + 1,
                f"{tenant}: {spent} requests sent, {md['requests_spent']} counted, {md['pages']} pages",
            )
            _require(
                md["pages"] <= math.ceil(md["events_received"] / PAGE_SIZE),
                f"{tenant}: {md['pages']} pages for {md['events_received']} events",
            )
            print(f"{tenant}: forcepoint/{FORCEPOINT_TYPE} {yesterday}: {len(got)} events, {spent} requests")

            # 3. Drain Aperture into the tenant's spool, then land its days.
            runner.dg_run("launch", "--job", f"{tenant}__aperture_drain", env=env)
            _require(sim.aperture.pending() == 0, f"{tenant}: the drain left events in its queue")
            aperture_keys = sorted(
                k for k in keys if k.startswith(f"{tenant}/aperture/") and not k.endswith("/spool")
            )
            for day in (yesterday, today):
                runner.dg_run("launch", "--assets", ",".join(aperture_keys), "--partition", day, env=env)
            got = lake_ids(home, tenant, "aperture")
            want = aperture_truth(sim)
            other = aperture_truth(sims["globex" if tenant == "acme" else "acme"])
            _require(len(want) > 0, f"{tenant}: its Aperture simulator delivered nothing")
            _require(len(got) == len(set(got)), f"{tenant}: an Aperture event landed twice")
            _require(set(got) == want, f"{tenant}: Aperture lake has {len(got)} events, its API sent {len(want)}")
            _require(not (set(got) & other), f"{tenant}: Aperture events of the other tenant in its lake")
            print(f"{tenant}: aperture: {len(got)} events in {len(aperture_keys)} assets")

    # 4. No secret anywhere: what was printed, the instance's event log, the homes.
    values = [v for s in secrets.values() for v in s.values()]
    texts = list(runner.outputs)
    for path in [*dagster_home.rglob("*"), *(work / "data").rglob("*")]:
        if path.is_file() and path.stat().st_size < 50_000_000:
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    for value in values:
        _require(not any(value in t for t in texts), "a secret appeared in an output, the event log or a home")
    print(f"two tenants checked: each lake holds exactly its own API's events; no secret in {len(texts)} texts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
