"""Figure 4: Aperture drain throughput with 1 and N readers at a simulated 50 ms round trip.

Each measurement is a fresh process reading for a fixed budget from a fresh simulator process whose
queue holds more than the readers could take at one bulk read per round trip (so it never runs dry
and no long poll is timed). Beside it: the single-event endpoint read by one session, the way a
naive client would. After each drain, what it stored is read back from the spool's store: every
event it read is in the inbox (the server's deliberate repeats too: landing merges them), no body
is left unsorted and none is quarantined.

Cluster mode: the drain with CLUSTER_READERS readers again, on a fresh simulator, with its spool and
inbox on the S3 server (`LOG_ASSETS_STORAGE_URL=s3://…`) and its locks in PostgreSQL
(`LOG_ASSETS_DATABASE_URL`), a fresh bucket and database of the run's servers, beside the local
drain with as many readers.
"""

from __future__ import annotations

import json

from benchmarks.common import (
    CLUSTER_NOTE,
    PY,
    Figure,
    Mode,
    SimProcess,
    clean_env,
    failed,
    measure,
    say,
    scratch,
    unavailable,
)

LATENCY = 0.05
SERVER_LIMIT = 8  # readers the simulator serves at once (--aperture-max-concurrent); more get 429
READERS = (1, 2, 4, SERVER_LIMIT, 2 * SERVER_LIMIT)  # the last one past the limit: shown, no goal
EFFICIENCY = 0.8  # "near-linear": N readers give at least 0.8 x N times one reader's rate
BULK_MAX = 100
TYPES = 5  # the simulator queues this many Aperture log types
CLUSTER_READERS = 4


def backlog_per_type(readers: int, budget: float) -> int:
    """Enough that the queue cannot run dry: one reader reads at most BULK_MAX events per round trip."""
    most = readers * BULK_MAX / LATENCY * budget
    return int(most * 1.25 / TYPES) + 1000


def sim_args(backlog: int) -> list[str]:
    return [
        "--events-per-day",
        "0",
        "--aperture-backlog",
        str(backlog),
        "--latency",
        str(LATENCY),
        "--aperture-max-concurrent",
        str(SERVER_LIMIT),
        "--long-poll",
        "0.2",
        "--aperture-bulk-max",
        str(BULK_MAX),
    ]


def run(mode: Mode) -> list[Figure]:
    budget = 2.0 if mode.quick else 5.0
    out: dict = {}
    say(f"aperture: single-event endpoint, 1 session, {budget:.0f}s")
    with SimProcess(*sim_args(backlog_per_type(1, budget))) as sim, scratch("aperture") as home:
        out["single"] = _child(mode, ["single", str(budget)], sim.aperture_env(), home, "aperture-single")
    for n in READERS:
        say(f"aperture: drain with {n} reader{'s' if n > 1 else ''}, {budget:.0f}s")
        # A fresh server per measurement: each starts with a full queue of its own.
        with SimProcess(*sim_args(backlog_per_type(n, budget))) as sim, scratch("aperture") as home:
            r = out[n] = _child(
                mode, ["drain", str(n), str(budget)], sim.aperture_env(), home, f"aperture-drain-{n}"
            )
        _check(r, n)
    cluster_why = mode.cluster.unavailable()
    if not cluster_why:
        n = CLUSTER_READERS
        say(f"aperture: drain with {n} readers in cluster mode ({CLUSTER_NOTE}), {budget:.0f}s")
        try:
            cenv = mode.cluster.fresh().env()
            with SimProcess(*sim_args(backlog_per_type(n, budget))) as sim, scratch("aperture-cluster") as home:
                r = _child(
                    mode,
                    ["drain", str(n), str(budget)],
                    {**sim.aperture_env(), **cenv},
                    home,
                    f"aperture-cluster-{n}",
                )
            if not r["spool"].startswith("s3://"):
                raise RuntimeError(f"cluster-mode drain: the spool is at {r['spool']}, not on the S3 server")
            _check(r, n)
            out["cluster"] = r
        except Exception as e:  # noqa: BLE001 - the local rows stand; the cluster row says why
            cluster_why = failed(e)
    single = out["single"]["events"] / out["single"]["read_seconds"]
    one = out[1]["events"] / out[1]["read_seconds"]
    figs = [
        Figure(
            "aperture_single_event_endpoint_events_per_s",
            "4. Aperture: single-event endpoint, 1 session",
            single,
            "events/s",
            note=f"{LATENCY * 1000:.0f} ms round trip",
        )
    ]
    for n in READERS:
        r = out[n]
        rate = r["events"] / r["read_seconds"]
        speedup = rate / one
        goal = 1 < n <= SERVER_LIMIT
        figs.append(
            Figure(
                f"aperture_drain_{n}_readers_events_per_s",
                f"4. Aperture drain, {n} reader{'s' if n > 1 else ''} (bulk)",
                rate,
                "events/s",
                f"1 reader {one:,.0f}/s" if n > 1 else f"single-event endpoint {single:,.0f}/s",
                speedup if n > 1 else rate / single,
                f"speed-up >= {EFFICIENCY} x {n}" if goal else "",
                (speedup >= EFFICIENCY * n) if goal else None,
                note=(
                    f"{r['events']:,} events in {r['read_seconds']:.1f}s; "
                    f"sorting them after: {r['sort_seconds']:.1f}s"
                )
                + (
                    ""
                    if n <= SERVER_LIMIT
                    else f"; more readers than the server's limit ({SERVER_LIMIT} concurrent "
                    f"reads); read errors: {r['read_errors']}"
                ),
            )
        )
    local = out[CLUSTER_READERS]
    local_rate = local["events"] / local["read_seconds"]
    key = f"aperture_drain_{CLUSTER_READERS}_readers_cluster_events_per_s"
    label = f"4. Aperture drain, {CLUSTER_READERS} readers (bulk), cluster mode"
    if cluster_why:
        figs.append(unavailable(key, label, cluster_why))
    else:
        r = out["cluster"]
        rate = r["events"] / r["read_seconds"]
        figs.append(
            Figure(
                key,
                label,
                rate,
                "events/s",
                f"local {CLUSTER_READERS} readers {local_rate:,.0f}/s",
                rate / local_rate,
                note=f"{r['events']:,} events in {r['read_seconds']:.1f}s; sorting them after: "
                f"{r['sort_seconds']:.1f}s (local {local['sort_seconds']:.1f}s); {CLUSTER_NOTE}",
            )
        )
    return figs


def _check(r: dict, n: int) -> None:
    """The drain ran its whole budget, and every event it read is in its spool's inbox (the server's
    repeats included: they are merged when the inbox lands)."""
    if r["stop_reason"] != "budget" or (r["read_errors"] and n <= SERVER_LIMIT):
        raise RuntimeError(f"aperture drain with {n} readers stopped early: {r}")
    if r["inbox_events"] != r["events"] or r["bodies_left"] or r["quarantined"]:
        raise RuntimeError(
            f"aperture drain with {n} readers read {r['events']} events but its spool holds "
            f"{r['inbox_events']} in the inbox ({r['inbox_distinct']} distinct ids), "
            f"{r['bodies_left']} bodies unsorted, {r['quarantined']} quarantined"
        )


def _child(mode: Mode, args: list[str], env: dict, home, name: str) -> dict:
    m = measure(
        [PY, "-m", "benchmarks.aperture_child", *args], clean_env(LOG_ASSETS_HOME=str(home), **env), mode.log(name)
    )
    m.check(name)
    return json.loads(m.log.strip().splitlines()[-1])
