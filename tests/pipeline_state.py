"""The pipeline state of a test's home, read and changed the way a test needs: the request count of
today, UTC midnight for that count, and the JSON state files an earlier version left in a home."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from log_assets.forcepoint.quota import utc_today
from log_assets.legacy.statefiles import write_state_file
from log_assets.state import QuotaCounter, StateStore, WalkState, stream_name
from log_assets.state import tables as t


@contextlib.contextmanager
def home_state(home: Path) -> Iterator[StateStore]:
    """The state of the home at `home` as its runs open it (LOG_ASSETS_DATABASE_URL unset in tests)."""
    with StateStore.open(home, environ={}) as store:
        yield store


def todays_count(home: Path, log_type: str) -> QuotaCounter:
    """The requests the pipeline counted today against the quota of Forcepoint `log_type`."""
    with home_state(home) as store:
        return store.quota(stream_name("forcepoint", log_type), utc_today())


def pass_midnight(home: Path, log_type: str) -> None:
    """UTC midnight for the pipeline's count of `log_type`: today's counter becomes one of a day long
    past (the server's own count is the simulator's to reset)."""
    with home_state(home) as store, store.db.transaction() as conn:
        key = t.quota.c.key == stream_name("forcepoint", log_type)
        conn.execute(sa.delete(t.quota).where(key, t.quota.c.day == date(2000, 1, 1)))  # an earlier "midnight"
        conn.execute(
            sa.update(t.quota)
            .where(
                t.quota.c.key == stream_name("forcepoint", log_type),
                t.quota.c.day == date.fromisoformat(utc_today()),
            )
            .values(day=date(2000, 1, 1))
        )


def make_old_home(home: Path, log_types: list[str]) -> dict[str, tuple[WalkState, QuotaCounter]]:
    """Turn `home` into what an earlier version left: the Forcepoint state of `log_types` as the JSON
    files that version wrote (`state/forcepoint/<type>.json`, `state/quota/forcepoint/<type>.json`
    with today's count), and none of it in the database (its state rows are deleted; the database
    itself stays: it may hold more than the state). Returns what the files hold, per log type."""
    held = {}
    with home_state(home) as store:
        for lt in log_types:
            key = stream_name("forcepoint", lt)
            walk, counter = store.load_walk(key), store.quota(key, utc_today())
            write_state_file(home / "state" / "forcepoint" / f"{lt}.json", walk.to_file_doc())
            write_state_file(
                home / "state" / "quota" / "forcepoint" / f"{lt}.json",
                {"day": counter.day, "spent": counter.spent, "server_remaining": counter.server_remaining},
            )
            held[lt] = (walk, counter)
            with store.db.transaction() as conn:
                conn.execute(sa.delete(t.walks).where(t.walks.c.stream == key))
                conn.execute(sa.delete(t.days).where(t.days.c.stream == key))
                conn.execute(sa.delete(t.quota).where(t.quota.c.key == key))
                conn.execute(sa.delete(t.quota_charges).where(t.quota_charges.c.key == key))
            assert store.load_walk(key) == WalkState(key) and store.quota(key, utc_today()).spent == 0
    return held
