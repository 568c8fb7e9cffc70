"""`python -m benchmarks.run [--quick] [--only N,...] [--direct]`: every figure of the benchmark
issue, each beside its baseline measured in the same run; prints the table.

Figures 1, 4 and 5 also have cluster-mode rows, each beside the same measurement in local mode in the
same run: the Forcepoint landing Dagster run (JSON, the larger day) with its state in PostgreSQL and
the lake on an S3 server (events/s against the local run, goal >= 0.7 x; requests against pages + 1),
the Aperture drain with 4 readers (spool on S3, locks in PostgreSQL), and the warehouse's one-day
update against its full build from a lake on S3 (goal <= 0.1 x). One PostgreSQL and one S3 server
(moto), from tests/infra, serve the whole run, with a fresh database and bucket per measurement;
when either cannot start, those rows say why and the rest of the run goes on.

The full mode (what `make bench` runs) also writes `benchmarks/results.json` (figure -> value) and
appends a dated section to `benchmarks/RESULTS.md`. `--quick` is a smoke run at small volumes that
records nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import PY, ROOT, Figure, Mode, clean_env, fmt_num, say, unavailable

HERE = Path(__file__).resolve().parent
# Figure number -> (module, what it measures, goal when the module cannot run at all).
FIGURES = {
    "1": (
        "landing",
        "Forcepoint landing throughput (and 2. memory)",
        "Dagster run <= 0.8 x naive, walk (run - no-op run) <= 1.25 x floor at 1M; cluster >= 0.7 x local",
    ),
    "3": ("economy", "Forcepoint request economy", "<= minimum + 1"),
    "4": ("aperture", "Aperture drain readers", "near-linear up to the server limit"),
    "5": ("warehouse", "DuckDB warehouse", "incremental <= 0.1 x full (local and cluster mode)"),
    "6": ("noop", "a run that sends nothing (every day complete)", "<= 4 s of CPU and under 4 s wall"),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small volumes, ~2 minutes; records nothing")
    ap.add_argument(
        "--only", default="", help="comma-separated figure numbers to run (1 covers 1 and 2): 1,3,4,5,6"
    )
    ap.add_argument("--direct", action="store_true", help="also time the Forcepoint walk without Dagster")
    ap.add_argument("--no-record", action="store_true", help="do not write results.json / RESULTS.md")
    ap.add_argument(
        "--record",
        action="store_true",
        help="with --only: record the figures run (results.json updated, a section appended to RESULTS.md)",
    )
    args = ap.parse_args(argv)
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    if "2" in only:
        only.add("1")
    record = not args.quick and not args.no_record and (not only or args.record)

    work = Path(tempfile.mkdtemp(prefix="log-assets-bench-logs-"))
    mode = Mode(quick=args.quick, work=work, direct=args.direct)
    started = time.monotonic()
    when = datetime.now(UTC)
    load_before = os.getloadavg()
    revision = git_revision()
    say(f"{'quick' if args.quick else 'full'} mode; logs of every measured command in {work}")
    warm_up()

    figures: list[Figure] = []
    durations: dict[str, float] = {}
    try:
        for number, (module, what, goal) in FIGURES.items():
            if only and number not in only:
                continue
            t0 = time.monotonic()
            load = os.getloadavg()[0]
            try:
                figs = importlib.import_module(f"benchmarks.{module}").run(mode)
            except Exception as e:  # noqa: BLE001 - one figure failing must not hide the others
                traceback.print_exc()
                why = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"[:300]
                figs = [unavailable(f"figure_{number}", f"{number}. {what}", why, goal)]
            durations[number] = time.monotonic() - t0
            say(f"figure {number} took {durations[number]:.0f}s (1-min load average at its start {load:.2f})")
            figures += figs
    finally:
        mode.cluster.close()  # the cluster-mode servers, started by the first figure that needed them

    total = time.monotonic() - started
    table = render(figures)
    print()
    print(table)
    print(
        f"\ntotal {total / 60:.1f} min; load average before {fmt_load(load_before)}, "
        f"after {fmt_load(os.getloadavg())}"
    )
    if record:
        values = {
            f.key: (None if f.unavailable else round(f.value, 4) if isinstance(f.value, float) else f.value)
            for f in figures
        }
        if only and (HERE / "results.json").exists():  # a partial run updates its own figures only
            values = {**json.loads((HERE / "results.json").read_text()), **values}
        (HERE / "results.json").write_text(json.dumps(values, indent=1) + "\n")
        append_results_md(figures, when, total, durations, load_before, revision, sorted(only))
        say(f"wrote {HERE / 'results.json'} and appended to {HERE / 'RESULTS.md'}")
    return 0  # a missed goal is a finding the table reports, not a failure of the benchmark run


def warm_up() -> None:
    """Import once what the measured processes import, so that none of them pays for cold caches."""
    subprocess.run(
        [PY, "-c", "import log_assets.definitions, pandas, pyarrow.parquet, duckdb, requests"],
        cwd=ROOT,
        env=clean_env(),
        check=False,
        capture_output=True,
    )


def fmt_load(load) -> str:
    return " / ".join(f"{x:.2f}" for x in load)


def render(figures: list[Figure], markdown: bool = False) -> str:
    head = ["figure", "value", "baseline", "ratio", "goal", "status"]
    rows = [
        [
            f.label,
            f.value_text(None if markdown else 40),
            f.baseline,
            fmt_num(f.ratio) if f.ratio is not None else "",
            f.goal,
            f.status,
        ]
        for f in figures
    ]
    notes = [(f.label, f.note or f"not available: {f.unavailable}") for f in figures if f.note or f.unavailable]
    if markdown:
        out = ["| " + " | ".join(head + ["note"]) + " |", "|" + "---|" * (len(head) + 1)]
        out += [
            "| " + " | ".join(c.replace("|", "\\|") for c in r + [f.note]) + " |"
            for r, f in zip(rows, figures, strict=True)
        ]
        return "\n".join(out)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    out = [line(head), line(["-" * w for w in widths])] + [line(r) for r in rows]
    if notes:
        out += ["", "notes:"] + [f"  {label}: {note}" for label, note in notes]
    return "\n".join(out)


def machine() -> dict:
    import psutil

    versions = {}
    for name in ("dagster", "duckdb", "pyarrow", "pandas", "requests", "orjson"):
        try:
            versions[name] = importlib.import_module(name).__version__
        except Exception:  # noqa: BLE001
            versions[name] = "?"
    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        cpu = next((ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), "")
    return {
        "cores": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        **versions,
    }


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        # The run's own output files do not make the code "uncommitted".
        dirty = subprocess.run(
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!benchmarks/results.json",
                ":!benchmarks/RESULTS.md",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return rev + (" + uncommitted changes" if dirty else "") if rev else "unknown"
    except OSError:
        return "unknown"


def append_results_md(
    figures: list[Figure],
    when: datetime,
    total: float,
    durations: dict,
    load_before,
    revision: str,
    only: list[str] | None = None,
) -> None:
    m = machine()
    path = HERE / "RESULTS.md"
    if not path.exists():
        path.write_text(
            "# Benchmark results\n\n"
            "Each section is one full run of `make bench` (`python -m benchmarks.run`), appended by the run "
            "itself.\n"
            "Every figure is measured in the same run as its baseline; each module's docstring says how.\n\n"
            "Reading them:\n"
            "- The simulator serves every request from its own process; the fetch-only floor is bound by how "
            "fast\n"
            "  it builds pages, so the floor is the simulator's speed, not the network's.\n"
            "- The machine may be shared: the load average at the start and end of the run is recorded "
            "with it.\n"
            "- Figures 4 and 5 time the project's Dagster-free code that the assets call "
            "(`aperture.drain.drain`,\n"
            "  `warehouse.rebuild` / `warehouse.sync`), without Dagster's start-up; figure 1 times whole "
            "Dagster runs.\n"
            "- Figure 5's lake is generated (`benchmarks/lakegen.py`): simulator records parsed by the project,\n"
            "  repeated with fresh ids and times; it compresses better than a real lake would.\n"
            '- Rows marked "cluster mode" run the same measurement with the state and the Iceberg catalog in\n'
            "  PostgreSQL and the files on an S3 server (moto), both started by the bench on the same machine,\n"
            "  so they share its cores with the pipeline and the simulator.\n"
        )
    parts = [
        f"\n## {when:%Y-%m-%d %H:%M} UTC — "
        + (f"figure{'s' if len(only) > 1 else ''} {', '.join(only)} only" if only else "full run")
        + f", {total / 60:.1f} min\n",
        f"- Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB memory, {m['os']}",
        f"- Python {m['python']}; dagster {m['dagster']}, duckdb {m['duckdb']}, pyarrow {m['pyarrow']}, "
        f"pandas {m['pandas']}, requests {m['requests']}, orjson {m['orjson']}",
        f"- Code: {revision}"
        + ("" if git_revision() == revision else f" at the start, {git_revision()} at the end"),
        f"- Load average (1/5/15 min) at the start: {fmt_load(load_before)}; "
        f"at the end: {fmt_load(os.getloadavg())}",
        "- Time per figure group: " + ", ".join(f"{n}: {s:.0f}s" for n, s in durations.items()),
        "",
        render(figures, markdown=True),
        "",
    ]
    with open(path, "a") as f:
        f.write("\n".join(parts))


if __name__ == "__main__":
    sys.exit(main())
