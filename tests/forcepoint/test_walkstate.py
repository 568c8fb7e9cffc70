"""The JSON walk-state store: the typed state round-trips through `state/forcepoint/<type>.json` in
the shape the shape check accepts; a file that does not read as the typed state stops the run naming
the file and how to recover (the file is kept); one walk per log type holds the lock at a time."""

from __future__ import annotations

import json
import logging

import pytest

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.forcepoint.client import ForcepointError
from log_assets.forcepoint.statefiles import WALK_RECOVERY, check_walk_state
from log_assets.forcepoint.walkstate import JsonWalkStateStore
from log_assets.fsutil import StateFileError
from log_assets.paths import Home
from log_assets.state import DayRecord, Tail, Walk, WalkCounters, WalkState

LT = FORCEPOINT_TYPES["access"]
LOG = logging.getLogger("test.walkstate")


def store(tmp_path, lock_timeout: float = 5.0) -> JsonWalkStateStore:
    return JsonWalkStateStore(Home(tmp_path), LT, lock_timeout=lock_timeout, log=LOG)


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
        "forcepoint/access",
        days={"2026-11-10": DayRecord(True, walk.id), "2026-11-09": DayRecord(False, "older")},
        walk=walk,
        tail=Tail("tok-6", "2026-11-01", "2026-11-09T23:59:00Z", ["2026-11-09"]),
    )


def test_no_file_is_an_empty_state(tmp_path):
    assert store(tmp_path).load() == WalkState("forcepoint/access")


def test_the_typed_state_round_trips_through_the_file(tmp_path):
    s = store(tmp_path)
    s.save(a_state())
    assert s.path == tmp_path / "state" / "forcepoint" / "access.json"
    doc = json.loads(s.path.read_bytes())
    assert check_walk_state(doc) is None
    assert doc["days"]["2026-11-10"] == {"complete": True, "walk": "20261110T000000-abcdef"}
    assert doc["walk"]["counters"]["events"] == 700 and doc["tail"]["token"] == "tok-6"
    assert s.load() == a_state()
    s.save(WalkState("forcepoint/access"))
    assert json.loads(s.path.read_bytes()) == {"version": 1, "days": {}, "walk": None, "tail": None}


def test_a_file_written_before_the_optional_keys_reads_with_their_defaults(tmp_path):
    s = store(tmp_path)
    doc = a_state().to_file_doc()
    for key in ("new_fields", "floor_us"):
        del doc["walk"][key]
    doc["walk"]["counters"] = {"events": 5, "duplicates": 0}
    s.path.parent.mkdir(parents=True)
    s.path.write_text(json.dumps(doc))
    walk = s.load().walk
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
def test_a_file_that_is_not_the_typed_state_stops_the_run_and_is_kept(tmp_path, change, reason):
    s = store(tmp_path)
    doc = a_state().to_file_doc()
    change(doc)
    s.path.parent.mkdir(parents=True)
    content = json.dumps(doc).encode()
    s.path.write_bytes(content)
    with pytest.raises(StateFileError) as e:
        s.load()
    assert e.value.path == s.path and reason in e.value.reason, e.value.reason
    assert WALK_RECOVERY in str(e.value)
    assert s.path.read_bytes() == content


def test_one_walk_holds_the_log_type_and_another_gives_up_after_its_timeout(tmp_path, caplog):
    first, second = store(tmp_path), store(tmp_path, lock_timeout=0.6)
    gave_up = pytest.raises(ForcepointError, match="gave up after 1s waiting for another run fetching access")
    with first.exclusive(), caplog.at_level(logging.INFO, "test.walkstate"), gave_up, second.exclusive():
        pytest.fail("two walks held the same log type")
    assert "another run is fetching this log type; waiting for it" in caplog.text
    with second.exclusive():  # free again once the first is done
        pass
