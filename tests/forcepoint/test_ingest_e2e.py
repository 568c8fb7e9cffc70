"""End to end over HTTP: simulator -> client -> walk -> the Iceberg lake, through Dagster."""

from __future__ import annotations

import json
import math

import pytest

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.simulator import SimConfig, Simulator
from tests.pipeline_state import pass_midnight, todays_count

from .conftest import assert_lake_matches_truth_once, day_str, lake_ids, materialize, metadata, truth_ids

# module-scoped fixtures: under xdist the module's tests run on one worker, its fixtures once
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("forcepoint.test_ingest_e2e")]

PAGE = 40


@pytest.fixture(scope="module")
def sim():
    cfg = SimConfig(
        seed=11, days=3, forcepoint_events_per_day=90, page_size=PAGE, quota=100_000, aperture_backlog_per_type=0
    )
    with Simulator(cfg, port=0) as s:
        yield s


def assert_lake_matches_truth(sim, home, log_type, days):
    for day in days:
        assert_lake_matches_truth_once(sim, home, log_type, day)


@pytest.mark.parametrize("fmt", ["json", "csv"])
@pytest.mark.parametrize("log_type", sorted(FORCEPOINT_TYPES))
def test_every_type_lands_every_event_once(simulator, sim, tmp_path, clean_env, log_type, fmt):
    simulator.use(sim)
    clean_env.setenv("FORCEPOINT_RESPONSE_FORMAT", fmt)
    days = [day_str(-2), day_str(-1)]
    result = materialize(log_type, days[0], days[-1], tmp_path)
    assert result.success
    assert_lake_matches_truth(sim, tmp_path, log_type, days)
    md = metadata(result, log_type)
    assert md["events_per_day"] == {d: len(truth_ids(sim, log_type, d)) for d in days}
    assert md["quarantined_records"] == 0
    assert sorted(md["complete_days"]) == days


def test_range_costs_pages_plus_one_and_closed_days_cost_nothing(simulator, sim, tmp_path, clean_env):
    simulator.use(sim)
    lt = "access"
    days = [day_str(-2), day_str(-1), day_str(0)]
    before = sim.forcepoint.requests(lt)
    result = materialize(lt, days[0], days[-1], tmp_path)
    spent = sim.forcepoint.requests(lt) - before
    md = metadata(result, lt)
    # every record of the stream from the first day on was received once: the minimum walk is one
    # page per page_size records, plus the request that finds the API caught up
    assert spent == math.ceil(md["events_received"] / PAGE) + 1 == md["requests_spent"]
    assert_lake_matches_truth(sim, tmp_path, lt, days[:2])
    assert sorted(lake_ids(tmp_path, lt, days[2])) == sorted(truth_ids(sim, lt, days[2]))
    assert md["open_days"] == [days[2]]

    # closed, complete days again: nothing is sent
    before = sim.forcepoint.requests(lt)
    again = materialize(lt, days[0], days[1], tmp_path)
    assert sim.forcepoint.requests(lt) == before
    assert metadata(again, lt)["requests_spent"] == 0
    assert_lake_matches_truth(sim, tmp_path, lt, days[:2])

    # polls of the open day that find nothing new cost one request each, every time
    for _ in range(2):
        before = sim.forcepoint.requests(lt)
        materialize(lt, days[2], days[2], tmp_path)
        assert sim.forcepoint.requests(lt) - before == 1

    # the open day continues from its token and fetches only what is new
    sim.forcepoint.append(lt, 25)
    before = sim.forcepoint.requests(lt)
    materialize(lt, days[2], days[2], tmp_path)
    assert sim.forcepoint.requests(lt) - before == math.ceil(25 / PAGE) + 1
    assert sorted(lake_ids(tmp_path, lt, days[2])) == sorted(truth_ids(sim, lt, days[2]))

    # an explicit refetch replaces a complete day (and spends requests)
    before = sim.forcepoint.requests(lt)
    materialize(lt, days[0], days[0], tmp_path, refetch=True)
    assert sim.forcepoint.requests(lt) > before
    assert_lake_matches_truth(sim, tmp_path, lt, days[:1])


def test_events_on_midnight_belong_to_the_day_they_start(simulator, sim, tmp_path, clean_env):
    simulator.use(sim)
    lt = "admin"
    day = day_str(-1)
    midnight = [r for r in sim.forcepoint.distinct_events(lt, day=day) if r["time"].endswith(" 00:00:00")]
    assert midnight, "the simulator must generate events exactly at midnight"
    materialize(lt, day_str(-2), day, tmp_path)
    ids = set(lake_ids(tmp_path, lt, day))
    assert {r["transactionid"] for r in midnight} <= ids
    assert not ({r["transactionid"] for r in midnight} & set(lake_ids(tmp_path, lt, day_str(-2))))


def test_503_bursts_are_retried(simulator, sim, tmp_path, clean_env):
    simulator.use(sim)
    sim.faults.add("503", count=2, path="forcepoint")
    try:
        result = materialize("ztna", day_str(-1), day_str(-1), tmp_path)
    finally:
        sim.faults.clear()
    assert result.success
    assert_lake_matches_truth(sim, tmp_path, "ztna", [day_str(-1)])


def test_bad_credentials_fail_at_once(simulator, sim, tmp_path, clean_env):
    simulator.use(sim)
    clean_env.setenv("FORCEPOINT_API_TOKEN", "wrong-token")
    before = sim.forcepoint.requests("healthapi")
    result = materialize("healthapi", day_str(-1), day_str(-1), tmp_path, raise_on_error=False)
    assert not result.success
    assert sim.forcepoint.requests("healthapi") - before == 1  # no retry of a 401
    text = json.dumps([str(e.event_specific_data) for e in result.all_events if e.is_failure])
    assert "Invalid credentials" in text and "wrong-token" not in text


def test_missing_credentials_send_nothing(sim, tmp_path, clean_env):
    clean_env.setenv("FORCEPOINT_API_URL", sim.forcepoint_url)
    before = sim.forcepoint.requests("admin")
    result = materialize("admin", day_str(-1), day_str(-1), tmp_path, raise_on_error=False)
    assert not result.success
    assert sim.forcepoint.requests("admin") == before
    text = " ".join(str(e.event_specific_data) for e in result.all_events if e.is_failure)
    assert "FORCEPOINT_API_TOKEN" in text


def test_basic_auth_with_colon_in_password(simulator, sim, tmp_path, clean_env):
    simulator.use(sim, basic=True)
    assert ":" in sim.env(basic=True)["FORCEPOINT_PASSWORD"]
    result = materialize("cloudsummary", day_str(-1), day_str(-1), tmp_path)
    assert result.success
    assert_lake_matches_truth(sim, tmp_path, "cloudsummary", [day_str(-1)])


def test_quota_429_mid_walk_then_resume_after_reset(simulator, tmp_path, clean_env):
    sim = simulator(
        seed=5, days=3, forcepoint_events_per_day=100, page_size=25, quota=6, aperture_backlog_per_type=0
    )
    lt = "swgweb"
    days = [day_str(-2), day_str(-1)]
    first = materialize(lt, days[0], days[1], tmp_path, raise_on_error=False)
    assert not first.success
    text = " ".join(str(e.event_specific_data) for e in first.all_events if e.is_failure)
    assert "resets at" in text and "00:00:00+00:00" in text
    spent = sim.forcepoint.requests(lt)
    # X-RateLimit-Remaining said 0 after the last allowed request: nothing more was sent
    assert spent == sim.config.quota
    # UTC midnight resets the server's count and ours; the walk resumes where it stopped, as many
    # days as it takes (swgweb pages by windows of time: how many requests the two days take
    # depends on the time of day the simulator's windows start from)
    for _ in range(4):
        sim.forcepoint.reset_quota(lt)
        pass_midnight(tmp_path, lt)
        again = materialize(lt, days[0], days[1], tmp_path, raise_on_error=False)
        spent += sim.forcepoint.requests(lt)
        if again.success:
            break
        assert sim.forcepoint.requests(lt) == sim.config.quota, "a resumed run stopped before the quota"
    assert again.success
    assert_lake_matches_truth(sim, tmp_path, lt, days)
    md = metadata(again, lt)
    assert "resumed" in md["started_from"]
    # together the runs spent the minimum: every page once (the walk's pages, counted across the
    # runs), plus the one request that found a page wholly past the window
    assert spent == md["pages"] + 1 == md["requests_spent"]


def test_own_budget_stops_before_the_server_does(simulator, tmp_path, clean_env):
    sim = simulator(
        seed=6, days=2, forcepoint_events_per_day=100, page_size=25, quota=300, aperture_backlog_per_type=0
    )
    clean_env.setenv("FORCEPOINT_DAILY_BUDGET", "3")
    lt = "healthsystem"
    first = materialize(lt, day_str(-1), day_str(-1), tmp_path, raise_on_error=False)
    assert not first.success
    assert sim.forcepoint.requests(lt) == 3
    clean_env.setenv("FORCEPOINT_DAILY_BUDGET", "300")
    second = materialize(lt, day_str(-1), day_str(-1), tmp_path)
    assert second.success
    assert_lake_matches_truth(sim, tmp_path, lt, [day_str(-1)])


def test_server_429_ends_the_run_with_the_reset_time(simulator, tmp_path, clean_env):
    sim = simulator(
        seed=8, days=2, forcepoint_events_per_day=100, page_size=25, quota=300, aperture_backlog_per_type=0
    )
    lt = "cloudaudit"
    sim.faults.add("429", count=1, path="forcepoint")  # another tool spent the quota
    first = materialize(lt, day_str(-1), day_str(-1), tmp_path, raise_on_error=False)
    assert not first.success
    text = " ".join(str(e.event_specific_data) for e in first.all_events if e.is_failure)
    assert "quota" in text and "resets at" in text
    # Until the reset, the server's "0 left" is believed: the next run sends nothing.
    sent = sim.forcepoint.requests(lt)
    again = materialize(lt, day_str(-1), day_str(-1), tmp_path, raise_on_error=False)
    assert not again.success and sim.forcepoint.requests(lt) == sent
    text = " ".join(str(e.event_specific_data) for e in again.all_events if e.is_failure)
    assert "server reports 0 left" in text and "resets at" in text
    # UTC midnight: a new day's count (the server's "0 left" of another day is not believed)
    assert todays_count(tmp_path, lt).server_remaining == 0
    pass_midnight(tmp_path, lt)
    second = materialize(lt, day_str(-1), day_str(-1), tmp_path)
    assert second.success
    assert_lake_matches_truth(sim, tmp_path, lt, [day_str(-1)])


def test_a_run_failing_while_landing_re_requests_nothing(simulator, sim, tmp_path, clean_env, monkeypatch):
    """The disk fills while page 3 is being staged (page 4 was already asked for, ahead): the run
    fails; the next run uses the two answers kept from it and sends only the requests not yet sent."""
    import errno

    from log_assets.storage import Storage

    simulator.use(sim)
    lt = "access"
    days = [day_str(-2), day_str(-1)]
    before = sim.forcepoint.requests(lt)
    materialize(lt, days[0], days[-1], tmp_path / "baseline")
    minimum = sim.forcepoint.requests(lt) - before

    real_write = Storage.write_bytes
    calls = {"n": 0}

    def full_disk_on_third_part(self, key, data, **kw):
        if key.endswith(".arrow"):  # a staged part
            calls["n"] += 1
            if calls["n"] == 3:
                with self._errors("writing", key):
                    raise OSError(errno.ENOSPC, "No space left on device (simulated)")
        return real_write(self, key, data, **kw)

    monkeypatch.setattr(Storage, "write_bytes", full_disk_on_third_part)
    before = sim.forcepoint.requests(lt)
    failed = materialize(lt, days[0], days[-1], tmp_path / "home", raise_on_error=False)
    assert not failed.success
    (failure,) = [e for e in failed.all_events if e.is_step_failure]
    assert "No space left on device" in str(failure.event_specific_data.error)
    first_run = sim.forcepoint.requests(lt) - before
    assert first_run == 4  # pages 1-3, and page 4 asked for while page 3 was landing
    kept = list((tmp_path / "home" / "lake" / ".staging" / "forcepoint" / lt).glob("*/spool/*.body"))
    assert len(kept) == 2  # the answers to pages 3 and 4, not yet checkpointed

    monkeypatch.setattr(Storage, "write_bytes", real_write)
    materialize(lt, days[0], days[-1], tmp_path / "home")
    assert sim.forcepoint.requests(lt) - before == minimum  # not one request twice
    assert_lake_matches_truth(sim, tmp_path / "home", lt, days)
    assert not list((tmp_path / "home" / "lake" / ".staging" / "forcepoint" / lt).rglob("*.body"))


def test_records_after_the_window_land_in_their_own_day_and_its_walk_still_fetches_it_whole(
    simulator, sim, tmp_path, clean_env
):
    """The page that crosses the window's end carries records of the next day: they land in that day's
    partition (kept, not only counted), which stays incomplete; the walk of that day then fetches it
    whole and every event is in the lake once."""
    simulator.use(sim)
    lt, first, nxt = "access", day_str(-2), day_str(-1)
    r1 = materialize(lt, first, first, tmp_path)
    md = metadata(r1, lt)
    assert md["outside_window"] > 0, "the last page did not cross the window's end: the test proves nothing"
    early = lake_ids(tmp_path, lt, nxt)
    # every record counted outside the window is kept (a re-delivered one once: the count is of records)
    assert 0 < len(early) <= md["outside_window"] and set(early) <= set(truth_ids(sim, lt, nxt))
    assert nxt not in md["complete_days"]
    r2 = materialize(lt, nxt, nxt, tmp_path)
    assert r2.success and nxt in metadata(r2, lt)["complete_days"]
    assert_lake_matches_truth(sim, tmp_path, lt, [first, nxt])
