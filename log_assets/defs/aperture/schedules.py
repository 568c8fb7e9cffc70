"""The drain runs every minute: unread events expire at the source after about an hour.

Default status RUNNING, because a stopped drain silently loses data. A tick is skipped (with the
reason shown in the UI) while the Aperture credentials are not set, so a deployment that does not
use Aperture sees skipped ticks, not failed runs; it is also skipped while a drain is still running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

from log_assets.aperture.client import Credentials, MissingCredentialsError
from log_assets.defs.aperture.jobs import aperture_drain_job
from log_assets.defs.runs import request_unless_running, running_schedule
from log_assets.defs.scope import DEFAULT_SCOPE, Scope
from log_assets.tenant import ApertureAccess

if TYPE_CHECKING:  # no public name for what define_asset_job returns
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition


def build_drain_schedule(
    scope: Scope, job: UnresolvedAssetJobDefinition, access: ApertureAccess
) -> dg.ScheduleDefinition:
    """Every minute, unless the tenant's credentials are not set or its own drain is still running."""

    @running_schedule(scope.name("aperture_drain_schedule"), "* * * * *", job)
    def aperture_drain_schedule(context: dg.ScheduleEvaluationContext):
        try:
            Credentials.from_env(client_id_env=access.client_id_env, client_secret_env=access.client_secret_env)
        except MissingCredentialsError as e:
            return dg.SkipReason(str(e))
        return request_unless_running(context.instance, job.name, "drain")

    return aperture_drain_schedule


# The default tenant's.
aperture_drain_schedule = build_drain_schedule(DEFAULT_SCOPE, aperture_drain_job, ApertureAccess())
