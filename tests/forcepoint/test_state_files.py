"""The pipeline state fails loudly, and an upgrade loses none of it.

- The state files of an earlier version (`state/forcepoint/<type>.json`, `state/quota/forcepoint/
  <type>.json`) come into the database when the first run of their log type opens the state: once,
  with every saved position and today's request count, so that nothing is fetched again and no
  request is spent again; runs that start at once import each file once.
- A garbled or wrongly shaped state file stops that import with the file's name and how to recover:
  never a bare JSONDecodeError, never a silent reset (that would fetch complete days again or
  re-spend the day's quota); nothing is sent, the file is kept.
- A walk row in the database that does not read as the walk state stops the run naming the row and
  how to recover; nothing is sent, the row is kept, and the recovery it names works."""

from __future__ import annotations

import copy
import logging
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from log_assets.forcepoint.quota import utc_today
from log_assets.legacy import IMPORTED_SUFFIX
from log_assets.legacy.statefiles import (
    QUOTA_RECOVERY,
    WALK_RECOVERY,
    StateFileError,
    check_quota_state,
    check_walk_state,
    read_state,
    write_state_file,
)
from log_assets.legacy.stateimport import import_state_files
from log_assets.paths import Home
from log_assets.simulator import SimConfig, Simulator
from log_assets.state import DATABASE_URL_ENV, QuotaCounter, StateStore
from log_assets.state import tables as t
from log_assets.state.home import open_state
from tests.pipeline_state import home_state, make_old_home, todays_count
from tests.state.test_walks import FILE_DOC

from .conftest import assert_lake_matches_truth_once, day_str, materialize, metadata

# module-scoped fixtures: under xdist the module's tests run on one worker, its fixtures once
pytestmark = [pytest.mark.xdist_group("forcepoint.test_state_files")]

STREAM = "forcepoint/access"

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


@pytest.mark.parametrize(
    "content",
    [b"{", b"null", b"[]", b'{"day": "2026-11-20", "spent": "7"}', b"{}"],
    ids=["garbled", "null", "array", "spent as text", "empty object"],
)
def test_a_bad_quota_file_stops_the_import_and_is_kept(tmp_path, state_store, content):
    path = tmp_path / "state" / "quota" / "forcepoint" / "access.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(StateFileError) as e:
        import_state_files(state_store, tmp_path / "state")
    assert e.value.path == path and QUOTA_RECOVERY in str(e.value)
    assert path.read_bytes() == content  # not set aside as imported (which would forget the count)
    assert state_store.quota(STREAM, "2026-11-20") == QuotaCounter(STREAM, "2026-11-20")


def _old_files(state: Path, counts: dict[str, int]) -> list[Path]:
    """State files of an earlier version: per log type a walk in progress and today's count."""
    files = []
    for lt, spent in counts.items():
        files.append(state / "forcepoint" / f"{lt}.json")
        write_state_file(files[-1], copy.deepcopy(FILE_DOC))
        files.append(state / "quota" / "forcepoint" / f"{lt}.json")
        write_state_file(files[-1], {"day": utc_today(), "spent": spent, "server_remaining": 300 - spent})
    return files


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.mark.parametrize("own_type", [True, False], ids=["each its own type", "every type"])
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_runs_opening_an_old_home_at_once_import_each_file_once(tmp_path, request, backend, own_type):
    """Runs start together on a home an earlier version wrote (two of each log type, as overlapping
    backfills would): each file is imported by exactly one of them (the import holds a lock), none
    fails, no count is doubled, and one line says what each import brought in."""
    env = {} if backend == "sqlite" else {DATABASE_URL_ENV: request.getfixturevalue("postgres").create_database()}
    home = Home(tmp_path / "home")
    counts = {"access": 17, "admin": 4, "swgweb": 250}
    files = _old_files(home.state, counts)
    lines = Lines()
    logger = logging.getLogger("test.state_files.import")
    logger.addHandler(lines)
    logger.setLevel(logging.INFO)
    runs = [[lt] if own_type else None for lt in counts for _ in range(2)]
    barrier = threading.Barrier(len(runs))
    errors: list[BaseException] = []

    def run(log_types) -> None:
        try:
            barrier.wait()
            with open_state(home, log_types=log_types, logger=logger, environ=env):
                pass
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(log_types,)) for log_types in runs]
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
    finally:
        logger.removeHandler(lines)
    assert not errors, errors
    imported = [line for line in lines.lines if "imported the state files" in line]
    assert len(imported) == (len(counts) if own_type else 1), lines.lines  # the others found nothing left
    for f in files:  # each file is named by one line
        assert sum(str(f.relative_to(home.root)) in line for line in imported) == 1, (f, imported)
    assert not [line for line in lines.lines if "not imported" in line], lines.lines
    assert all(not f.exists() and f.with_name(f.name + IMPORTED_SUFFIX).exists() for f in files)
    with StateStore.open(home.root, environ=env) as store:
        for lt, spent in counts.items():
            assert store.quota(f"forcepoint/{lt}", utc_today()).spent == spent
            assert store.load_walk(f"forcepoint/{lt}").to_file_doc() == FILE_DOC
    logger.addHandler(lines)
    try:
        with open_state(home, logger=logger, environ=env):  # a later run: nothing to import, nothing said
            pass
    finally:
        logger.removeHandler(lines)
    assert len(lines.lines) == len(imported)


def test_a_run_imports_its_own_type_and_a_damaged_file_of_another_does_not_stop_it(tmp_path):
    home = Home(tmp_path / "home")
    _old_files(home.state, {"access": 5, "admin": 6})
    bad = home.state / "forcepoint" / "admin.json"
    bad.write_bytes(b'{"days": {"20')
    with open_state(home, log_types=["access"], environ={}) as store:
        assert store.quota("forcepoint/access", utc_today()).spent == 5
        assert store.quota("forcepoint/admin", utc_today()).spent == 0  # not this run's: left for its own
    assert (home.state / "quota" / "forcepoint" / "admin.json").exists()
    with pytest.raises(StateFileError) as e:
        open_state(home, log_types=["admin"], environ={})
    assert e.value.path == bad and WALK_RECOVERY in str(e.value)
    assert bad.read_bytes() == b'{"days": {"20'


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
def test_a_run_on_an_old_home_with_a_bad_state_file_stops_sends_nothing_and_keeps_the_file(
    simulator, sim, tmp_path, clean_env, which, content
):
    simulator.use(sim)
    path = tmp_path / "state" / ("forcepoint" if which == "walk" else "quota/forcepoint") / "access.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)

    before = sim.forcepoint.requests("access")
    result = materialize("access", day_str(-2), day_str(0), tmp_path, raise_on_error=False)
    msg = _failure(result)
    assert sim.forcepoint.requests("access") == before, "a request was sent on a bad state file"
    assert "StateFileError" in msg and str(path) in msg, msg
    assert (WALK_RECOVERY if which == "walk" else QUOTA_RECOVERY) in msg
    assert "JSONDecodeError" not in msg
    assert path.read_bytes() == content, "the bad file was overwritten"
    assert not path.with_name(path.name + IMPORTED_SUFFIX).exists(), "the bad file was set aside as imported"


@pytest.mark.e2e
@pytest.mark.parametrize(
    "column,value",
    [
        ("walk", '{"id": "w", "pag'),
        ("walk", '{"id": "w", "pages": "many"}'),
        ("tail", "[]"),
        ("tail", '{"token": 5}'),
    ],
    ids=["walk cut off", "walk wrongly shaped", "tail an array", "tail token a number"],
)
def test_a_run_on_a_damaged_walk_row_stops_sends_nothing_keeps_the_row_and_its_recovery_works(
    simulator, sim, tmp_path, clean_env, column, value
):
    simulator.use(sim)
    days = [day_str(-2), day_str(-1)]
    assert materialize("access", days[0], days[-1], tmp_path).success
    where = t.walks.c.stream == STREAM
    with home_state(tmp_path) as store, store.db.transaction() as conn:
        assert conn.execute(sa.update(t.walks).where(where).values({column: value})).rowcount == 1

    before = sim.forcepoint.requests("access")
    result = materialize("access", days[0], day_str(0), tmp_path, raise_on_error=False)
    msg = _failure(result)
    assert sim.forcepoint.requests("access") == before, "a request was sent on a damaged walk row"
    assert "StateCorrupt" in msg and f"state row '{STREAM}' in table {t.walks.name} is unusable" in msg, msg
    recovery = f"DELETE FROM {t.walks.name} WHERE stream = '{STREAM}'"
    assert recovery in msg and "JSONDecodeError" not in msg
    with home_state(tmp_path) as store, store.db.transaction() as conn:
        assert conn.execute(sa.select(t.walks.c[column]).where(where)).scalar_one() == value, "the row changed"
        conn.execute(sa.text(recovery))  # what the message says to do
    # The days already complete stay complete: nothing is fetched for them again.
    again = materialize("access", days[0], days[-1], tmp_path)
    assert again.success and sim.forcepoint.requests("access") == before
    assert metadata(again, "access")["complete_days"] == days
    assert materialize("access", days[0], day_str(0), tmp_path).success  # and the walk goes on from there
    for day in days:
        assert_lake_matches_truth_once(sim, tmp_path, "access", day)


@pytest.mark.e2e
def test_an_interrupted_walk_leaves_a_state_that_reads_back(simulator, sim, tmp_path, clean_env):
    """What the walk saves mid-way (a walk in progress, a tail) reads back as the typed state, in the
    shape the state files had, not only the simple states above: a false alarm would stop every run."""
    simulator.use(sim)
    clean_env.setenv("FORCEPOINT_DAILY_BUDGET", "3")
    first, last = day_str(-2), day_str(0)
    assert not materialize("access", first, last, tmp_path, raise_on_error=False).success  # budget spent
    with home_state(tmp_path) as store:
        state = store.load_walk(STREAM)
        assert state.walk is not None, "the walk was not interrupted: the test would prove nothing"
        assert check_walk_state(state.to_file_doc()) is None
        assert store.quota(STREAM, utc_today()).spent == 3
    clean_env.delenv("FORCEPOINT_DAILY_BUDGET")
    assert materialize("access", first, last, tmp_path).success  # resumes, and catches up: a tail
    with home_state(tmp_path) as store:
        state = store.load_walk(STREAM)
    assert state.walk is None and state.tail is not None and check_walk_state(state.to_file_doc()) is None


def _messages(instance, result) -> list[str]:
    return [e.user_message for e in instance.all_logs(result.run_id) if e.dagster_event is None]


@pytest.mark.e2e
def test_an_old_home_is_imported_once_and_nothing_is_fetched_or_spent_again(
    simulator, sim, tmp_path, clean_env, dagster_instance
):
    """A home an earlier version left mid-walk (its budget spent): the next run imports its state
    files, says so in one line, and resumes the walk with today's count where the files left it."""
    simulator.use(sim)
    days = [day_str(-2), day_str(-1)]
    start = sim.forcepoint.requests("access")
    clean_env.setenv("FORCEPOINT_DAILY_BUDGET", "3")
    assert not materialize("access", days[0], days[-1], tmp_path, raise_on_error=False).success
    (walk, counter) = make_old_home(tmp_path, ["access"])["access"]
    assert walk.walk is not None and walk.walk.token and counter.spent == 3, "nothing to resume from"
    files = [tmp_path / "state" / "forcepoint" / "access.json", tmp_path / "state/quota/forcepoint/access.json"]
    assert read_state(files[0]) == walk.to_file_doc() and check_quota_state(read_state(files[1])) is None

    clean_env.setenv("FORCEPOINT_DAILY_BUDGET", "300")
    result = materialize("access", days[0], days[-1], tmp_path, instance=dagster_instance)
    assert result.success
    md = metadata(result, "access")
    assert md["started_from"].startswith(f"resumed walk {walk.walk.id}"), md["started_from"]
    sent = sim.forcepoint.requests("access") - start
    assert sent == md["requests_spent"], "requests made before the upgrade were made again"
    assert todays_count(tmp_path, "access").spent == sent, "today's count did not carry over"
    for day in days:
        assert_lake_matches_truth_once(sim, tmp_path, "access", day)
    said = [m for m in _messages(dagster_instance, result) if "imported the state files" in m]
    assert len(said) == 1 and all(str(f.relative_to(tmp_path)) in said[0] for f in files), said
    assert all(not f.exists() and f.with_name(f.name + IMPORTED_SUFFIX).exists() for f in files)

    again = materialize("access", days[0], days[-1], tmp_path, instance=dagster_instance)
    assert again.success and sim.forcepoint.requests("access") - start == sent  # complete: nothing sent
    assert not [m for m in _messages(dagster_instance, again) if "state files" in m]
