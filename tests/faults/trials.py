"""The randomized trials. Each takes (trial, rng) and drives real CLI runs against a simulator,
injecting faults at points drawn from `rng`, then checks the invariants against the simulator's
ground truth. They never raise on a broken invariant: they record it on the trial. The cluster
kinds (CLUSTER_KINDS) also take the session's PostgreSQL and S3 servers.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from log_assets.catalog import APERTURE_TYPES, FORCEPOINT_TYPES
from log_assets.simulator import SimConfig, Simulator
from tests.lakeview import lake_event_ids, lake_types
from tests.pipeline_state import pass_midnight

from . import harness as h
from .inputs import INPUT_KINDS

# ------------------------------------------------------------------------------ shared pieces


@contextmanager
def environ(values: dict):
    """os.environ with the vendor variables replaced by `values` (for in-process baseline runs)."""
    saved = dict(os.environ)
    for k in list(os.environ):
        if k.startswith(("FORCEPOINT_", "APERTURE_")):
            del os.environ[k]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Schedule:
    """Actions to take when the tap has counted the k-th request of an area (in the server thread)."""

    def __init__(self, tap: h.Tap, area: str, log_type: str | None = None):
        self.tap = tap
        self.area = area
        self.log_type = log_type
        self.base = tap.count(area, log_type)
        self.actions: list[tuple[int, object]] = []
        self.done: list[int] = []
        tap.on_request = self._on_request

    def at(self, k: int, action) -> None:
        self.actions.append((k, action))

    def _on_request(self) -> None:
        n = self.tap.count(self.area, self.log_type) - self.base
        for item in list(self.actions):
            k, action = item
            if n >= k:
                self.actions.remove(item)
                self.done.append(k)
                action()

    def close(self) -> None:
        self.tap.on_request = None


def with_executor(config: dict | None, rng: random.Random, in_process: bool = False) -> dict:
    """Most runs execute their step in the CLI's process (quicker, and what a single-step run does
    by default); some use Dagster's multiprocess executor, where a kill also takes down the step's
    child process."""
    config = dict(config or {})
    config.update(h.IN_PROCESS if in_process or rng.random() < 0.7 else h.MULTIPROCESS)
    return config


def _fp_config(retries: int, read_timeout: float = 10.0, in_process: bool = False) -> dict:
    cfg = {
        "resources": {
            "forcepoint": {"config": {"retries": retries, "backoff": 0.05, "read_timeout": read_timeout}}
        }
    }
    if in_process:
        cfg.update(h.IN_PROCESS)
    return cfg


def node_home(trial: h.Trial, cluster: h.TrialCluster | None, home: Path) -> Path:
    """The home of the next run: the trial's one home, or in cluster mode a new one per run (another
    node, sharing nothing with the others but the database and the bucket)."""
    if cluster is None:
        return home
    return trial.dir / "nodes" / f"{len(trial.runs):02d}" / "home"


class FP:
    """One Forcepoint trial's set-up: simulator, type, window, format, auth and the cost of a clean walk."""

    def __init__(self, trial: h.Trial, rng: random.Random, allow_today: bool = True):
        self.trial = trial
        self.rng = rng
        self.lt = rng.choice(sorted(FORCEPOINT_TYPES))
        self.fmt = rng.choice(["json", "json", "csv"])
        self.basic = rng.random() < 0.3
        self.per_day = rng.randint(60, 200)
        self.page = rng.choice([10, 15, 20, 30, 50])
        self.first = h.day_str(rng.choice([-3, -2]))
        self.last = h.day_str(0) if allow_today and rng.random() < 0.25 else h.day_str(-1)
        self.finished = [d for d in (h.day_str(-3), h.day_str(-2), h.day_str(-1)) if self.first <= d <= self.last]
        self.home = trial.dir / "home"
        self.cfg = SimConfig(
            seed=rng.randrange(1_000_000),
            days=4,
            forcepoint_events_per_day={self.lt: self.per_day},
            page_size=self.page,
            quota=1_000_000,
            duplicate_rate=rng.choice([0.0, 0.01, 0.05]),
            aperture_backlog_per_type=0,
            latency=rng.choice([0.0, 0.005, 0.02]),
        )
        trial.note(
            f"forcepoint/{self.lt} {self.first}..{self.last} fmt={self.fmt} basic={self.basic} "
            f"per_day={self.per_day} page={self.page}"
        )
        self.sim: Simulator | None = None
        self.tap: h.Tap | None = None
        self.reader: h.LakeReader | None = None
        self.cluster: h.TrialCluster | None = None  # cluster mode: each run a node with a home of its own

    def __enter__(self) -> FP:
        self.sim = Simulator(self.cfg, port=0).start()
        self.tap = h.Tap(self.sim)
        return self

    def __exit__(self, *exc) -> None:
        if self.reader is not None and self.reader.is_alive():
            self.reader.finish()
        if self.tap is not None:
            self.tap.on_request = None
        self.sim.stop()

    def env(self, home: Path | None = None, **extra) -> dict:
        cluster = self.cluster.env if self.cluster is not None else {}
        env = h.cli_env(
            home or self.home,
            self.sim.env(basic=self.basic),
            {**cluster, "FORCEPOINT_RESPONSE_FORMAT": self.fmt, **extra},
        )
        return env

    def baseline(self) -> int:
        """Requests an uninterrupted walk of the window costs (measured by the simulator)."""
        from log_assets.defs.forcepoint.assets import FORCEPOINT_ASSETS
        from log_assets.defs.forcepoint.resources import ForcepointResource
        from log_assets.defs.resources import LogAssetsHome

        asset = next(a for a in FORCEPOINT_ASSETS if a.key.path[-1] == self.lt)
        before = self.tap.count("forcepoint", self.lt)
        env = {**self.sim.env(basic=self.basic), "FORCEPOINT_RESPONSE_FORMAT": self.fmt}
        with environ(env):
            res = dg.materialize(
                [asset],
                resources={
                    "forcepoint": ForcepointResource(retries=2, backoff=0.01),
                    "home": LogAssetsHome(root=str(self.trial.dir / "baseline")),
                },
                tags={
                    "dagster/asset_partition_range_start": self.first,
                    "dagster/asset_partition_range_end": self.last,
                },
                raise_on_error=False,
            )
        n = self.tap.count("forcepoint", self.lt) - before
        if not res.success:
            self.trial.violation(f"baseline run of forcepoint/{self.lt} failed without any fault")
        self.sim.forcepoint.reset_quota()
        return n

    def start_reader(self, warehouse: bool = False) -> None:
        self.reader = h.LakeReader(self.trial, self.home, warehouse=warehouse)
        self.reader.start()

    def run(self, name: str, config: dict | None = None, enospc: dict | None = None, **env) -> h.Run:
        # in cluster mode the step always runs in the CLI's process (a Dagster matter, and quicker)
        config = with_executor(config, self.rng, enospc is not None or self.cluster is not None)
        r = h.start(
            h.materialize_args(f"forcepoint/{self.lt}", self.first, self.last, config),
            self.env(node_home(self.trial, self.cluster, self.home), **env),
            self.trial.dir / "out" / f"{len(self.trial.runs):02d}-{name}.log",
            enospc,
        )
        self.trial.runs.append(r)
        return r

    def after_run(self, r: h.Run) -> None:
        """Checks that hold after any run, finished or killed."""
        self.trial.check(r.rc != -999, f"run hung: {r.describe()}")
        for p in h.visible_lake_problems(self.home):
            self.trial.violation(p)
        used = self.sim.forcepoint.requests(self.lt)
        self.trial.check(
            used <= self.sim.forcepoint.quota.limit,
            f"{used} requests counted by the server, quota {self.sim.forcepoint.quota.limit}",
        )

    def clean_run(self, max_runs: int = 4, config: dict | None = None) -> bool:
        """Runs without new faults until one succeeds (as a scheduler would retry)."""
        for i in range(max_runs):
            r = self.run(f"clean{i}", config or _fp_config(4))
            r.wait()
            self.after_run(r)
            if r.rc == 0:
                return True
            self.trial.note(f"clean run {i} failed: {r.tail(600)}")
        self.trial.violation(
            f"no clean run succeeded in {max_runs} tries; last output: {self.trial.runs[-1].tail(1500)}"
        )
        return False

    def final_checks(self, spent: int, baseline: int, allowance: int) -> None:
        t = self.trial
        for day in self.finished:
            h.check_forcepoint_day(t, self.sim, self.home, self.lt, day, self.fmt)
        if self.last == h.day_str(0):
            rows = h.lake_rows(self.home, "forcepoint", self.lt, self.last)
            ids = Counter(r["event_id"] for r in rows)
            t.check(all(n == 1 for n in ids.values()), f"open day {self.last}: event_id twice in the lake")
            want = h.forcepoint_truth(self.sim, self.lt, self.last, self.fmt)
            got = Counter(h.canon(json.loads(r["raw"])) for r in rows)
            t.check(not (got - want), f"open day {self.last}: rows not in the ground truth")
        # A run that starts after the walk has caught up, on a window that reaches today, asks once
        # (from the saved tail token) whether the open day has more: a new question, not a re-spent
        # request. (It happens when a faulted run finished its walk anyway and another run follows.)
        polls = sum(1 for r in t.runs if "(token saved by the last walk)" in r.text())
        if polls:
            t.note(f"{polls} run(s) polled the open day from the saved token")
        t.check(
            spent <= baseline + allowance + polls,
            f"re-spent requests: {spent} sent in all, a clean walk costs {baseline}, allowed extra "
            f"{allowance} (+{polls} open-day polls)",
        )
        if self.cluster is not None:
            leftovers = [o.key for o in self.cluster.storage().list("lake/.staging")]
        else:
            staging = self.home / "lake" / ".staging"
            leftovers = [str(p) for p in staging.rglob("*") if p.is_file()] if staging.exists() else []
        # A walk the state still holds unfinished keeps its two kept answers for the run that resumes
        # it (a kill after its last day was committed and before the walk was closed: every day is
        # complete, the next run sends nothing, and a later window resumes the walk from its token).
        walk = self.unfinished_walk()
        if walk is not None:
            t.note(f"walk {walk} left unfinished in the state, with its kept answers")
            slots = {f"{walk}/spool/slot0.body", f"{walk}/spool/slot1.body"}
            leftovers = [k for k in leftovers if not any(k.endswith(s) for s in slots)]
        t.check(not leftovers, f"files left under lake/.staging after a successful run: {leftovers[:3]}")
        t.note(f"requests: {spent} (clean walk {baseline}, allowance {allowance})")
        warehouse_after(t, self.rng, self.home, self.sim.env(basic=self.basic))

    def unfinished_walk(self) -> str | None:
        """The id of the walk the state holds for the log type (None: none unfinished)."""
        from log_assets.paths import Home
        from log_assets.state.home import open_state
        from log_assets.state.store import stream_name

        with open_state(Home(self.home)) as store:
            walk = store.load_walk(stream_name("forcepoint", self.lt)).walk
        return walk.id if walk is not None else None


# ------------------------------------------------------------------------------- Forcepoint


def fp_kill(trial: h.Trial, rng: random.Random) -> None:
    """SIGKILL `dagster asset materialize` 1-3 times at random requests or moments, then finish."""
    with FP(trial, rng) as fp:
        baseline = fp.baseline()
        fp.start_reader()
        start = fp.tap.count("forcepoint", fp.lt)
        kills = 0
        for i in range(rng.randint(1, 3)):
            r = fp.run(f"kill{i}", _fp_config(4))
            base = fp.tap.count("forcepoint", fp.lt)
            if rng.random() < 0.75:
                k = rng.randint(1, max(1, baseline))
                trial.note(f"kill {i} at request {k} of the run")
                killed = h.kill_when(r, lambda base=base, k=k: fp.tap.count("forcepoint", fp.lt) - base >= k)
            else:
                delay = rng.uniform(1.0, 5.0)
                trial.note(f"kill {i} after {delay:.1f} s")
                t0 = time.monotonic()
                killed = h.kill_when(r, lambda t0=t0, delay=delay: time.monotonic() - t0 >= delay)
            if killed:
                kills += 1
                trial.fault("sigkill")
            else:
                r.wait()
            fp.after_run(r)
        fp.clean_run()
        fp.reader.finish()
        fp.final_checks(fp.tap.count("forcepoint", fp.lt) - start, baseline, kills)


NETWORK_FAULTS = ("503", "500", "502", "slow", "slow", "drop", "503")


def fp_network(trial: h.Trial, rng: random.Random) -> None:
    """503/500/502 bursts, slow answers (some past the read timeout) and dropped connections at
    random requests; runs are repeated (as a scheduler would) until one succeeds."""
    with FP(trial, rng) as fp:
        baseline = fp.baseline()
        fp.start_reader()
        retries = rng.randint(2, 4)
        read_timeout = 1.0
        start_mark = fp.tap.mark()
        start = fp.tap.count("forcepoint", fp.lt)
        sched = Schedule(fp.tap, "forcepoint", fp.lt)
        planned = []
        for _ in range(rng.randint(2, 5)):
            kind = rng.choice(NETWORK_FAULTS)
            k = rng.randint(0, max(1, baseline - 1))
            if kind in ("503", "500", "502"):
                count = rng.randint(1, retries + 1)  # sometimes more than the retries: the run fails
                sched.at(k, lambda kind=kind, count=count: fp.sim.faults.add(kind, count, path="forcepoint"))
                planned.append(f"{kind}x{count}@{k}")
            elif kind == "slow":
                secs = rng.choice([0.3, 0.6, 1.5, 2.0])
                sched.at(k, lambda secs=secs: fp.sim.faults.add("slow", 1, path="forcepoint", seconds=secs))
                planned.append(f"slow{secs}@{k}")
            else:
                sched.at(k, lambda: fp.sim.faults.add("drop", 1, path="forcepoint"))
                planned.append(f"drop@{k}")
        trial.note(f"planned: {', '.join(planned)}; retries={retries} read_timeout={read_timeout}")
        ok = False
        for i in range(6):
            r = fp.run(f"net{i}", _fp_config(retries, read_timeout))
            r.wait()
            fp.after_run(r)
            if r.rc == 0:
                ok = True
                break
            trial.note(f"run {i} failed (allowed under faults): {_reason(r)}")
        sched.close()
        fp.sim.faults.clear()
        if not ok:
            fp.clean_run()
        served = fp.tap.faults_served(start_mark)
        for kind, n in served.items():
            trial.fault(kind, n)
        fp.reader.finish()
        fp.final_checks(fp.tap.count("forcepoint", fp.lt) - start, baseline, sum(served.values()))


def fp_quota(trial: h.Trial, rng: random.Random) -> None:
    """The server's daily quota, our own budget, or a 429 from another tool ends a walk early;
    after (simulated) UTC midnight the walk resumes and finishes without re-spending."""
    with FP(trial, rng) as fp:
        baseline = fp.baseline()
        fp.start_reader()
        start_mark = fp.tap.mark()
        start = fp.tap.count("forcepoint", fp.lt)
        mode = rng.choice(["server", "budget", "429", "server+429"])
        server_quota = rng.randint(1, max(1, baseline - 1)) if "server" in mode else 1_000_000
        fp.sim.forcepoint.quota.limit = server_quota
        env = {}
        budget = None
        if mode == "budget":
            budget = rng.randint(1, max(1, baseline - 1))
            env["FORCEPOINT_DAILY_BUDGET"] = str(budget)
        sched = Schedule(fp.tap, "forcepoint", fp.lt)
        k429 = None
        at_429 = []
        if "429" in mode:
            k429 = rng.randint(0, max(0, min(server_quota, baseline) - 1))
            sched.at(k429, lambda: fp.sim.faults.add("429", 1, path="forcepoint"))
            orig = fp.sim.faults.take

            def watch(area, path, log_type):
                f = orig(area, path, log_type)
                if f is not None and f.kind == "429":
                    at_429.append(fp.tap.count("forcepoint", fp.lt))
                return f

            fp.sim.faults.take = watch
        trial.note(f"mode={mode} server_quota={server_quota} budget={budget} 429_at={k429}")
        r = fp.run("quota", _fp_config(4), **env)
        r.wait()
        fp.after_run(r)
        sent = fp.tap.count("forcepoint", fp.lt) - start
        trial.fault("quota_exhausted" if mode in ("server", "budget") else "429")
        if budget is not None:
            trial.check(sent <= budget, f"own budget {budget}, but {sent} requests were sent")
        if at_429:
            # tap counts the 429 itself; nothing may follow it in that run
            trial.check(
                fp.tap.count("forcepoint", fp.lt) == at_429[0],
                f"requests sent after the 429: {fp.tap.count('forcepoint', fp.lt) - at_429[0]}",
            )
        if r.rc == 0 and sent < baseline:
            trial.violation(f"run succeeded after {sent} of {baseline} requests although the quota stopped it")
        if r.rc != 0:
            text = r.text()
            trial.check("resets at" in text, "the quota failure does not say when the quota resets")
        sched.close()
        # UTC midnight: the server's count and ours start again. A 429 queued for the run but not
        # served (the server's own quota answered first) belongs to the day that ended.
        unserved = fp.sim.faults.pending()
        if unserved:
            trial.note(f"dropped at midnight, not served: {[f.kind for f in unserved]}")
        fp.sim.faults.clear()
        fp.sim.forcepoint.reset_quota(fp.lt)
        fp.sim.forcepoint.quota.limit = 1_000_000
        pass_midnight(fp.home, fp.lt)
        fp.clean_run()
        served = fp.tap.faults_served(start_mark)
        fp.reader.finish()
        fp.final_checks(fp.tap.count("forcepoint", fp.lt) - start, baseline, served.get("429", 0))


def fp_enospc(trial: h.Trial, rng: random.Random) -> None:
    """A disk-full error on the n-th Parquet write (or temp file under the home), once or from
    then on; the next run (disk freed) completes the walk."""
    with FP(trial, rng) as fp:
        baseline = fp.baseline()
        fp.start_reader()
        start = fp.tap.count("forcepoint", fp.lt)
        what = rng.choice(["parquet", "parquet", "home"])
        at = rng.randint(1, max(2, baseline * (2 if what == "parquet" else 3)))
        count = rng.choice([1, 0])
        trial.note(f"ENOSPC on {what} write {at}, {'once' if count else 'from then on'}")
        r = fp.run(
            "enospc",
            _fp_config(4, in_process=True),
            enospc={"at": at, "what": what},
            LOG_ASSETS_FAULT_ENOSPC_COUNT=str(count),
        )
        r.wait()
        fp.after_run(r)
        fired = h.enospc_fired(r)
        if fired:
            trial.fault("enospc")
            if r.rc == 0:
                trial.note("the run succeeded despite the ENOSPC (written again later)")
            else:
                text = r.text()
                trial.check("No space left on device" in text, "the ENOSPC failure does not name the cause")
        else:
            trial.note("the run made fewer writes: no ENOSPC fired")
        fp.clean_run()
        fp.reader.finish()
        fp.final_checks(fp.tap.count("forcepoint", fp.lt) - start, baseline, 1 if fired else 0)


def fp_overlap(trial: h.Trial, rng: random.Random) -> None:
    """Two backfills of the same days into the same home at once (sometimes one is killed)."""
    with FP(trial, rng, allow_today=False) as fp:
        baseline = fp.baseline()
        fp.start_reader()
        start = fp.tap.count("forcepoint", fp.lt)
        h.init_instance(fp.home)
        a = fp.run("overlapA", _fp_config(4))
        time.sleep(rng.uniform(0.0, 3.0))
        b = fp.run("overlapB", _fp_config(4))
        trial.fault("overlap")
        kills = 0
        if rng.random() < 0.4:
            victim = rng.choice([a, b])
            base = fp.tap.count("forcepoint", fp.lt)
            k = rng.randint(1, max(1, baseline))
            trial.note(f"kill {'A' if victim is a else 'B'} at request {k}")
            if h.kill_when(victim, lambda: fp.tap.count("forcepoint", fp.lt) - base >= k):
                kills += 1
                trial.fault("sigkill")
        for r in (a, b):
            if r.rc is None:
                r.wait()
            fp.after_run(r)
        if any(r.rc != 0 for r in (a, b)):
            for r in (a, b):
                if r.rc != 0 and not r.killed:
                    trial.violation(f"an overlapping run failed: {_reason(r)}")
            fp.clean_run()
        fp.reader.finish()
        fp.final_checks(fp.tap.count("forcepoint", fp.lt) - start, baseline, kills)


def warehouse_after(trial: h.Trial, rng: random.Random, home: Path, sim_env: dict) -> None:
    """In a quarter of the trials, build the warehouse from the lake the trial left and check it."""
    if rng.random() >= 0.25:
        return
    r = h.start(
        h.materialize_args("key:warehouse/*", config=with_executor(None, rng)),
        h.cli_env(home, sim_env),
        trial.dir / "out" / f"{len(trial.runs):02d}-warehouse.log",
    )
    trial.runs.append(r)
    r.wait()
    trial.check(r.rc == 0, f"warehouse build failed: {_reason(r)}")
    if r.rc == 0:
        check_warehouse(trial, home)


def _reason(r: h.Run) -> str:
    text = r.text()
    for marker in ("dagster._core.definitions.events.Failure: ", "OSError: ", "Error: "):
        i = text.find(marker)
        if i >= 0:
            return text[i : i + 300].splitlines()[0]
    return text[-300:]


# --------------------------------------------------------------------------------- Aperture

AP_SELECT = ",".join([f"aperture/{t}" for t in sorted(APERTURE_TYPES)] + ["aperture/other_log_types"])


class AP:
    """One Aperture trial: simulator with a queued backlog, drains and landings through the CLI."""

    def __init__(self, trial: h.Trial, rng: random.Random, **overrides):
        self.trial = trial
        self.rng = rng
        self.home = trial.dir / "home"
        self.readers = rng.choice([1, 2])
        self.bulk = rng.choice([10, 25, 50, 100])
        backlog = rng.randint(20, 80)
        settings = dict(
            seed=rng.randrange(1_000_000),
            days=2,
            forcepoint_events_per_day=5,
            aperture_backlog_per_type=backlog,
            aperture_bulk_max=self.bulk,
            long_poll=0.1,
            latency=rng.choice([0.0, 0.01, 0.03]),
        )
        settings.update(overrides)
        self.cfg = SimConfig(**settings)
        trial.note(
            f"aperture backlog {backlog}/type, bulk {self.bulk}, readers {self.readers}, "
            f"broken_rate {self.cfg.aperture_broken_rate}, expires_in {self.cfg.aperture_expires_in}"
        )
        self.kills = 0
        self.fatal_disk_runs = 0
        self.reader: h.LakeReader | None = None
        self.cluster: h.TrialCluster | None = None  # cluster mode: each run a node with a home of its own

    def __enter__(self) -> AP:
        self.sim = Simulator(self.cfg, port=0).start()
        self.tap = h.Tap(self.sim)
        return self

    def __exit__(self, *exc) -> None:
        if self.reader is not None and self.reader.is_alive():
            self.reader.finish()
        self.tap.on_request = None
        self.sim.stop()

    def start_reader(self, warehouse: bool = False) -> None:
        self.reader = h.LakeReader(self.trial, self.home, warehouse=warehouse)
        self.reader.start()

    def drain_config(self, in_process: bool = False, retries: int = 3) -> dict:
        cfg = {
            "ops": {"aperture__spool": {"config": {"readers": self.readers, "budget_seconds": 60.0}}},
            "resources": {"aperture": {"config": {"retries": retries}}},
        }
        if in_process:
            cfg.update(h.IN_PROCESS)
        return cfg

    def drain(self, name: str, config: dict | None = None, enospc: dict | None = None, **env) -> h.Run:
        config = with_executor(
            config or self.drain_config(), self.rng, enospc is not None or self.cluster is not None
        )
        r = h.start(
            h.job_args("aperture_drain", config, self.trial.dir / "config"),
            self.cli_env(env),
            self.trial.dir / "out" / f"{len(self.trial.runs):02d}-{name}.log",
            enospc,
        )
        self.trial.runs.append(r)
        return r

    def land(self, name: str, enospc: dict | None = None, **env) -> h.Run:
        cfg = with_executor(None, self.rng, enospc is not None or self.cluster is not None)
        r = h.start(
            h.materialize_args(AP_SELECT, h.day_str(-1), h.day_str(0), cfg),
            self.cli_env(env),
            self.trial.dir / "out" / f"{len(self.trial.runs):02d}-{name}.log",
            enospc,
        )
        self.trial.runs.append(r)
        return r

    def cli_env(self, extra: dict) -> dict:
        cluster = self.cluster.env if self.cluster is not None else {}
        home = node_home(self.trial, self.cluster, self.home)
        return h.cli_env(home, self.sim.env(), {**cluster, **extra})

    def after_run(self, r: h.Run) -> None:
        self.trial.check(r.rc != -999, f"run hung: {r.describe()}")
        for p in h.visible_lake_problems(self.home):
            self.trial.violation(p)

    def finish(self, max_runs: int = 4) -> None:
        """Drain what is left and land everything, retrying failed runs as a scheduler would."""
        for what in ("drain", "land"):
            for i in range(max_runs):
                r = self.drain(f"final-drain{i}") if what == "drain" else self.land(f"final-land{i}")
                r.wait()
                self.after_run(r)
                if r.rc == 0:
                    break
                self.trial.note(f"final {what} {i} failed: {_reason(r)}")
            else:
                self.trial.violation(
                    f"no final {what} succeeded in {max_runs} tries: {self.trial.runs[-1].tail(1500)}"
                )
        if self.sim.aperture.pending():
            self.trial.violation(f"{self.sim.aperture.pending()} events still queued after the final drain")

    def check(self) -> None:
        """Every delivered event is in the lake once, or its body is in quarantine byte for byte;
        what is neither is bounded by one in-flight batch per reader per kill (or fatal disk error)."""
        t = self.trial
        deliveries = self.sim.aperture.deliveries()
        delivered_all = {h.canon(e) for d in deliveries for e in d.events}
        lake: Counter = Counter()
        for log_type, day, rows in h.lake_partitions(self.home, "aperture"):
            h.check_rows_on_their_day(t, rows, f"aperture/{log_type} {day}", day)
            for r in rows:
                lake[h.canon(json.loads(r["raw"]))] += 1
        dups = [k for k, n in lake.items() if n > 1]
        t.check(not dups, f"aperture: {len(dups)} events more than once in the lake")
        invented = set(lake) - delivered_all
        t.check(not invented, f"aperture: {len(invented)} lake rows the API never delivered")
        quarantined = self.quarantined()
        lost = []
        for i, d in enumerate(deliveries):
            if d.dropped:
                half = d.body[: len(d.body) // 2]
                kept = any(q and half.startswith(q) or q == half for q in quarantined)
            elif d.broken:
                kept = d.body in quarantined
            else:
                kept = all(h.canon(e) in lake for e in d.events)
            if not kept:
                lost.append(i)
        # At most the batch each reader has in flight is lost per kill (or per drain stopped by a
        # full disk). With one reader that is the "one batch per kill"; with more, every
        # reader can hold a popped batch at the instant of the kill (test_regressions.py pins the
        # shipped default against the one-batch promise).
        allowed = self.readers * (self.kills + self.fatal_disk_runs)
        t.check(
            len(lost) <= allowed,
            f"aperture: {len(lost)} delivered batches neither in the lake nor in quarantine "
            f"(allowed {allowed}: {self.readers} reader(s) x ({self.kills} kill(s) + {self.fatal_disk_runs} "
            f"disk-full stop(s))); batches {lost[:5]}",
        )
        if len(lost) > self.kills + self.fatal_disk_runs:
            t.note(f"more than one batch lost per kill: {len(lost)} with {self.readers} readers")
        bodies, inbox, temps = self.spool_leftovers()
        t.check(not bodies, f"{len(bodies)} bodies left unsorted in the spool after the final drain")
        t.check(not inbox, f"{len(inbox)} inbox files left unlanded after the final landing")
        t.note(
            f"deliveries {len(deliveries)} (broken {sum(d.broken for d in deliveries)}, dropped "
            f"{sum(d.dropped for d in deliveries)}), lake {sum(lake.values())}, lost batches {len(lost)}, "
            f"temp bodies left by kills {len(temps)}"
        )
        warehouse_after(t, self.rng, self.home, self.sim.env())

    def spool_leftovers(self) -> tuple[list[str], list[str], list[str]]:
        """Bodies in the spool, files in the inbox, and temporary bodies (kills leave them locally;
        on S3 a body is one PUT, never a temporary object)."""
        if self.cluster is not None:
            storage = self.cluster.storage()
            bodies = [o.key for o in storage.list("spool/aperture/bodies") if o.key.endswith(".json")]
            inbox = [o.key for o in storage.list("spool/aperture/inbox") if o.key.endswith(".parquet")]
            return bodies, inbox, []
        spool = self.home / "spool" / "aperture"
        bodies = [str(p) for p in (spool / "bodies").glob("*.json")] if (spool / "bodies").exists() else []
        inbox = [str(p) for p in (spool / "inbox").rglob("*.parquet")] if (spool / "inbox").exists() else []
        temps = [str(p) for p in (spool / "bodies").glob(".*.tmp")] if (spool / "bodies").exists() else []
        return bodies, inbox, temps

    def quarantined(self) -> list[bytes]:
        if self.cluster is not None:
            storage = self.cluster.storage()
            return [
                storage.read_bytes(o.key)
                for o in storage.list("quarantine/aperture", recursive=False)
                if o.key.endswith(".json") and not o.key.endswith(".note.json")
            ]
        q = self.home / "quarantine" / "aperture"
        if not q.exists():
            return []
        return [
            p.read_bytes()
            for p in q.iterdir()
            if p.is_file()
            and p.name.endswith(".json")
            and not p.name.endswith(".note.json")
            and not p.name.startswith(".")
        ]

    def count_served(self, mark: int) -> None:
        for kind, n in self.tap.faults_served(mark).items():
            self.trial.fault(kind, n)


def ap_kill(trial: h.Trial, rng: random.Random) -> None:
    """SIGKILL drains at random deliveries or moments (and sometimes a landing run), then finish."""
    with AP(trial, rng) as ap:
        ap.start_reader()
        for i in range(rng.randint(1, 2)):
            r = ap.drain(f"kill{i}")
            base = len(ap.sim.aperture.deliveries())
            total = max(1, (5 * ap.cfg.aperture_backlog_per_type) // ap.bulk)
            if rng.random() < 0.7:
                k = rng.randint(1, max(1, total // 2 + 1))
                trial.note(f"kill drain {i} at delivery {k}")
                killed = h.kill_when(r, lambda base=base, k=k: len(ap.sim.aperture.deliveries()) - base >= k)
            else:
                delay = rng.uniform(1.0, 5.0)
                trial.note(f"kill drain {i} after {delay:.1f} s")
                t0 = time.monotonic()
                killed = h.kill_when(r, lambda t0=t0, delay=delay: time.monotonic() - t0 >= delay)
            if killed:
                ap.kills += 1
                trial.fault("sigkill")
            else:
                r.wait()
            ap.after_run(r)
            if rng.random() < 0.5:
                ap.sim.aperture.enqueue(n_per_type=rng.randint(5, 20), days=2)  # more arrives meanwhile
        if rng.random() < 0.5:
            r = ap.drain("drain-before-land")
            r.wait()
            ap.after_run(r)
            land = ap.land("land-kill")
            delay = rng.uniform(1.0, 8.0)
            t0 = time.monotonic()
            if h.kill_when(land, lambda: time.monotonic() - t0 >= delay):
                trial.fault("sigkill")
                trial.note(f"landing killed after {delay:.1f} s")
            else:
                land.wait()
            ap.after_run(land)
        ap.finish()
        ap.reader.finish()
        ap.check()


def ap_network(trial: h.Trial, rng: random.Random) -> None:
    """503/429/500 bursts, expired tokens, dropped and slow answers, broken JSON bodies, token endpoint outages."""
    broken = rng.choice([0.0, 0.1, 0.3])
    expires = rng.choice([3600, 3600, 2, None])
    with AP(trial, rng, aperture_broken_rate=broken, aperture_expires_in=expires) as ap:
        ap.start_reader()
        mark = ap.tap.mark()
        sched = Schedule(ap.tap, "aperture")
        total = max(2, (5 * ap.cfg.aperture_backlog_per_type) // ap.bulk)
        planned = []
        for _ in range(rng.randint(2, 5)):
            kind = rng.choice(["503", "429", "500", "401", "expire", "drop", "slow", "token503"])
            k = rng.randint(0, total)
            if kind in ("503", "429", "500"):
                n = rng.randint(1, 3)
                sched.at(k, lambda kind=kind, n=n: ap.sim.faults.add(kind, n, path="aperture"))
                planned.append(f"{kind}x{n}@{k}")
            elif kind == "401":
                sched.at(k, lambda: ap.sim.faults.add("401", 1, path="aperture"))
                planned.append(f"401@{k}")
            elif kind == "expire":
                sched.at(k, lambda: (ap.sim.aperture.expire_tokens(), trial.fault("token_expired")))
                planned.append(f"expire@{k}")
            elif kind == "drop":
                sched.at(k, lambda: ap.sim.faults.add("drop", 1, path="aperture"))
                planned.append(f"drop@{k}")
            elif kind == "slow":
                secs = rng.choice([0.3, 1.0, 2.0])
                sched.at(k, lambda secs=secs: ap.sim.faults.add("slow", 1, path="aperture", seconds=secs))
                planned.append(f"slow{secs}@{k}")
            else:
                sched.at(k, lambda: ap.sim.faults.add("503", 1, path="aperture_token"))
                planned.append(f"token503@{k}")
        trial.note("planned: " + ", ".join(planned))
        for i in range(4):
            r = ap.drain(f"net{i}")
            r.wait()
            ap.after_run(r)
            if r.rc == 0 and not ap.sim.aperture.pending():
                break
            if r.rc != 0:
                trial.note(f"drain {i} failed (allowed under faults): {_reason(r)}")
        sched.close()
        ap.sim.faults.clear()
        ap.count_served(mark)
        if broken:
            trial.fault("broken_json", len(ap.sim.aperture.broken_bodies()))
        ap.finish()
        ap.reader.finish()
        ap.check()


def ap_enospc(trial: h.Trial, rng: random.Random) -> None:
    """Disk full while spooling bodies, sorting them into the inbox, or landing them."""
    with AP(trial, rng) as ap:
        ap.start_reader()
        stage = rng.choice(["drain-home", "drain-parquet", "land-parquet"])
        at = rng.randint(1, 12)
        count = rng.choice([1, 0])
        trial.note(f"ENOSPC during {stage} at write {at}, {'once' if count else 'from then on'}")
        what = stage.split("-")[1]
        if stage.startswith("drain"):
            r = ap.drain(
                "enospc",
                ap.drain_config(in_process=True),
                enospc={"at": at, "what": what},
                LOG_ASSETS_FAULT_ENOSPC_COUNT=str(count),
            )
        else:
            d = ap.drain("drain")
            d.wait()
            ap.after_run(d)
            r = ap.land("enospc", enospc={"at": at, "what": what}, LOG_ASSETS_FAULT_ENOSPC_COUNT=str(count))
        r.wait()
        ap.after_run(r)
        if h.enospc_fired(r):
            trial.fault("enospc")
            if stage == "drain-home":
                ap.fatal_disk_runs += 1  # a body that cannot be written anywhere is the in-flight batch
        else:
            trial.note("no ENOSPC fired (fewer writes)")
        ap.finish()
        ap.reader.finish()
        ap.check()


def ap_overlap(trial: h.Trial, rng: random.Random) -> None:
    """Two drains at once (sometimes one killed), then two landings of the same days at once."""
    with AP(trial, rng) as ap:
        ap.start_reader()
        h.init_instance(ap.home)
        a = ap.drain("overlapA")
        time.sleep(rng.uniform(0.0, 2.0))
        b = ap.drain("overlapB")
        trial.fault("overlap")
        if rng.random() < 0.4:
            victim = rng.choice([a, b])
            base = len(ap.sim.aperture.deliveries())
            k = rng.randint(1, 4)
            if h.kill_when(victim, lambda: len(ap.sim.aperture.deliveries()) - base >= k):
                ap.kills += 1
                trial.fault("sigkill")
        for r in (a, b):
            if r.rc is None:
                r.wait()
            ap.after_run(r)
            if r.rc != 0 and not r.killed:
                trial.violation(f"an overlapping drain failed: {_reason(r)}")
        la, lb = ap.land("landA"), ap.land("landB")
        for r in (la, lb):
            r.wait()
            ap.after_run(r)
            trial.check(r.rc == 0, f"an overlapping landing failed: {_reason(r)}")
        trial.fault("overlap")
        ap.finish()
        ap.reader.finish()
        ap.check()


# -------------------------------------------------------------------------------- warehouse


def _warehouse_tables(home: Path) -> dict[str, list[str]]:
    from log_assets.warehouse import connect_readonly

    conn = connect_readonly(home)
    try:
        out = {}
        for schema, name in conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('forcepoint', 'aperture') ORDER BY 1, 2"
        ).fetchall():
            cols = {
                c
                for (c,) in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
                    [schema, name],
                ).fetchall()
            }
            if "event_id" in cols and not name.endswith("_current"):
                out[f"{schema}.{name}"] = [
                    r[0] for r in conn.execute(f'SELECT event_id FROM "{schema}"."{name}"').fetchall()
                ]
        out["analytics.events"] = [r[0] for r in conn.execute("SELECT event_id FROM analytics.events").fetchall()]
        return out
    finally:
        conn.close()


def check_warehouse(trial: h.Trial, home: Path) -> None:
    """Warehouse ids unique per table and equal to the lake's, and analytics.events covers them all."""
    tables = _warehouse_tables(home)
    all_ids = []
    for vendor in ("forcepoint", "aperture"):
        by_type = {log_type: set(lake_event_ids(home, vendor, log_type)) for log_type in lake_types(home, vendor)}
        for log_type, ids in by_type.items():
            key = f"{vendor}.{log_type}"
            got = tables.get(key)
            if got is None:
                trial.violation(f"warehouse has no table {key} although the lake has {len(ids)} events")
                continue
            c = Counter(got)
            dups = [k for k, n in c.items() if n > 1]
            trial.check(not dups, f"warehouse {key}: {len(dups)} event_id more than once")
            trial.check(
                set(got) == ids,
                f"warehouse {key}: {len(ids - set(got))} lake ids missing, {len(set(got) - ids)} not in the lake",
            )
            all_ids += [(vendor, log_type, i) for i in ids]
    events = tables.get("analytics.events", [])
    trial.check(
        len(events) == len(all_ids), f"analytics.events has {len(events)} rows, the per-type tables {len(all_ids)}"
    )
    trial.note(f"warehouse: {len(tables) - 1} tables checked, {len(all_ids)} ids")


def wh_kill(trial: h.Trial, rng: random.Random) -> None:
    """Build the warehouse while Forcepoint and Aperture runs write the lake; kill builds at random
    moments; a reader queries the published warehouse the whole time without an error."""
    fp_lt = rng.choice(sorted(FORCEPOINT_TYPES))
    cfg = SimConfig(
        seed=rng.randrange(1_000_000),
        days=4,
        forcepoint_events_per_day={fp_lt: rng.randint(60, 200)},
        page_size=rng.choice([20, 50]),
        quota=1_000_000,
        aperture_backlog_per_type=rng.randint(20, 60),
        long_poll=0.1,
    )
    home = trial.dir / "home"
    trial.note(f"forcepoint/{fp_lt} + aperture backlog {cfg.aperture_backlog_per_type}")
    with Simulator(cfg, port=0) as sim:
        tap = h.Tap(sim)
        env = h.cli_env(home, sim.env())
        h.init_instance(home)
        reader = h.LakeReader(trial, home, warehouse=True)
        reader.start()
        out = trial.dir / "out"

        def run(name, args):
            r = h.start(args, env, out / f"{len(trial.runs):02d}-{name}.log")
            trial.runs.append(r)
            return r

        wh_select = "key:warehouse/*"
        fp_args = h.materialize_args(f"forcepoint/{fp_lt}", h.day_str(-3), h.day_str(-2), with_executor(None, rng))
        first = [
            run("fp", fp_args),
            run("drain", h.job_args("aperture_drain", with_executor(None, rng), trial.dir / "config")),
        ]
        for r in first:
            r.wait()
            trial.check(r.rc == 0, f"set-up run failed: {_reason(r)}")
        land = run("land", h.materialize_args(AP_SELECT, h.day_str(-1), h.day_str(0), with_executor(None, rng)))
        land.wait()
        trial.check(land.rc == 0, f"set-up landing failed: {_reason(land)}")
        w0 = run("wh0", h.materialize_args(wh_select, config=with_executor(None, rng)))
        w0.wait()
        trial.check(w0.rc == 0, f"first warehouse build failed: {_reason(w0)}")
        # now write more while the warehouse builds, and kill builds at random moments
        more = run(
            "fp-more",
            h.materialize_args(f"forcepoint/{fp_lt}", h.day_str(-1), h.day_str(-1), with_executor(None, rng)),
        )
        for i in range(rng.randint(1, 2)):
            w = run(f"wh-kill{i}", h.materialize_args(wh_select, config=with_executor(None, rng)))
            delay = rng.uniform(1.0, 9.0)
            t0 = time.monotonic()
            if h.kill_when(w, lambda t0=t0, delay=delay: time.monotonic() - t0 >= delay):
                trial.fault("sigkill")
                trial.note(f"warehouse build {i} killed after {delay:.1f} s")
            else:
                w.wait()
                trial.check(w.rc == 0, f"warehouse build failed: {_reason(w)}")
        more.wait()
        trial.check(more.rc == 0, f"concurrent forcepoint run failed: {_reason(more)}")
        final = run("wh-final", h.materialize_args(wh_select, config=with_executor(None, rng)))
        final.wait()
        trial.check(final.rc == 0, f"final warehouse build failed: {_reason(final)}")
        reader.finish()
        for p in h.visible_lake_problems(home):
            trial.violation(p)
        for day in (h.day_str(-3), h.day_str(-2), h.day_str(-1)):
            h.check_forcepoint_day(trial, sim, home, fp_lt, day, "json")
        if final.rc == 0:
            check_warehouse(trial, home)
        tap.on_request = None


# ------------------------------------------------------------------------------ cluster mode
#
# The pipeline state and the lake's catalog in a PostgreSQL database, everything durable in an S3
# bucket (both fresh per trial), each CLI run a node with an empty home of its own. The faults: SIGKILL,
# the database restarting (down briefly: retried within the bound; down longer: the run fails), the
# store paused (SIGSTOP of the S3 server: every request waits, a slowdown) or cut (connections reset
# at once for a while: requests fail after the SDK's retries). "A database or object-store outage makes
# a run fail with a clear message and its position saved, or retry within a bound -- never lose or
# duplicate an event."

CLUSTER_FAULTS = ("sigkill", "db_restart", "db_restart", "store_pause", "store_cut", "store_cut")


def _plan_outage(rng: random.Random) -> tuple[str, float]:
    kind = rng.choice(CLUSTER_FAULTS)
    secs = {
        "sigkill": 0.0,
        # down 0.5 s rides through the state database's retries (5 attempts within ~4 s); 8 s does not
        "db_restart": rng.choice([0.5, 2.0, 8.0]),
        # well under the store's request timeout (60 s): requests are only late
        "store_pause": rng.choice([0.5, 2.0, 5.0]),
        # 1 s may ride through the SDK's and the pipeline's retries, 8 s does not
        "store_cut": rng.choice([1.0, 3.0, 8.0]),
    }[kind]
    return kind, secs


def _outage(cl: h.TrialCluster, kind: str, secs: float) -> None:
    {"db_restart": cl.restart_db, "store_pause": cl.pause_store, "store_cut": cl.cut_store}[kind](secs)


def _faulted(
    trial: h.Trial, cl: h.TrialCluster, start, kind: str, secs: float, sched: Schedule | None, reached, k
):
    """Start a run (`start()`) and inject the fault when `reached()` holds (SIGKILL) or at the k-th
    request the `sched` counts (an outage, started from the simulator's thread). Returns the
    finished run and whether the fault fired."""
    if kind == "sigkill":
        r = start()
        fired = h.kill_when(r, reached)
        if fired:
            trial.fault("sigkill")
        else:
            r.wait()
        return r, fired
    fired_at: list = []
    sched.at(k, lambda: (fired_at.append(time.monotonic()), _outage(cl, kind, secs)))
    r = start()
    r.wait()
    sched.close()
    cl.settle()
    return r, bool(fired_at)


def _judge(trial: h.Trial, cl: h.TrialCluster, r: h.Run, kind: str, fired: bool) -> bool:
    """After a faulted run: True when it stopped (killed, or failed on the outage). A run that failed
    must say which database or store it could not use, not only show a traceback."""
    if not fired:
        trial.note(f"{kind}: the run ended before the fault's moment (rc {r.rc})")
        return False
    if r.killed:
        return True
    if r.rc == 0:
        trial.note(f"{kind}: the run rode through the fault")
        return False
    trial.note(f"{kind}: the run failed: {_reason(r)}")
    if kind != "sigkill":
        trial.check(
            cl.outage_named(r.text()),
            f"a run failed by {kind} without naming the database or the store: {_reason(r)}",
        )
    return True


def cl_fp(trial: h.Trial, rng: random.Random, cluster) -> None:
    """A Forcepoint walk in cluster mode, every run on another node: SIGKILLs, database restarts and
    store pauses or cuts at random requests; then clean runs finish it from the saved position."""
    with FP(trial, rng) as fp:
        baseline = fp.baseline()  # locally, before the cluster's variables are set
        with h.TrialCluster(trial, cluster) as cl:
            fp.cluster = cl
            start = fp.tap.count("forcepoint", fp.lt)
            stopped = 0
            for i in range(rng.randint(2, 3)):
                kind, secs = _plan_outage(rng)
                left = baseline - (fp.tap.count("forcepoint", fp.lt) - start)
                if left < 2:
                    trial.note(f"the walk is (nearly) done: no fault {i}")
                    break
                k = rng.randint(1, left - 1)
                trial.note(f"run {i}: {kind} {secs:g} s at request {k} of the run")
                base = fp.tap.count("forcepoint", fp.lt)
                sched = Schedule(fp.tap, "forcepoint", fp.lt) if kind != "sigkill" else None
                r, fired = _faulted(
                    trial,
                    cl,
                    lambda i=i, kind=kind: fp.run(f"{kind}{i}", _fp_config(4)),
                    kind,
                    secs,
                    sched,
                    lambda base=base, k=k: fp.tap.count("forcepoint", fp.lt) - base >= k,
                    k,
                )
                fp.after_run(r)
                # A run that stops (killed, or failed on an outage) may have fetched a page whose
                # staged part or checkpoint it could not save: the next run asks for it again. A run
                # that rides through a slow store or a short database restart re-asks for nothing.
                stopped += _judge(trial, cl, r, kind, fired)
            fp.clean_run()
            fp.final_checks(fp.tap.count("forcepoint", fp.lt) - start, baseline, stopped)


def cl_ap(trial: h.Trial, rng: random.Random, cluster) -> None:
    """Aperture drains and landings in cluster mode, every run on another node: SIGKILLs, database
    restarts and store pauses or cuts at random deliveries (drains) or moments (a landing); then a
    final drain and landing."""
    broken = rng.choice([0.0, 0.1])  # some broken bodies: the quarantine on the store, byte for byte
    with AP(trial, rng, aperture_broken_rate=broken) as ap, h.TrialCluster(trial, cluster) as cl:
        ap.cluster = cl
        for i in range(rng.randint(1, 2)):
            if not ap.sim.aperture.pending():
                trial.note(f"the queue is empty: no fault {i}")
                break
            kind, secs = _plan_outage(rng)
            left = max(1, -(-ap.sim.aperture.pending() // ap.bulk))
            k = rng.randint(1, max(1, left // 2 + 1))
            trial.note(f"drain {i}: {kind} {secs:g} s at delivery {k}")
            base = len(ap.sim.aperture.deliveries())
            sched = Schedule(ap.tap, "aperture") if kind != "sigkill" else None
            r, fired = _faulted(
                trial,
                cl,
                lambda i=i, kind=kind: ap.drain(f"{kind}{i}"),
                kind,
                secs,
                sched,
                lambda base=base, k=k: len(ap.sim.aperture.deliveries()) - base >= k,
                k,
            )
            ap.after_run(r)
            if _judge(trial, cl, r, kind, fired):
                if r.killed:
                    ap.kills += 1
                elif "could not be written to the spool" in r.text():
                    # a popped batch the store would not take exists nowhere else: like a full disk
                    ap.fatal_disk_runs += 1
            if rng.random() < 0.5:
                ap.sim.aperture.enqueue(n_per_type=rng.randint(5, 20), days=2)  # more arrives meanwhile
        if ap.sim.aperture.broken_bodies():
            trial.fault("broken_json", len(ap.sim.aperture.broken_bodies()))
        if rng.random() < 0.5:  # a faulted landing of what the drains sorted into the inbox so far
            kind, secs = _plan_outage(rng)
            delay = rng.uniform(2.0, 10.0)
            trial.note(f"landing: {kind} {secs:g} s after {delay:.1f} s")
            land = ap.land(f"land-{kind}")
            t0 = time.monotonic()
            fired = h.kill_when(land, lambda: time.monotonic() - t0 >= delay) if kind == "sigkill" else False
            if kind == "sigkill":
                if fired:
                    trial.fault("sigkill")
                else:
                    land.wait()
            else:
                while land.running() and time.monotonic() - t0 < delay:
                    time.sleep(0.01)
                if land.running():
                    fired = True
                    _outage(cl, kind, secs)
                land.wait()
                cl.settle()
            ap.after_run(land)
            _judge(trial, cl, land, kind, fired)
        ap.finish()
        ap.check()


CLUSTER_KINDS = ("cl_fp", "cl_ap")  # their trials take the session's cluster (tests/infra/cluster.py)


# The kinds, in the order short mode runs them (one each).
KINDS = {
    "fp_kill": fp_kill,
    "fp_network": fp_network,
    "fp_quota": fp_quota,
    "fp_enospc": fp_enospc,
    "fp_overlap": fp_overlap,
    "ap_kill": ap_kill,
    "ap_network": ap_network,
    "ap_enospc": ap_enospc,
    "ap_overlap": ap_overlap,
    "wh_kill": wh_kill,
    "cl_fp": cl_fp,
    "cl_ap": cl_ap,
}
KINDS.update(INPUT_KINDS)  # what tenants send and operators do (inputs.py)
KIND_NAMES = list(KINDS)


def kind_of(seed: int) -> str:
    return KIND_NAMES[seed % len(KIND_NAMES)]


def run_trial(trial: h.Trial, cluster=None) -> None:
    """`cluster`: the session's servers (tests/infra/cluster.py), for the cluster kinds."""
    rng = random.Random(trial.seed)
    if trial.kind in CLUSTER_KINDS:
        KINDS[trial.kind](trial, rng, cluster)
    else:
        KINDS[trial.kind](trial, rng)
