"""Figure 3: request economy of the Forcepoint walk.

Requests are counted by the server (the simulator's quota counter, read back through its
X-RateLimit-Remaining header), not by the pipeline. The minimum for a window is one request per
page the server has to send plus the one that finds nothing new: pages + 1.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time

from benchmarks.common import (
    ROOT,
    Figure,
    Mode,
    SimProcess,
    dagster_env,
    day_name,
    lake_event_ids,
    materialize_cmd,
    measure,
    say,
    scratch,
    sim_truth,
    utc_midnight,
)

LOG_TYPE = "access"
PAGE_SIZE = 1000
DAYS = 7
SLACK = 1  # goal: the minimum, plus at most one


def per_day(mode: Mode) -> int:
    return 3_000 if mode.quick else 20_000


def run(mode: Mode) -> list[Figure]:
    end = utc_midnight(0)
    first, last = day_name(utc_midnight(DAYS)), day_name(utc_midnight(1))
    days = [day_name(utc_midnight(k)) for k in range(DAYS, 0, -1)]
    args = [
        "--days",
        str(DAYS),
        "--end",
        end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--events-per-day",
        f"{LOG_TYPE}={per_day(mode)}",
        "--page-size",
        str(PAGE_SIZE),
        "--quota",
        "1000000",
        "--aperture-backlog",
        "0",
    ]
    truth = sim_truth(args).forcepoint
    served = truth.stream_length(LOG_TYPE)
    minimum = -(-served // PAGE_SIZE) + 1
    want = {d: set(_truth_ids(truth, d)) for d in days}
    cmd = materialize_cmd(f"forcepoint/{LOG_TYPE}", partition_range=f"{first}...{last}")
    figs: list[Figure] = []
    with SimProcess(*args) as sim:
        env_extra = {**sim.forcepoint_env("json")}

        say(f"economy: {DAYS}-day backfill {first}...{last} ({served:,} events served)")
        with scratch("backfill") as home:
            before = sim.requests_counted(LOG_TYPE)
            m = measure(
                cmd, dagster_env(home, env_extra, FORCEPOINT_DAILY_BUDGET="1000000"), mode.log("economy-backfill")
            )
            m.check("7-day backfill")
            spent = sim.requests_counted(LOG_TYPE) - before
            _check_lake(home, want)
        figs.append(
            Figure(
                "forcepoint_backfill_7d_requests",
                f"3. Requests: {DAYS}-day range backfill (one run)",
                spent,
                "requests",
                f"minimum {minimum} (pages + 1)",
                spent / minimum,
                f"<= minimum + {SLACK}",
                spent <= minimum + SLACK,
                note=f"{m.seconds:.1f}s",
            )
        )

        say("economy: run killed half-way (SIGKILL), then resumed")
        with scratch("resume") as home:
            env = dagster_env(home, env_extra, FORCEPOINT_DAILY_BUDGET="1000000")
            before = sim.requests_counted(LOG_TYPE)
            at_page = _run_and_kill(
                cmd, env, home, kill_at_page=(minimum - 1) // 2, log=mode.log("economy-killed")
            )
            spent_killed = sim.requests_counted(LOG_TYPE) - before
            m = measure(cmd, env, mode.log("economy-resumed")).check("resumed run")
            spent = sim.requests_counted(LOG_TYPE) - before
            _check_lake(home, want)
        figs.append(
            Figure(
                "forcepoint_resume_after_kill_requests",
                "3. Requests: run killed half-way + resumed run",
                spent,
                "requests",
                f"minimum {minimum} (pages + 1)",
                spent / minimum,
                f"<= minimum + {SLACK}",
                spent <= minimum + SLACK,
                note=f"killed after page {at_page} ({spent_killed} requests), resumed with {spent - spent_killed}",
            )
        )
    return figs


def _truth_ids(truth, day: str) -> list[str]:
    from log_assets.catalog import FORCEPOINT_TYPES
    from log_assets.forcepoint.parse import IdStrategy

    ids = IdStrategy(FORCEPOINT_TYPES[LOG_TYPE])
    return [ids(r) for r in truth.distinct_events(LOG_TYPE, day=day)]


def _check_lake(home, want: dict[str, set]) -> None:
    """Every day holds exactly the simulator's distinct events, each once."""
    for day, ids in want.items():
        got = lake_event_ids(home, "forcepoint", LOG_TYPE, day)
        if len(got) != len(ids) or set(got) != ids:
            raise RuntimeError(
                f"lake day {day}: {len(got)} rows ({len(set(got))} distinct), simulator has {len(ids)} events"
            )


# After the checkpoint of the chosen page, wait this long before the kill, so that it usually lands
# while the next page is in flight (the costly moment: that request is spent and must be made again).
KILL_DELAY = 0.02


def _checkpointed_pages(db) -> int:
    """The pages of the walk in progress as its last checkpoint says (the walk row of the pipeline
    state, read without writing); 0 before the first one or when it cannot be read just now."""
    from log_assets.state.tables import walks

    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1.0)
        try:
            row = con.execute(
                f"SELECT walk FROM {walks.name} WHERE stream = ?", (f"forcepoint/{LOG_TYPE}",)
            ).fetchone()
        finally:
            con.close()
        walk = json.loads(row[0]) if row and row[0] else {}
    except (sqlite3.Error, ValueError):
        return 0
    return walk.get("pages", 0)


def _run_and_kill(cmd: list[str], env: dict, home, kill_at_page: int, log) -> int:
    """Start the run; SIGKILL its whole process group just after its checkpoint passed `kill_at_page`."""
    db = home / "log_assets.db"  # the pipeline state (LOG_ASSETS_DATABASE_URL is unset here)
    with open(log, "wb") as lf:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=lf, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 600
        pages = 0
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                pages = _checkpointed_pages(db) or pages
                if pages >= kill_at_page:
                    time.sleep(KILL_DELAY)
                    break
                time.sleep(0.005)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if pages < kill_at_page:
        raise RuntimeError(f"the run ended (exit {proc.returncode}) before page {kill_at_page}; see {log}")
    return pages
