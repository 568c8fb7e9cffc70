"""The drain runs every minute: unread events expire at the source after about an hour.

Default status RUNNING, because a stopped drain silently loses data. A tick is skipped (with the
reason shown in the UI) while the Aperture credentials are not set, so a deployment that does not
use Aperture sees skipped ticks, not failed runs; it is also skipped while a drain is still running.
"""

import dagster as dg

from log_assets.aperture.client import Credentials, MissingCredentialsError
from log_assets.defs.aperture.jobs import aperture_drain_job

IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


@dg.schedule(
    name="aperture_drain_schedule",
    cron_schedule="* * * * *",
    job=aperture_drain_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def aperture_drain_schedule(context: dg.ScheduleEvaluationContext):
    try:
        Credentials.from_env()
    except MissingCredentialsError as e:
        return dg.SkipReason(str(e))
    running = context.instance.get_run_records(
        filters=dg.RunsFilter(job_name=aperture_drain_job.name, statuses=IN_PROGRESS), limit=1
    )
    if running:
        return dg.SkipReason(f"drain run {running[0].dagster_run.run_id} is still in progress")
    return dg.RunRequest()
