"""End to end against an independent implementation of both APIs (tests/independent/server.py, written
from the vendor pages and api-facts.md, not from our simulator): real `dagster` CLI runs, SIGKILLed
part-way and resumed, then checked against the server's ground truth:

- Forcepoint (access + swgweb, one run): every event of each finished day in the lake exactly once;
  requests spent <= the minimum a correct walk needs + one per kill; the resume uses HTTP Basic.
- Aperture: everything the server popped is in the lake once, except at most one batch per kill;
  no body left in the spool, nothing left queued.
- No secret (token, password, client secret, their Basic encodings, issued access tokens) anywhere
  under LOG_ASSETS_HOME, DAGSTER_HOME or in the captured output.
"""

from __future__ import annotations

import base64
import json
import time
from collections import Counter
from datetime import UTC, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.faults import harness as h
from tests.independent.server import AP_TYPES, IndependentApi

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(240)]

FP_TYPES = ("access", "swgweb")
FP_ID = {"access": "transactionid", "swgweb": "setransactionid"}
AP_SELECT = ",".join([f"aperture/{t}" for t in sorted(AP_TYPES)] + ["aperture/other_log_types"])


def drain_args(where: Path, n: int) -> list[str]:
    config = {"ops": {"aperture__spool": {"config": {"readers": 1, "budget_seconds": 30.0}}}}
    return h.job_args("aperture_drain", config, where / f"drain-{n}")


def wait_all(runs: dict, limit: float = 120.0) -> None:
    for r in runs.values():
        r.wait(limit)


def find_secrets(api: IndependentApi, roots: list[Path]) -> list[str]:
    needles = {}
    for name, value in api.secrets().items():
        for form in {value, quote(value, safe=""), value.replace("/", "\\/")}:
            needles[f"{name} ({form[:6]}…)"] = form.encode()
    hits = []
    for root in roots:
        for p in [root] if root.is_file() else root.rglob("*"):
            if p.is_file() and not p.is_symlink():
                data = p.read_bytes()
                hits += [f"{what} in {p}" for what, b in needles.items() if b in data]
    return hits


def test_sigkill_and_resume_against_independent_api(tmp_path):
    t0 = time.monotonic()
    home, out = tmp_path / "home", tmp_path / "out"
    out.mkdir()
    problems: list[str] = []
    notes: list[str] = []
    with IndependentApi(fp_latency=0.15, ap_latency=0.3, ap_token_ttl=4, ap_long_poll=1.0) as api:
        day = lambda k: (api.today + timedelta(days=k)).strftime("%Y-%m-%d")  # noqa: E731 - the server's clock
        first, last = day(-3), day(-1)
        minimum = {lt: api.fp_min_requests(lt, first, day(0)) for lt in FP_TYPES}
        ap_env = {
            "APERTURE_API_URL": api.base,
            "APERTURE_CLIENT_ID": api.ap_client_id,
            "APERTURE_CLIENT_SECRET": api.ap_client_secret,
        }
        fp_url = {"FORCEPOINT_API_URL": api.base + "/api/bitglassapi/logs/v1/"}
        env_token = h.cli_env(home, {**fp_url, **ap_env, "FORCEPOINT_API_TOKEN": api.fp_token})
        env_basic = h.cli_env(
            home, {**fp_url, **ap_env, "FORCEPOINT_USERNAME": api.fp_user, "FORCEPOINT_PASSWORD": api.fp_password}
        )
        h.init_instance(home)
        fp_args = h.materialize_args(",".join(f"forcepoint/{t}" for t in FP_TYPES), first, last)

        # 1. a Forcepoint backfill and a drain, both SIGKILLed part-way
        runs = {
            "fp": h.start(fp_args, env_token, out / "1-fp.log"),
            "ap": h.start(drain_args(out, 1), env_token, out / "1-ap.log"),
        }
        due = {
            "fp": lambda: all(api.fp_requests(lt) >= 4 for lt in FP_TYPES),
            "ap": lambda: len(api.ap_popped) >= 3,
        }
        kills = {"fp": 0, "ap": 0}
        deadline = time.monotonic() + 60
        while any(r.running() for r in runs.values()) and time.monotonic() < deadline:
            for k, r in runs.items():
                if r.running() and due[k]():
                    r.kill()
                    kills[k] += 1
            time.sleep(0.01)
        wait_all(runs, 1)
        notes.append(
            f"phase 1: kills {kills}, fp requests { {lt: api.fp_requests(lt) for lt in FP_TYPES} }, "
            f"ap batches popped {len(api.ap_popped)}; rc {[r.rc for r in runs.values()]}"
        )
        for k, r in runs.items():
            if not kills[k]:
                notes.append(f"{k} run was not killed (ended first, rc {r.rc}): {r.tail(800)}")

        # 2. more Aperture events arrive; resume both (Forcepoint now with HTTP Basic)
        api.ap_enqueue(api.make_ap_events(150, (-2, -1)))
        runs2 = {
            "fp": h.start(fp_args, env_basic, out / "2-fp.log"),
            "ap": h.start(drain_args(out, 2), env_token, out / "2-ap.log"),
        }
        wait_all(runs2)
        for k, r in runs2.items():
            if r.rc != 0:
                problems.append(f"resumed {k} run failed (rc {r.rc}): {r.tail(2500)}")

        # 3. land the drained Aperture days
        land = h.start(
            h.materialize_args(AP_SELECT, day(-2), day(-1)),
            env_token,
            out / "3-land.log",
        )
        land.wait(120)
        if land.rc != 0:
            problems.append(f"aperture landing failed (rc {land.rc}): {land.tail(2500)}")

        # --- Forcepoint: each finished day exactly once; requests within the minimum + kills
        for lt in FP_TYPES:
            spent = api.fp_requests(lt)
            notes.append(f"forcepoint/{lt}: spent {spent}, minimum {minimum[lt]}, kills {kills['fp']}")
            if spent > minimum[lt] + kills["fp"]:
                problems.append(
                    f"forcepoint/{lt}: {spent} requests, more than minimum {minimum[lt]} + {kills['fp']} kill(s)"
                )
            walked = [
                (json.loads(base64.b64decode(e["token"])) if e["token"] else e["startdate"], e.get("events"))
                for e in api.fp_log
                if e["type"] == lt
            ]
            notes.append(f"forcepoint/{lt} last requests (position, events): {walked[-3:]}")
            bad_tokens = [e for e in api.fp_log if e["type"] == lt and e.get("bad_token")]
            if bad_tokens:
                problems.append(
                    f"forcepoint/{lt}: {len(bad_tokens)} request(s) with a token the server could not read"
                )
            for d in (first, day(-2), last):
                rows = h.lake_rows(home, "forcepoint", lt, d)
                got = Counter(r["event_id"] for r in rows)
                want = Counter(r[FP_ID[lt]] for r in api.fp_truth(lt, d))
                missing, extra = want - got, got - want
                dups = [k for k, n in got.items() if n > 1]
                if missing or extra or dups:
                    times = sorted(r["time"] for r in api.fp_truth(lt, d) if r[FP_ID[lt]] in missing)
                    problems.append(
                        f"forcepoint/{lt} {d}: {sum(missing.values())} of {sum(want.values())} events missing"
                        + (f" (times {times[0]} .. {times[-1]})" if times else "")
                        + f", {sum(extra.values())} unexpected, {len(dups)} ids more than once"
                    )
                off = [r["event_id"] for r in rows if r["event_time"].astimezone(UTC).strftime("%Y-%m-%d") != d]
                if off:
                    problems.append(f"forcepoint/{lt} {d}: {len(off)} rows not on their day")

        # --- Aperture: everything popped is landed once, except at most one batch per kill
        lake: Counter = Counter()
        for log_type, d, rows in h.lake_partitions(home, "aperture"):
            for r in rows:
                lake[h.canon(json.loads(r["raw"]))] += 1
                if r["event_time"].astimezone(UTC).strftime("%Y-%m-%d") != d:
                    problems.append(f"aperture: a row off its day in aperture/{log_type} {d}")
        popped = [[h.canon(json.loads(e)) for e in batch] for batch in api.ap_popped]
        lost = [i for i, b in enumerate(popped) if not all(e in lake for e in b)]
        notes.append(
            f"aperture: {len(popped)} batches popped ({sum(map(len, popped))} events), "
            f"{len(lake)} distinct in the "
            f"lake, lost batches {lost} (sizes {[len(popped[i]) for i in lost]}), kills {kills['ap']}, "
            f"requests {dict(api.ap_requests)}"
        )
        if len(lost) > kills["ap"]:
            problems.append(f"aperture: {len(lost)} popped batches not (fully) in the lake, allowed {kills['ap']}")
        if [k for k, n in lake.items() if n > 1]:
            problems.append("aperture: events more than once in the lake")
        if set(lake) - {e for b in popped for e in b}:
            problems.append("aperture: lake rows the server never delivered")
        if api.ap_queue_len():
            problems.append(f"aperture: {api.ap_queue_len()} events still queued after the final drain")
        spool = home / "spool" / "aperture"
        left = (
            [p for p in spool.rglob("*") if p.is_file() and p.suffix in (".json", ".parquet")]
            if spool.exists()
            else []
        )
        if left:
            problems.append(
                f"aperture: {len(left)} files left in the spool: {[str(p.relative_to(home)) for p in left[:3]]}"
            )
        quarantine = (
            [p for p in (home / "quarantine").rglob("*") if p.is_file()] if (home / "quarantine").exists() else []
        )
        if quarantine:
            problems.append(f"quarantine not empty: {[str(p.relative_to(home)) for p in quarantine[:5]]}")
        problems += h.visible_lake_problems(home)

        # --- no secret on disk or in the output
        problems += find_secrets(api, [home, out])

    notes.append(f"wall time {time.monotonic() - t0:.1f} s")
    print("\n".join(notes))
    assert not problems, "\n".join(problems + ["--- notes:"] + notes)


def test_late_records_of_a_closed_day(tmp_path):
    """API order is ingestion order (the token holds a log id): a record of yesterday that the API
    ingests after it has served records of today must still land in yesterday's partition."""
    home, out = tmp_path / "home", tmp_path / "out"
    with IndependentApi(fp_per_day={"access": 150}, fp_days=range(-1, 1), ap_events=0) as api:
        yesterday, today = ((api.today + timedelta(days=k)).strftime("%Y-%m-%d") for k in (-1, 0))
        late = api.fp_hold("access", yesterday, 3)  # ingested only after the first run
        env = h.cli_env(
            home,
            {"FORCEPOINT_API_URL": api.base + "/api/bitglassapi/logs/v1/", "FORCEPOINT_API_TOKEN": api.fp_token},
        )
        h.init_instance(home)
        r1 = h.start(h.materialize_args("forcepoint/access", yesterday, today), env, out / "1.log")
        assert r1.wait(120) == 0, r1.tail(2500)
        api.fp_release()
        # the open-day schedule's next run
        r2 = h.start(h.materialize_args("forcepoint/access", today), env, out / "2.log")
        assert r2.wait(120) == 0, r2.tail(2500)
        got = Counter(r["event_id"] for r in h.lake_rows(home, "forcepoint", "access", yesterday))
        want = Counter(r["transactionid"] for r in api.fp_truth("access", yesterday))
        assert not [k for k, n in got.items() if n > 1]
        missing = want - got
        assert not missing, (
            f"{len(missing)} of {len(want)} events of {yesterday} missing: the late ones "
            f"{sorted(r['time'] for r in late)} arrived after the day was closed; "
            f"{api.fp_requests('access')} requests"
        )
