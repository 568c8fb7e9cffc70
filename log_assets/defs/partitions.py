"""The one daily partitioning every vendor asset shares (UTC days)."""

from __future__ import annotations

import os

import dagster as dg

# Earliest day offered in the UI and accepted by backfills. A tenant's log export API keeps a limited
# history, so an earlier start only adds empty partitions; override with LOG_ASSETS_START_DATE.
DEFAULT_START_DATE = "2025-01-01"

START_ENV = "LOG_ASSETS_START_DATE"


def daily_partitions(start: str) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(
        start_date=start,
        timezone="UTC",
        end_offset=1,  # today's (open) partition can be materialized while the day is running
    )


def start_of(given: str | None, is_default_tenant: bool, variable: str) -> str:
    """A tenant's first partition: its own setting; else, for the default tenant, `variable`; else
    the package's default (a named tenant never reads the default tenant's variable)."""
    if given:
        return given
    return (os.environ.get(variable) if is_default_tenant else None) or DEFAULT_START_DATE


def tenant_partitions(
    default: dg.DailyPartitionsDefinition, variable: str, is_default_tenant: bool, start: str | None
) -> dg.DailyPartitionsDefinition:
    """A tenant's partitions: from its own `partitions_start`; the default tenant's, when it sets
    none, are `default` (made at import from `variable`, as before tenants)."""
    if start is None and is_default_tenant:
        return default
    return daily_partitions(start_of(start, is_default_tenant, variable))


DAILY_PARTITIONS = daily_partitions(start_of(None, True, START_ENV))
