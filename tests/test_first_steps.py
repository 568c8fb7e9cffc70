"""First steps that work: the quick start, querying from a shell, the notebook, readable failures,
and the Aperture partitions' start."""

from __future__ import annotations

import itertools
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

from log_assets.warehouse.__main__ import format_table

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LOG_ASSETS_", "DAGSTER_", "FORCEPOINT_", "APERTURE_"))
    }
    env.update(extra)
    return env


# ------------------------------------------------------------------------------------------ README


def test_readme_opens_with_the_quick_start():
    text = (ROOT / "README.md").read_text()
    first_screen = "\n".join(text.splitlines()[:30])
    assert "make demo" in first_screen and "make test" in first_screen
    assert re.search(r"make test\b.*~\d+ min on 2 cores", first_screen)  # what it costs
    assert "http://127.0.0.1:3000" in text.split("## What you get")[0]
    assert "make notebook" in text.split("## What you get")[0]


def test_readme_queries_with_the_sql_command_not_a_duckdb_cli():
    text = (ROOT / "README.md").read_text()
    assert "duckdb -readonly" not in text
    assert 'python -m log_assets.warehouse sql "' in text


# ------------------------------------------------------------------------------------- sql command


def test_format_table_aligns_columns():
    out = format_table(["name", "n", "note"], [("a", 1, None), ("bbbb", 1234, "x\ny")]).splitlines()
    assert out[0] == "name |    n | note"
    assert out[1] == "-----+------+-----"
    assert out[2] == "a    |    1 | NULL"
    assert out[3] == "bbbb | 1234 | x\\ny"


def _sql(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PY, "-m", "log_assets.warehouse", "sql", *args],
        cwd=ROOT,
        env=_clean_env(LOG_ASSETS_HOME=str(home), TZ="America/New_York"),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.e2e
@pytest.mark.slow
def test_sql_command_prints_a_table_read_only_in_utc(warehouse_home):
    proc = _sql(
        warehouse_home,
        "SELECT vendor, count(*) AS events, current_setting('TimeZone') AS tz, "
        "min(event_time)::VARCHAR LIKE '%+00' AS utc FROM analytics.events GROUP BY ALL ORDER BY vendor",
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert re.fullmatch(r"vendor\s+\|\s+events \| tz\s+\| utc", lines[0])
    assert set(lines[1]) <= {"-", "+"}
    body = [re.split(r"\s*\|\s*", line.strip()) for line in lines[2:-1]]
    assert [r[0] for r in body] == ["aperture", "forcepoint"]
    assert all(int(r[1]) > 0 and r[2] == "UTC" and r[3] == "true" for r in body)
    assert lines[-1] == "(2 rows)"
    # every line of the table has its bars at the same places
    assert len({tuple(m.start() for m in re.finditer(r"\|", line)) for line in lines[:1] + lines[2:-1]}) == 1

    # --home works too, wherever the option stands
    again = subprocess.run(
        [PY, "-m", "log_assets.warehouse", "sql", "--home", str(warehouse_home), "SELECT 42 AS answer"],
        cwd=ROOT,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0 and again.stdout.splitlines()[2].strip() == "42"


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize(
    "statement, words",
    [
        ("SELEC 1", "syntax error"),
        ("FROM analytics.no_such_table", "no_such_table"),
        ("CREATE TABLE analytics.x (a INT)", "read-only"),
    ],
)
def test_sql_command_fails_with_one_line(warehouse_home, statement, words):
    proc = _sql(warehouse_home, statement)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("error: ")
    assert words in proc.stderr
    assert "Traceback" not in proc.stderr


def test_sql_command_without_a_warehouse_says_what_to_do(tmp_path):
    proc = _sql(tmp_path / "empty", "SELECT 1")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"error: no warehouse at {tmp_path / 'empty' / 'warehouse.duckdb'}: materialize the warehouse assets "
        "or run `python -m log_assets.warehouse sync`"
    ]


# ---------------------------------------------------------------------------------------- notebook


def test_notebook_extra_installs_jupyter_and_is_locked():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(re.match(r"jupyterlab\b", d) for d in extras["notebook"])
    lock = (ROOT / "requirements.lock").read_text()
    assert re.search(r"^jupyterlab==", lock, re.M) and re.search(r"^nbconvert==", lock, re.M)


def _make_notebook(*args: str, **env: str) -> str:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    proc = subprocess.run(
        [make, "-n", "notebook", *args], cwd=ROOT, env=_clean_env(**env), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_make_notebook_installs_the_extra_and_binds_to_loopback(tmp_path):
    out = _make_notebook(LOG_ASSETS_HOME=str(tmp_path / "real"))
    assert re.search(r"pip install .*-e '\.\[notebook\]'", out) or ".notebook-stamp" not in out
    (cmd,) = [line for line in out.replace("\\\n", " ").splitlines() if "jupyter lab" in line]
    assert f"LOG_ASSETS_HOME='{tmp_path / 'real'}'" in cmd
    assert "--ip=127.0.0.1" in cmd and "log_assets/data/security_analyst.ipynb" in cmd
    # the demo's home with LOG_ASSETS_DEMO=1, as for `make ui`
    demo = _make_notebook(LOG_ASSETS_DEMO="1", LOG_ASSETS_DEMO_HOME=str(tmp_path / "demo"))
    assert f"LOG_ASSETS_HOME='{tmp_path / 'demo'}'" in demo


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.e2e
@pytest.mark.slow
def test_make_notebook_serves_jupyter_on_loopback(tmp_path):
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    port = _free_port()
    env = _clean_env(
        LOG_ASSETS_HOME=str(tmp_path / "home"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "jconfig"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jruntime"),
        BROWSER="true",  # no browser window from a test
    )
    proc = subprocess.Popen(
        [
            make,
            "notebook",
            f"NOTEBOOK_PORT={port}",
            *(["NOTEBOOK_ARGS=--allow-root"] if os.geteuid() == 0 else []),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=2) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert body is not None and '"version"' in body, "JupyterLab did not answer on 127.0.0.1"
        with socket.socket() as s:  # bound to loopback only: not on the other addresses of this machine
            addrs = {a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
            others = sorted(a for a in addrs if not a.startswith("127."))
            if others:
                s.settimeout(1)
                assert s.connect_ex((others[0], port)) != 0
        output = ""
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
        try:
            output = proc.communicate(timeout=30)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            output = proc.communicate()[0].decode(errors="replace")
    assert f"http://127.0.0.1:{port}/" in output


# ------------------------------------------------------------------------------- failures, once


def _materialize_cli(tmp_path: Path, select: str, *extra: str) -> str:
    env = _clean_env(LOG_ASSETS_HOME=str(tmp_path / "home"), DAGSTER_HOME=str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    (tmp_path / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    proc = subprocess.run(
        [PY, "-m", "dagster", "asset", "materialize", "-m", "log_assets.definitions", "--select", select, *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode != 0
    return proc.stdout + proc.stderr


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize(
    "select, extra, message",
    [
        (
            "forcepoint/access",
            ("--partition", "2026-01-05"),
            "no Forcepoint credentials: set FORCEPOINT_API_TOKEN (OAuth token, preferred) or FORCEPOINT_USERNAME "
            "and FORCEPOINT_PASSWORD; no request was sent",
        ),
        (
            "aperture/spool",
            (),
            "APERTURE_CLIENT_ID is not set: Aperture needs APERTURE_CLIENT_ID and APERTURE_CLIENT_SECRET in the "
            "environment",
        ),
    ],
)
def test_a_failure_is_told_once_without_chained_traces(tmp_path, select, extra, message):
    out = _materialize_cli(tmp_path, select, *extra)
    # The step's failure holds the message and one stack trace; the run's failure line names the
    # failed step and points at it instead of repeating its error (log_assets/defs/console.py).
    assert out.count(message) == 1, out[-3000:]
    assert out.count("dagster._core.definitions.events.Failure: ") == 1
    assert out.count("Stack Trace:") == 1
    assert "STEP_FAILURE" in out
    run_failure = [line for line in out.splitlines() if "RUN_FAILURE" in line]
    assert run_failure and all("printed above, with the step" in line for line in run_failure)
    assert "The above exception" not in out
    assert "During handling" not in out
    assert "was caused by" not in out


# ------------------------------------------------------------------------------------- partitions


def _aperture_start(**env: str) -> str:
    code = "from log_assets.defs.aperture.partitions import aperture_daily_partitions as p; print(p.start.date())"
    proc = subprocess.run([PY, "-c", code], cwd=ROOT, env=_clean_env(**env), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_aperture_partitions_start_where_data_can_exist():
    assert _aperture_start() == "2025-01-01"
    assert _aperture_start(APERTURE_PARTITIONS_START="2024-06-01") == "2024-06-01"


# ------------------------------------------------------------------------------------ the demo's


def test_demo_partitions_start_on_the_simulators_first_day():
    """The demo's processes (the demo, `LOG_ASSETS_DEMO=1` ui) offer the days the simulator has data
    for, not every day since the default start of real runs."""
    code = (
        "import os\n"
        "import dagster as dg\n"
        "from log_assets.demo import first_day, partition_env\n"
        "from log_assets.simulator import SimConfig, Simulator\n"
        "sim = Simulator(SimConfig(days=3, end='2026-03-10T12:00:00Z'))\n"
        "os.environ.update(partition_env(sim))\n"
        "from log_assets.definitions import defs\n"
        "keys = [dg.AssetKey(['forcepoint', 'access']), dg.AssetKey(['aperture', 'incident'])]\n"
        "firsts = [defs.resolve_assets_def(k).partitions_def.get_first_partition_key() for k in keys]\n"
        "print(first_day(sim), *firsts)\n"
    )
    proc = subprocess.run(
        [PY, "-c", code], cwd=ROOT, env=_clean_env(), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["2026-03-08"] * 3


def test_demo_summary_names_commands_that_run(demo_made, demo_output):
    """Every command the summary `make demo` printed suggests runs as printed, in the folder the demo
    ran in (those that start a server are asked for --help); the query runs for real, on the demo's home."""
    out = demo_output
    assert "duckdb -readonly" not in out
    steps = out.split("\nnext:\n")[1].split("=" * 72)[0]
    commands = [s.strip() for s in steps.splitlines() if s.strip() and not s.strip().startswith("#")]
    assert len(commands) == 3, steps
    for command in commands:
        words = shlex.split(command)
        assigned = list(itertools.takewhile(lambda w: re.match(r"^[A-Z_]+=", w), words))
        argv = words[len(assigned) :]
        assert shutil.which(argv[0]), f"{argv[0]} is not a command: {command}"
        serves = argv[-1] in ("log_assets.ui", "notebook")
        env = _clean_env(**dict(a.split("=", 1) for a in assigned))
        proc = subprocess.run(
            argv + (["--help"] if serves else []),
            cwd=demo_made,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, (command, proc.stderr[-2000:])
        if serves:
            assert "usage:" in proc.stdout
        else:
            assert "(5 rows)" in proc.stdout, proc.stdout


# ------------------------------------------------------------------------- warehouse without a lake


@pytest.mark.parametrize("command", ["sync", "rebuild", "status"])
def test_warehouse_commands_without_a_lake_say_what_to_run_first(tmp_path, command):
    home = tmp_path / "nothing-here"
    proc = subprocess.run(
        [PY, "-m", "log_assets.warehouse", command, "--home", str(home)],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("error: ") and str(home) in line
    assert ("log-assets demo" in line) if command != "status" else ("warehouse sync" in line)
    assert not home.exists()  # asking made no home, database or warehouse


def test_warehouse_sync_on_a_lake_without_tables_says_so(tmp_path):
    home = tmp_path / "home"
    env = _clean_env(LOG_ASSETS_HOME=str(home))
    make_catalog = (
        "from log_assets.lake.lake import Lake; from log_assets.paths import Home; "
        "Lake.for_home(Home.from_env()).close()"
    )
    subprocess.run([PY, "-c", make_catalog], cwd=ROOT, env=env, check=True, timeout=120)
    proc = subprocess.run(
        [PY, "-m", "log_assets.warehouse", "sync"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout
    (line,) = proc.stderr.strip().splitlines()
    assert f"the lake of {home} has no tables" in line and "log-assets demo" in line
    assert not (home / "warehouse.duckdb").exists()


def test_warehouse_sync_keeps_pyiceberg_chatter_off_the_console(tmp_path):
    from log_assets.paths import Home
    from tests.warehouse.conftest import write_lake

    home = Home.from_env(tmp_path / "home")
    write_lake(home)
    proc = subprocess.run(
        [PY, "-m", "log_assets.warehouse", "sync", "--home", str(home.root)],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "published" in proc.stdout
    assert "Loaded FileIO" not in proc.stderr  # pyiceberg's INFO line, once per table opened


# ------------------------------------------------------------------------------------------ the UI


def test_make_ui_serves_on_ui_port():
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")

    def ui(*args: str) -> str:
        proc = subprocess.run(
            [make, "-n", "ui", *args], cwd=ROOT, env=_clean_env(), capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr
        (line,) = [x for x in proc.stdout.splitlines() if "log_assets.ui" in x]
        return line

    assert ui().endswith("-m log_assets.ui --port 3000")
    assert ui("UI_PORT=3111").endswith("-m log_assets.ui --port 3111")
