"""The one daily partitioning every vendor asset shares (UTC days)."""

from __future__ import annotations

import os

import dagster as dg

# Earliest day offered in the UI and accepted by backfills. A tenant's log export API keeps a limited
# history, so an earlier start only adds empty partitions; override with LOG_ASSETS_START_DATE.
DEFAULT_START_DATE = "2025-01-01"

DAILY_PARTITIONS = dg.DailyPartitionsDefinition(
    start_date=os.environ.get("LOG_ASSETS_START_DATE", DEFAULT_START_DATE),
    timezone="UTC",
    end_offset=1,  # today's (open) partition can be materialized while the day is running
)
