"""The package stands alone: the wheel holds what its commands read (Dagster's instance settings, the
workspace, the notebook, the SQL, the simulator), and installed into a fresh environment its commands
run from an empty folder with the checkout nowhere on the path. Also: Dagster's instance on
PostgreSQL, written as Dagster's docs write it (`postgres_url: postgresql://...`), opens with what the
package installs."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import textwrap
import time
import urllib.request
import zipfile
from datetime import UTC, datetime, timedelta
from email.parser import Parser
from pathlib import Path

import pytest

from log_assets.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]

# What the commands read at run time, as the wheel must hold it.
PACKAGED = [
    "log_assets/data/dagster.yaml",
    "log_assets/data/workspace.yaml",
    "log_assets/data/security_analyst.ipynb",
    "log_assets/warehouse/sql/events.sql",
    "log_assets/warehouse/sql/load.sql",
    "log_assets/ocsf/sql/common.sql",
    "log_assets/ocsf/schema/http_activity.json",
    "log_assets/simulator/__main__.py",
    "log_assets/simulator/server.py",
    "log_assets/cli.py",
]
# Libraries only the tests or the notebook need: never in the plain install.
NOT_PLAIN = {"moto", "pytest", "jupyterlab", "ipykernel", "nbclient", "nbformat", "matplotlib", "pandas", "mypy"}


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LOG_ASSETS_", "DAGSTER_", "FORCEPOINT_", "APERTURE_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setuptools_builds_it() -> bool:
    try:
        import setuptools
    except ImportError:
        return False
    return int(setuptools.__version__.split(".")[0]) >= 77


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the source (the checkout gets no build/ or egg-info)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "log_assets", src / "log_assets", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("dist")
    # Without build isolation (no network) when this environment has the build-system's setuptools
    # (the dev extra brings it); otherwise pip fetches it.
    isolation = [] if not _setuptools_builds_it() else ["--no-build-isolation"]
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-w", str(out), str(src)],
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (built,) = out.glob("log_assets-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh environment with the wheel installed (no dependencies fetched): the libraries come from
    this environment's site-packages, added as a plain path (its .pth files, the checkout's editable
    install among them, are not run)."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    py = root / "bin" / "python"
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "parent_libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", str(wheel)],
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return root


def _run(venv: Path, cwd: Path, *cmd: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    exe = venv / "bin" / cmd[0]
    return subprocess.run(
        [str(exe), *cmd[1:]], cwd=cwd, env=_clean_env(**env), capture_output=True, text=True, timeout=timeout
    )


def test_the_wheel_holds_what_the_commands_read(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(z.read(metadata).decode())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = z.read(entry_points).decode()
        packaged_instance = z.read("log_assets/data/dagster.yaml")
        packaged_workspace = z.read("log_assets/data/workspace.yaml")
    assert sorted(set(PACKAGED) - names) == []
    assert "log-assets = log_assets.cli:main" in scripts
    assert packaged_instance == (ROOT / "log_assets" / "data" / "dagster.yaml").read_bytes()
    # `make ui` and `log-assets ui` serve the code location of the checkout's workspace.yaml
    assert packaged_workspace == (ROOT / "workspace.yaml").read_bytes()
    # The plain install: what runs the pipeline, psycopg 3 among it; test servers and notebook libraries
    # only in extras.
    plain = [r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r]
    names_plain = {r.split(";")[0].split("[")[0].split("<")[0].split(">")[0].split("=")[0].strip() for r in plain}
    assert "psycopg" in names_plain and "dagster-webserver" in names_plain
    assert names_plain & NOT_PLAIN == set()


def test_installed_commands_answer_help_from_an_empty_folder(venv, tmp_path):
    where = _run(venv, tmp_path, "python", "-c", "import log_assets; print(log_assets.__file__)")
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(venv)  # the wheel's copy, not the checkout's
    for cmd in (["python", "-m", "log_assets.demo", "--help"], ["log-assets", "--help"]) + tuple(
        ["log-assets", command, "--help"] for command in COMMANDS
    ):
        proc = _run(venv, tmp_path, *cmd)
        assert proc.returncode == 0, (cmd, proc.stderr[-2000:])
        assert "usage:" in proc.stdout
    assert list(tmp_path.iterdir()) == []  # --help made nothing


def test_installed_demo_runs_from_an_empty_folder(venv, tmp_path):
    proc = _run(
        venv,
        tmp_path,
        "log-assets",
        "demo",
        timeout=240,
        LOG_ASSETS_DEMO_EVENTS_PER_DAY="150",
        LOG_ASSETS_DEMO_APERTURE_EVENTS="60",
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    home = tmp_path / "data-demo"
    assert (home / "dagster_home" / "dagster.yaml").read_bytes() == (
        ROOT / "log_assets" / "data" / "dagster.yaml"
    ).read_bytes()
    assert (home / "warehouse.duckdb").exists()
    query = _run(
        venv, tmp_path, "log-assets", "sql", "--home", str(home), "SELECT count(*) AS n FROM analytics.events"
    )
    assert query.returncode == 0, query.stderr
    assert int(query.stdout.splitlines()[2]) > 0  # the data landed in the demo's home


@pytest.mark.e2e
@pytest.mark.slow
def test_installed_demo_ui_serves_on_ui_port_with_the_demos_days(venv, tmp_path):
    """`LOG_ASSETS_DEMO=1 python -m log_assets.ui` from the wheel, in an empty folder, with UI_PORT: the
    UI answers on that port, and its partitions start on the simulator's first day (six days before
    today: SimConfig's 7 days)."""
    port = _free_port()
    env = _clean_env(LOG_ASSETS_DEMO="1", UI_PORT=str(port))
    proc = subprocess.Popen(
        [str(venv / "bin" / "python"), "-m", "log_assets.ui"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    query = (
        '{ assetNodeOrError(assetKey: {path: ["forcepoint", "access"]}) { ... on AssetNode { partitionKeys } } }'
    )
    keys = None
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None and keys is None:
            try:
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/graphql",
                    data=json.dumps({"query": query}).encode(),
                    headers={"Content-Type": "application/json"},
                )
                with urllib.request.urlopen(req, timeout=5) as r:
                    node = json.loads(r.read())["data"]["assetNodeOrError"]
                    keys = node.get("partitionKeys")
            except (OSError, KeyError, TypeError, ValueError):
                time.sleep(1)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
        try:
            output = proc.communicate(timeout=60)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            output = proc.communicate()[0].decode(errors="replace")
    assert keys, output[-3000:]
    today = datetime.now(UTC).date()
    assert keys[0] == (today - timedelta(days=6)).isoformat()
    # the demo's home and instance in the folder it was started from
    assert (tmp_path / "data-demo" / "dagster_home" / "dagster.yaml").exists()


# ------------------------------------------------------------------------------ Dagster on PostgreSQL


def test_dagster_instance_on_postgres_with_a_plain_postgresql_url(postgres, tmp_path):
    """`postgres_url: postgresql://...` as Dagster's docs write it: SQLAlchemy 2.1 connects such a URL
    with psycopg 3, a dependency of the package (without it: "No module named 'psycopg'")."""
    url = postgres.create_database().replace("postgresql+psycopg2://", "postgresql://")
    (tmp_path / "dagster.yaml").write_text(
        textwrap.dedent(
            f"""\
            storage:
              postgres:
                postgres_url: "{url}"
            telemetry:
              enabled: false
            """
        )
    )
    code = (
        "import dagster as dg\n"
        "inst = dg.DagsterInstance.get()\n"
        "print(type(inst.run_storage).__name__, len(inst.get_runs()))\n"
        "inst.dispose()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**_clean_env(DAGSTER_HOME=str(tmp_path)), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["PostgresRunStorage", "0"]
