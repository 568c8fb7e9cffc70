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
