"""Forcepoint automation: today's open partitions often, yesterday's once after a grace period.

Both default to RUNNING and skip their tick (with the reason in the UI) while no Forcepoint
credentials are set, so a deployment that uses only Aperture sees skipped ticks, not failures.
The open-day cadence is what spends the daily quota: each run continues from the saved token and
costs the new pages plus one request, so every 30 minutes is ~100 of the 300 requests a day.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import dagster as dg

from log_assets.defs.forcepoint.assets import FORCEPOINT_ASSETS
from log_assets.defs.runs import running_schedule
from log_assets.defs.scope import DEFAULT_SCOPE, Scope
from log_assets.forcepoint.client import ConfigError, Credentials
from log_assets.tenant import ForcepointAccess

if TYPE_CHECKING:  # no public name for what define_asset_job returns
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

DEFAULT_OPEN_DAY_CRON = "*/30 * * * *"
# After midnight, yesterday's late records get this long to arrive before the day is closed.
DEFAULT_CLOSE_DAY_CRON = "30 0 * * *"
OPEN_DAY_CRON = os.environ.get("FORCEPOINT_OPEN_DAY_CRON", DEFAULT_OPEN_DAY_CRON)
CLOSE_DAY_CRON = os.environ.get("FORCEPOINT_CLOSE_DAY_CRON", DEFAULT_CLOSE_DAY_CRON)


def crons(scope: Scope, access: ForcepointAccess) -> tuple[str, str]:
    """The open-day and close-day schedules of the tenant: its own; else the default tenant's
    variables (read at import, as before); else the package's."""
    if scope.tenant.is_default:
        return access.open_day_cron or OPEN_DAY_CRON, access.close_day_cron or CLOSE_DAY_CRON
    return access.open_day_cron or DEFAULT_OPEN_DAY_CRON, access.close_day_cron or DEFAULT_CLOSE_DAY_CRON


def build_forcepoint_job(scope: Scope, assets: Sequence[dg.AssetsDefinition]) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        scope.name("forcepoint_fetch"),
        selection=dg.AssetSelection.assets(*assets),
        description="Fetch every Forcepoint log type for a day (or, as a backfill, a range of days in one walk).",
    )


def skip_without_credentials(access: ForcepointAccess) -> dg.SkipReason | None:
    """A skip naming the tenant's variables while its credentials are not set."""
    try:
        Credentials.from_env(
            token_env=access.token_env, username_env=access.username_env, password_env=access.password_env
        )
    except ConfigError as e:
        return dg.SkipReason(str(e))
    return None


def build_forcepoint_schedules(
    scope: Scope, job: UnresolvedAssetJobDefinition, access: ForcepointAccess
) -> list[dg.ScheduleDefinition]:
    open_cron, close_cron = crons(scope, access)

    def day_schedule(name: str, cron: str, description: str, which: Callable[[datetime], tuple[str, str]]):
        """A schedule of `job` for the day (partition key, run key) = which(scheduled time)."""

        @running_schedule(scope.name(name), cron, job, description)
        def schedule(context: dg.ScheduleEvaluationContext):
            skip = skip_without_credentials(access)
            if skip:
                return skip
            day, run_key = which(context.scheduled_execution_time)
            return dg.RunRequest(run_key=run_key, partition_key=day)

        return schedule

    def yesterday(at: datetime) -> str:
        return (at - timedelta(days=1)).strftime("%Y-%m-%d")

    return [
        day_schedule(
            "forcepoint_open_day_schedule",
            open_cron,
            "Today's partitions, continuing from the saved tokens (only new events are fetched).",
            lambda at: (at.strftime("%Y-%m-%d"), f"open-{at.isoformat()}"),
        ),
        day_schedule(
            "forcepoint_close_day_schedule",
            close_cron,
            "Yesterday's partitions after a grace period for late records (free when already complete).",
            lambda at: (yesterday(at), f"close-{yesterday(at)}"),
        ),
    ]


# The default tenant's, every log type.
forcepoint_job = build_forcepoint_job(DEFAULT_SCOPE, FORCEPOINT_ASSETS)
forcepoint_open_day_schedule, forcepoint_close_day_schedule = build_forcepoint_schedules(
    DEFAULT_SCOPE, forcepoint_job, ForcepointAccess()
)
