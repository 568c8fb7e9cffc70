"""Demo data is never real data (INTERFACE.md): the demo has its own home and marks it; a real run
refuses a home holding the demo's marker and marks its own; the demo refuses (and never wipes) a
home that real runs wrote to. The last test is the acceptance run: `make demo`, then a real run on
the default ./data against a simulator, which fetches everything itself."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import dagster as dg
import pytest

from log_assets import ui
from log_assets.defs.forcepoint.resources import ForcepointResource
from log_assets.defs.resources import LogAssetsHome
from log_assets.demo import prepare_home
from log_assets.paths import DEMO_MARKER, REAL_MARKER, Home, HomeKindError
from tests.forcepoint.conftest import FP_ENV, assert_lake_matches_truth_once, asset_for, day_str
from tests.lakeview import lake_days
from tests.pipeline_state import todays_count

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def env(monkeypatch, tmp_path):
    """No home variables, no credentials; the working directory is tmp_path (./data, ./data-demo)."""
    for k in list(os.environ):
        if k.startswith(("LOG_ASSETS_", "DAGSTER_", "FORCEPOINT_", "APERTURE_")):
            monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


# --------------------------------------------------------------------------------- resolving


def test_the_demo_has_its_own_default_home(env, tmp_path):
    assert Home.from_env().root == tmp_path / "data"
    env.setenv("LOG_ASSETS_HOME", str(tmp_path / "real"))
    assert Home.from_env().root == tmp_path / "real"
    env.setenv("LOG_ASSETS_DEMO", "1")  # LOG_ASSETS_HOME names real data: the demo ignores it
    assert Home.from_env().root == tmp_path / "data-demo"
    env.setenv("LOG_ASSETS_DEMO_HOME", str(tmp_path / "elsewhere"))
    assert Home.from_env().root == tmp_path / "elsewhere"


def test_a_real_run_marks_a_fresh_home_and_makes_its_folders(env, tmp_path):
    home = Home.for_run()
    assert home.root == tmp_path / "data"
    assert json.loads((home.root / REAL_MARKER).read_text())["kind"] == "real"
    assert not (home.root / DEMO_MARKER).exists()
    assert all(d.is_dir() for d in (home.lake, home.staging, home.state, home.spool, home.quarantine))
    Home.for_run()  # and keeps using it


def test_a_real_run_refuses_the_demos_home(env, tmp_path):
    demo = tmp_path / "data"
    demo.mkdir()
    (demo / DEMO_MARKER).write_text("demo")
    (demo / "state").mkdir()
    before = snapshot(demo)
    with pytest.raises(HomeKindError) as e:
        LogAssetsHome().get()
    msg = str(e.value)
    assert str(demo) in msg and "demo data" in msg and "LOG_ASSETS_HOME" in msg, msg
    assert snapshot(demo) == before and not (demo / REAL_MARKER).exists()


def test_demo_runs_refuse_real_homes_and_unmarked_data_and_mark_a_fresh_one(env, tmp_path):
    env.setenv("LOG_ASSETS_DEMO", "1")
    env.setenv("LOG_ASSETS_DEMO_HOME", str(tmp_path / "d"))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / REAL_MARKER).write_text("{}")
    with pytest.raises(HomeKindError, match="holds data of real runs"):
        Home.for_run()
    (tmp_path / "d" / REAL_MARKER).unlink()
    (tmp_path / "d" / "lake").mkdir()
    with pytest.raises(HomeKindError, match="did not make"):
        Home.for_run()
    assert not (tmp_path / "d" / DEMO_MARKER).exists()
    (tmp_path / "d" / "lake").rmdir()
    (tmp_path / "d" / "dagster_home").mkdir()  # a Dagster instance folder is not data
    assert Home.for_run().is_demo
    assert not (tmp_path / "d" / REAL_MARKER).exists()


def test_a_real_run_through_dagster_on_the_demos_home_fails_and_sends_nothing(simulator, env, tmp_path):
    demo = tmp_path / "data"
    demo.mkdir()
    (demo / DEMO_MARKER).write_text("demo")
    sim = simulator(seed=1, days=2, forcepoint_events_per_day=20)
    res = dg.materialize(
        [asset_for("access")],
        resources={"forcepoint": ForcepointResource(retries=0), "home": LogAssetsHome()},
        partition_key=day_str(-1),
        raise_on_error=False,
    )
    assert not res.success
    assert sim.forcepoint.requests("access") == 0
    errors = []
    for e in res.all_events:
        err = e.event_specific_data.error if e.is_step_failure else None
        while err is not None:
            errors.append(err.message)
            err = err.cause
    assert any("HomeKindError" in m and str(demo) in m for m in errors), errors
    assert sorted(p.name for p in demo.iterdir()) == [DEMO_MARKER]


# --------------------------------------------------------------------------------- make demo


def test_make_demo_wipes_only_its_own_home(tmp_path):
    root = tmp_path / "demo"
    prepare_home(root)  # missing: made and marked
    assert (root / DEMO_MARKER).exists() and (root / "dagster_home" / "dagster.yaml").exists()
    (root / "lake").mkdir()
    (root / "lake" / "old.parquet").write_bytes(b"old demo data")
    prepare_home(root)  # marked: started afresh
    assert (root / DEMO_MARKER).exists() and not (root / "lake").exists()

    empty = tmp_path / "empty"
    empty.mkdir()
    prepare_home(empty)
    assert (empty / DEMO_MARKER).exists()


@pytest.mark.parametrize("marked_real", [True, False], ids=["real marker", "unmarked data"])
def test_make_demo_refuses_a_home_real_runs_wrote_to(tmp_path, marked_real):
    root = tmp_path / "data"
    root.mkdir()
    (root / "log_assets.db").write_bytes(b"SQLite format 3\x00")  # the pipeline state real runs keep
    if marked_real:
        (root / REAL_MARKER).write_text('{"kind": "real"}')
        (root / DEMO_MARKER).write_text("a stray demo marker does not make a real home the demo's")
    before = snapshot(root)
    with pytest.raises(SystemExit) as e:
        prepare_home(root)
    assert str(root) in str(e.value.code), e.value.code
    assert snapshot(root) == before


def test_demo_ui_uses_the_demo_home_not_the_one_make_exports(env, tmp_path):
    # What Make exports for every target: the real home and its Dagster instance.
    made = {"LOG_ASSETS_HOME": str(tmp_path / "data"), "DAGSTER_HOME": str(tmp_path / "data" / "dagster_home")}
    out = ui.prepare_env({**made, "LOG_ASSETS_DEMO": "1"})
    demo = tmp_path / "data-demo"
    assert out["LOG_ASSETS_HOME"] == out["LOG_ASSETS_DEMO_HOME"] == str(demo)
    assert out["DAGSTER_HOME"] == str(demo / "dagster_home")
    assert (demo / DEMO_MARKER).exists() and (demo / "dagster_home" / "dagster.yaml").exists()
    assert not (tmp_path / "data").exists()

    real = ui.prepare_env(made)
    assert real["LOG_ASSETS_HOME"] == str(tmp_path / "data") and real["DAGSTER_HOME"] == made["DAGSTER_HOME"]
    assert (tmp_path / "data" / "dagster_home" / "dagster.yaml").exists()

    # a user's own instance settings (older than the package's files) are never replaced
    mine = tmp_path / "data" / "dagster_home" / "dagster.yaml"
    mine.write_text("storage:\n  postgres: {}  # the user's own\n")
    os.utime(mine, (0, 0))
    ui.prepare_env(made)
    assert "the user's own" in mine.read_text()

    (tmp_path / "d2").mkdir()
    (tmp_path / "d2" / REAL_MARKER).write_text("{}")
    with pytest.raises(SystemExit, match="d2"):
        ui.prepare_env({"LOG_ASSETS_DEMO": "1", "LOG_ASSETS_DEMO_HOME": str(tmp_path / "d2")})


# --------------------------------------------------------------------------------- acceptance


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_make_demo_then_a_real_run_on_the_default_home(simulator, env, tmp_path, demo_made):
    """On a fresh clone: `make demo` (Make exports LOG_ASSETS_HOME=./data), then a real run on the
    default ./data against a separately started simulator: the real run sends its own requests,
    finds no demo day complete, inherits no demo quota, and its data is all there; the demo's home
    is left as the demo made it. The demo is the session's `make demo` (conftest `demo_made`), its
    home copied here beside the real run's ./data."""
    assert (demo_made / "data-demo" / DEMO_MARKER).exists()
    assert not (demo_made / "data").exists(), "the demo wrote into ./data"
    demo = tmp_path / "data-demo"
    shutil.copytree(demo_made / "data-demo", demo, symlinks=True)
    assert lake_days(demo, "forcepoint", "access")
    demo_before = snapshot(demo)

    days = [day_str(-2), day_str(-1)]
    for k in FP_ENV:
        env.delenv(k, raising=False)
    sim = simulator(seed=77, days=3, forcepoint_events_per_day=60, page_size=25)
    res = dg.materialize(
        [asset_for("access")],
        resources={"forcepoint": ForcepointResource(retries=0), "home": LogAssetsHome()},
        tags={"dagster/asset_partition_range_start": days[0], "dagster/asset_partition_range_end": days[1]},
    )
    assert res.success
    sent = sim.forcepoint.requests("access")
    assert sent > 1, "the real run sent (almost) nothing: it took demo days for complete ones"
    real = tmp_path / "data"
    for d in days:
        assert_lake_matches_truth_once(sim, real, "access", d)
    quota = todays_count(real, "access")
    assert quota.spent == sent, f"quota counter {quota} is not the real run's {sent} requests"
    assert (real / REAL_MARKER).exists() and not (real / DEMO_MARKER).exists()
    assert snapshot(demo) == demo_before, "the real run touched the demo's home"


def test_a_named_tenant_in_demo_mode_lives_in_the_demos_home(tmp_path, monkeypatch):
    from log_assets.paths import Home
    from log_assets.tenant import Tenant

    monkeypatch.setenv("LOG_ASSETS_DEMO", "1")
    monkeypatch.setenv("LOG_ASSETS_DEMO_HOME", str(tmp_path / "demo"))
    monkeypatch.setenv("LOG_ASSETS_HOME", str(tmp_path / "real"))
    home = Home.for_run(tenant=Tenant("acme", database_url_env=None))
    assert home.root == (tmp_path / "demo" / "tenants" / "acme").resolve()
    assert not (tmp_path / "real").exists()
