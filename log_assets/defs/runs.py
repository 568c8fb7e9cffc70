"""Run-history questions that schedules and sensors of several domains ask."""

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
