"""A multi-day (single-run backfill) Forcepoint run: each partition gets its own figures, and the
lake checks run on every partition of the run."""

from __future__ import annotations

import pytest

from log_assets.lake.lake import Lake
from log_assets.simulator import SimConfig, Simulator
from tests.lakeview import lake_table

from .conftest import day_str, lake_ids, materialize, truth_ids

# module-scoped fixtures: under xdist the module's tests run on one worker, its fixtures once
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("forcepoint.test_partition_figures")]


@pytest.fixture(scope="module")
def sim():
    cfg = SimConfig(
        seed=21, days=3, forcepoint_events_per_day=70, page_size=30, quota=100_000, aperture_backlog_per_type=0
    )
    with Simulator(cfg, port=0) as s:
        yield s


def _by_partition(result, log_type):
    mats = result.asset_materializations_for_node(f"forcepoint__{log_type}")
    return {m.partition: {k: v.value for k, v in m.metadata.items()} for m in mats}


def test_each_partition_of_a_range_run_has_its_own_figures(simulator, sim, tmp_path, clean_env):
    simulator.use(sim)
    lt = "admin"
    days = [day_str(-2), day_str(-1)]
    result = materialize(lt, days[0], days[-1], tmp_path)
    assert result.success
    per = _by_partition(result, lt)
    assert sorted(per) == days  # one materialization per partition, not two
    for day in days:
        n = len(truth_ids(sim, lt, day))
        assert per[day]["rows"] == per[day]["dagster/row_count"] == n == len(lake_ids(tmp_path, lt, day))
        assert per[day]["first_event_time"][:10] == day and per[day]["last_event_time"][:10] == day
        assert per[day]["day_complete"] is True
        # the run's own figures stay beside them
        assert per[day]["events_per_day"] == {d: len(truth_ids(sim, lt, d)) for d in days}
    assert per[days[0]]["first_event_time"] != per[days[1]]["first_event_time"]

    evals = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evals) == {"event_ids_unique", "rows_as_reported"}
    assert all(e.passed for e in evals.values())
    assert evals["rows_as_reported"].metadata["lake_rows"].value == sum(per[d]["rows"] for d in days)
    assert evals["event_ids_unique"].metadata["partitions_checked"].value == 2


def test_the_unique_ids_check_sees_a_repeated_event(simulator, sim, tmp_path, clean_env):
    simulator.use(sim)
    lt = "ztna"
    day = day_str(-1)
    assert materialize(lt, day, day, tmp_path).success
    table = lake_table(tmp_path, "forcepoint", lt, day)
    with Lake.for_home(tmp_path) as lake:
        lake.append("forcepoint", lt, table.slice(0, 1))  # one event twice, added by hand
    again = materialize(lt, day, day, tmp_path)  # a complete day: nothing is fetched, the lake is checked
    evals = {e.check_name: e for e in again.get_asset_check_evaluations()}
    assert not evals["event_ids_unique"].passed
    failing = evals["event_ids_unique"].metadata["failing_partitions"].value
    assert failing[day]["duplicate_rows"] == 1
    assert failing[day]["examples"] == [table.column("event_id")[0].as_py()]
