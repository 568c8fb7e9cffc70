"""Figures 1 and 2: Forcepoint landing throughput and memory.

One UTC day of `access` events is served by the simulator (its own process, loopback HTTP, pages of
1000). On that same server, in this order: the fetch-only floor, the naive script, (with --direct)
the landing walk without Dagster, the whole Dagster run (`dagster asset materialize`, start-up
included), and the same command again in the same home, when the day is already complete (the
no-op run: Dagster's start-up and the package's own, no request sent). The walk is the Dagster run
minus the no-op run. Every one is a fresh process timed from launch to exit; each run's output is
checked against the simulator's ground truth, so a fast wrong answer cannot pass.

"1M events" is a day of 1M distinct events; the server sends 1% of them twice (re-deliveries), and
events/s counts every event sent (1,010,000), the same for the pipeline and its baselines.

Cluster mode (JSON, the larger day): on the same server, after the local runs, the same Dagster run
with the walk's state and the Iceberg catalog in PostgreSQL (`LOG_ASSETS_DATABASE_URL`) and the lake,
the staged pages and the kept answers on the S3 server (`LOG_ASSETS_STORAGE_URL=s3://…`), a fresh
database and bucket of the run's one PostgreSQL and one moto server. Its rows: events/s beside the
local Dagster run's (goal: at least 0.7 x), and the requests it spent beside pages + 1. Its lake is
checked the same way, read back from PostgreSQL and S3, every event id once.
"""

from __future__ import annotations

from benchmarks.common import (
    CLUSTER_NOTE,
    PY,
    Cluster,
    Figure,
    Mode,
    SimProcess,
    clean_env,
    dagster_env,
    day_name,
    env_set,
    failed,
    lake_days,
    lake_event_ids,
    materialize_cmd,
    measure,
    mib,
    say,
    scratch,
    sim_truth,
    unavailable,
    utc_midnight,
)

LOG_TYPE = "access"
PAGE_SIZE = 1000
FORMATS = ("json", "csv")
THROUGHPUT_VS_NAIVE = 0.8  # the whole Dagster run: at most 0.8 x the naive script's time
WALK_VS_FLOOR = 1.25  # the walk (Dagster run - no-op run): within 1.25 x the fetch-only floor
MEMORY_RATIO = 1.3
CLUSTER_VS_LOCAL = 0.7  # cluster mode: at least 0.7 x the local Dagster run's events/s
CLUSTER_FORMAT = "json"


def sizes(mode: Mode) -> tuple[int, int]:
    return (10_000, 100_000) if mode.quick else (100_000, 1_000_000)


def size_name(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


def sim_args(n: int) -> list[str]:
    end = utc_midnight(0)
    return [
        "--days",
        "1",
        "--end",
        end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--events-per-day",
        f"{LOG_TYPE}={n}",
        "--page-size",
        str(PAGE_SIZE),
        "--quota",
        "1000000",
        "--aperture-backlog",
        "0",
    ]


def one_size(mode: Mode, fmt: str, n: int, direct: bool = False, cluster: Cluster | None = None) -> dict:
    day = day_name(utc_midnight(1))
    args = sim_args(n)
    truth = sim_truth(args).forcepoint.streams[LOG_TYPE]
    served, distinct = len(truth), truth.event_count
    pages = -(-served // PAGE_SIZE)
    tag = f"forcepoint-{fmt}-{size_name(n)}"
    out = {"served": served, "distinct": distinct, "pages": pages}
    with SimProcess(*args) as sim:
        env = sim.forcepoint_env(fmt)
        url, token = env["FORCEPOINT_API_URL"], env["FORCEPOINT_API_TOKEN"]
        startdate = f"{day}T00:00:00Z"

        say(f"{tag}: floor")
        before = sim.requests_counted(LOG_TYPE)
        m = measure(
            [PY, "-m", "benchmarks.naive", "floor", url, token, fmt, startdate],
            clean_env(),
            mode.log(f"{tag}-floor"),
        ).check("floor")
        spent = sim.requests_counted(LOG_TYPE) - before
        _expect(spent == pages + 1, f"floor sent {spent} requests, expected {pages + 1}")
        out["floor"] = m

        say(f"{tag}: naive")
        with scratch("naive") as d:
            m = measure(
                [PY, "-m", "benchmarks.naive", "naive", url, token, fmt, startdate, str(d / "out")],
                clean_env(),
                mode.log(f"{tag}-naive"),
            ).check("naive baseline")
            _expect(f"rows={served}" in m.log, f"naive baseline did not write {served} rows: {m.log[-300:]}")
        out["naive"] = m

        if direct:
            say(f"{tag}: landing walk without Dagster")
            with scratch("direct") as home:
                m = measure(
                    [PY, "-m", "benchmarks.land_direct", LOG_TYPE, day, day],
                    dagster_env(home, env, FORCEPOINT_DAILY_BUDGET="1000000"),
                    mode.log(f"{tag}-direct"),
                ).check("direct landing")
                got = lake_days(home, "forcepoint", LOG_TYPE).get(day, 0)
                _expect(
                    got == distinct, f"direct landing: lake has {got} rows, simulator {distinct} distinct events"
                )
            out["direct"] = m

        say(f"{tag}: Dagster run")
        with scratch("dagster") as home:
            before = sim.requests_counted(LOG_TYPE)
            m = measure(
                materialize_cmd(f"forcepoint/{LOG_TYPE}", partition=day),
                dagster_env(home, env, FORCEPOINT_DAILY_BUDGET="1000000"),
                mode.log(f"{tag}-dagster"),
            ).check("Dagster run")
            spent = sim.requests_counted(LOG_TYPE) - before
            got = lake_days(home, "forcepoint", LOG_TYPE).get(day, 0)
            _expect(got == distinct, f"Dagster run: lake has {got} rows, simulator {distinct} distinct events")
            out["dagster"] = m
            out["dagster_requests"] = spent

            say(f"{tag}: the same Dagster run again (the day is complete)")
            before = sim.requests_counted(LOG_TYPE)
            m = measure(
                materialize_cmd(f"forcepoint/{LOG_TYPE}", partition=day),
                dagster_env(home, env, FORCEPOINT_DAILY_BUDGET="1000000"),
                mode.log(f"{tag}-noop"),
            ).check("no-op Dagster run")
            noop_spent = sim.requests_counted(LOG_TYPE) - before
            _expect(noop_spent == 0, f"no-op run sent {noop_spent} requests")
            got = lake_days(home, "forcepoint", LOG_TYPE).get(day, 0)
            _expect(got == distinct, f"no-op run: lake has {got} rows, simulator {distinct} distinct events")
        out["noop"] = m

        if cluster is not None:
            why = cluster.unavailable()
            if why:
                out["cluster_unavailable"] = why
            else:
                try:
                    out.update(_cluster_run(mode, sim, cluster, env, day, tag, distinct))
                except Exception as e:  # noqa: BLE001 - the local rows stand; the cluster rows say why
                    out["cluster_unavailable"] = failed(e)
    for k in ("floor", "naive", "direct", "dagster", "noop", "cluster"):
        if k in out:
            say(
                f"{tag}: {k} {out[k].seconds:.2f}s, {served / out[k].seconds:,.0f} events/s, "
                f"peak RSS {mib(out[k].peak_rss):.0f} MiB"
            )
    return out


def _cluster_run(
    mode: Mode, sim: SimProcess, cluster: Cluster, env: dict, day: str, tag: str, distinct: int
) -> dict:
    """The same Dagster run on a fresh database and bucket of the cluster servers; its lake checked."""
    say(f"{tag}: Dagster run in cluster mode ({CLUSTER_NOTE})")
    cenv = cluster.fresh().env()
    with scratch("cluster") as home:  # $LOG_ASSETS_HOME is scratch in cluster mode
        before = sim.requests_counted(LOG_TYPE)
        m = measure(
            materialize_cmd(f"forcepoint/{LOG_TYPE}", partition=day),
            dagster_env(home, env, FORCEPOINT_DAILY_BUDGET="1000000", **cenv),
            mode.log(f"{tag}-cluster"),
        ).check("cluster-mode Dagster run")
        spent = sim.requests_counted(LOG_TYPE) - before
        with env_set(cenv):  # read back through the catalog in PostgreSQL and the files on S3
            got = lake_days(home, "forcepoint", LOG_TYPE).get(day, 0)
            ids = lake_event_ids(home, "forcepoint", LOG_TYPE, day)
        _expect(got == distinct, f"cluster-mode run: lake has {got} rows, simulator {distinct} distinct events")
        _expect(
            len(ids) == len(set(ids)) == distinct,
            f"cluster-mode run: lake has {len(ids)} ids ({len(set(ids))} distinct), simulator {distinct} events",
        )
    return {"cluster": m, "cluster_requests": spent}


def _cluster_figures(r: dict, n: int, goal_here: bool) -> list[Figure]:
    tag = f"forcepoint_{CLUSTER_FORMAT}_{size_name(n)}_cluster"
    label = f"1. Forcepoint {CLUSTER_FORMAT.upper()} {size_name(n)} events, cluster mode"
    goal = f">= {CLUSTER_VS_LOCAL} x local" if goal_here else ""
    if "cluster" not in r:
        why = r.get("cluster_unavailable", "not run")
        return [
            unavailable(f"{tag}_dagster_events_per_s", f"{label}: Dagster run", why, goal),
            unavailable(f"{tag}_requests", f"{label}: requests spent", why, "<= pages + 1"),
        ]
    ev, c, d = r["served"], r["cluster"], r["dagster"]
    ratio = d.seconds / c.seconds  # (events / cluster time) / (events / local time)
    minimum = r["pages"] + 1
    spent = r["cluster_requests"]
    return [
        Figure(
            f"{tag}_dagster_events_per_s",
            f"{label}: Dagster run",
            ev / c.seconds,
            "events/s",
            f"local Dagster run {ev / d.seconds:,.0f}/s ({d.seconds:.1f}s)",
            ratio,
            goal,
            (ratio >= CLUSTER_VS_LOCAL) if goal_here else None,
            note=f"{c.seconds:.1f}s in all, Dagster start-up included; {CLUSTER_NOTE}; "
            f"peak RSS {mib(c.peak_rss):.0f} MiB (local {mib(d.peak_rss):.0f} MiB)",
        ),
        Figure(
            f"{tag}_requests",
            f"{label}: requests spent",
            spent,
            "requests",
            f"pages + 1 = {minimum}",
            spent / minimum,
            "<= pages + 1",
            spent <= minimum,
            note="counted by the server",
        ),
    ]


def _expect(ok: bool, msg: str) -> None:
    if not ok:
        raise RuntimeError(msg)


def run(mode: Mode) -> list[Figure]:
    small, large = sizes(mode)
    results = {
        (fmt, n): one_size(
            mode, fmt, n, mode.direct, mode.cluster if (fmt, n) == (CLUSTER_FORMAT, large) else None
        )
        for fmt in FORMATS
        for n in (small, large)
    }
    figs: list[Figure] = []
    for fmt in FORMATS:
        for n in (small, large):
            r = results[(fmt, n)]
            ev = r["served"]
            d, naive, floor = r["dagster"], r["naive"], r["floor"]
            tag = f"forcepoint_{fmt}_{size_name(n)}"
            label = f"1. Forcepoint {fmt.upper()} {size_name(n)} events"
            baseline = (
                f"naive {ev / naive.seconds:,.0f}/s ({naive.seconds:.1f}s); floor {ev / floor.seconds:,.0f}/s "
                f"({floor.seconds:.1f}s)"
            )
            figs.append(
                Figure(
                    f"{tag}_dagster_events_per_s",
                    f"{label}: Dagster run",
                    ev / d.seconds,
                    "events/s",
                    baseline,
                    note=f"{d.seconds:.1f}s in all, Dagster start-up included; "
                    f"{r['dagster_requests']} requests for {r['pages']} pages",
                )
            )
            if "direct" in r:
                figs.append(
                    Figure(
                        f"{tag}_direct_events_per_s",
                        f"{label}: walk without Dagster",
                        ev / r["direct"].seconds,
                        "events/s",
                        baseline,
                        note=f"{r['direct'].seconds:.1f}s",
                    )
                )
            figs.append(
                Figure(f"{tag}_naive_events_per_s", f"{label}: naive baseline", ev / naive.seconds, "events/s")
            )
            figs.append(
                Figure(f"{tag}_floor_events_per_s", f"{label}: fetch-only floor", ev / floor.seconds, "events/s")
            )
            noop = r["noop"]
            walk = d.seconds - noop.seconds
            figs.append(
                Figure(
                    f"{tag}_noop_s",
                    f"{label}: no-op run (day already complete)",
                    noop.seconds,
                    "s",
                    note="the same command again: Dagster's and the package's start-up, no request sent",
                )
            )
            figs.append(
                Figure(
                    f"{tag}_walk_events_per_s",
                    f"{label}: walk (Dagster run - no-op run)",
                    ev / walk if walk > 0 else None,
                    "events/s",
                    note=f"{walk:.1f}s",
                )
            )
            goal_here = n == large
            vs_naive = d.seconds / naive.seconds
            walk_vs_floor = walk / floor.seconds
            figs.append(
                Figure(
                    f"{tag}_time_vs_naive",
                    f"{label}: Dagster time / naive time",
                    vs_naive,
                    "x",
                    f"naive {naive.seconds:.1f}s",
                    vs_naive,
                    f"<= {THROUGHPUT_VS_NAIVE}" if goal_here else "",
                    (vs_naive <= THROUGHPUT_VS_NAIVE) if goal_here else None,
                )
            )
            figs.append(
                Figure(
                    f"{tag}_walk_vs_floor",
                    f"{label}: walk time / floor time",
                    walk_vs_floor,
                    "x",
                    f"floor {floor.seconds:.1f}s",
                    walk_vs_floor,
                    f"<= {WALK_VS_FLOOR}" if goal_here else "",
                    (walk_vs_floor <= WALK_VS_FLOOR) if goal_here else None,
                )
            )
            figs.append(
                Figure(
                    f"{tag}_time_vs_floor",
                    f"{label}: Dagster time / floor time",
                    d.seconds / floor.seconds,
                    "x",
                    f"floor {floor.seconds:.1f}s",
                    d.seconds / floor.seconds,
                )
            )
            if (fmt, n) == (CLUSTER_FORMAT, large):
                figs += _cluster_figures(r, n, goal_here)
    for fmt in FORMATS:
        lo, hi = results[(fmt, small)], results[(fmt, large)]
        for k, what in (("dagster", "Dagster run"), ("direct", "walk without Dagster")):
            if k not in lo:
                continue
            a, b = lo[k], hi[k]
            ratio = b.peak_rss / a.peak_rss
            who = b.largest()[1]
            figs.append(
                Figure(
                    f"forcepoint_{fmt}_peak_rss_ratio_{k}",
                    f"2. Memory {fmt.upper()}: {what}, peak RSS {size_name(large)} / {size_name(small)} day",
                    ratio,
                    "x",
                    f"{mib(a.peak_rss):.0f} -> {mib(b.peak_rss):.0f} MiB",
                    ratio,
                    f"<= {MEMORY_RATIO}",
                    ratio <= MEMORY_RATIO,
                    note=f"largest process: {who}" if who else "",
                )
            )
            figs.append(
                Figure(
                    f"forcepoint_{fmt}_peak_rss_{k}_{size_name(large)}_mib",
                    f"2. Memory {fmt.upper()}: {what}, peak RSS {size_name(large)} day",
                    mib(b.peak_rss),
                    "MiB",
                )
            )
            figs.append(
                Figure(
                    f"forcepoint_{fmt}_peak_rss_{k}_{size_name(small)}_mib",
                    f"2. Memory {fmt.upper()}: {what}, peak RSS {size_name(small)} day",
                    mib(a.peak_rss),
                    "MiB",
                )
            )
    return figs
