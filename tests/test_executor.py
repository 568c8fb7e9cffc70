"""The code location's executor (log_assets/defs/executor.py): a run of one step executes in the run's
process, a run of several in child processes (in parallel, as Dagster's default executor does), and
run config that names a mode wins. Which process ran each step is what the steps themselves report."""

from __future__ import annotations

import os

import dagster as dg
import pytest

from log_assets.defs.executor import single_step_in_process_executor


@dg.asset
def first() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"pid": os.getpid()})


@dg.asset
def second() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"pid": os.getpid()})


def two_assets_job() -> dg.JobDefinition:
    return dg.Definitions(
        assets=[first, second],
        jobs=[dg.define_asset_job("both", [first, second])],
        executor=single_step_in_process_executor,
    ).resolve_job_def("both")


def step_pids(instance: dg.DagsterInstance, run_config: dict | None = None, only: str | None = None) -> list[int]:
    """The pid each executed step ran in (its materialization's metadata)."""
    selection = [dg.AssetKey(only)] if only else None
    with dg.execute_job(
        dg.reconstructable(two_assets_job), instance, run_config=run_config, asset_selection=selection
    ) as result:
        assert result.success
        names = [only] if only else ["first", "second"]
        return [result.asset_materializations_for_node(name)[0].metadata["pid"].value for name in names]


def test_a_single_step_run_executes_in_the_runs_process(dagster_instance):
    # `dagster asset materialize --select forcepoint/access`: the asset job, one asset selected.
    assert step_pids(dagster_instance, only="first") == [os.getpid()]


@pytest.mark.slow
def test_a_run_of_several_steps_executes_them_in_child_processes(dagster_instance):
    pids = step_pids(dagster_instance)
    assert os.getpid() not in pids and len(set(pids)) == 2, pids


@pytest.mark.slow
def test_run_config_naming_a_mode_wins(dagster_instance):
    here = os.getpid()
    assert step_pids(dagster_instance, {"execution": {"config": {"in_process": {}}}}) == [here, here]
    (pid,) = step_pids(dagster_instance, {"execution": {"config": {"multiprocess": {}}}}, only="first")
    assert pid != here


def test_the_code_location_runs_every_job_with_it():
    from log_assets.definitions import defs

    repo = defs.get_repository_def()
    jobs = repo.get_all_jobs()
    assert {"forcepoint_fetch", "aperture_drain"} <= {j.name for j in jobs}
    assert all(j.executor_def is single_step_in_process_executor for j in jobs), [
        (j.name, j.executor_def.name) for j in jobs if j.executor_def is not single_step_in_process_executor
    ]
