"""The Aperture domain of one tenant: its assets, checks, jobs, schedule, sensors and resource."""

import dagster as dg

from log_assets.defs.aperture.assets import build_landing_asset, build_spool_asset, landing_keys
from log_assets.defs.aperture.checks import build_drain_freshness_checks, build_token_check, max_drain_age_minutes
from log_assets.defs.aperture.jobs import build_connectivity_job, build_drain_job
from log_assets.defs.aperture.partitions import START_ENV, aperture_daily_partitions
from log_assets.defs.aperture.resources import ApertureApi
from log_assets.defs.aperture.schedules import build_drain_schedule
from log_assets.defs.aperture.sensors import build_drain_freshness_sensor, build_inbox_sensor
from log_assets.defs.partitions import tenant_partitions
from log_assets.defs.scope import APERTURE, DEFAULT_SCOPE, Scope
from log_assets.tenant import ApertureAccess


def build_defs(
    scope: Scope = DEFAULT_SCOPE, access: ApertureAccess | None = None, automation: bool = True
) -> dg.Definitions:
    access = access or ApertureAccess()
    partitions = tenant_partitions(
        aperture_daily_partitions, START_ENV, scope.tenant.is_default, access.partitions_start
    )
    resource_key = scope.resource_key(APERTURE)
    spool = build_spool_asset(scope)
    freshness = build_drain_freshness_checks(
        spool.key, max_drain_age_minutes(scope.tenant.is_default, access.drain_max_age_minutes)
    )
    token = build_token_check(spool.key, resource_key)
    drain_job = build_drain_job(scope, spool.key, freshness)
    return dg.Definitions(
        assets=[spool, build_landing_asset(scope, access.log_types, partitions)],
        asset_checks=[token, *freshness],
        jobs=[drain_job, build_connectivity_job(scope, token)],
        schedules=[build_drain_schedule(scope, drain_job, access)] if automation else [],
        sensors=[
            build_inbox_sensor(scope, landing_keys(scope, access.log_types), partitions),
            build_drain_freshness_sensor(scope, freshness),
        ]
        if automation
        else [],
        resources={resource_key: ApertureApi.for_tenant(scope.tenant, access)},
    )


defs = build_defs()
