"""`python -m benchmarks.walkprofile [--format json|csv] [--events N] [--parser native|careful]`: where
the Forcepoint walk spends its time.

One UTC day of `access` events is served by the simulator (its own process, as in figure 1); the
fetch-only floor is timed first on it, then the walk runs in this process (no Dagster) with timers
around each of its stages. Every stage is timed by wall clock on the thread that runs it: the fetch
thread waits for the server, decodes the body, keeps it in the spool and parses the page; the main
thread lands each page (while the next one is fetched), checkpoints, and builds the day's file at
the end; each stage also shows the CPU time of its thread (wall minus CPU is waiting: for the
server, the disk, or the other thread's hold on the interpreter). `critical path` is what the next
request waits for (the fetch thread's stages). The CPU line adds the simulator's own CPU (and the
floor's client's): the walk and the server together, spread over every core of the machine with
none idle, say how short the walk could be at this CPU cost.

`--parser careful` turns the native page path off (`forcepoint.native`): every page is decoded by
orjson / Python's csv module and parsed column by column in Python, as before that path existed —
the same walk, for a comparison in one sitting.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from resource import RUSAGE_CHILDREN, getrusage

import psutil

from benchmarks.common import PY, SimProcess, clean_env, day_name, lake_days, scratch, sim_truth, utc_midnight
from benchmarks.landing import LOG_TYPE, sim_args

_totals: dict[tuple[str, str], float] = collections.defaultdict(float)
_cpu: dict[tuple[str, str], float] = collections.defaultdict(float)
_counts: dict[tuple[str, str], int] = collections.defaultdict(int)
_local = threading.local()


@contextmanager
def _timed(stage: str):
    # Nested stages are charged to the innermost one only.
    thread = "main" if threading.current_thread() is threading.main_thread() else "fetch"
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    t0, c0 = time.perf_counter(), time.thread_time()
    stack.append((0.0, 0.0))
    try:
        yield
    finally:
        spent, cpu = time.perf_counter() - t0, time.thread_time() - c0
        inner, inner_cpu = stack.pop()
        _totals[(thread, stage)] += spent - inner
        _cpu[(thread, stage)] += cpu - inner_cpu
        _counts[(thread, stage)] += 1
        if stack:
            stack[-1] = (stack[-1][0] + spent, stack[-1][1] + cpu)


def _wrap(owner, name: str, stage: str) -> bool:
    fn = getattr(owner, name, None)
    if fn is None:
        return False

    def timed(*a, **k):
        with _timed(stage):
            return fn(*a, **k)

    setattr(owner, name, timed)
    return True


def instrument() -> list[str]:
    """Timers around the walk's stages; the names of those this version of the walk does not have."""
    import importlib

    from log_assets.forcepoint import client, ingest, parse

    def module(name: str):
        try:
            return importlib.import_module(f"log_assets.forcepoint.{name}")
        except ImportError:
            return None

    kept, walkstate = module("keptanswers"), module("walkstate")
    hooks = [
        (client.ForcepointClient, "_exchange", "request: server + transfer"),
        (client.ForcepointClient, "page_from_body", "decode body"),
        (parse, "parse_csv", "decode CSV"),
        (ingest, "parse_page", "parse"),
        # Keeping the answer until its page is checkpointed: in the walk, or its own module.
        (ingest, "_pack", "spool compress"),
        (ingest, "atomic_write_bytes", "spool write"),
        (getattr(kept, "KeptAnswers", None), "keep", "spool (compress + write)"),
        (ingest.ForcepointIngest, "_land_page", "land page"),
        (ingest.ForcepointIngest, "_save", "checkpoint"),
        (getattr(walkstate, "DatabaseWalkStateStore", None), "save", "checkpoint"),
        (ingest.ForcepointIngest, "_finish", "finish (day file)"),
        (ingest.ForcepointIngest, "_close_passed_days", "close passed days"),
    ]
    return [name for owner, name, stage in hooks if owner is None or not _wrap(owner, name, stage)]


def _cpu_of(p: psutil.Process) -> float:
    t = p.cpu_times()
    return t.user + t.system


def _children_cpu() -> float:
    r = getrusage(RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.walkprofile", description=__doc__.split("\n\n")[0])
    ap.add_argument("--format", default="json", choices=("json", "csv"))
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--parser", default="native", choices=("native", "careful"))
    args = ap.parse_args(argv)
    if args.parser == "careful":
        from log_assets.forcepoint import native

        native.read_json_body = lambda body: None  # type: ignore[assignment]
        native.read_csv = lambda text: None  # type: ignore[assignment]
        native.parse_json_records = lambda *a, **k: None  # type: ignore[assignment]

    day = day_name(utc_midnight(1))
    sargs = sim_args(args.events)
    served = len(sim_truth(sargs).forcepoint.streams[LOG_TYPE])
    with SimProcess(*sargs) as sim, scratch("profile") as home:
        env = sim.forcepoint_env(args.format)
        url, token = env["FORCEPOINT_API_URL"], env["FORCEPOINT_API_TOKEN"]
        assert sim.proc is not None
        server = psutil.Process(sim.proc.pid)
        s0, k0, t0 = _cpu_of(server), _children_cpu(), time.perf_counter()
        subprocess.run(
            [PY, "-m", "benchmarks.naive", "floor", url, token, args.format, f"{day}T00:00:00Z"],
            env=clean_env(),
            check=True,
            capture_output=True,
        )
        floor = time.perf_counter() - t0
        floor_server, floor_client = _cpu_of(server) - s0, _children_cpu() - k0

        os.environ.update(clean_env(LOG_ASSETS_HOME=str(home), FORCEPOINT_DAILY_BUDGET="1000000", **env))
        missing = instrument()
        from datetime import datetime

        from log_assets.catalog import FORCEPOINT_TYPES
        from log_assets.defs.forcepoint.resources import ForcepointResource
        from log_assets.forcepoint.ingest import ForcepointIngest
        from log_assets.paths import Home
        from log_assets.state.home import open_state

        lt = FORCEPOINT_TYPES[LOG_TYPE]
        start = datetime.fromisoformat(f"{day}T00:00:00+00:00")
        h = Home.from_env()
        resource = ForcepointResource()
        with open_state(h) as store:
            budget = resource.budget(store, lt)
            s0, cpu0, t0 = _cpu_of(server), time.process_time(), time.perf_counter()
            with resource.client(budget) as c:
                report = ForcepointIngest(h, lt, c, budget).run(start, start + timedelta(days=1))
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            walk_server = _cpu_of(server) - s0
        assert report.rows_landed == sim_truth(sargs).forcepoint.streams[LOG_TYPE].event_count, report
        assert lake_days(home, "forcepoint", LOG_TYPE), "nothing landed"

    pages = report.pages or 1
    print(
        f"{args.format.upper()} {served:,} events, {report.pages} pages, {report.requests} requests, "
        f"{args.parser} parser"
    )
    print(f"fetch-only floor {floor:.2f}s; walk {wall:.2f}s wall ({wall / floor:.2f}x floor), {cpu:.2f}s CPU")
    # What the machine's cores allow: the walk's CPU and the server's, every core busy all the time.
    cores = os.cpu_count() or 1
    bound = (cpu + walk_server) / cores
    print(
        f"CPU: floor {floor_client:.2f}s client + {floor_server:.2f}s server; walk {cpu:.2f}s walk + "
        f"{walk_server:.2f}s server: on {cores} cores the walk cannot take less than {bound:.2f}s "
        f"({bound / floor:.2f}x floor) at this CPU cost"
    )
    print(f"{'thread':6}  {'stage':28} {'wall s':>8} {'ms/page':>8} {'CPU s':>8} {'ms/page':>8} {'calls':>6}")
    fetch_total = 0.0
    for (thread, stage), total in sorted(_totals.items(), key=lambda kv: (kv[0][0] != "fetch", -kv[1])):
        if thread == "fetch":
            fetch_total += total
        c = _cpu[(thread, stage)]
        print(
            f"{thread:6}  {stage:28} {total:8.2f} {total / pages * 1000:8.2f} {c:8.2f} {c / pages * 1000:8.2f} "
            f"{_counts[(thread, stage)]:6}"
        )
    print(f"critical path (fetch thread) {fetch_total:.2f}s, {fetch_total / pages * 1000:.2f} ms/page")
    if missing:
        print(f"(not in this version of the walk: {', '.join(missing)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
