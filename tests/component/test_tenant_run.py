"""A named tenant's Forcepoint asset materialized against the simulator: the run reads the tenant's
own variables (ACME_FORCEPOINT_API_TOKEN), never the default tenant's, and writes to its own home."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

import log_assets
from log_assets.simulator import SimConfig, Simulator

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("component.test_tenant_run")]

VARIABLES = ("FORCEPOINT_API_URL", "FORCEPOINT_API_TOKEN", "FORCEPOINT_USERNAME", "FORCEPOINT_PASSWORD")


@pytest.fixture(scope="module")
def sim():
    cfg = SimConfig(
        seed=5, days=2, forcepoint_events_per_day=40, page_size=25, quota=100_000, aperture_backlog_per_type=0
    )
    with Simulator(cfg, port=0) as s:
        yield s


def _acme(sim, home) -> dg.Definitions:
    return log_assets.build_defs(
        tenant="acme",
        home=str(home),
        forcepoint={
            "api_url": sim.forcepoint_url,
            "token_env": "ACME_FORCEPOINT_API_TOKEN",
            "log_types": ["admin"],
        },
        aperture=None,
        warehouse=False,
    )


def _materialize(defs: dg.Definitions, day: str):
    asset = next(a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition))
    assert asset.key == dg.AssetKey(["acme", "forcepoint", "admin"])
    return dg.materialize([asset], resources=defs.resources, partition_key=day, raise_on_error=False)


def test_a_named_tenants_run_uses_its_own_variables_and_home(sim, tmp_path, monkeypatch, capsys):
    for k in VARIABLES:
        monkeypatch.delenv(k, raising=False)
    token = sim.env()["FORCEPOINT_API_TOKEN"]
    default_home = tmp_path / "default_home"
    monkeypatch.setenv("LOG_ASSETS_HOME", str(default_home))
    # The default tenant's variables point elsewhere: a run that read them would fail.
    monkeypatch.setenv("FORCEPOINT_API_URL", "http://127.0.0.1:9/nothing-here")
    monkeypatch.setenv("FORCEPOINT_API_TOKEN", "not-acmes-token")
    acme_home = tmp_path / "acme_home"
    day = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")

    # Without acme's own variable the run refuses, naming it, before any request.
    before = sim.forcepoint.requests("admin")
    refused = _materialize(_acme(sim, acme_home), day)
    assert not refused.success
    failure = next(e for e in refused.all_events if e.is_step_failure)
    assert "ACME_FORCEPOINT_API_TOKEN" in str(failure.step_failure_data.error)
    assert sim.forcepoint.requests("admin") == before

    monkeypatch.setenv("ACME_FORCEPOINT_API_TOKEN", token)
    result = _materialize(_acme(sim, acme_home), day)
    assert result.success
    mats = result.asset_materializations_for_node("acme__forcepoint__admin")
    meta = {k: v.value for k, v in mats[-1].metadata.items()}
    want = sum(1 for _ in sim.forcepoint.distinct_events("admin", day=day, cv="1.1.5"))
    assert want and meta["rows"] == want
    assert sim.forcepoint.requests("admin") > before  # the simulator took acme's token
    assert acme_home.is_dir() and any(acme_home.iterdir())
    assert not default_home.exists()  # nothing of acme's in the default tenant's home

    # The warehouse command finds acme's lake in its own catalog only when told the tenant.
    from log_assets.warehouse.__main__ import main as warehouse_main

    # without --tenant: refused, naming whose home it is (the default tenant never reads acme's lake)
    assert warehouse_main(["sync", "--home", str(acme_home)]) == 1
    assert "home of tenant 'acme'" in capsys.readouterr().err
    assert warehouse_main(["sync", "--home", str(acme_home), "--tenant", "acme"]) == 0
    assert warehouse_main(["sql", "--tenant", "acme", "--home", str(acme_home), "FROM forcepoint.admin"]) == 0
    import duckdb

    from log_assets.paths import Home
    from log_assets.tenant import Tenant
    from log_assets.warehouse import connect_readonly

    conn = connect_readonly(Home(acme_home.resolve(), Tenant("acme", database_url_env=None)))
    try:
        got = conn.execute("SELECT count(*) FROM forcepoint.admin WHERE event_day = ?::DATE", [day]).fetchone()
        assert got == (want,)
    except duckdb.Error as e:
        raise AssertionError(f"acme's warehouse: {e}") from None
    finally:
        conn.close()

    # acme's database lost: `lake adopt --tenant acme` registers its tables again in acme's catalog
    from log_assets.lake.__main__ import main as lake_main
    from log_assets.lake.catalog import open_catalog
    from log_assets.storage import Storage

    for f in acme_home.glob("log_assets.db*"):
        f.unlink() if f.is_file() else None
    acme = Home(acme_home.resolve(), Tenant("acme", database_url_env=None))
    assert lake_main(["adopt", "--home", str(acme_home), "--tenant", "acme"]) == 0
    catalog = open_catalog(
        f"sqlite:///{acme_home.resolve() / 'log_assets.db'}", Storage.for_home(acme), name="log_assets_acme"
    )
    assert ("forcepoint", "admin") in catalog.list_tables("forcepoint")
