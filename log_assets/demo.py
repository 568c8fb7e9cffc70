"""`make demo`: the real pipeline, through Dagster, on the built-in simulator, into the demo's own
home: $LOG_ASSETS_DEMO_HOME, default ./data-demo (never ./data, where real runs write).

No account and no network: a simulator of both APIs runs on 127.0.0.1 for the length of the demo.
Steps: a 7-day Forcepoint range for every log type of the catalog (one walk per type), Aperture drains and
the day partitions they touched, then the warehouse; finally a short summary.

Running it again is safe: the demo's folder is recognised by its marker file (`.log-assets-demo`)
and started afresh (the simulator makes new data each time). A folder holding anything else -- the
marker real runs leave (`.log-assets-home`), or data without the demo's marker -- is never touched:
the demo refuses it, naming the folder.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from log_assets import data
from log_assets.paths import DEMO_ENV, DEMO_HOME_ENV, Home

if TYPE_CHECKING:
    from log_assets.simulator import Simulator

# The variables that set where the partitions start (log_assets/defs/partitions.py and
# defs/aperture/partitions.py read them when the definitions are imported).
START_ENV = "LOG_ASSETS_START_DATE"
APERTURE_START_ENV = "APERTURE_PARTITIONS_START"


def say(msg: str) -> None:
    print(f"[demo {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def prepare_home(root: Path) -> None:
    """Make `root` the demo's fresh home: wiped only when it holds the demo's marker (or nothing)."""
    home = Home(root)
    was_demo = home.is_demo
    try:
        home.claim_for_demo()  # refuses a home of real runs, or data without the demo's marker
    except RuntimeError as e:
        raise SystemExit(f"make demo: {e}") from None
    if was_demo:
        shutil.rmtree(root)
        home.claim_for_demo()
    dh = root / "dagster_home"
    dh.mkdir(exist_ok=True)
    data.install(data.INSTANCE, dh / "dagster.yaml")


def first_day(sim: Simulator) -> date:
    """The first UTC day the simulator has events for."""
    return datetime.fromtimestamp(sim.forcepoint.start_ms / 1000, UTC).date()


def partition_env(sim: Simulator) -> dict[str, str]:
    """The demo's partitions start on the simulator's first day, not on the default start of real
    runs: the UI then offers the days the demo has data for, not a year and more of empty ones."""
    day = first_day(sim).isoformat()
    return {START_ENV: day, APERTURE_START_ENV: day}


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(
        prog="python -m log_assets.demo",
        description=__doc__.split("\n\n")[0],
        epilog=f"Its home: ${DEMO_HOME_ENV} (default ./data-demo), started afresh on each run.",
    ).parse_args(argv)  # --help answers before anything is touched
    root = Home.demo().root
    prepare_home(root)
    os.environ[DEMO_ENV] = "1"  # this process and the runs it starts are the demo's
    os.environ[DEMO_HOME_ENV] = str(root)
    os.environ["LOG_ASSETS_HOME"] = str(root)
    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
    for k in (
        "FORCEPOINT_USERNAME",
        "FORCEPOINT_PASSWORD",
        "FORCEPOINT_DAILY_BUDGET",
        "FORCEPOINT_RESPONSE_FORMAT",
    ):
        os.environ.pop(k, None)

    import warnings

    warnings.filterwarnings("ignore")
    import dagster as dg

    from log_assets.simulator import SimConfig, Simulator

    started = time.monotonic()
    cfg = SimConfig(
        seed=int(os.environ.get("LOG_ASSETS_DEMO_SEED", "2026")),
        days=7,
        forcepoint_events_per_day=int(os.environ.get("LOG_ASSETS_DEMO_EVENTS_PER_DAY", "1500")),
        page_size=500,
        quota=300,
        aperture_backlog_per_type=int(os.environ.get("LOG_ASSETS_DEMO_APERTURE_EVENTS", "400")),
        aperture_broken_rate=0.02,
        long_poll=0.3,
        scenarios=True,  # records the detection rules alert on (simulator/scenarios.py)
    )
    sim = Simulator(cfg, port=0)
    os.environ.update(partition_env(sim))  # before the definitions are imported: they read it
    from log_assets.definitions import defs

    with sim:
        os.environ.update(sim.env())
        say(
            f"simulator of both APIs at {sim.base_url} (Forcepoint {sim.forcepoint_url}, Aperture "
            f"{sim.aperture_url})"
        )
        instance = dg.DagsterInstance.get()
        quiet = {
            "loggers": {
                "console": {"config": {"log_level": os.environ.get("LOG_ASSETS_DEMO_LOG_LEVEL", "WARNING")}}
            }
        }

        first = first_day(sim).isoformat()
        last = datetime.now(UTC).date().isoformat()
        say(f"Forcepoint: every log type, partitions {first}...{last} in one walk per type")
        fp = defs.resolve_job_def("forcepoint_fetch").execute_in_process(
            instance=instance,
            run_config=quiet,
            tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
            raise_on_error=False,
        )
        _report_steps(fp, "forcepoint")

        say("Aperture: draining the queue into the spool")
        drain = defs.resolve_job_def("aperture_drain")
        for _ in range(3):
            res = drain.execute_in_process(instance=instance, run_config=quiet, raise_on_error=False)
            _report_steps(res, "aperture drain")
            if sim.aperture.pending() == 0:
                break
        from log_assets.aperture.spool import Spool
        from log_assets.defs.aperture.assets import aperture_landing
        from log_assets.defs.aperture.sensors import inbox_run_requests
        from log_assets.defs.resources import LogAssetsHome

        requests, waiting = inbox_run_requests(Spool(Home.from_env()))
        for req in requests:
            say(
                f"Aperture: landing day {req.partition_key} "
                f"({', '.join(k.to_user_string() for k in req.asset_selection or ())})"
            )
            res = dg.materialize(
                [aperture_landing],
                selection=req.asset_selection,
                partition_key=req.partition_key,
                instance=instance,
                resources={"home": LogAssetsHome()},
                run_config=quiet,
                raise_on_error=False,
            )
            _report_steps(res, "aperture landing")
        if waiting:
            say(f"Aperture: days outside the partitions, left in the inbox: {waiting}")

        say("Warehouse: loading the lake into DuckDB and building the summaries")
        wh = defs.resolve_job_def("warehouse_update").execute_in_process(
            instance=instance, run_config=quiet, raise_on_error=False
        )
        _report_steps(wh, "warehouse")

    say(f"done in {time.monotonic() - started:.0f}s")
    _summary(root)
    return 0 if fp.success and wh.success else 1


def _report_steps(result, what: str) -> None:
    failed = [e for e in result.all_events if e.is_step_failure]
    if failed:
        for e in failed:
            say(f"  {what}: step {e.step_key} FAILED: {e.event_specific_data.error.message.strip()[:300]}")
    else:
        mats = [e for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"]
        say(f"  {what}: ok ({len(mats)} materializations)")


def _summary(root: Path) -> None:
    from log_assets.warehouse import connect_readonly

    con = connect_readonly(root)
    print()
    print("=" * 72)
    print(f"warehouse: {root / 'warehouse.duckdb'}")
    rows = con.sql(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_schema IN ('forcepoint', 'aperture', 'analytics') ORDER BY table_schema <> 'analytics', 1"
    ).fetchall()
    print("\nrows per table:")
    for (t,) in rows:
        n = con.sql(f"SELECT count(*) FROM {t}").fetchall()[0][0]
        print(f"  {t:<40} {n:>9,}")
    print("\nincidents by severity:")
    for row in con.sql(
        "SELECT vendor, coalesce(CAST(severity AS VARCHAR), '-') AS sev, count(*) FROM analytics.incidents GROUP "
        "BY ALL ORDER BY 1, 2"
    ).fetchall():
        print(f"  {row[0]:<12} severity {row[1]:<6} {row[2]:>7,}")
    print("\ntop users by activity:")
    for row in con.sql(
        "SELECT user_name, sum(events) AS events FROM analytics.activity_daily WHERE user_name IS NOT NULL "
        "GROUP BY 1 ORDER BY 2 DESC LIMIT 5"
    ).fetchall():
        print(f"  {row[0]:<40} {row[1]:>9,}")
    _alerts(con)
    print(f"\nthis is demo data, in its own home ({root}); real runs use LOG_ASSETS_HOME (default ./data).\nnext:")
    for command, what in next_steps(root):
        print(f"  {command}\n      # {what}")
    print("=" * 72)


def _alerts(con) -> None:
    """Alerts per rule (detections.alerts), when the detections ran."""
    if not con.sql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'detections'").fetchall()[
        0
    ][0]:
        return
    print("\nalerts per rule (detections.alerts):")
    for rule_id, n in con.sql("SELECT rule_id, count(*) FROM detections.alerts GROUP BY 1 ORDER BY 1").fetchall():
        print(f"  {rule_id:<40} {n:>9,}")


def next_steps(root: Path) -> list[tuple[str, str]]:
    """The commands the summary suggests, each runnable as printed from the folder the demo ran in
    (tests/test_first_steps.py runs them)."""
    py = _python()
    home = shlex.quote(str(root))
    return [
        (
            f'{py} -m log_assets.warehouse sql --home {home} "FROM analytics.incidents LIMIT 5"',
            "a query on the warehouse (read-only; any SQL DuckDB reads)",
        ),
        (
            f"LOG_ASSETS_DEMO=1 LOG_ASSETS_DEMO_HOME={home} {py} -m log_assets.ui",
            "the Dagster UI on the demo's home, pointed at a simulator it starts",
        ),
        (
            f"LOG_ASSETS_HOME={home} {py} -m log_assets notebook",
            "the analyst notebook in JupyterLab (the [notebook] extra), reading this warehouse",
        ),
    ]


def _python() -> str:
    """This interpreter as a command: relative when it lies below the current folder (.venv/bin/python)."""
    exe = sys.executable
    rel = os.path.relpath(exe)
    return shlex.quote(exe if rel.startswith("..") else rel)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
