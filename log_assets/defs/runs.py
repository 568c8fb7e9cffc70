"""Run-history questions that schedules and sensors of several domains ask."""

from typing import Any

import dagster as dg

IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def run_in_progress(instance: dg.DagsterInstance, job_name: str):
    """The record of a queued or running run of `job_name`, or None."""
    records = instance.get_run_records(filters=dg.RunsFilter(job_name=job_name, statuses=IN_PROGRESS), limit=1)
    return records[0] if records else None


def request_unless_running(
    instance: dg.DagsterInstance, job_name: str, what: str
) -> dg.RunRequest | dg.SkipReason:
    """A run of `job_name`, or a skip naming the `what` run still queued or running (one at a time)."""
    running = run_in_progress(instance, job_name)
    if running:
        return dg.SkipReason(f"{what} run {running.dagster_run.run_id} is still in progress")
    return dg.RunRequest()


def running_schedule(name: str, cron: str, job: Any, description: str | None = None) -> Any:
    """The `@dg.schedule` decorator of a schedule every domain makes the same way: `job` on the UTC
    cron `cron`, RUNNING by default (a stopped schedule silently loses data; a tick that cannot run
    is skipped with its reason instead). `name` is already the scope's (`Scope.name`)."""
    return dg.schedule(
        name=name,
        cron_schedule=cron,
        job=job,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=description,
    )
