"""The database going away mid-use: a bounded retry that gets through, or one clear error that names
the database (password masked) and says what stands; never a request counted twice or lost."""

from __future__ import annotations

import logging
import threading

import pytest
import sqlalchemy as sa

from log_assets.state import (
    Database,
    DatabaseUnavailable,
    LockLost,
    RetryPolicy,
    StateDatabaseError,
    StateStore,
    WalkState,
)
from log_assets.state.documents import Walk

KEY = "forcepoint/access"
DAY = "2026-11-20"
SECRET = "Sup3r-S3cret-pw"


@pytest.fixture
def pg_store(postgres):
    """A store on PostgreSQL whose URL carries a password (the test server trusts any)."""
    url = postgres.create_database().replace("postgres@", f"postgres:{SECRET}@")
    store = StateStore(Database(url, retry=RetryPolicy(attempts=3, first_wait=0.05, max_wait=0.2, deadline=3)))
    yield store
    store.close()


@pytest.fixture
def server_down(postgres):
    """Stops the server for the test's block; it is running again afterwards whatever happens."""
    stopped = []

    def stop() -> None:
        postgres.stop("immediate")
        stopped.append(True)

    yield stop
    if stopped:
        postgres.start()


def test_a_restart_between_uses_is_invisible(pg_store, postgres):
    assert pg_store.charge(KEY, DAY, 10).spent == 1
    postgres.restart()  # every pooled connection is now dead
    assert pg_store.charge(KEY, DAY, 10).spent == 2
    assert pg_store.load_walk(KEY).version == 0


def test_an_outage_shorter_than_the_bound_is_ridden_out(pg_store, postgres, caplog):
    pg_store.charge(KEY, DAY, 10)
    pg_store.db.retry = RetryPolicy(attempts=30, first_wait=0.2, max_wait=0.5, deadline=60)
    outage = threading.Thread(target=postgres.restart, kwargs={"down_for": 1.5})
    with caplog.at_level(logging.WARNING, logger="log_assets.state"):
        outage.start()
        try:
            threading.Event().wait(0.5)  # the server is down now
            assert pg_store.charge(KEY, DAY, 10).spent == 2  # once, though tried many times
        finally:
            outage.join()
    assert pg_store.quota(KEY, DAY).spent == 2
    assert "unavailable while counting a request of forcepoint/access" in caplog.text
    assert SECRET not in caplog.text and "postgres:***@" in caplog.text


def test_an_outage_longer_than_the_bound_fails_clearly_and_changes_nothing(
    pg_store, server_down, postgres, caplog
):
    state = pg_store.load_walk(KEY)
    state.walk = Walk("w1", "2026-11-19", "2026-11-21", None, "startdate 2026-11-19T00:00:00Z")
    pg_store.save_walk(state)
    server_down()
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(DatabaseUnavailable) as charge:
            pg_store.charge(KEY, DAY, 10)
        with pytest.raises(DatabaseUnavailable) as load:
            pg_store.load_walk(KEY)
        state.walk.pages = 1
        with pytest.raises(DatabaseUnavailable) as save:
            pg_store.save_walk(state)
        with pytest.raises(DatabaseUnavailable) as lock, pg_store.lock(KEY):
            pass
    text = str(charge.value)
    assert text.startswith(
        f"the pipeline-state database postgresql+psycopg2://postgres:***@127.0.0.1:{postgres.port}/"
    )
    assert "is unavailable while counting a request of forcepoint/access against the day's quota" in text
    assert "Connection refused" in text and "(tried 3 times over" in text
    assert "The request was not sent; the saved position stands" in text
    assert "while reading the walk state of forcepoint/access" in str(load.value)
    assert "This checkpoint was not saved; the one before it stands" in str(save.value)
    assert "while taking the lock for forcepoint/access" in str(lock.value)
    for e in (charge, load, save, lock):
        assert SECRET not in str(e.value) and SECRET not in repr(e.value)
        assert e.value.__cause__ is None and e.value.__suppress_context__  # no driver text chained
    assert SECRET not in caplog.text
    assert state.version == 1  # the failed save did not count

    postgres.start()
    assert pg_store.quota(KEY, DAY).spent == 0  # nothing was charged
    back = pg_store.load_walk(KEY)
    assert back.version == 1 and back.walk is not None and back.walk.pages == 0
    postgres.stop("immediate")  # the fixture starts it again


def test_a_lock_whose_connection_broke_is_reported_lost(pg_store, postgres):
    with pg_store.lock(KEY) as held:
        held.verify()
        postgres.restart()
        with pytest.raises(LockLost) as e:
            held.verify()
    assert "the lock for forcepoint/access was lost" in str(e.value)
    assert "another run may now hold it" in str(e.value) and SECRET not in str(e.value)
    with pg_store.lock(KEY):  # free again, and the store works
        pass


def test_sqlite_busy_past_its_timeout_fails_clearly(tmp_path):
    url = f"sqlite:///{tmp_path}/log_assets.db"
    store = StateStore(Database(url, busy_timeout=0.2))
    other = sa.create_engine(url, connect_args={"timeout": 0.2}, isolation_level="AUTOCOMMIT")
    try:
        with other.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # another writer that does not let go
            with pytest.raises(StateDatabaseError) as e:
                store.charge(KEY, DAY, 10)
            conn.exec_driver_sql("ROLLBACK")
        assert not isinstance(e.value, DatabaseUnavailable)  # the busy timeout was the wait
        assert str(e.value).startswith(f"the pipeline-state database sqlite:///{tmp_path}/log_assets.db failed")
        assert "database is locked" in str(e.value) and "The request was not sent" in str(e.value)
        assert store.charge(KEY, DAY, 10).spent == 1
    finally:
        other.dispose()
        store.close()


def test_a_walk_state_saved_before_an_outage_is_all_there_after(pg_store, postgres):
    state = WalkState(KEY)
    state.walk = Walk("w1", "2026-11-19", "2026-11-21", "tok", "startdate 2026-11-19T00:00:00Z", pages=7)
    pg_store.save_walk(state)
    postgres.restart(down_for=0.2)
    assert pg_store.load_walk(KEY) == state
