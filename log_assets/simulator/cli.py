"""`python -m log_assets.simulator`: serve both simulated APIs until SIGINT or SIGTERM.

It prints the URLs and the (demo) credentials to use, as KEY=value lines a script can read.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.simulator.config import DEFAULT_EVENTS_PER_DAY, SimConfig
from log_assets.simulator.faults import KINDS, parse_fault
from log_assets.simulator.simulator import Simulator

D = SimConfig()


def _events_per_day(values: list[str]) -> int | dict[str, int]:
    """`N` for every type, and/or `TYPE=N` for one (repeatable)."""
    default = DEFAULT_EVENTS_PER_DAY
    per_type: dict[str, int] = {}
    for v in values:
        name, eq, n = v.partition("=")
        if not eq:
            default = int(v)
            continue
        if name not in FORCEPOINT_TYPES:
            raise argparse.ArgumentTypeError(f"unknown Forcepoint log type {name!r}")
        per_type[name] = int(n)
    if not per_type:
        return default
    return {t: per_type.get(t, default) for t in FORCEPOINT_TYPES}


def _expires_in(v: str) -> int | None:
    return None if v.lower() in ("none", "never", "") else int(v)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m log_assets.simulator",
        description="Serve simulated Forcepoint ONE SSE and Aperture log APIs on 127.0.0.1.",
    )
    a = p.add_argument
    a("--port", type=int, default=8080, help="port on 127.0.0.1 (0: any free port) [8080]")
    a("--seed", type=int, default=D.seed)
    a("--days", type=int, default=D.days, help="UTC days of events up to --end [%(default)s]")
    a("--end", default=None, help="end of the generated events, ISO 8601 UTC [now]")
    a(
        "--events-per-day",
        action="append",
        default=[],
        metavar="N|TYPE=N",
        help=f"Forcepoint events per day and type; repeatable, TYPE=N for one type [{DEFAULT_EVENTS_PER_DAY}]",
    )
    a("--page-size", type=int, default=D.page_size)
    a("--quota", type=int, default=D.quota, help="requests per log type per UTC day [%(default)s]")
    a("--duplicate-rate", type=float, default=D.duplicate_rate)
    a("--forcepoint-token", default=D.forcepoint_token)
    a("--forcepoint-username", default=D.forcepoint_username)
    a("--forcepoint-password", default=D.forcepoint_password)
    a(
        "--forbidden-token",
        default=D.forcepoint_forbidden_token,
        help="a Forcepoint bearer token (or Basic password) of a user who is not a sysadmin: answered with 403",
    )
    a("--aperture-client-id", default=D.aperture_client_id)
    a("--aperture-client-secret", default=D.aperture_client_secret)
    a(
        "--aperture-backlog",
        type=int,
        default=D.aperture_backlog_per_type,
        help="events per Aperture type queued at start",
    )
    a(
        "--aperture-expires-in",
        type=_expires_in,
        default=D.aperture_expires_in,
        help="access token lifetime in seconds, or 'none' (no expires_in) [%(default)s]",
    )
    a(
        "--aperture-ttl",
        type=float,
        default=D.aperture_ttl,
        help="seconds an unread event stays queued [%(default)s]",
    )
    a("--aperture-bulk-max", type=int, default=D.aperture_bulk_max)
    a("--aperture-max-concurrent", type=int, default=D.aperture_max_concurrent)
    a(
        "--long-poll",
        type=float,
        default=20.0,
        help="seconds an Aperture read waits on an empty queue [%(default)s]",
    )
    a(
        "--broken-rate",
        type=float,
        default=D.aperture_broken_rate,
        help="share of Aperture bodies that are not valid JSON",
    )
    a("--latency", type=float, default=D.latency, help="seconds added before every answer")
    a(
        "--scenarios",
        action="store_true",
        help="also serve the detection rules' scenarios on the last full day (simulator/scenarios.py)",
    )
    a(
        "--fault",
        action="append",
        default=[],
        metavar="KIND[:COUNT[:PATH[:SECONDS]]]",
        help=f"inject a fault into the next COUNT matching requests; KIND is one of {', '.join(KINDS)}; "
        "PATH is forcepoint, aperture, aperture_token, any or a path prefix (repeatable)",
    )
    return p


def config_from(args: argparse.Namespace) -> SimConfig:
    return SimConfig(
        seed=args.seed,
        days=args.days,
        end=args.end,
        forcepoint_events_per_day=_events_per_day(args.events_per_day),
        page_size=args.page_size,
        quota=args.quota,
        duplicate_rate=args.duplicate_rate,
        forcepoint_token=args.forcepoint_token,
        forcepoint_username=args.forcepoint_username,
        forcepoint_password=args.forcepoint_password,
        forcepoint_forbidden_token=args.forbidden_token,
        aperture_client_id=args.aperture_client_id,
        aperture_client_secret=args.aperture_client_secret,
        aperture_backlog_per_type=args.aperture_backlog,
        aperture_expires_in=args.aperture_expires_in,
        aperture_ttl=args.aperture_ttl,
        aperture_bulk_max=args.aperture_bulk_max,
        aperture_max_concurrent=args.aperture_max_concurrent,
        scenarios=args.scenarios,
        long_poll=args.long_poll,
        aperture_broken_rate=args.broken_rate,
        latency=args.latency,
    )


def banner(sim: Simulator) -> str:
    cfg = sim.config
    start, end = sim.forcepoint.window()
    lines = [
        f"log-assets simulator serving on {sim.base_url}",
        f"events from {start:%Y-%m-%d %H:%M:%S} to {end:%Y-%m-%d %H:%M:%S} UTC (seed {cfg.seed})",
        "",
        "# Forcepoint ONE SSE log export API (Bearer token, or Basic username/password)",
        f"FORCEPOINT_API_URL={sim.forcepoint_url}",
        f"FORCEPOINT_API_TOKEN={cfg.forcepoint_token}",
        f"FORCEPOINT_USERNAME={cfg.forcepoint_username}",
        f"FORCEPOINT_PASSWORD={cfg.forcepoint_password}",
        f"FORCEPOINT_FORBIDDEN_TOKEN={cfg.forcepoint_forbidden_token}",
        "",
        "# Aperture (Data Security) log events API",
        f"APERTURE_API_URL={sim.aperture_url}",
        f"APERTURE_CLIENT_ID={cfg.aperture_client_id}",
        f"APERTURE_CLIENT_SECRET={cfg.aperture_client_secret}",
        "",
        "Ctrl-C stops it.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        faults = [parse_fault(f) for f in args.fault]
        cfg = config_from(args)
        sim = Simulator(cfg, port=args.port)
        for f in faults:
            sim.faults.add(**f)
    except (ValueError, argparse.ArgumentTypeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        sim.start()
    except OSError as e:
        print(f"error: cannot listen on 127.0.0.1:{args.port}: {e}", file=sys.stderr)
        return 1
    print(banner(sim), flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sim.stop()
    print("simulator stopped", flush=True)
    return 0
