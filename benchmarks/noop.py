"""Figure 6: what a run that sends nothing costs (every day complete: Dagster's start-up and the
package's own, no request).

One home, one day of every Forcepoint type landed from the simulator; then, interleaved, REPEATS times
each, fresh processes timed from launch to exit with the CPU (user + system) of the whole process tree:
- `dagster asset materialize --select forcepoint/access --partition <day>` as the code location runs it
  (one step: in-process, log_assets/defs/executor.py), beside the same command with Dagster's default
  executor (run config `execution: {config: {multiprocess: {}}}`: the step in a child process);
- the scheduled run's job, `dagster job execute -j forcepoint_fetch` for the day (every type: several
  steps, in child processes as before, so that the types still land in parallel), beside the same job
  run in-process (what keeping the parallelism costs).
Medians of the repetitions; the goal (issue 31): <= 4 s of CPU and under 4 s wall.
"""

from __future__ import annotations

import json
import statistics

from benchmarks.common import (
    Figure,
    Measured,
    Mode,
    SimProcess,
    dagster_cmd,
    dagster_env,
    day_name,
    materialize_args,
    materialize_cmd,
    measure,
    say,
    scratch,
    utc_midnight,
)
from tests.infra.dagster_cli import job_args

REPEATS = 3
GOAL_CPU = 4.0  # seconds of CPU of the whole process tree
GOAL_WALL = 4.0  # seconds, strictly under
MULTIPROCESS = {"execution": {"config": {"multiprocess": {}}}}
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}


def sim_args(day_end: str) -> list[str]:
    return ["--days", "1", "--end", day_end, "--events-per-day", "500", "--aperture-backlog", "0"]


def run(mode: Mode) -> list[Figure]:
    repeats = 2 if mode.quick else REPEATS
    end = utc_midnight(0)
    day = day_name(utc_midnight(1))
    runs: dict[str, list[Measured]] = {k: [] for k in ("cli", "cli_base", "job", "job_in_process")}
    with SimProcess(*sim_args(end.strftime("%Y-%m-%dT%H:%M:%SZ"))) as sim, scratch("noop") as home:
        env = dagster_env(home, sim.forcepoint_env("json"))
        tags = ["--tags", json.dumps({"dagster/partition": day})]
        config_dir = home / "config"
        commands = {
            "cli": materialize_cmd("forcepoint/access", partition=day),
            "cli_base": dagster_cmd(materialize_args("forcepoint/access", day, config=MULTIPROCESS)),
            "job": dagster_cmd([*job_args("forcepoint_fetch"), *tags]),
            "job_in_process": dagster_cmd([*job_args("forcepoint_fetch", IN_PROCESS, config_dir), *tags]),
        }
        say(f"no-op runs: landing {day} of every Forcepoint type first")
        measure(commands["job"], env, mode.log("noop-land")).check("landing the day")
        before = sim.requests_counted("access")
        for i in range(repeats):
            for name, cmd in commands.items():
                m = measure(cmd, env, mode.log(f"noop-{name}-{i}")).check(f"no-op run {name}")
                say(f"no-op {name} #{i + 1}: {m.cpu:.2f} s CPU, {m.seconds:.2f} s wall")
                runs[name].append(m)
        spent = sim.requests_counted("access") - before
        if spent:
            raise RuntimeError(f"the no-op runs sent {spent} requests (the day was complete)")
    med = {
        k: (statistics.median(m.cpu for m in ms), statistics.median(m.seconds for m in ms))
        for k, ms in runs.items()
    }
    cli_cpu, cli_wall = med["cli"]
    base_cpu, base_wall = med["cli_base"]
    job_cpu, job_wall = med["job"]
    jip_cpu, jip_wall = med["job_in_process"]
    n = f"median of {repeats}"
    return [
        Figure(
            "noop_cli_cpu_s",
            "6. no-op run, one type (CLI): CPU",
            cli_cpu,
            "s",
            baseline=f"{base_cpu:.2f} s default executor",
            ratio=cli_cpu / base_cpu,
            goal=f"<= {GOAL_CPU:g} s",
            met=cli_cpu <= GOAL_CPU,
            note=n,
        ),
        Figure(
            "noop_cli_wall_s",
            "6. no-op run, one type (CLI): wall",
            cli_wall,
            "s",
            baseline=f"{base_wall:.2f} s default executor",
            ratio=cli_wall / base_wall,
            goal=f"< {GOAL_WALL:g} s",
            met=cli_wall < GOAL_WALL,
            note=n,
        ),
        Figure(
            "noop_job_cpu_s",
            "6. no-op scheduled job, every type: CPU",
            job_cpu,
            "s",
            baseline=f"{jip_cpu:.2f} s all in-process",
            ratio=job_cpu / jip_cpu,
            note=f"{n}; several steps stay in parallel child processes",
        ),
        Figure(
            "noop_job_wall_s",
            "6. no-op scheduled job, every type: wall",
            job_wall,
            "s",
            baseline=f"{jip_wall:.2f} s all in-process",
            ratio=job_wall / jip_wall,
            note=n,
        ),
    ]
