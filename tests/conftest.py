"""Fixtures shared by every test package."""

import fcntl
import gc
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def dagster_instance():
    """A persistent, temporary DagsterInstance (sqlite under a temp dir that is deleted afterwards).

    Entering a DagsterInstance installs its defs-state storage in a ContextVar that Dagster reads
    whenever a `Definitions` is turned into a repository (`get_job_def`, `get_repository_def`, ...);
    leaving it resets the ContextVar with a token. `build_schedule_context(instance=...)` does not
    keep this instance: it keeps a ref and, on first use of `context.instance`, enters a *second*
    instance (`DagsterInstance.from_ref`) into its own ExitStack, which is closed only when the
    context is used as `with build_schedule_context(...) as context:`. A context left open is
    closed by the garbage collector whenever it gets round to it: after this temp dir is gone,
    often during a later test, and its token reset then re-installs *this* instance's storage,
    so the next Definitions load opens `<deleted tmp>/history/runs.db` ("unable to open database
    file"). Tests should close their contexts; collecting here, while this instance is still
    open, makes any context they forgot unwind now, in order (LIFO), instead of in a later test.
    """
    with dg.instance_for_test() as instance:
        yield instance
        gc.collect()


@pytest.fixture
def state_store(tmp_path):
    """The pipeline state of a home at `tmp_path`, as a run opens it without LOG_ASSETS_DATABASE_URL:
    the SQLite file `tmp_path/log_assets.db`. Closed after the test."""
    from log_assets.state import StateStore

    with StateStore.open(tmp_path, environ={}) as store:
        yield store


@pytest.fixture(scope="session")
def demo_made(tmp_path_factory) -> Path:
    """A folder where `make demo` ran as on a fresh clone: the real pipeline through Dagster on the
    built-in simulator (seven days of every Forcepoint type, the Aperture drain, the warehouse),
    started in this folder with Make's LOG_ASSETS_HOME=./data and DAGSTER_HOME=./data/dagster_home, so
    the demo chose its own home, ./data-demo. Small volumes, so that it takes about 15 s. Read-only
    for the tests (copy it to change it).

    Built once per `make test`, not once per worker: the first worker that needs it builds it under
    the run's shared temporary folder while holding a lock there; the others wait and reuse it."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if base.name.startswith("popen-gw") else base  # xdist: one folder per worker
    root = shared / "demo-made"
    with open(shared / "demo-made.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (shared / "demo-made.built").exists():
            return root
        shutil.rmtree(root, ignore_errors=True)  # a build that failed in another worker
        root.mkdir()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("LOG_ASSETS_", "DAGSTER_", "FORCEPOINT_", "APERTURE_"))
        }
        env.update(
            LOG_ASSETS_HOME=str(root / "data"),
            DAGSTER_HOME=str(root / "data" / "dagster_home"),
            LOG_ASSETS_DEMO_EVENTS_PER_DAY="150",
            LOG_ASSETS_DEMO_APERTURE_EVENTS="60",
            PYTHONPATH=str(ROOT),
        )
        proc = subprocess.run(
            [sys.executable, "-m", "log_assets.demo"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=400,
        )
        (shared / "demo-made.out").write_text(proc.stdout)  # what `make demo` printed (`demo_output`)
        output = f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        assert proc.returncode == 0, f"make demo failed:\n{output}"
        assert (root / "data-demo" / "warehouse.duckdb").exists(), output
        (shared / "demo-made.built").touch()
    return root


@pytest.fixture(scope="session")
def demo_output(demo_made) -> str:
    """What `make demo` printed on its standard output (`demo_made`), its closing summary included."""
    return (demo_made.parent / "demo-made.out").read_text()


@pytest.fixture(scope="session")
def warehouse_home(demo_made) -> Path:
    """The $LOG_ASSETS_HOME `make demo` filled (`demo_made`): lake, state, spool and the warehouse.
    Read-only for the tests (copy it to change it)."""
    return demo_made / "data-demo"


@pytest.fixture
def simulator(monkeypatch):
    """A factory of started simulators (tests/infra/simulator.py): `simulator(**SimConfig fields)`
    returns one whose env() is set in the test's environment; each is stopped when the test ends."""
    from tests.infra.simulator import SimulatorFactory

    factory = SimulatorFactory(monkeypatch)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture(scope="session")
def cluster():
    """The servers of cluster mode for the whole session (tests/infra/cluster.py), each started when a
    test first asks for it; a test takes its own database and bucket (`cluster.fresh()`)."""
    from tests.infra.cluster import Cluster

    servers = Cluster()
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture(scope="session")
def postgres(cluster):
    """The cluster's PostgreSQL (tests/infra/postgres.py); each test makes its own database."""
    return cluster.postgres


@pytest.fixture(scope="session")
def s3(cluster):
    """The cluster's S3-compatible server (moto) on loopback; each test makes its own bucket."""
    return cluster.s3


# ------------------------------------------------------------------------- pytest-xdist (make test)


def _xdist_controller(config) -> bool:
    return not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", None))


def pytest_configure(config):
    if _xdist_controller(config):
        from tests.faults import conftest as faults

        faults.controller_configure(config)


def pytest_terminal_summary(terminalreporter):
    if _xdist_controller(terminalreporter.config):
        from tests.faults import conftest as faults

        faults.write_summary(terminalreporter)
