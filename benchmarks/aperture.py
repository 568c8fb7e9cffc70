"""Figure 4: Aperture drain throughput with 1 and N readers at a simulated 50 ms round trip.

Each measurement is a fresh process reading for a fixed budget from a fresh simulator process whose
queue holds more than the readers could take at one bulk read per round trip (so it never runs dry
and no long poll is timed). Beside it: the single-event endpoint read by one session, the way a
naive client would.
"""

from __future__ import annotations

import json

from benchmarks.common import PY, Figure, Mode, SimProcess, clean_env, measure, say, scratch

LATENCY = 0.05
SERVER_LIMIT = 8  # readers the simulator serves at once (--aperture-max-concurrent); more get 429
READERS = (1, 2, 4, SERVER_LIMIT, 2 * SERVER_LIMIT)  # the last one past the limit: shown, no goal
EFFICIENCY = 0.8  # "near-linear": N readers give at least 0.8 x N times one reader's rate
BULK_MAX = 100
TYPES = 5  # the simulator queues this many Aperture log types


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
        if r["stop_reason"] != "budget" or (r["read_errors"] and n <= SERVER_LIMIT):
            raise RuntimeError(f"aperture drain with {n} readers stopped early: {r}")
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
    return figs


def _child(mode: Mode, args: list[str], env: dict, home, name: str) -> dict:
    m = measure(
        [PY, "-m", "benchmarks.aperture_child", *args], clean_env(LOG_ASSETS_HOME=str(home), **env), mode.log(name)
    )
    m.check(name)
    return json.loads(m.log.strip().splitlines()[-1])
