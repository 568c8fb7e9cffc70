"""State files fail loudly: a garbled or wrongly shaped walk state or quota counter stops the run
with the file's name and how to recover. Never a bare JSONDecodeError, never a silent reset (that
would fetch complete days again or re-spend the day's quota); nothing is sent, the file is kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from log_assets.forcepoint.quota import QuotaBudget
from log_assets.forcepoint.statefiles import (
    QUOTA_RECOVERY,
    WALK_RECOVERY,
    check_quota_state,
    check_walk_state,
)
from log_assets.fsutil import StateFileError, read_state
from log_assets.simulator import SimConfig, Simulator

from .conftest import day_str, materialize

# module-scoped fixtures: under xdist the module's tests run on one worker, its fixtures once
pytestmark = [pytest.mark.xdist_group("forcepoint.test_state_files")]

GARBLED = {
    "cut off": b'{"day": "2026-11-20", "spe',
    "empty": b"",
    "not text": b"\xff\xfe\x00garbage",
    "HTML": b"<html>oops</html>",
}
# Valid JSON, wrong shape: each of these read as {} (or crashed) before.
WRONG_TOP = {"null": b"null", "array": b"[]", "string": b'"x"', "number": b"42"}


@pytest.mark.parametrize("content", list(GARBLED.values()) + list(WRONG_TOP.values()), ids=[*GARBLED, *WRONG_TOP])
def test_read_state_names_the_file_and_how_to_recover(tmp_path, content):
    path = tmp_path / "state" / "x.json"
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(StateFileError) as e:
        read_state(path, how_to_recover="Do the thing.")
    msg = str(e.value)
    assert str(path) in msg and "Do the thing." in msg, msg
    assert e.value.path == path
    assert "JSONDecodeError" not in msg


def test_read_state_without_a_file_is_none_and_a_valid_file_is_its_document(tmp_path):
    assert read_state(tmp_path / "missing.json") is None
    (tmp_path / "ok.json").write_text('{"a": 1}')
    assert read_state(tmp_path / "ok.json") == {"a": 1}
    (tmp_path / "d.json").mkdir()
    with pytest.raises(StateFileError, match="cannot be read"):
        read_state(tmp_path / "d.json")


WALK = {
    "id": "20260101T000000-abcdef",
    "stage_from": "2026-01-01",
    "end": "2026-01-03",
    "token": None,
    "started_from": "startdate 2026-01-01",
    "replace_days": [],
    "pages": 0,
    "requests": 0,
    "max_time_us": None,
    "staged": [],
    "committed": [],
    "dropped_after_end": 0,
    "counters": {"events": 0, "duplicates": 0},
}


EMPTY = {"version": 1, "days": {}, "walk": None, "tail": None}


@pytest.mark.parametrize(
    "doc,reason",
    [
        ({"days": []}, "'days' is an array, expected an object"),
        ({"days": {"2026-01-01": True}}, "days['2026-01-01'] is true/false, expected an object"),
        ({"days": {"2026-01-01": {"complete": "yes"}}}, "days['2026-01-01'].'complete' is a string"),
        ({"days": {"yesterday": {"complete": True}}}, "'yesterday' is not a YYYY-MM-DD day"),
        ({"walk": "x"}, "'walk' is a string, expected an object or null"),
        ({"walk": {k: v for k, v in WALK.items() if k != "token"}}, "walk.'token' is missing"),
        ({"walk": {**WALK, "pages": "3"}}, "walk.'pages' is a string, expected a number"),
        ({"walk": {**WALK, "counters": {"events": None}}}, "walk.counters['events'] is null"),
        ({"tail": {"token": 5}}, "tail.'token' is a number, expected a string"),
        ({"version": True}, "'version' is true/false"),
    ],
)
def test_a_wrongly_shaped_walk_state_is_named(doc, reason):
    got = check_walk_state({**EMPTY, **doc})
    assert got is not None and reason in got, got
    if [f"'{k}'" for k in doc] == [reason.split()[0]]:  # alone in the file, a wrong top-level field is named first
        assert reason in (check_walk_state(doc) or ""), check_walk_state(doc)


@pytest.mark.parametrize(
    "doc,reason",
    [
        ({}, "'day' is missing"),
        ({"day": "2026-11-20"}, "'spent' is missing"),
        ({"day": "2026-11-20", "spent": "5"}, "'spent' is a string, expected a number"),
        ({"day": "2026-11-20", "spent": True}, "'spent' is true/false"),
        ({"day": "2026-11-20", "spent": -1}, "cannot be negative"),
        ({"day": "today", "spent": 3}, "'day' 'today' is not a YYYY-MM-DD day"),
        ({"day": "2026-11-20", "spent": 3, "server_remaining": "9"}, "'server_remaining' is a string"),
    ],
)
def test_a_wrongly_shaped_quota_counter_is_named(doc, reason):
    got = check_quota_state(doc)
    assert got is not None and reason in got, got


@pytest.mark.parametrize("missing", sorted(EMPTY))
def test_a_walk_state_without_a_key_the_walk_always_saves_is_named(missing):
    doc = {k: v for k, v in EMPTY.items() if k != missing}
    assert check_walk_state(doc) == f"{missing!r} is missing"


def test_what_the_pipeline_writes_has_the_shape():
    assert check_walk_state(EMPTY) is None
    days = {"2026-01-01": {"complete": True, "walk": "w"}}
    assert check_walk_state({**EMPTY, "days": days, "walk": WALK}) is None
    assert check_quota_state({"day": "2026-11-20", "spent": 0, "server_remaining": None}) is None


class Clock:
    def __call__(self):
        return datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "content",
    [b"{", b"null", b"[]", b'{"day": "2026-11-20", "spent": "7"}', b"{}"],
    ids=["garbled", "null", "array", "spent as text", "empty object"],
)
def test_a_bad_quota_counter_stops_charging_and_is_kept(tmp_path, content):
    path = tmp_path / "quota" / "access.json"
    path.parent.mkdir()
    path.write_bytes(content)
    b = QuotaBudget(path, "access", limit=300, clock=Clock())
    for attempt in (b.charge, lambda: b.left):
        with pytest.raises(StateFileError) as e:
            attempt()
        assert str(path) in str(e.value) and QUOTA_RECOVERY in str(e.value)
    assert path.read_bytes() == content  # not reset to a fresh day (which would re-spend the quota)


# ---------------------------------------------------------------------- through Dagster, over HTTP


@pytest.fixture(scope="module")
def sim():
    cfg = SimConfig(seed=5, days=3, forcepoint_events_per_day=60, page_size=25, quota=100_000)
    with Simulator(cfg, port=0) as s:
        yield s


def _failure(result) -> str:
    """What the run's step failures say, causes included (Dagster wraps the exception)."""
    assert not result.success
    out = []
    for e in result.all_events:
        err = e.event_specific_data.error if e.is_step_failure else None
        while err is not None:
            out.append(err.message)
            err = err.cause
    return "\n".join(out)


@pytest.mark.e2e
@pytest.mark.parametrize("which", ["walk", "quota"])
@pytest.mark.parametrize("content", [b'{"days": {"20', b"null", b'{"days": []}', b'{"day": 5, "spent": 1}'])
def test_a_run_on_a_bad_state_file_stops_sends_nothing_and_keeps_the_file(
    sim, tmp_path, clean_env, which, content
):
    for k, v in sim.env().items():
        clean_env.setenv(k, v)
    days = [day_str(-2), day_str(-1)]
    assert materialize("access", days[0], days[-1], tmp_path).success
    path = tmp_path / "state" / ("forcepoint" if which == "walk" else "quota/forcepoint") / "access.json"
    assert read_state(path), "the first run wrote no state: the test would prove nothing"
    path.write_bytes(content)

    before = sim.forcepoint.requests("access")
    result = materialize("access", days[0], day_str(0), tmp_path, raise_on_error=False)
    msg = _failure(result)
    assert sim.forcepoint.requests("access") == before, "a request was sent on a bad state file"
    assert "StateFileError" in msg and str(path) in msg, msg
    assert (WALK_RECOVERY if which == "walk" else QUOTA_RECOVERY) in msg
    assert "JSONDecodeError" not in msg
    assert path.read_bytes() == content, "the bad file was overwritten"


@pytest.mark.e2e
def test_an_interrupted_walk_leaves_a_state_that_reads_back(sim, tmp_path, clean_env):
    """The shape checks accept what the walk writes mid-way (a walk in progress, a tail), not only
    the simple states above: a false alarm would stop every run."""
    for k, v in sim.env().items():
        clean_env.setenv(k, v)
    clean_env.setenv("FORCEPOINT_DAILY_BUDGET", "3")
    first, last = day_str(-2), day_str(0)
    assert not materialize("access", first, last, tmp_path, raise_on_error=False).success  # budget spent
    state = json.loads((tmp_path / "state" / "forcepoint" / "access.json").read_bytes())
    assert state["walk"] is not None, "the walk was not interrupted: the test would prove nothing"
    assert check_walk_state(state) is None
    assert check_quota_state(json.loads((tmp_path / "state/quota/forcepoint/access.json").read_bytes())) is None
    clean_env.delenv("FORCEPOINT_DAILY_BUDGET")
    assert materialize("access", first, last, tmp_path).success  # resumes, and catches up: a tail
    state = json.loads((tmp_path / "state" / "forcepoint" / "access.json").read_bytes())
    assert state["walk"] is None and state["tail"] is not None and check_walk_state(state) is None
