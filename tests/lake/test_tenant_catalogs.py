"""Two tenants and the default one on ONE PostgreSQL database and ONE S3 bucket (each under its own
prefix): each Forcepoint walk (the core ForcepointIngest against a simulator of its own) lands only
its own simulator's events, in its own Iceberg catalog (`log_assets_<name>`, the default tenant's
`log_assets`) on its own storage root, and its walk and quota rows are its own; the default tenant's
keep the names of earlier versions (`forcepoint/access`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.forcepoint.client import Credentials, ForcepointClient
from log_assets.forcepoint.ingest import ForcepointIngest
from log_assets.forcepoint.parse import IdStrategy
from log_assets.forcepoint.quota import DatabaseQuotaBudget
from log_assets.paths import Home
from log_assets.simulator import Simulator
from log_assets.state.home import open_state
from log_assets.storage import Storage
from log_assets.tenant import Tenant
from log_assets.warehouse.sources import lake_of
from tests.lakeview import lake_event_ids, lake_types

pytestmark = [pytest.mark.slow]

LT = FORCEPOINT_TYPES["access"]
SHARED = "SHARED_DATABASE_URL"


def _walk(home: Home, sim: Simulator, start: datetime, end: datetime) -> int:
    """The core walk of `access` for `home`'s tenant against `sim`, as a run does it; requests spent."""
    before = sim.forcepoint.requests("access")
    with open_state(home, log_types=["access"]) as store:
        budget = DatabaseQuotaBudget(store, "access")
        client = ForcepointClient(
            sim.forcepoint_url,
            Credentials(token=sim.config.forcepoint_token),
            allow_insecure_http=True,
            charge=budget.charge,
            observe=budget.observe,
        )
        with client, ForcepointIngest(home, LT, client, budget) as walk:
            walk.run(start, end)
    return sim.forcepoint.requests("access") - before


def _truth(sim: Simulator, day: str) -> list[str]:
    ids = IdStrategy(LT)
    return sorted(ids(r) for r in sim.forcepoint.distinct_events("access", day=day, cv="1.1.5"))


def _query(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    try:
        with engine.connect() as conn:
            return sorted(tuple(r) for r in conn.execute(sa.text(sql)))
    finally:
        engine.dispose()


def test_tenants_sharing_a_database_and_bucket_land_their_own_events_in_their_own_catalogs(
    simulator, postgres, s3, tmp_path, monkeypatch
):
    url, bucket = postgres.create_database(), s3.create_bucket()
    for k, v in {**s3.env(), SHARED: url, "LOG_ASSETS_DATABASE_URL": url}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("LOG_ASSETS_STORAGE_URL", f"s3://{bucket}/default")
    monkeypatch.setenv("LOG_ASSETS_HOME", str(tmp_path / "data"))
    homes = {
        "acme": Home.for_run(tenant=Tenant("acme", database_url_env=SHARED, storage_url=f"s3://{bucket}/acme")),
        "globex": Home.for_run(
            tenant=Tenant("globex", database_url_env=SHARED, storage_url=f"s3://{bucket}/globex")
        ),
        "default": Home.for_run(),
    }
    assert homes["acme"].root == (tmp_path / "data" / "tenants" / "acme").resolve()
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start, end = today - timedelta(days=2), today
    days = [(start + timedelta(days=i)).date().isoformat() for i in range(2)]
    sims = {
        name: simulator(seed=seed, days=3, forcepoint_events_per_day=60, page_size=25, quota=100_000, env=False)
        for name, seed in (("acme", 11), ("globex", 12), ("default", 13))
    }
    spent: dict[str, int] = {}
    for name, home in homes.items():
        spent[name] = _walk(home, sims[name], start, end)
        assert spent[name] > 2
    for name, home in homes.items():
        for day in days:
            truth = _truth(sims[name], day)
            assert truth, "the simulator has no events that day: the test would prove nothing"
            assert sorted(lake_event_ids(home, "forcepoint", "access", day)) == truth, (name, day)
        assert lake_types(home, "forcepoint") == ["access"]
    truths = {name: set(_truth(sims[name], days[0])) for name in sims}
    assert not truths["acme"] & truths["globex"], "the simulators share events: the test would prove nothing"

    # the catalog rows: one table per tenant, in its own catalog, on its own prefix of the bucket
    rows = _query(url, "SELECT catalog_name, table_namespace, table_name, metadata_location FROM iceberg_tables")
    assert [r[:3] for r in rows] == [
        ("log_assets", "forcepoint", "access"),
        ("log_assets_acme", "forcepoint", "access"),
        ("log_assets_globex", "forcepoint", "access"),
    ]
    prefixes = {"log_assets": "default", "log_assets_acme": "acme", "log_assets_globex": "globex"}
    for catalog, _, _, location in rows:
        assert location.startswith(f"s3://{bucket}/{prefixes[catalog]}/lake/forcepoint.db/access/metadata/")
    for name in homes:
        storage = Storage.from_url(f"s3://{bucket}/{name}")
        assert storage.list("lake/forcepoint.db/access/data"), f"{name}'s lake files are not on its root"

    # the walk and quota rows: each tenant's own, the default tenant's as before
    walks = _query(url, "SELECT stream FROM log_assets_state_walks")
    days_rows = _query(url, "SELECT DISTINCT stream FROM log_assets_state_days")
    assert (
        walks == days_rows == [("acme/forcepoint/access",), ("forcepoint/access",), ("globex/forcepoint/access",)]
    )
    quota = dict(_query(url, "SELECT key, SUM(spent) FROM log_assets_state_quota GROUP BY key"))
    assert quota == {
        "acme/forcepoint/access": spent["acme"],
        "globex/forcepoint/access": spent["globex"],
        "forcepoint/access": spent["default"],
    }
    assert _query(url, "SELECT slot FROM log_assets_state_home") == [("home",)]
    assert _query(url, "SELECT tenant FROM log_assets_state_tenant_homes") == [("acme",), ("globex",)]

    # the warehouse reads each tenant's lake from its own catalog
    assert lake_of(homes["acme"]).catalog.name == "log_assets_acme"
    assert lake_of(homes["globex"]).catalog.name == "log_assets_globex"
    assert lake_of(homes["default"]).catalog.name == "log_assets"
