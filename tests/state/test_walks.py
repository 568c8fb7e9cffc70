"""The walk state of a log type: typed round trips, the JSON file's shape, optimistic versions."""

from __future__ import annotations

import copy
import threading

import pytest
import sqlalchemy as sa

from log_assets.legacy.statefiles import check_walk_state
from log_assets.state import DayRecord, StaleState, StateCorrupt, Tail, Walk, WalkCounters, WalkState
from log_assets.state import tables as t
from log_assets.state.documents import DocumentError
from tests.state.faults import lose_commit_answers

STREAM = "forcepoint/access"

# A state file as ingest.py writes it mid-walk (every key it may hold).
FILE_DOC = {
    "version": 1,
    "days": {
        "2026-11-18": {"complete": True, "walk": "20261119T000000-aaaaaa"},
        "2026-11-19": {"complete": False, "walk": "20261120T010203-abcdef"},
    },
    "walk": {
        "id": "20261120T010203-abcdef",
        "stage_from": "2026-11-19",
        "end": "2026-11-21",
        "token": "eyJsb2dfaWQiOiAxMjMsICJkYXRldGltZSI6ICIyMDI2LTExLTE5VDAxOjAyOjAzWiJ9+/=",
        "started_from": "startdate 2026-11-19T00:00:00Z",
        "replace_days": ["2026-11-19"],
        "pages": 12,
        "requests": 14,
        "max_time_us": 1_795_000_000_000_000,
        "staged": ["2026-11-20"],
        "committed": ["2026-11-19"],
        "dropped_after_end": 3,
        "counters": {
            "events": 1200,
            "duplicates": 4,
            "quarantined": 1,
            "coercion_failures": 2,
            "outside_window": 3,
            "future_dated": 0,
            "kept_in_raw_unlisted": 0,
            "landed": 1190,
            "late": 5,
        },
        "new_fields": ["newfield"],
        "floor_us": 1_794_000_000_000_000,
    },
    "tail": {
        "token": "eyJ0YWlsIjogMX0=",
        "covered_from": "2026-11-10",
        "position": "2026-11-18T23:59:59.000001Z",
        "open_days": ["2026-11-18"],
    },
}


def test_a_state_file_reads_into_typed_documents_and_back():
    state = WalkState.from_file_doc(STREAM, copy.deepcopy(FILE_DOC))
    assert isinstance(state.walk, Walk) and isinstance(state.walk.counters, WalkCounters)
    assert state.walk.counters.landed == 1190 and state.tail == Tail(
        "eyJ0YWlsIjogMX0=", "2026-11-10", "2026-11-18T23:59:59.000001Z", ["2026-11-18"]
    )
    assert state.days["2026-11-18"] == DayRecord(True, "20261119T000000-aaaaaa")
    assert state.to_file_doc() == FILE_DOC
    assert check_walk_state(state.to_file_doc()) is None  # what the file reader accepts


def test_a_fresh_walk_as_ingest_starts_it_fits():
    doc = {"version": 1, "days": {}, "tail": None, "walk": copy.deepcopy(FILE_DOC["walk"])}
    for key in ("new_fields", "floor_us"):
        del doc["walk"][key]  # written only once needed
    for key in ("landed", "late"):
        del doc["walk"]["counters"][key]
    state = WalkState.from_file_doc(STREAM, doc)
    assert state.walk is not None and state.walk.new_fields == [] and state.walk.floor_us is None
    assert check_walk_state(state.to_file_doc()) is None


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda d: d["walk"].update(pages="12"), "walk.pages is a string, expected a number"),
        (lambda d: d["walk"].pop("token"), "walk.token is missing"),
        (lambda d: d["walk"].update(end="21 Nov 2026"), "walk.end '21 Nov 2026' is not a YYYY-MM-DD day"),
        (lambda d: d["walk"]["counters"].update(events=True), "walk.counters.events is true/false"),
        (lambda d: d["walk"]["staged"].append(7), r"walk.staged\[1\] is a number, expected a string"),
        (lambda d: d["tail"].update(token=None), "tail.token is null, expected a string"),
        (lambda d: d["walk"].update(surprise=1), "fields this version does not know: surprise"),
        (lambda d: d["days"].update({"2026-13": {"complete": True}}), "is not a YYYY-MM-DD day"),
    ],
)
def test_a_wrongly_shaped_document_says_what_is_wrong(change, says):
    doc = copy.deepcopy(FILE_DOC)
    change(doc)
    with pytest.raises(DocumentError, match=says):
        WalkState.from_file_doc(STREAM, doc)


def test_walk_state_round_trips(store):
    empty = store.load_walk(STREAM)
    assert empty == WalkState(STREAM) and empty.version == 0
    state = WalkState.from_file_doc(STREAM, copy.deepcopy(FILE_DOC))
    store.save_walk(state)
    assert state.version == 1
    back = store.load_walk(STREAM)
    assert back == state and back.to_file_doc() == FILE_DOC
    assert store.days(STREAM) == state.days

    # The walk moves on, a day completes, a refetched day is forgotten, the walk ends.
    assert back.walk is not None
    back.walk.pages += 1
    back.walk.counters.events += 100
    back.days["2026-11-20"] = DayRecord(True, back.walk.id)
    del back.days["2026-11-18"]
    store.save_walk(back)
    again = store.load_walk(STREAM)
    assert again == back and again.version == 2
    assert again.walk is not None and again.walk.pages == 13 and again.walk.counters.events == 1300
    assert set(again.days) == {"2026-11-19", "2026-11-20"}
    again.walk = None
    store.save_walk(again)
    assert store.load_walk(STREAM).walk is None
    assert store.load_walk("forcepoint/admin") == WalkState("forcepoint/admin")  # streams are apart


def test_a_save_from_a_stale_version_is_refused_and_changes_nothing(store):
    store.save_walk(WalkState.from_file_doc(STREAM, copy.deepcopy(FILE_DOC)))
    mine, theirs = store.load_walk(STREAM), store.load_walk(STREAM)
    assert theirs.walk is not None and mine.walk is not None
    theirs.walk.pages = 50
    store.save_walk(theirs)
    mine.walk.pages = 13
    mine.days["2026-11-20"] = DayRecord(True, mine.walk.id)
    with pytest.raises(StaleState, match="changed by another run while this one held version 1") as e:
        store.save_walk(mine)
    assert "it is at version 2" in str(e.value) and e.value.stream == STREAM
    now = store.load_walk(STREAM)
    assert now == theirs and now.walk is not None and now.walk.pages == 50 and "2026-11-20" not in now.days
    assert mine.version == 1  # unchanged: the refused save did not count


def test_two_first_saves_at_once_let_exactly_one_in(store):
    results: list[str] = []
    start = threading.Barrier(2)

    def first_save(pages: int) -> None:
        state = store.load_walk(STREAM)
        state.walk = Walk(f"w{pages}", "2026-11-19", "2026-11-20", None, "startdate", pages=pages)
        start.wait()
        try:
            store.save_walk(state)
            results.append("saved")
        except StaleState:
            results.append("stale")

    threads = [threading.Thread(target=first_save, args=(n,)) for n in (1, 2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == ["saved", "stale"]
    assert store.load_walk(STREAM).version == 1


def test_a_save_whose_answer_was_lost_is_not_refused_as_stale(store, monkeypatch):
    state = WalkState.from_file_doc(STREAM, copy.deepcopy(FILE_DOC))
    failed = lose_commit_answers(monkeypatch, store.db, after=True)
    store.save_walk(state)  # committed, answer lost, retried: the retry sees its own write
    assert failed == [1]
    assert state.version == 1 and store.load_walk(STREAM) == state


def test_a_save_that_did_not_commit_is_retried(store, monkeypatch):
    state = WalkState.from_file_doc(STREAM, copy.deepcopy(FILE_DOC))
    failed = lose_commit_answers(monkeypatch, store.db, after=False)
    store.save_walk(state)
    assert failed == [1]
    assert state.version == 1 and store.load_walk(STREAM) == state


def test_a_damaged_row_stops_the_run_naming_it_and_how_to_recover(store):
    store.save_walk(WalkState.from_file_doc(STREAM, copy.deepcopy(FILE_DOC)))
    with store.db.transaction() as conn:
        conn.execute(sa.update(t.walks).values(walk='{"id": "w", "pages": "many"}'))
    with pytest.raises(StateCorrupt) as e:
        store.load_walk(STREAM)
    text = str(e.value)
    assert "'forcepoint/access' in table log_assets_state_walks is unusable" in text
    assert "DELETE FROM log_assets_state_walks WHERE stream = 'forcepoint/access'" in text
    with store.db.transaction() as conn:
        conn.execute(sa.update(t.walks).values(walk="{not json"))
    with pytest.raises(StateCorrupt, match="walk is not valid JSON"):
        store.load_walk(STREAM)
