"""The Forcepoint domain of one tenant: its assets, job, schedules and resource."""

import dagster as dg

from log_assets.defs.forcepoint.assets import build_forcepoint_assets
from log_assets.defs.forcepoint.resources import ForcepointResource
from log_assets.defs.forcepoint.schedules import build_forcepoint_job, build_forcepoint_schedules
from log_assets.defs.scope import DEFAULT_SCOPE, FORCEPOINT, Scope
from log_assets.tenant import ForcepointAccess


def build_defs(
    scope: Scope = DEFAULT_SCOPE, access: ForcepointAccess | None = None, automation: bool = True
) -> dg.Definitions:
    access = access or ForcepointAccess()
    assets = build_forcepoint_assets(scope, access.log_types, access.partitions_start)
    job = build_forcepoint_job(scope, assets)
    return dg.Definitions(
        assets=assets,
        jobs=[job],
        schedules=build_forcepoint_schedules(scope, job, access) if automation else [],
        resources={scope.resource_key(FORCEPOINT): ForcepointResource.for_tenant(scope.tenant, access)},
    )


defs = build_defs()
