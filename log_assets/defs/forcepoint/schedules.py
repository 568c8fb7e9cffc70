"""Forcepoint automation: today's open partitions often, yesterday's once after a grace period.

Both default to RUNNING and skip their tick (with the reason in the UI) while no Forcepoint
credentials are set, so a deployment that uses only Aperture sees skipped ticks, not failures.
The open-day cadence is what spends the daily quota: each run continues from the saved token and
costs the new pages plus one request, so every 30 minutes is ~100 of the 300 requests a day.
"""

import os
from datetime import timedelta

import dagster as dg

from log_assets.forcepoint.client import ConfigError, Credentials

OPEN_DAY_CRON = os.environ.get("FORCEPOINT_OPEN_DAY_CRON", "*/30 * * * *")
# After midnight, yesterday's late records get this long to arrive before the day is closed.
CLOSE_DAY_CRON = os.environ.get("FORCEPOINT_CLOSE_DAY_CRON", "30 0 * * *")

forcepoint_job = dg.define_asset_job(
    "forcepoint_fetch",
    selection=dg.AssetSelection.groups("forcepoint"),
    description="Fetch every Forcepoint log type for a day (or, as a backfill, a range of days in one walk).",
)


def _skip_without_credentials():
    try:
        Credentials.from_env()
    except ConfigError as e:
        return dg.SkipReason(str(e))
    return None


@dg.schedule(
    name="forcepoint_open_day_schedule",
    cron_schedule=OPEN_DAY_CRON,
    job=forcepoint_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Today's partitions, continuing from the saved tokens (only new events are fetched).",
)
def forcepoint_open_day_schedule(context: dg.ScheduleEvaluationContext):
    skip = _skip_without_credentials()
    if skip:
        return skip
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return dg.RunRequest(run_key=f"open-{context.scheduled_execution_time.isoformat()}", partition_key=day)


@dg.schedule(
    name="forcepoint_close_day_schedule",
    cron_schedule=CLOSE_DAY_CRON,
    job=forcepoint_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Yesterday's partitions after a grace period for late records (free when already complete).",
)
def forcepoint_close_day_schedule(context: dg.ScheduleEvaluationContext):
    skip = _skip_without_credentials()
    if skip:
        return skip
    day = (context.scheduled_execution_time - timedelta(days=1)).strftime("%Y-%m-%d")
    return dg.RunRequest(run_key=f"close-{day}", partition_key=day)
