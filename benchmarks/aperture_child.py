"""Aperture reads in their own process (the simulator is another one); prints one JSON line.

`python -m benchmarks.aperture_child drain READERS BUDGET`: the project's drain (bulk endpoint, one
session per reader, every body fsynced to the spool, then sorted into the inbox), stopping at the
budget or an empty queue. Reports the read phase and the sort phase separately, then (untimed) what
the spool holds afterwards, read back from its store: the events in the inbox and their distinct ids,
bodies left unsorted, bodies quarantined. LOG_ASSETS_HOME names the home; with
LOG_ASSETS_STORAGE_URL and LOG_ASSETS_DATABASE_URL set the spool is on that store (cluster mode).
`python -m benchmarks.aperture_child single BUDGET`: one session reading the single-event endpoint
for BUDGET seconds (the baseline the bulk endpoint is compared with).
"""

from __future__ import annotations

import json
import sys
import time


def drain(readers: int, budget: float) -> dict:
    from log_assets.aperture import drain as drain_module
    from log_assets.aperture.client import ApertureClient
    from log_assets.aperture.spool import Spool
    from log_assets.paths import Home

    sort_seconds = 0.0
    real_sort = drain_module.sort_bodies

    def timed_sort(*a, **k):
        nonlocal sort_seconds
        t = time.perf_counter()
        try:
            return real_sort(*a, **k)
        finally:
            sort_seconds += time.perf_counter() - t

    drain_module.sort_bodies = timed_sort
    client = ApertureClient.from_env()
    spool = Spool(Home.from_env())
    t0 = time.perf_counter()
    report = drain_module.drain(client, spool, budget_seconds=budget, readers=readers)
    total = time.perf_counter() - t0
    return {
        **stored(spool),
        "events": report.events_read,
        "bodies": report.bodies_read,
        "total_seconds": total,
        "sort_seconds": sort_seconds,
        "read_seconds": total - sort_seconds,
        "stop_reason": report.stop_reason,
        "read_errors": report.read_errors,
        "errors": report.errors[:3],
    }


def stored(spool) -> dict:
    """What the drain left in the spool, read back from its store."""
    ids: list[str] = []
    for objs in spool.pending_partitions().values():
        for obj in objs:
            ids += spool.read_inbox(obj).column("event_id").to_pylist()
    return {
        "spool": spool.describe(),
        "inbox_events": len(ids),
        "inbox_distinct": len(set(ids)),
        "bodies_left": len(spool.list_bodies()),
        "quarantined": len(spool.quarantined_bodies()),
    }


def single(budget: float) -> dict:
    from log_assets.aperture.client import ApertureClient

    client = ApertureClient.from_env()
    session = client.session()
    url = client.base_url + "/api/v1/log_events"
    token = client.token(session)
    events = reads = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < budget:
        r = session.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=45)
        reads += 1
        if r.status_code == 204:
            break
        r.raise_for_status()
        doc = r.json()
        events += len(doc) if isinstance(doc, list) else 1
    return {"events": events, "reads": reads, "read_seconds": time.perf_counter() - t0}


def main(argv: list[str]) -> int:
    kind, *args = argv
    out = drain(int(args[0]), float(args[1])) if kind == "drain" else single(float(args[0]))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
