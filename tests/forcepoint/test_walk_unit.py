"""The walk against a scripted client: quarantine, malformed pages, token restarts (no HTTP)."""

from __future__ import annotations

import json
import stat
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.forcepoint.client import ApiError, MalformedPage, Page
from log_assets.forcepoint.ingest import ForcepointIngest, WalkInterrupted
from log_assets.forcepoint.quota import DatabaseQuotaBudget
from log_assets.paths import Home
from log_assets.state import WalkState

from .conftest import lake_ids

DAY = datetime(2026, 11, 10, tzinfo=UTC)


def rec(i, day=DAY, sec=None):
    t = day + timedelta(seconds=sec if sec is not None else i * 60)
    return {
        "time": t.strftime("%d %b %Y %H:%M:%S"),
        "transactionid": f"tx-{i} [{t:%d %b %Y %H:%M:%S}]",
        "user": f"u{i}",
    }


class ScriptedClient:
    """Answers fetch() from a list: Page objects, or exceptions to raise."""

    response_format = "json"

    def cv_for(self, lt):
        return "1.1.5"

    def __init__(self, script):
        self.script = list(script)
        self.requests_sent = 0
        self.calls = []

    def fetch(self, lt, *, startdate=None, token=None):
        self.requests_sent += 1
        self.calls.append(("startdate", startdate) if startdate else ("token", token))
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item


def page(records, token):
    return Page(records, token, 200, 0, None, None, b"", [])


def ingest(tmp_path, store, client):
    """The walk of a home at `tmp_path` with its state in `store` (as a run has it: both in the database)."""
    lt = FORCEPOINT_TYPES["access"]
    home = Home(tmp_path)
    budget = DatabaseQuotaBudget(store, "access")
    return ForcepointIngest(home, lt, client, budget, clock=lambda: DAY + timedelta(days=5))


def test_bad_records_are_quarantined_and_the_rest_lands(tmp_path, state_store):
    good = [rec(i) for i in range(5)]
    bad = {"time": "garbage", "transactionid": "bad-1", "user": "x"}
    next_day = [rec(i, day=DAY + timedelta(days=1)) for i in (98, 99)]
    client = ScriptedClient(
        [page(good[:3] + [bad], "t1"), page(good[3:] + next_day[:1], "t2"), page(next_day[1:], "t3")]
    )
    report = ingest(tmp_path, state_store, client).run(DAY, DAY + timedelta(days=1))
    assert sorted(lake_ids(tmp_path, "access", "2026-11-10")) == sorted(r["transactionid"] for r in good)
    assert report.quarantined == 1 and report.days["2026-11-10"]["complete"]
    files = list((tmp_path / "quarantine" / "forcepoint" / "access").glob("*.jsonl"))
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert report.quarantine_paths == [files[0].resolve().as_uri()]  # where, on the storage root
    line = json.loads(files[0].read_text())
    assert json.loads(line["raw"]) == bad and "time" in line["reason"]
    # the walk stopped at the first page wholly past the window
    assert len(client.calls) == 3


def test_malformed_page_is_quarantined_and_the_next_run_resumes(tmp_path, state_store):
    recs = [rec(i) for i in range(6)]
    client = ScriptedClient([page(recs[:3], "t1"), MalformedPage("not JSON", b"<html>oops</html>")])
    with pytest.raises(WalkInterrupted):
        ingest(tmp_path, state_store, client).run(DAY, DAY + timedelta(days=1))
    bodies = list((tmp_path / "quarantine" / "forcepoint" / "access").glob("*.body"))
    assert [b.read_bytes() for b in bodies] == [b"<html>oops</html>"]
    client2 = ScriptedClient([page(recs[3:], "t2"), page([], "t2")])
    report = ingest(tmp_path, state_store, client2).run(DAY, DAY + timedelta(days=1))
    assert client2.calls[0] == ("token", "t1")  # resumed where the first run stopped
    assert sorted(lake_ids(tmp_path, "access", "2026-11-10")) == sorted(r["transactionid"] for r in recs)
    assert report.days["2026-11-10"]["complete"]  # caught up, and the day ended long ago


def test_redelivered_events_land_once(tmp_path, state_store):
    recs = [rec(i) for i in range(4)]
    client = ScriptedClient([page(recs[:3], "t1"), page([recs[2], recs[1], recs[3]], "t2"), page([], "t2")])
    report = ingest(tmp_path, state_store, client).run(DAY, DAY + timedelta(days=1))
    assert sorted(lake_ids(tmp_path, "access", "2026-11-10")) == sorted(r["transactionid"] for r in recs)
    assert report.duplicates == 2


def test_refused_token_restarts_from_the_current_day(tmp_path, state_store):
    recs = [rec(i) for i in range(4)]
    client = ScriptedClient(
        [page(recs[:2], "t1"), ApiError(400, "Invalid next page token"), page(recs, "t3"), page([], "t3")]
    )
    ingest(tmp_path, state_store, client).run(DAY, DAY + timedelta(days=1))
    assert client.calls[2] == ("startdate", "2026-11-10T00:00:00Z")
    assert sorted(lake_ids(tmp_path, "access", "2026-11-10")) == sorted(r["transactionid"] for r in recs)


def test_open_day_continues_from_its_token_but_a_stale_token_is_not_used(tmp_path, state_store):
    recs = [rec(i) for i in range(3)]
    clock_now = DAY + timedelta(hours=1)
    lt = FORCEPOINT_TYPES["access"]
    home = Home(tmp_path)
    budget = DatabaseQuotaBudget(state_store, "access")

    def run(client, start, now):
        return ForcepointIngest(home, lt, client, budget, clock=lambda: now).run(start, start + timedelta(days=1))

    c1 = ScriptedClient([page(recs[:2], "t1"), page([], "t1")])
    r1 = run(c1, DAY, clock_now)
    assert r1.days["2026-11-10"]["complete"] is False  # caught up, but the day is still running
    c2 = ScriptedClient([page(recs[2:], "t2"), page([], "t2")])
    run(c2, DAY, clock_now + timedelta(minutes=5))
    assert c2.calls[0] == ("token", "t1")
    assert sorted(lake_ids(tmp_path, "access", "2026-11-10")) == sorted(r["transactionid"] for r in recs)
    # three days later, for another day: the old token would walk days nobody asked for
    later = DAY + timedelta(days=3)
    c3 = ScriptedClient([page([rec(7, day=later)], "t9"), page([], "t9")])
    run(c3, later, later + timedelta(hours=2))
    assert c3.calls[0] == ("startdate", "2026-11-13T00:00:00Z")


class MemoryStore:
    """A walk-state store outside the file system: what the walk asks of any store, and no more."""

    def __init__(self):
        self.saved: list[dict] = []
        self.held = False

    def load(self):
        stream = "forcepoint/access"
        return WalkState.from_file_doc(stream, self.saved[-1]) if self.saved else WalkState(stream)

    def save(self, state):
        assert self.held, "saved without holding the log type"
        self.saved.append(state.to_file_doc())

    @contextmanager
    def exclusive(self):
        self.held = True
        try:
            yield
        finally:
            self.held = False


def test_the_walk_keeps_its_state_in_the_store_it_is_given(tmp_path, state_store):
    recs = [rec(i) for i in range(4)]
    lt = FORCEPOINT_TYPES["access"]
    home = Home(tmp_path)
    store = MemoryStore()

    def run(client):
        budget = DatabaseQuotaBudget(state_store, "access")
        walk = ForcepointIngest(home, lt, client, budget, clock=lambda: DAY + timedelta(days=5), store=store)
        return walk.run(DAY, DAY + timedelta(days=1))

    with pytest.raises(WalkInterrupted):
        run(ScriptedClient([page(recs[:2], "t1"), ApiError(500, "down")]))
    assert store.saved[-1]["walk"]["token"] == "t1" and store.saved[-1]["walk"]["pages"] == 1
    report = run(ScriptedClient([page(recs[2:], "t2"), page([], "t2")]))
    assert report.days["2026-11-10"]["complete"] and store.saved[-1]["walk"] is None
    assert store.saved[-1]["days"]["2026-11-10"]["complete"] is True
    assert not (tmp_path / "state" / "forcepoint").exists()  # no state file beside it
    assert state_store.load_walk("forcepoint/access").version == 0  # nor a walk row in the database
    assert sorted(lake_ids(tmp_path, "access", "2026-11-10")) == sorted(r["transactionid"] for r in recs)


def test_a_store_refusing_a_staged_part_interrupts_the_walk_at_its_last_checkpoint(
    tmp_path, state_store, monkeypatch, caplog
):
    """The part of page 2 is refused: the run fails saying so, the checkpoint stays after page 1
    (counting nothing of page 2), and the next run lands page 2 from there, every event once."""
    from log_assets.storage import Storage, StorageError

    recs = [rec(i) for i in range(6)]
    real_write = Storage.write_bytes
    parts = {"n": 0}

    def refuse_second_part(self, key, data, **kw):
        if key.endswith(".arrow"):
            parts["n"] += 1
            if parts["n"] == 2:
                raise StorageError(f"writing {self.uri(key)} failed: the store is full (simulated)")
        return real_write(self, key, data, **kw)

    monkeypatch.setattr(Storage, "write_bytes", refuse_second_part)
    client = ScriptedClient([page(recs[:2], "t1"), page(recs[2:4], "t2"), page(recs[4:], "t3")])
    with pytest.raises(WalkInterrupted, match="the store is full") as e:
        ingest(tmp_path, state_store, client).run(DAY, DAY + timedelta(days=1))
    assert isinstance(e.value.cause, StorageError)
    assert "resumes from its last checkpoint (page 1)" in caplog.text
    saved = state_store.load_walk("forcepoint/access").walk
    assert saved is not None and saved.token == "t1" and saved.pages == 1
    assert saved.counters.events == 2 and e.value.report.events_received == 2  # nothing of page 2
    assert lake_ids(tmp_path, "access", "2026-11-10") == []

    monkeypatch.setattr(Storage, "write_bytes", real_write)
    client2 = ScriptedClient([page(recs[2:4], "t2"), page(recs[4:], "t3"), page([], "t3")])
    report = ingest(tmp_path, state_store, client2).run(DAY, DAY + timedelta(days=1))
    assert client2.calls[0] == ("token", "t1")
    assert report.days["2026-11-10"]["complete"] and report.events_received == 6
    assert sorted(lake_ids(tmp_path, "access", "2026-11-10")) == sorted(r["transactionid"] for r in recs)
    assert not list((tmp_path / "lake" / ".staging").rglob("*.arrow"))


def test_late_records_an_interrupted_walk_staged_land_when_no_request_is_needed(tmp_path, state_store):
    """A walk of day 2 meets a late record of day 1 (complete since an earlier walk), passes day 2's
    end and is interrupted: day 2 is complete, the late record only staged (days before the window
    merge when the walk finishes). A later run of day 2 needs no request; it merges that record."""
    day1 = [rec(i) for i in range(3)]
    first = ScriptedClient([page(day1, "t1"), page([rec(9, day=DAY + timedelta(days=1))], "t2")])
    ingest(tmp_path, state_store, first).run(DAY, DAY + timedelta(days=1))
    assert sorted(lake_ids(tmp_path, "access", "2026-11-10")) == sorted(r["transactionid"] for r in day1)

    day2 = [rec(i, day=DAY + timedelta(days=1)) for i in (10, 11)]
    late = rec(5, sec=23 * 3600)  # day 1, 23:00
    past = rec(20, day=DAY + timedelta(days=2))
    second = ScriptedClient([page(day2 + [late], "u1"), page([day2[1], past], "u2"), ApiError(500, "down")])
    with pytest.raises(WalkInterrupted):
        ingest(tmp_path, state_store, second).run(DAY + timedelta(days=1), DAY + timedelta(days=2))
    assert late["transactionid"] not in lake_ids(tmp_path, "access", "2026-11-10")  # staged only

    third = ScriptedClient([])
    report = ingest(tmp_path, state_store, third).run(DAY + timedelta(days=1), DAY + timedelta(days=2))
    assert third.calls == [] and "no request sent" in report.stopped_because
    assert late["transactionid"] in lake_ids(tmp_path, "access", "2026-11-10")
    staging = tmp_path / "lake" / ".staging" / "forcepoint" / "access"
    assert not [p for p in staging.rglob("*") if p.is_file()], "nothing is left staged"


def test_a_future_dated_record_does_not_end_todays_fetch(tmp_path, state_store):
    """A device whose clock says 2199 (inside the accepted range) sends one record in today's walk: it
    lands in its own day and is counted, but today stays open, the tail token is kept, and the next
    run fetches the rest of today from it."""
    lt = FORCEPOINT_TYPES["access"]
    home, budget = Home(tmp_path), DatabaseQuotaBudget(state_store, "access")
    now = DAY + timedelta(hours=12)
    recs = [rec(i) for i in range(5)]
    skewed = {"time": "31 Dec 2199 23:59:59", "transactionid": "tx-skewed", "user": "clock"}

    def run(client, at):
        return ForcepointIngest(home, lt, client, budget, clock=lambda: at).run(DAY, DAY + timedelta(days=1))

    c1 = ScriptedClient([page(recs[:2] + [skewed] + recs[2:3], "t1"), page([], "t1")])
    r1 = run(c1, now)
    assert r1.future_dated == 1
    assert r1.days["2026-11-10"]["complete"] is False  # today is still running
    assert state_store.load_walk("forcepoint/access").tail.token == "t1"
    assert lake_ids(tmp_path, "access", "2199-12-31") == ["tx-skewed"]  # landed, not dropped

    c2 = ScriptedClient([page(recs[3:], "t2"), page([], "t2")])
    r2 = run(c2, now + timedelta(hours=1))
    assert c2.calls[0] == ("token", "t1")  # continued from the kept token, no request spent again
    assert sorted(lake_ids(tmp_path, "access", "2026-11-10")) == sorted(r["transactionid"] for r in recs)
    assert r2.days["2026-11-10"]["complete"] is False
