"""Tenants sharing one database: each reaches its own state through its Home (`home.tenant`).

A named tenant's walk streams, day rows, quota counters and charges, and locks carry its prefix
(`acme/forcepoint/access`), its home binding is its own row, and its database is the one its variable
names: two tenants on one database (SQLite file or PostgreSQL) never read, charge or lock each other's,
and a tenant's first run on a database another tenant already uses is not refused. The default tenant's
keys are those of earlier versions (`forcepoint/access`). The walks themselves, on PostgreSQL and one
S3 bucket, are in tests/lake/test_tenant_catalogs.py."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.forcepoint.client import ForcepointError, QuotaExhausted
from log_assets.forcepoint.quota import DatabaseQuotaBudget
from log_assets.forcepoint.walkstate import DatabaseWalkStateStore
from log_assets.paths import Home
from log_assets.state import DayRecord, StateStore
from log_assets.state.binding import bind_home
from log_assets.state.errors import DatabaseConfigError, HomeMismatch
from log_assets.state.home import open_state
from log_assets.storage import Storage
from log_assets.tenant import Tenant

LT = FORCEPOINT_TYPES["access"]
SHARED = "SHARED_STATE_URL"  # the variable both tenants name
SECRET = "s3cr3t-Pa55"


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_url(request, tmp_path, monkeypatch) -> str:
    """One database, named by $SHARED (the tenants' variable) and by LOG_ASSETS_DATABASE_URL (the
    default tenant's): every home of these tests is on it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database()
    monkeypatch.setenv(SHARED, url)
    monkeypatch.setenv("LOG_ASSETS_DATABASE_URL", url)
    monkeypatch.delenv("LOG_ASSETS_STORAGE_URL", raising=False)
    return url


def _tenant(name: str | None, tmp_path, **kw) -> Home:
    """A home of tenant `name` (None: the default) in its own folder, on the database in $SHARED."""
    if name is None:
        return Home((tmp_path / "default").resolve(), Tenant(database_url_env=SHARED, **kw))
    return Home((tmp_path / name).resolve(), Tenant(name, database_url_env=SHARED, **kw))


def _rows(url: str, table: str, column: str) -> list[str]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    try:
        with engine.connect() as conn:
            return sorted(r[0] for r in conn.execute(sa.text(f"SELECT {column} FROM {table}")))
    finally:
        engine.dispose()


def test_tenants_on_one_database_charge_separate_budgets(shared_url, tmp_path):
    acme, globex, default = (_tenant(n, tmp_path) for n in ("acme", "globex", None))
    with StateStore.open(acme) as a, StateStore.open(globex) as g, StateStore.open(default) as d:
        spent_a = DatabaseQuotaBudget(a, "access", limit=3)
        for _ in range(3):
            spent_a.charge()
        with pytest.raises(QuotaExhausted):
            spent_a.charge()  # acme's budget is spent ...
        budget_g = DatabaseQuotaBudget(g, "access", limit=3)
        assert budget_g.left == 3  # ... globex's is whole
        budget_g.charge()
        assert (budget_g.left, spent_a.left) == (2, 0)
        DatabaseQuotaBudget(d, "access", limit=3).charge()
        assert DatabaseQuotaBudget(d, "access", limit=3).left == 2
    keys = _rows(shared_url, "log_assets_state_quota", "key")
    assert keys == ["acme/forcepoint/access", "forcepoint/access", "globex/forcepoint/access"]
    charged = _rows(shared_url, "log_assets_state_quota_charges", "key")
    assert charged == ["acme/forcepoint/access"] * 3 + ["forcepoint/access", "globex/forcepoint/access"]


def test_a_tenants_walk_lock_does_not_block_another_tenants(shared_url, tmp_path):
    log = logging.getLogger("test")
    acme, globex = _tenant("acme", tmp_path), _tenant("globex", tmp_path)
    with StateStore.open(acme) as a, StateStore.open(acme) as a2, StateStore.open(globex) as g:
        walk_a = DatabaseWalkStateStore(a, LT, lock_timeout=0.0, log=log)
        again_a = DatabaseWalkStateStore(a2, LT, lock_timeout=0.0, log=log)
        walk_g = DatabaseWalkStateStore(g, LT, lock_timeout=0.0, log=log)
        with walk_a.exclusive():
            with walk_g.exclusive():  # globex's walk of access runs beside acme's
                pass
            with pytest.raises(ForcepointError, match="another run fetching access"), again_a.exclusive():
                pass  # acme's own second walk is still refused


def test_tenants_walk_state_is_their_own(shared_url, tmp_path):
    acme, globex, default = (_tenant(n, tmp_path) for n in ("acme", "globex", None))
    with StateStore.open(acme) as a, StateStore.open(globex) as g, StateStore.open(default) as d:
        state = a.load_walk("forcepoint/access")
        state.days["2026-11-10"] = DayRecord(True, None)
        a.save_walk(state)
        assert a.load_walk("forcepoint/access").version == 1
        assert g.load_walk("forcepoint/access").version == 0 and g.days("forcepoint/access") == {}
        assert d.load_walk("forcepoint/access").version == 0
        d.save_walk(d.load_walk("forcepoint/access"))
    assert _rows(shared_url, "log_assets_state_walks", "stream") == ["acme/forcepoint/access", "forcepoint/access"]
    assert _rows(shared_url, "log_assets_state_days", "stream") == ["acme/forcepoint/access"]


def test_each_tenant_binds_its_own_storage_root_in_a_shared_database(shared_url, tmp_path, monkeypatch):
    acme, globex = _tenant("acme", tmp_path), _tenant("globex", tmp_path)
    with open_state(acme) as a:  # acme's first run: a new home
        DatabaseQuotaBudget(a, "access").charge()
    with open_state(globex) as g:  # globex's first run on the database acme uses: not refused
        assert g.prefix == "globex/"
    with open_state(acme), open_state(globex):  # both again: the same homes
        pass
    assert _rows(shared_url, "log_assets_state_tenant_homes", "tenant") == ["acme", "globex"]
    # the refusal of another home's database still holds, per tenant: acme's database beside a new,
    # empty storage root of acme is not acme's home
    moved = Home(acme.root, Tenant("acme", database_url_env=SHARED, storage_url=str(tmp_path / "elsewhere")))
    with pytest.raises(HomeMismatch, match="belongs to home") as refused:
        open_state(moved)
    text = str(refused.value)  # the fix names acme's settings, not the default tenant's variables
    assert f"or {SHARED} at the database of" in text and "the storage_url of tenant 'acme'" in text
    assert "LOG_ASSETS_DATABASE_URL" not in text and "LOG_ASSETS_STORAGE_URL" not in text
    # ... and the storage root of acme, with a database that never saw acme, is refused too
    monkeypatch.setenv("OTHER_URL", f"sqlite:///{tmp_path / 'other.db'}")
    other_db = Home(acme.root, Tenant("acme", database_url_env="OTHER_URL"))
    with StateStore.open(other_db) as other, pytest.raises(HomeMismatch, match="belongs to home"):
        bind_home(other.db, Storage.for_home(acme), tenant=acme.tenant)


def test_the_default_tenant_keeps_its_row_and_keys(shared_url, tmp_path):
    default = _tenant(None, tmp_path)
    with open_state(default) as d:
        assert d.prefix == ""
        DatabaseQuotaBudget(d, "access").charge()
    with open_state(_tenant("acme", tmp_path)):
        pass
    assert _rows(shared_url, "log_assets_state_home", "slot") == ["home"]
    assert _rows(shared_url, "log_assets_state_tenant_homes", "tenant") == ["acme"]
    assert _rows(shared_url, "log_assets_state_quota", "key") == ["forcepoint/access"]


def test_a_named_tenants_home_and_database_are_its_own(tmp_path, monkeypatch):
    monkeypatch.setenv("LOG_ASSETS_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("LOG_ASSETS_DATABASE_URL", raising=False)
    monkeypatch.delenv("LOG_ASSETS_STORAGE_URL", raising=False)
    home = Home.for_run(tenant=Tenant("acme"))
    assert home.root == (tmp_path / "data" / "tenants" / "acme").resolve()
    with open_state(home) as store:
        assert store.db.sqlite_path == home.root / "log_assets.db"
    assert Storage.for_home(home).url == home.root.as_uri()
    # a tenant's own storage_url is its storage root, whatever LOG_ASSETS_STORAGE_URL says
    monkeypatch.setenv("LOG_ASSETS_STORAGE_URL", str(tmp_path / "default-root"))
    own = Home(home.root, Tenant("acme", storage_url=str(tmp_path / "acme-root")))
    assert Storage.for_home(own).url == (tmp_path / "acme-root").resolve().as_uri()
    assert Storage.for_home(home).url == home.root.as_uri()


def test_database_errors_name_the_tenants_variable_never_the_value(tmp_path, monkeypatch):
    monkeypatch.setenv("ACME_DATABASE_URL", f"mysql://user:{SECRET}@db.example/logs")
    monkeypatch.setenv("LOG_ASSETS_DATABASE_URL", f"postgresql://user:{SECRET}@db.example/logs")
    home = Home(tmp_path, Tenant("acme", database_url_env="ACME_DATABASE_URL"))
    with pytest.raises(DatabaseConfigError) as refused:
        StateStore.open(home)
    text = str(refused.value)
    assert "ACME_DATABASE_URL names a mysql database" in text
    assert SECRET not in text and "LOG_ASSETS_DATABASE_URL" not in text
    monkeypatch.setenv("ACME_DATABASE_URL", f"sqlite:///{tmp_path}/no/such/folder/x.db?password={SECRET}")
    with pytest.raises(DatabaseConfigError, match="^ACME_DATABASE_URL=") as refused:
        StateStore.open(home)
    assert SECRET not in str(refused.value)


def test_a_storage_root_is_one_tenants_a_mixed_up_tenant_is_refused(shared_url, tmp_path):
    """A storage root records whose home it is: another tenant pointed at it (a missing or mistyped
    `tenant:`) is refused before anything, naming the tenant it belongs to."""
    acme = _tenant("acme", tmp_path)
    with open_state(acme):
        pass
    for wrong in (
        Home(acme.root, Tenant(database_url_env=SHARED)),
        Home(acme.root, Tenant("acne", database_url_env=SHARED)),
    ):
        with pytest.raises(HomeMismatch, match="is the home of tenant 'acme'"):
            open_state(wrong)
    default = _tenant(None, tmp_path)
    with open_state(default):
        pass
    with pytest.raises(HomeMismatch, match="is the home of the default tenant"):
        open_state(Home(default.root, Tenant("acme", database_url_env=SHARED)))
    # a storage root bound before tenants existed names none: the default tenant's, as it was
    doc = Storage.for_home(default).read_bytes("lake/.log-assets-home.json")
    old = {k: v for k, v in json.loads(doc).items() if k != "tenant"}
    Storage.for_home(default).write_bytes("lake/.log-assets-home.json", json.dumps(old).encode())
    with open_state(default):
        pass
