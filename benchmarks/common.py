"""What every benchmark shares: the simulator process, measured child processes, result rows."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil

from tests.infra.cluster import Cluster

# the CLI runs' environments and command lines, as the tests build them (re-exported for the benchmarks)
from tests.infra.dagster_cli import PY, ROOT, clean_env, cli_env, dagster_cmd, materialize_args

# --------------------------------------------------------------------------------- results


@dataclass
class Figure:
    """One line of the table. `value` goes to results.json under `key`."""

    key: str
    label: str
    value: float | None
    unit: str
    baseline: str = ""
    ratio: float | None = None
    goal: str = ""
    met: bool | None = None  # None: no goal on this line
    note: str = ""
    unavailable: str = ""  # why the figure could not be measured

    @property
    def status(self) -> str:
        if self.unavailable:
            return "N/A"
        if self.met is None:
            return ""
        return "MET" if self.met else "MISSED"

    def value_text(self, width: int | None = None) -> str:
        if self.unavailable:
            text = f"not available: {self.unavailable}"
            return text if width is None or len(text) <= width else text[: width - 1] + "…"
        return f"{fmt_num(self.value)} {self.unit}".strip()


def fmt_num(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) >= 100):
        return f"{int(v):,}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"


def unavailable(key: str, label: str, why: str, goal: str = "") -> Figure:
    return Figure(key, label, None, "", goal=goal, unavailable=why)


# ---------------------------------------------------------------------------- environments


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A temporary LOG_ASSETS_HOME (with its DAGSTER_HOME), removed afterwards."""
    d = Path(tempfile.mkdtemp(prefix=f"log-assets-bench-{prefix}-"))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def dagster_env(home: Path, sim_env: dict[str, str], **extra: str) -> dict[str, str]:
    """A CLI run's environment on `home`, with the project's instance settings (tests/infra/dagster_cli.py)."""
    return cli_env(home, sim_env, {k: str(v) for k, v in extra.items()}, instance_settings=True)


def materialize_cmd(select: str, partition: str | None = None, partition_range: str | None = None) -> list[str]:
    return dagster_cmd(materialize_args(select, partition, partition_range=partition_range))


def utc_midnight(days_back: int = 0) -> datetime:
    now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return now - timedelta(days=days_back)


def day_name(d: datetime) -> str:
    return d.strftime("%Y-%m-%d")


# ------------------------------------------------------------------------------- simulator


class SimProcess:
    """`python -m log_assets.simulator` in its own process (it must not share our GIL)."""

    def __init__(self, *args: str, log: Path | None = None):
        self.args = ["--port", "0", *args]
        self.log = log
        self.proc: subprocess.Popen | None = None
        self.env: dict[str, str] = {}
        self._probes: dict[str, int] = {}

    def __enter__(self) -> SimProcess:
        self.proc = subprocess.Popen(
            [PY, "-m", "log_assets.simulator", *self.args],
            cwd=ROOT,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        lines = []
        deadline = time.monotonic() + 120
        for line in self.proc.stdout:  # the banner ends with "Ctrl-C stops it."
            lines.append(line)
            key, eq, value = line.strip().partition("=")
            if eq and key.isupper():
                self.env[key] = value
            if line.startswith("Ctrl-C"):
                break
            if time.monotonic() > deadline:
                break
        if "FORCEPOINT_API_URL" not in self.env:
            self.stop()
            raise RuntimeError("simulator did not start:\n" + "".join(lines))
        # Keep draining its output so it never blocks on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()
        return self

    def _drain(self) -> None:
        for _ in self.proc.stdout:
            pass

    @property
    def pid(self) -> int:
        return self.proc.pid

    def forcepoint_env(self, fmt: str = "json") -> dict[str, str]:
        return {
            "FORCEPOINT_API_URL": self.env["FORCEPOINT_API_URL"],
            "FORCEPOINT_API_TOKEN": self.env["FORCEPOINT_API_TOKEN"],
            "FORCEPOINT_RESPONSE_FORMAT": fmt,
        }

    def aperture_env(self) -> dict[str, str]:
        return {k: self.env[k] for k in ("APERTURE_API_URL", "APERTURE_CLIENT_ID", "APERTURE_CLIENT_SECRET")}

    def requests_counted(self, log_type: str) -> int:
        """Requests the server has counted against the type's quota today, read from the server.

        Asks once with a wrong token: the simulator counts every request naming a valid type (as
        the real API does) and answers X-RateLimit-Remaining; the probes themselves are subtracted.
        """
        import requests

        r = requests.get(
            self.env["FORCEPOINT_API_URL"],
            params={"type": log_type, "startdate": "2020-01-01T00:00:00Z"},
            headers={"Authorization": "Bearer not-the-token"},
            timeout=30,
        )
        self._probes[log_type] = self._probes.get(log_type, 0) + 1
        limit, left = int(r.headers["X-RateLimit-Limit"]), int(r.headers["X-RateLimit-Remaining"])
        return limit - left - self._probes[log_type]

    def stop(self) -> None:
        p, self.proc = self.proc, None
        if p is None or p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def __exit__(self, *exc) -> None:
        self.stop()


# ------------------------------------------------------------------------- measured children


@dataclass
class Measured:
    rc: int
    seconds: float
    peak_rss: int  # bytes: the largest single process of the command's tree (kernel figure)
    peaks: dict = field(default_factory=dict)  # pid -> (sampled peak RSS bytes, short command line)
    log: str = ""
    cpu: float = float("nan")  # seconds of CPU (user + system) of the command's whole process tree

    def largest(self) -> tuple[int, str]:
        if not self.peaks:
            return 0, ""
        return max(self.peaks.values())

    def check(self, what: str) -> Measured:
        if self.rc != 0:
            raise RuntimeError(f"{what} failed (exit {self.rc}):\n{self.log[-4000:]}")
        return self


def _describe(p: psutil.Process) -> str:
    try:
        cmd = p.cmdline()
    except psutil.Error:
        return "?"
    text = " ".join(cmd)
    if "multiprocessing" in text or "spawn_main" in text:
        return "dagster step process"
    if "dagster" in text:
        return "dagster CLI process"
    return " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd[:4]))


def measure(
    cmd: list[str],
    env: dict[str, str],
    log: Path,
    cwd: Path = ROOT,
    timeout: float = 1800,
    sample_every: float = 0.05,
) -> Measured:
    """Run `cmd` to its end; wall time and peak RSS (exact, via benchmarks.rusage) plus sampled
    per-process peaks (psutil) to tell which process was the largest."""
    out = log.with_suffix(".rusage.json")
    with open(log, "wb") as lf:
        proc = subprocess.Popen(
            [PY, "-m", "benchmarks.rusage", str(out), "--", *cmd],
            cwd=cwd,
            env=env,
            stdout=lf,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        peaks = _sample(proc, sample_every, timeout)
    data = (
        json.loads(out.read_text())
        if out.exists()
        else {"rc": proc.returncode, "seconds": float("nan"), "peak_rss_bytes": 0}
    )
    text = log.read_text(errors="replace")
    return Measured(
        data["rc"], data["seconds"], data["peak_rss_bytes"], peaks, text, data.get("cpu_seconds", float("nan"))
    )


def _sample(proc: subprocess.Popen, every: float, timeout: float) -> dict:
    peaks: dict[int, tuple[int, str]] = {}
    deadline = time.monotonic() + timeout
    try:
        root = psutil.Process(proc.pid)
    except psutil.Error:
        proc.wait()
        return peaks
    while proc.poll() is None:
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise TimeoutError(f"gave up after {timeout:.0f}s")
        try:
            kids = root.children(recursive=True)
        except psutil.Error:
            kids = []
        for p in kids:
            try:
                rss = p.memory_info().rss
            except psutil.Error:
                continue
            old = peaks.get(p.pid)
            if old is None:
                peaks[p.pid] = (rss, _describe(p))
            elif rss > old[0]:
                peaks[p.pid] = (rss, old[1])
        time.sleep(every)
    return peaks


def mib(n: int) -> float:
    return n / (1024 * 1024)


# ------------------------------------------------------------------------------- cluster mode


CLUSTER_NOTE = "state and catalog in PostgreSQL, files on the S3 server (moto), both on this machine"


def failed(e: BaseException) -> str:
    """A cluster-mode measurement that failed (a wrong answer included), as its rows' reason; the
    traceback is printed and the local rows beside it are kept."""
    traceback.print_exc()
    text = str(e).strip()
    return f"failed: {type(e).__name__}: {text.splitlines()[0] if text else ''}"[:300]


@contextmanager
def env_set(env: dict[str, str]) -> Iterator[None]:
    """`env` set in this process's environment meanwhile (the lake helpers below follow
    LOG_ASSETS_DATABASE_URL, LOG_ASSETS_STORAGE_URL and AWS_* from it), restored after."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class Mode:
    quick: bool
    work: Path  # logs of every measured command are kept here
    direct: bool = False  # also time the Forcepoint walk without Dagster
    # the cluster-mode rows' servers, one for the run (tests/infra/cluster.py)
    cluster: Cluster = field(default_factory=lambda: Cluster(announce=say))

    def log(self, name: str) -> Path:
        self.work.mkdir(parents=True, exist_ok=True)
        return self.work / f"{name}.log"


def say(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------------------------- the lake
#
# Benchmarks import only log_assets and themselves, so these are the functions of tests/lakeview.py
# that they use, of the same shapes: the lake read and written through its Iceberg catalog.


def lake_days(home, vendor: str, log_type: str) -> dict[str, int]:
    """Day ('YYYY-MM-DD') -> the rows it holds, for the days that hold rows (from the manifests)."""
    from log_assets.lake.lake import Lake

    with Lake.for_home(home) as lake:
        return {d.isoformat(): s.rows for d, s in lake.days(vendor, log_type).items() if s.rows}


def lake_event_ids(home, vendor: str, log_type: str, day: str | None = None) -> list[str]:
    """The event ids of a day (of every day when None)."""
    from datetime import date

    from log_assets.lake.lake import Lake

    with Lake.for_home(home) as lake:
        days = None if day is None else [date.fromisoformat(day)]
        return lake.read_days(vendor, log_type, days, ["event_id"]).column("event_id").to_pylist()


def write_lake_day(home, vendor: str, log_type: str, day: str, table) -> None:
    """Make `day` hold exactly `table`'s rows (`table`: the lake's columns), in one commit."""
    from datetime import date

    from log_assets.lake.lake import Lake

    with Lake.for_home(home) as lake:
        lake.replace_days(vendor, log_type, table, [date.fromisoformat(day)])


def sim_truth(args: list[str]):
    """The simulator a `python -m log_assets.simulator ARGS` process serves, built here (not started)
    for its ground truth: the very same config the command line makes."""
    from log_assets.simulator import Simulator
    from log_assets.simulator.cli import config_from, parser

    return Simulator(config_from(parser().parse_args(["--port", "0", *args])))
