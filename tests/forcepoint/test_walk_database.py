"""The walk with its state in the pipeline's database (SQLite file and a real PostgreSQL): it resumes
from the checkpoint a failed run committed, completes its days there, writes no state file, and one
walk per log type holds across stores on the same database. By default the walk keeps its state in
the store its budget counts in."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.forcepoint.client import ApiError, ForcepointError
from log_assets.forcepoint.ingest import ForcepointIngest, WalkInterrupted
from log_assets.forcepoint.quota import DatabaseQuotaBudget
from log_assets.forcepoint.walkstate import DatabaseWalkStateStore
from log_assets.paths import Home
from log_assets.state import StateStore

from .conftest import lake_ids
from .test_walk_unit import DAY, ScriptedClient, page, rec

LT = FORCEPOINT_TYPES["access"]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'log_assets.db'}"
    return request.getfixturevalue("postgres").create_database()


def _walk(home, store, client, *, default_store=False):
    db_store = DatabaseWalkStateStore(store, LT, lock_timeout=0.0, log=logging.getLogger("test"))
    budget = DatabaseQuotaBudget(store, "access")
    clock = lambda: DAY + timedelta(days=5)  # noqa: E731
    walk = ForcepointIngest(home, LT, client, budget, clock=clock, store=None if default_store else db_store)
    if default_store:
        assert isinstance(walk.store, DatabaseWalkStateStore) and walk.store.store is store
    return walk.run(DAY, DAY + timedelta(days=1))


@pytest.mark.parametrize("default_store", [False, True], ids=["given store", "default store"])
def test_a_walk_resumes_from_the_checkpoint_in_the_database(tmp_path, database_url, default_store):
    home = Home(tmp_path / "home")
    recs = [rec(i) for i in range(5)]
    with StateStore.open(home.root, url=database_url) as store:
        with pytest.raises(WalkInterrupted):
            _walk(
                home,
                store,
                ScriptedClient([page(recs[:2], "t1"), ApiError(500, "down")]),
                default_store=default_store,
            )
        saved = store.load_walk("forcepoint/access")
        assert saved.walk is not None and saved.walk.token == "t1" and saved.walk.pages == 1
        client = ScriptedClient([page(recs[2:], "t2"), page([], "t2")])
        report = _walk(home, store, client, default_store=default_store)
        assert client.calls[0] == ("token", "t1")  # the committed checkpoint, not a new walk
        assert report.days["2026-11-10"]["complete"]
        done = store.load_walk("forcepoint/access")
        assert done.walk is None and done.days["2026-11-10"].complete
    assert sorted(lake_ids(home.root, "access", "2026-11-10")) == sorted(r["transactionid"] for r in recs)
    assert not (home.root / "state" / "forcepoint").exists(), "no state file beside the database"


def test_one_walk_per_log_type_across_stores_on_one_database(tmp_path, database_url):
    home = Home(tmp_path / "home")
    with StateStore.open(home.root, url=database_url) as a, StateStore.open(home.root, url=database_url) as b:
        first = DatabaseWalkStateStore(a, LT, lock_timeout=0.0, log=logging.getLogger("test"))
        second = DatabaseWalkStateStore(b, LT, lock_timeout=0.0, log=logging.getLogger("test"))
        refused = pytest.raises(ForcepointError, match="another run fetching access")
        with first.exclusive(), refused, second.exclusive():
            pass
        with second.exclusive():  # free again once the first walk ends
            pass


def test_the_request_budget_in_the_database_is_shared_and_refuses_past_the_limit(tmp_path, database_url):
    from log_assets.forcepoint.client import QuotaExhausted
    from log_assets.forcepoint.quota import DatabaseQuotaBudget

    home = Home(tmp_path / "home")
    clock = lambda: DAY  # noqa: E731
    with StateStore.open(home.root, url=database_url) as a, StateStore.open(home.root, url=database_url) as b:
        one = DatabaseQuotaBudget(a, "access", limit=5, reserve=1, clock=clock)
        two = DatabaseQuotaBudget(b, "access", limit=5, reserve=1, clock=clock)  # another machine's run
        one.charge()
        two.charge()
        assert one.spent_today == two.spent_today == 2 and one.left == 2
        two.observe(2)  # the server counts other tools' requests too
        assert one.left == 1
        one.charge()
        with pytest.raises(QuotaExhausted, match=r"spent for 2026-11-10 \(3 sent by this pipeline.*resets at"):
            two.charge()
        assert one.spent_today == 3  # the refused request was not counted
        assert DatabaseQuotaBudget(a, "admin", limit=5, clock=clock).left == 5  # per log type
