"""Quota counters: charged in a committed transaction before each request, never past the budget,
never twice for one request, atomic between processes."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from log_assets.state import QuotaCounter, QuotaRefused
from log_assets.state import tables as t
from tests.state.conftest import result_of, worker
from tests.state.faults import lose_commit_answers

KEY = "forcepoint/access"
DAY = "2026-11-20"


def charge_rows(store) -> list[tuple]:
    with store.db.transaction(write=False) as conn:
        return conn.execute(
            sa.select(t.quota_charges.c.key, t.quota_charges.c.spent).order_by(t.quota_charges.c.spent)
        ).all()


def test_charges_count_up_to_the_limit_then_refuse(store):
    assert store.quota(KEY, DAY) == QuotaCounter(KEY, DAY, 0, None)
    assert [store.charge(KEY, DAY, 3).spent for _ in range(3)] == [1, 2, 3]
    with pytest.raises(QuotaRefused) as e:
        store.charge(KEY, DAY, 3)
    assert e.value.counter == QuotaCounter(KEY, DAY, 3, None)
    assert str(e.value) == (
        "request budget for forcepoint/access is spent for 2026-11-20 (3 sent by this pipeline, budget 3 minus "
        "reserve 0)"
    )
    assert store.quota(KEY, DAY).spent == 3  # the refusal counted nothing
    assert store.charge(KEY, "2026-11-21", 3).spent == 1  # a new UTC day, a new budget
    assert store.charge("forcepoint/admin", DAY, 3).spent == 1  # log types apart
    with pytest.raises(ValueError, match="reserve < limit"):
        store.charge(KEY, DAY, 3, reserve=3)


def test_the_reserve_and_the_servers_figure_are_believed(store):
    store.charge(KEY, DAY, 300, reserve=10)
    store.observe(KEY, DAY, 13)  # other tools share the quota: the server knows better
    counter = store.quota(KEY, DAY)
    assert counter == QuotaCounter(KEY, DAY, 1, 13)
    assert counter.left(300, 10) == 3 and not counter.exhausted(300, 10)
    assert store.charge(KEY, DAY, 300, reserve=10) == QuotaCounter(KEY, DAY, 2, 12)  # counted down too
    store.charge(KEY, DAY, 300, reserve=10)
    store.charge(KEY, DAY, 300, reserve=10)
    with pytest.raises(QuotaRefused, match="server reports 10 left"):
        store.charge(KEY, DAY, 300, reserve=10)
    store.observe(KEY, DAY, None)  # no header: nothing learned
    assert store.quota(KEY, DAY) == QuotaCounter(KEY, DAY, 4, 10)
    store.observe(KEY, "2026-11-21", 250)  # a figure before any charge of the day
    assert store.quota(KEY, "2026-11-21") == QuotaCounter(KEY, "2026-11-21", 0, 250)
    assert QuotaCounter(KEY, DAY, 299, None).left(300) == 1 and QuotaCounter(KEY, DAY, 301).left(300) == 0


def test_an_unchanged_server_figure_writes_nothing(store):
    store.observe(KEY, DAY, 42)
    with store.db.transaction(write=False) as conn:
        before = conn.execute(sa.select(t.quota.c.updated_at)).scalar_one()
    time.sleep(0.01)
    store.observe(KEY, DAY, 42)
    with store.db.transaction(write=False) as conn:
        assert conn.execute(sa.select(t.quota.c.updated_at)).scalar_one() == before


def test_one_request_is_charged_once_whatever_the_retries(store):
    first = store.charge(KEY, DAY, 10, request_id="req-1")
    assert store.charge(KEY, DAY, 10, request_id="req-1") == first  # asked again: the same answer
    assert store.charge(KEY, DAY, 10, request_id="req-2").spent == 2
    assert store.quota(KEY, DAY).spent == 2


def test_a_charge_whose_commit_answer_was_lost_is_not_counted_twice(store, monkeypatch):
    failed = lose_commit_answers(monkeypatch, store.db, after=True)
    assert store.charge(KEY, DAY, 10).spent == 1  # retried: found its own row
    assert failed == [1]
    assert store.quota(KEY, DAY).spent == 1 and len(charge_rows(store)) == 1


def test_a_charge_that_did_not_commit_is_counted_once_on_retry(store, monkeypatch):
    failed = lose_commit_answers(monkeypatch, store.db, after=False)
    assert store.charge(KEY, DAY, 10).spent == 1
    assert failed == [1]
    assert store.quota(KEY, DAY).spent == 1 and len(charge_rows(store)) == 1


def test_the_last_charge_of_the_budget_survives_a_lost_answer(store, monkeypatch):
    store.charge(KEY, DAY, 2)
    lose_commit_answers(monkeypatch, store.db, after=True)
    # Without the request id the retry would see the budget spent and refuse a request it counted.
    assert store.charge(KEY, DAY, 2).spent == 2


def test_request_ids_are_forgotten_after_a_week(store):
    store.charge(KEY, "2026-10-31", 10, request_id="old")
    store.charge(KEY, "2026-11-01", 10, request_id="recent")
    store.charge(KEY, "2026-11-08", 10, request_id="new")  # the day's first charge prunes
    with store.db.transaction(write=False) as conn:
        ids = set(conn.execute(sa.select(t.quota_charges.c.request_id)).scalars())
    assert ids == {"recent", "new"}
    assert store.quota(KEY, "2026-10-31").spent == 1  # the counters themselves stay


def test_two_processes_racing_never_pass_the_limit_nor_charge_twice(db_url):
    # The children also race to create the tables (a fresh database).
    limit, each = 30, 25
    start_at = f"{time.time() + 3.0:.3f}"
    procs = [worker("charge", db_url, KEY, DAY, str(limit), str(each), start_at) for _ in range(2)]
    results = [result_of(p) for p in procs]
    counts = sorted(c for r in results for c in r["counts"])
    assert counts == list(range(1, limit + 1))  # every count handed out once: none lost, none doubled
    assert sum(r["refused"] for r in results) == 2 * each - limit
    assert all(r["counts"] for r in results), "both processes got some: they did race"
    from log_assets.state import Database, StateStore

    store = StateStore(Database(db_url))
    try:
        assert store.quota(KEY, DAY).spent == limit
        assert [s for _, s in charge_rows(store)] == list(range(1, limit + 1))
    finally:
        store.close()


def test_modules_with_their_own_rows_insert_and_read_through_the_stores_public_methods(store):
    """`insert` (an INSERT that can say ON CONFLICT, either dialect) and `read` (a read-only
    transaction) are what the ingest audit and the import of earlier homes use."""
    row = {
        "key": KEY,
        "day": date(2026, 11, 20),
        "spent": 7,
        "server_remaining": 5,
        "updated_at": datetime.now(UTC),
    }

    def insert(conn) -> int:
        done = conn.execute(
            store.insert(t.quota)
            .values(**row)
            .on_conflict_do_nothing(index_elements=[t.quota.c.key, t.quota.c.day])
        )
        return int(done.rowcount)

    def run_insert() -> int:
        return store.db.run(insert, doing="inserting a counter", consequence="nothing written")

    assert [run_insert(), run_insert()] == [1, 0]  # the second one conflicts and writes nothing
    rows = store.read(
        lambda conn: conn.execute(sa.select(t.quota.c.key, t.quota.c.spent)).all(), "reading counters"
    )
    assert [tuple(r) for r in rows] == [(KEY, 7)]
    assert store.quota(KEY, DAY) == QuotaCounter(KEY, DAY, 7, 5)
