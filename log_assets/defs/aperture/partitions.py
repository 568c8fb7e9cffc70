"""Daily UTC partitions by event time, shared by every aperture/<log_type> asset."""

from __future__ import annotations

from log_assets.defs.partitions import DEFAULT_START_DATE, daily_partitions, start_of

START_ENV = "APERTURE_PARTITIONS_START"
# Unread events expire from the queue after about an hour, so the lake only ever receives days from
# when the drain started: the first partition is the same recent day as Forcepoint's default (not years
# of empty partitions in the UI and in backfills). Replayed or test data dated earlier waits in the
# inbox (the inbox sensor warns about it) until APERTURE_PARTITIONS_START is set to an earlier day.
DEFAULT_START = DEFAULT_START_DATE

# Today is a partition: events arrive within minutes, not after the day closes.
aperture_daily_partitions = daily_partitions(start_of(None, True, START_ENV))
