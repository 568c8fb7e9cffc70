"""The walk-state store: the typed state round-trips through the pipeline's database; a walk row that
does not read as the typed state stops the run naming the row and how to recover (the row is kept);
the walk state file of an earlier version comes in with its defaults, and one that is not the typed
state stops the import naming the file (the file is kept); one walk per log type holds the lock at a
time, and a walk that lost its lock saves nothing."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.forcepoint.client import ForcepointError
from log_assets.forcepoint.walkstate import DatabaseWalkStateStore
from log_assets.legacy.statefiles import WALK_RECOVERY, StateFileError
from log_assets.legacy.stateimport import import_state_files
from log_assets.state import DayRecord, LockLost, StateCorrupt, StateStore, Tail, Walk, WalkCounters, WalkState
from log_assets.state import tables as t
from log_assets.state.locks import lock_file

LT = FORCEPOINT_TYPES["access"]
LOG = logging.getLogger("test.walkstate")
STREAM = "forcepoint/access"


def walk_store(store: StateStore, lock_timeout: float = 5.0) -> DatabaseWalkStateStore:
    return DatabaseWalkStateStore(store, LT, lock_timeout=lock_timeout, log=LOG)


def a_state() -> WalkState:
    walk = Walk(
        "20261110T000000-abcdef",
        "2026-11-10",
        "2026-11-12",
        "tok-7",
        "startdate 2026-11-10T00:00:00Z",
        replace_days=["2026-11-11"],
        pages=7,
        requests=8,
        max_time_us=1_794_000_000_000_000,
        staged=["2026-11-11"],
        committed=["2026-11-10"],
        counters=WalkCounters(events=700, duplicates=3, landed=697),
        new_fields=["riskscore"],
    )
    return WalkState(
        STREAM,
        days={"2026-11-10": DayRecord(True, walk.id), "2026-11-09": DayRecord(False, "older")},
        walk=walk,
        tail=Tail("tok-6", "2026-11-01", "2026-11-09T23:59:00Z", ["2026-11-09"]),
    )


def test_no_row_is_an_empty_state(state_store):
    assert walk_store(state_store).load() == WalkState(STREAM)


def test_the_typed_state_round_trips_through_the_database(tmp_path, state_store):
    s = walk_store(state_store)
    state = a_state()
    with s.exclusive():
        s.save(state)
    assert state.version == 1
    with StateStore.open(tmp_path, environ={}) as other:  # another process reads what was committed
        loaded = walk_store(other).load()
    assert loaded == state and loaded.walk is not None and loaded.walk.counters.events == 700
    assert loaded.days["2026-11-10"] == DayRecord(True, "20261110T000000-abcdef")
    assert loaded.tail is not None and loaded.tail.token == "tok-6"
    loaded.days, loaded.walk, loaded.tail = {}, None, None
    with s.exclusive():
        s.save(loaded)
    assert s.load().to_file_doc() == {"version": 1, "days": {}, "walk": None, "tail": None}
    assert s.load().version == 2
    assert not (tmp_path / "state").exists(), "a state file beside the database"


def _set_walk_doc(store: StateStore, doc: dict) -> None:
    with store.db.transaction() as conn:
        conn.execute(sa.update(t.walks).where(t.walks.c.stream == STREAM).values(walk=json.dumps(doc)))


def _set_tail_doc(store: StateStore, doc: dict) -> None:
    with store.db.transaction() as conn:
        conn.execute(sa.update(t.walks).where(t.walks.c.stream == STREAM).values(tail=json.dumps(doc)))


@pytest.mark.parametrize(
    "part,change,reason",
    [
        ("walk", lambda d: d.update(pages="7"), "walk.pages is a string"),
        ("walk", lambda d: d.update(pages=-1), "walk.pages is -1, a count cannot be negative"),
        ("walk", lambda d: d["counters"].update(surprise=1), "fields this version does not know: surprise"),
        ("walk", lambda d: d["staged"].append("tomorrow"), "walk.staged[1] 'tomorrow' is not a YYYY-MM-DD day"),
        ("tail", lambda d: d.pop("covered_from"), "tail.covered_from is missing"),
    ],
)
def test_a_row_that_is_not_the_typed_state_stops_the_run_naming_it_and_how_to_recover(
    state_store, part, change, reason
):
    s = walk_store(state_store)
    state = a_state()
    s.save(state)
    doc = (state.walk if part == "walk" else state.tail).to_dict()  # type: ignore[union-attr]
    change(doc)
    (_set_walk_doc if part == "walk" else _set_tail_doc)(state_store, doc)
    with pytest.raises(StateCorrupt) as e:
        s.load()
    text = str(e.value)
    assert reason in e.value.reason, e.value.reason
    assert f"state row '{STREAM}' in table {t.walks.name} is unusable" in text
    assert f"DELETE FROM {t.walks.name} WHERE stream = '{STREAM}'" in text, text  # how to recover
    with state_store.db.transaction(write=False) as conn:  # the row is kept as it was
        kept = conn.execute(sa.select(t.walks.c[part]).where(t.walks.c.stream == STREAM)).scalar_one()
    assert json.loads(kept) == doc


def test_a_walk_file_of_an_earlier_version_imports_with_the_defaults_of_newer_keys(tmp_path, state_store):
    doc = a_state().to_file_doc()
    for key in ("new_fields", "floor_us"):
        del doc["walk"][key]
    doc["walk"]["counters"] = {"events": 5, "duplicates": 0}
    path = tmp_path / "state" / "forcepoint" / "access.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(doc))
    assert import_state_files(state_store, tmp_path / "state").imported == [str(path)]
    walk = walk_store(state_store).load().walk
    assert walk is not None and walk.new_fields == [] and walk.floor_us is None
    assert walk.counters == WalkCounters(events=5)


@pytest.mark.parametrize(
    "change,reason",
    [
        (lambda d: d.update(days=[]), "'days' is an array"),  # the file's shape check
        (lambda d: d["walk"].update(pages="7"), "walk.'pages' is a string"),
        (lambda d: d["walk"].update(pages=-1), "walk.pages is -1, a count cannot be negative"),  # the types'
        (lambda d: d["walk"]["counters"].update(surprise=1), "fields this version does not know: surprise"),
        (lambda d: d["walk"]["staged"].append("tomorrow"), "walk.staged[1] 'tomorrow' is not a YYYY-MM-DD day"),
        (lambda d: d["tail"].pop("covered_from"), "tail.covered_from is missing"),
        (lambda d: d.update(version=2), "newer than this log-assets reads"),
    ],
)
def test_a_walk_file_that_is_not_the_typed_state_stops_the_import_and_is_kept(
    tmp_path, state_store, change, reason
):
    doc = a_state().to_file_doc()
    change(doc)
    path = tmp_path / "state" / "forcepoint" / "access.json"
    path.parent.mkdir(parents=True)
    content = json.dumps(doc).encode()
    path.write_bytes(content)
    with pytest.raises(StateFileError) as e:
        import_state_files(state_store, tmp_path / "state")
    assert e.value.path == path and reason in e.value.reason, e.value.reason
    assert WALK_RECOVERY in str(e.value)
    assert path.read_bytes() == content
    assert walk_store(state_store).load() == WalkState(STREAM), "a part of the file was imported"


def test_one_walk_holds_the_log_type_and_another_gives_up_after_its_timeout(tmp_path, state_store, caplog):
    with StateStore.open(tmp_path, environ={}) as other:  # another run's own connections
        first, second = walk_store(state_store), walk_store(other, lock_timeout=0.6)
        gave_up = pytest.raises(
            ForcepointError, match=r"gave up waiting for another run fetching access: .* gave up after waiting"
        )
        with first.exclusive(), caplog.at_level(logging.INFO, "test.walkstate"), gave_up, second.exclusive():
            pytest.fail("two walks held the same log type")
        assert "is fetching this log type; waiting for it" in caplog.text
        assert "another run (log_assets " in caplog.text  # the holder is named
        with second.exclusive():  # free again once the first is done
            pass


def test_a_walk_that_lost_its_lock_saves_nothing(state_store):
    s = walk_store(state_store)
    saved = a_state()
    with s.exclusive():
        s.save(saved)
        lock_file(state_store.db, STREAM).unlink()  # another run could now take the log type
        with pytest.raises(LockLost):
            s.save(WalkState(STREAM, version=saved.version))
    assert s.load() == saved
