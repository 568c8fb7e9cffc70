"""The drain runs every minute: unread events expire at the source after about an hour.

Default status RUNNING, because a stopped drain silently loses data. A tick is skipped (with the
reason shown in the UI) while the Aperture credentials are not set, so a deployment that does not
use Aperture sees skipped ticks, not failed runs; it is also skipped while a drain is still running.
"""

import dagster as dg

from log_assets.aperture.client import Credentials, MissingCredentialsError
from log_assets.defs.aperture.jobs import aperture_drain_job
from log_assets.defs.runs import run_in_progress


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
    running = run_in_progress(context.instance, aperture_drain_job.name)
    if running:
        return dg.SkipReason(f"drain run {running.dagster_run.run_id} is still in progress")
    return dg.RunRequest()
