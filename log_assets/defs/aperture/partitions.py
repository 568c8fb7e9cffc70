"""Daily UTC partitions by event time, shared by every aperture/<log_type> asset."""

from __future__ import annotations

import os

import dagster as dg

from log_assets.defs.partitions import DEFAULT_START_DATE

START_ENV = "APERTURE_PARTITIONS_START"
# Unread events expire from the queue after about an hour, so the lake only ever receives days from
# when the drain started: the first partition is the same recent day as Forcepoint's default (not years
# of empty partitions in the UI and in backfills). Replayed or test data dated earlier waits in the
# inbox (the inbox sensor warns about it) until APERTURE_PARTITIONS_START is set to an earlier day.
DEFAULT_START = DEFAULT_START_DATE

aperture_daily_partitions = dg.DailyPartitionsDefinition(
    start_date=os.environ.get(START_ENV) or DEFAULT_START,
    timezone="UTC",
    end_offset=1,  # today is a partition: events arrive within minutes, not after the day closes
)
