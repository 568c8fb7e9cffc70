"""Daily UTC partitions by event time, shared by every aperture/<log_type> asset."""

from __future__ import annotations

import os

import dagster as dg

START_ENV = "APERTURE_PARTITIONS_START"
# Unread events expire from the queue after about an hour, so the lake only ever receives recent
# days; the early default merely keeps replayed or test data with old timestamps landable.
DEFAULT_START = "2017-01-01"

aperture_daily_partitions = dg.DailyPartitionsDefinition(
    start_date=os.environ.get(START_ENV) or DEFAULT_START,
    timezone="UTC",
    end_offset=1,  # today is a partition: events arrive within minutes, not after the day closes
)
