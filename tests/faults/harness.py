"""Shared machinery of the fault suite: real Dagster CLI runs in subprocesses, a request tap on the
simulator, a concurrent reader, and invariant checks against the simulator's ground truth.

Nothing here reaches into production code paths: faults come from the simulator, from SIGKILL of
the CLI's process group, from `enospc_cli.py`, a wrapper that fails Parquet writes, and in cluster
mode from the test servers themselves (PostgreSQL restarted, the S3 server paused) and from a TCP
proxy in front of the S3 server that resets connections.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq

# the CLI runs (re-exported: the trials call them as h.cli_env, h.materialize_args, h.job_args)
from tests.infra.dagster_cli import PY, ROOT, dagster_cmd
from tests.infra.dagster_cli import cli_env as cli_env
from tests.infra.dagster_cli import job_args as job_args
from tests.infra.dagster_cli import materialize_args as materialize_args
from tests.lakeview import lake_days, lake_table, lake_types

HERE = Path(__file__).resolve().parent
ENOSPC_CLI = HERE / "enospc_cli.py"

RUN_TIMEOUT = 180.0  # seconds any one CLI run may take before it counts as hung

# Run config that keeps retries quick (the defaults back off for seconds) and runs the step in
# the CLI's own process, so that the ENOSPC wrapper's patches apply to it.
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}
# Run config that runs every step in a child process (without it, a single-step run executes in-process:
# log_assets/defs/executor.py).
MULTIPROCESS = {"execution": {"config": {"multiprocess": {}}}}


def day_str(offset: int) -> str:
    return (datetime.now(UTC) + timedelta(days=offset)).strftime("%Y-%m-%d")


def canon(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


# ------------------------------------------------------------------------------ code location


# --------------------------------------------------------------------------------- the ledger


@dataclass
class Ledger:
    """What the randomized trials did: printed at the end of the session."""

    trials: list = field(default_factory=list)
    faults: Counter = field(default_factory=Counter)
    violations: list = field(default_factory=list)

    def summary(self) -> str:
        kinds = ", ".join(f"{k}={n}" for k, n in sorted(self.faults.items())) or "none"
        secs = sum(t.get("seconds", 0) for t in self.trials)
        return (
            f"fault suite: {len(self.trials)} trials in {secs:.0f} s; "
            f"faults injected: {sum(self.faults.values())} "
            f"({kinds}); violations: {len(self.violations)}"
        )


@dataclass
class Trial:
    """One randomized trial: its seed, the faults it injected and the violations it found."""

    seed: int
    kind: str
    dir: Path
    faults: Counter = field(default_factory=Counter)
    violations: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    runs: list = field(default_factory=list)

    def fault(self, kind: str, n: int = 1) -> None:
        self.faults[kind] += n

    def violation(self, text: str) -> None:
        self.violations.append(text)

    def check(self, ok: bool, text: str) -> None:
        if not ok:
            self.violation(text)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def record(self) -> dict:
        return {
            "seed": self.seed,
            "kind": self.kind,
            "faults": dict(self.faults),
            "violations": self.violations,
            "notes": self.notes,
            "runs": [r.describe() for r in self.runs],
        }


# ------------------------------------------------------------------------------- request tap


class Tap:
    """Every request that reaches the simulator, with the fault (if any) it was answered with.

    The server asks `faults.take` once for every API request before answering it, so wrapping it
    sees them all, faulted ones included (the simulator's own quota count leaves those out).
    """

    def __init__(self, sim):
        self.sim = sim
        self.log: list[tuple[float, str, str | None, str | None]] = []  # (time, area, log type, fault)
        self._lock = threading.Lock()
        self._orig = sim.faults.take
        self.on_request: Callable[[], None] | None = None

        def take(area, path, log_type):
            f = self._orig(area, path, log_type)
            with self._lock:
                self.log.append((time.monotonic(), area, log_type, f.kind if f else None))
            if self.on_request is not None:
                self.on_request()
            return f

        sim.faults.take = take

    def count(self, area: str = "forcepoint", log_type: str | None = None, since: int = 0) -> int:
        with self._lock:
            return sum(1 for _, a, t, _ in self.log[since:] if a == area and (log_type is None or t == log_type))

    def mark(self) -> int:
        with self._lock:
            return len(self.log)

    def entries(self, since: int = 0) -> list:
        with self._lock:
            return list(self.log[since:])

    def faults_served(self, since: int = 0) -> Counter:
        return Counter(f for _, _, _, f in self.entries(since) if f)


# ---------------------------------------------------------------------------------- CLI runs


@dataclass
class Run:
    cmd: list
    out: Path
    proc: subprocess.Popen
    started: float
    killed: bool = False
    rc: int | None = None
    seconds: float = 0.0

    def wait(self, timeout: float = RUN_TIMEOUT) -> int:
        try:
            self.rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(self.proc)
            self.rc = self.proc.wait()
            self.killed = True
            self.rc = -999  # hung
        self.seconds = time.monotonic() - self.started
        return self.rc

    def running(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        kill_group(self.proc)
        self.proc.wait()
        self.killed = True
        self.rc = self.proc.returncode
        self.seconds = time.monotonic() - self.started

    def text(self) -> str:
        try:
            return self.out.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, n: int = 2500) -> str:
        return self.text()[-n:]

    def describe(self) -> dict:
        return {
            "cmd": " ".join(str(c) for c in self.cmd[3:]),
            "rc": self.rc,
            "killed": self.killed,
            "seconds": round(self.seconds, 1),
        }


def kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def init_instance(home: Path) -> None:
    """Create the Dagster instance's sqlite storage before runs start at once: two CLI processes on
    a brand-new DAGSTER_HOME race to create the same tables (a Dagster matter, not the pipeline's;
    a deployed instance already has them)."""
    import dagster as dg

    dh = home / "dagster_home"
    dh.mkdir(parents=True, exist_ok=True)
    with dg.DagsterInstance.from_config(str(dh)) as inst:
        inst.get_runs(limit=1)


def start(args: list[str], env: dict, out: Path, enospc: dict | None = None) -> Run:
    """Start `dagster ARGS` in a new session; output goes to `out`.

    With `enospc` ({"at": n, "what": "parquet" | "spool"}), the CLI runs under the wrapper that
    makes the n-th such write fail with ENOSPC.
    """
    if enospc:
        env = {
            **env,
            "LOG_ASSETS_FAULT_ENOSPC_AT": str(enospc["at"]),
            "LOG_ASSETS_FAULT_ENOSPC_WHAT": enospc["what"],
            "LOG_ASSETS_FAULT_ENOSPC_MARK": str(out) + ".enospc",
        }
        cmd = [PY, str(ENOSPC_CLI), *args]
    else:
        cmd = dagster_cmd(args)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as f:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
    return Run(cmd, out, proc, time.monotonic())


def enospc_fired(run: Run) -> bool:
    return Path(str(run.out) + ".enospc").exists()


def kill_when(run: Run, predicate: Callable[[], bool], timeout: float = 120.0, poll: float = 0.002) -> bool:
    """SIGKILL the run's process group as soon as `predicate()` holds. False if the run ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            if not run.running():
                return False
            run.kill()
            return True
        if not run.running():
            return False
        time.sleep(poll)
    run.kill()  # never leave it running; the trial then reports the timeout
    return True


# ---------------------------------------------------------------------------------- the lake


VENDORS = ("forcepoint", "aperture")
LAKE_COLUMNS = ("event_id", "event_time", "raw")


def lake_rows(home: Path, vendor: str, log_type: str, day: str, columns=LAKE_COLUMNS) -> list[dict]:
    """A day's lake rows (nothing for a day the lake does not hold)."""
    return lake_table(home, vendor, log_type, [day], list(columns)).to_pylist()


def lake_partitions(home: Path, vendor: str, columns=LAKE_COLUMNS) -> Iterator[tuple[str, str, list[dict]]]:
    """(log type, day, its rows) for every day of the vendor's lake that holds rows."""
    for log_type in lake_types(home, vendor):
        for day in lake_days(home, vendor, log_type):
            yield log_type, day, lake_rows(home, vendor, log_type, day, columns)


def visible_lake_problems(home: Path) -> list[str]:
    """Anything a reader of the lake's current snapshots would trip on: a data file a table's snapshot
    names that is missing, unreadable, or holds other rows than its manifest entry says (a commit that
    pointed at a file not yet whole). Looks at the files the catalog names, not through tests.lakeview."""
    from log_assets.lake.lake import Lake

    problems = []
    with Lake.for_home(home) as lake:
        for vendor, log_type in lake.tables():
            tbl = lake.table(vendor, log_type)
            if tbl is None or tbl.current_snapshot() is None:
                continue
            for task in tbl.scan().plan_files():
                f = task.file
                key = lake.storage.key_of(f.file_path)
                where = f"{vendor}.{log_type}: {key or f.file_path}"
                try:
                    with lake.storage.fs.open_input_file(lake.storage.fs_path(key or "")) as fh:
                        md = pq.ParquetFile(fh).metadata
                except Exception as e:  # noqa: BLE001 - any read failure is a partial/corrupt file
                    problems.append(
                        f"data file of the current snapshot unreadable: {where}: {type(e).__name__}: {e}"
                    )
                    continue
                if md.num_rows != f.record_count:
                    problems.append(
                        f"data file holds {md.num_rows} rows, its manifest says {f.record_count}: {where}"
                    )
    return problems


def check_rows_on_their_day(trial: Trial, rows: list[dict], where: str, day: str) -> None:
    off = [r["event_id"] for r in rows if r["event_time"].astimezone(UTC).strftime("%Y-%m-%d") != day]
    trial.check(not off, f"{where}: {len(off)} row(s) whose event_time is not on {day}, e.g. {off[:2]}")


def forcepoint_truth(sim, log_type: str, day: str, fmt: str) -> Counter:
    """The day's distinct events as the API serves them, each once (CSV: as a CSV reader reads them)."""
    return Counter(canon(r) for r in sim.forcepoint.distinct_events(log_type, day=day, fmt=fmt))


def check_forcepoint_day(trial: Trial, sim, home: Path, log_type: str, day: str, fmt: str) -> int:
    """Every event of the finished day exactly once, by content (`raw`), and nothing else."""
    rows = lake_rows(home, "forcepoint", log_type, day)
    where = f"forcepoint/{log_type} {day}"
    ids = Counter(r["event_id"] for r in rows)
    dup_ids = [k for k, n in ids.items() if n > 1]
    trial.check(not dup_ids, f"{where}: event_id duplicated in the lake: {dup_ids[:3]}")
    got = Counter(canon(json.loads(r["raw"])) for r in rows)
    want = forcepoint_truth(sim, log_type, day, fmt)
    if not want:
        trial.violation(f"{where}: the simulator has no events that day (the trial proves nothing)")
    missing = want - got
    extra = got - want
    trial.check(
        not missing, f"{where}: {sum(missing.values())} of {sum(want.values())} events missing from the lake"
    )
    trial.check(not extra, f"{where}: {sum(extra.values())} rows not (or not once) in the ground truth")
    check_rows_on_their_day(trial, rows, where, day)
    return len(rows)


# ------------------------------------------------------------------------------ reader thread


class LakeReader(threading.Thread):
    """Reads every partition of the lake (and the warehouse, once it exists) in a loop while runs write.

    A read that succeeds must be sane: readable files, no event_id twice in a day, every row on its
    day. A file that vanishes between listing and opening (a partition swapped under us) is counted
    and read again on the next pass; anything else is a violation.
    """

    def __init__(
        self, trial: Trial, home: Path, warehouse: bool = False, period: float = 0.05, max_seconds: float = 600
    ):
        super().__init__(daemon=True, name="lake-reader")
        self.trial = trial
        self.home = home
        self.warehouse = warehouse
        self.period = period
        self.deadline = time.monotonic() + max_seconds
        self.stop_event = threading.Event()
        self.passes = 0
        self.vanished = 0
        self.warehouse_reads = 0
        self.errors: list[str] = []

    def run(self) -> None:
        while not self.stop_event.is_set() and time.monotonic() < self.deadline:
            try:
                self._pass()
            except Exception as e:  # noqa: BLE001 - reported, not raised from a thread
                self.errors.append(f"reader pass failed: {type(e).__name__}: {e}")
            self.passes += 1
            self.stop_event.wait(self.period)

    def _pass(self) -> None:
        for vendor in VENDORS:
            for log_type in lake_types(self.home, vendor):
                try:
                    days = lake_days(self.home, vendor, log_type)
                except FileNotFoundError:
                    self.vanished += 1
                    continue
                except Exception as e:  # noqa: BLE001
                    self.errors.append(f"reader: {vendor}/{log_type}: {type(e).__name__}: {e}")
                    continue
                for day in days:
                    where = f"{vendor}/{log_type} {day}"
                    try:
                        rows = lake_rows(self.home, vendor, log_type, day, columns=("event_id", "event_time"))
                    except FileNotFoundError:
                        self.vanished += 1
                        continue
                    except Exception as e:  # noqa: BLE001
                        self.errors.append(f"reader: {where}: {type(e).__name__}: {e}")
                        continue
                    ids = Counter(r["event_id"] for r in rows)
                    dup = [k for k, n in ids.items() if n > 1]
                    if dup:
                        self.errors.append(f"reader saw event_id twice in {where}: {dup[:2]}")
                    off = [r for r in rows if r["event_time"].astimezone(UTC).strftime("%Y-%m-%d") != day]
                    if off:
                        self.errors.append(f"reader saw {len(off)} rows off their day in {where}")
        if self.warehouse and (self.home / "warehouse.duckdb").exists():
            from log_assets.warehouse import connect_readonly

            try:
                conn = connect_readonly(self.home)
                try:
                    tables = conn.execute(
                        "SELECT table_schema, table_name FROM information_schema.tables "
                        "WHERE table_schema IN ('forcepoint', 'aperture') AND table_type = 'BASE TABLE'"
                    ).fetchall()
                    for schema, name in tables:
                        if name.endswith("_current"):
                            continue
                        n, distinct = conn.execute(
                            f'SELECT count(*), count(DISTINCT event_id) FROM "{schema}"."{name}"'
                        ).fetchone()
                        if n != distinct:
                            self.errors.append(
                                f"reader saw duplicate event_id in warehouse {schema}.{name}: "
                                f"{n} rows, {distinct} ids"
                            )
                    conn.execute("SELECT count(*) FROM analytics.events").fetchone()
                finally:
                    conn.close()
                self.warehouse_reads += 1
            except Exception as e:  # noqa: BLE001 - a reader must never get an error
                self.errors.append(f"warehouse reader: {type(e).__name__}: {e}")

    def finish(self) -> None:
        self.stop_event.set()
        self.join(timeout=30)
        for e in self.errors[:5]:
            self.trial.violation(e)
        if len(self.errors) > 5:
            self.trial.violation(f"... and {len(self.errors) - 5} more reader errors")
        self.trial.note(
            f"reader: {self.passes} passes, {self.vanished} files swapped out mid-read, "
            f"{self.warehouse_reads} warehouse reads"
        )


# ------------------------------------------------------------------------------ cluster mode


class StoreProxy:
    """A TCP proxy on 127.0.0.1 in front of the S3 server, which the CLI runs of a cluster trial talk
    to. `cut(seconds)` is an outage that fails requests at once: it closes every open connection and,
    for `seconds`, resets every new one (a paused server only makes requests wait, up to the store's
    request timeout of a minute, too long for a trial). The trial's own checks reach the S3 server
    directly, not through the proxy."""

    def __init__(self, upstream_port: int):
        import socket

        self.upstream = ("127.0.0.1", upstream_port)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.down_until = 0.0
        self.reset = 0  # connections closed or refused by cuts
        self._open: set = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="store-proxy").start()

    def _accept(self) -> None:
        import socket

        while not self._closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if time.monotonic() < self.down_until:
                self._abort(client)
                with self._lock:
                    self.reset += 1
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=10)
                upstream.settimeout(None)
            except OSError:
                self._abort(client)
                continue
            with self._lock:
                self._open.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src, dst) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(2)
            with self._lock:
                self._open.discard(src)
                self._open.discard(dst)

    @staticmethod
    def _abort(s) -> None:
        import socket
        import struct

        with contextlib.suppress(OSError):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST, not FIN
            s.close()

    def cut(self, seconds: float) -> None:
        self.down_until = time.monotonic() + seconds
        with self._lock:
            victims = list(self._open)
            self.reset += len(victims) // 2
        for s in victims:
            with contextlib.suppress(OSError):
                s.shutdown(2)

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self.sock.close()
        self.cut(0)


class TrialCluster:
    """A cluster for one trial: a fresh database and a fresh bucket (a `Space`) on the session's
    servers (tests/infra/cluster.py). Inside `with`, this process's environment points at them (the
    checks read the lake through its catalog, `Lake.for_home`, which follows it); `env` is what the CLI
    runs get, with the store reached through a `StoreProxy`. Faults: `restart_db`, `pause_store`,
    `cut_store`, each started in a thread of its own (they are triggered from the simulator's request
    handler, which must not be held up) and joined by `settle()`."""

    VARS = ("LOG_ASSETS_DATABASE_URL", "LOG_ASSETS_STORAGE_URL", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")

    def __init__(self, trial: Trial, cluster):
        self.trial = trial
        self.postgres = cluster.postgres
        self.s3 = cluster.s3
        self.space = cluster.fresh("root")
        self.database_url = self.space.database_url
        self.storage_url = self.space.storage_url
        self.direct = self.space.env()
        self.proxy = StoreProxy(self.s3.port)
        self.env = {**self.direct, "AWS_ENDPOINT_URL": self.proxy.endpoint}
        self._threads: list[threading.Thread] = []
        self._paused = False
        self._saved: dict | None = None

    def __enter__(self) -> TrialCluster:
        self._saved = dict(os.environ)
        for k in list(os.environ):
            if k in self.VARS or k.startswith("AWS_"):
                del os.environ[k]
        os.environ.update(self.direct)
        return self

    def __exit__(self, *exc) -> None:
        self.settle()
        if self._paused:
            self.s3.resume()
        self.proxy.close()
        os.environ.clear()
        os.environ.update(self._saved or {})

    def storage(self):
        return self.space.storage()

    def _spawn(self, fn) -> None:
        t = threading.Thread(target=fn, daemon=True, name="cluster-fault")
        self._threads.append(t)
        t.start()

    def restart_db(self, down_for: float) -> None:
        self.trial.fault("db_restart")
        self._spawn(lambda: self.postgres.restart(down_for=down_for))

    def pause_store(self, seconds: float) -> None:
        self.trial.fault("store_pause")

        def pause():
            self._paused = True
            self.s3.pause()
            try:
                time.sleep(seconds)
            finally:
                self.s3.resume()
                self._paused = False

        self._spawn(pause)

    def cut_store(self, seconds: float) -> None:
        self.trial.fault("store_cut")
        self.proxy.cut(seconds)

    def settle(self) -> None:
        """Wait for the faults in progress to end (the database up again, the store answering)."""
        for t in self._threads:
            t.join(timeout=120)
        self._threads.clear()
        self.proxy.down_until = 0.0

    def outage_named(self, text: str) -> bool:
        """Whether the error a failed run ended with names the database or the store it could not use
        (the exception line under Dagster's "Error occurred while executing op", or a Failure; the
        retry warnings before it do not count)."""
        lines = text.splitlines()
        errors = [ln for ln in lines if "events.Failure: " in ln]
        for i, ln in enumerate(lines):
            if "Error occurred while executing op" in ln:
                errors += [x for x in lines[i + 1 : i + 4] if x.strip()][:1]
        names = ("pipeline-state database", self.database_url, self.storage_url, self.proxy.endpoint)
        return bool(errors) and all(any(n in e for n in names) for e in errors)
