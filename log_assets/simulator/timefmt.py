"""Time values as the two vendors write them, vectorised over millisecond epochs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

DAY_MS = 86_400_000
MONTHS = {
    f"{i:02d}": m
    for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)
}
STARTDATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def iso_ms(ms: np.ndarray) -> list[str]:
    """'YYYY-MM-DDTHH:MM:SS.mmm' (UTC) for each epoch millisecond."""
    return np.datetime_as_string(np.asarray(ms, dtype=np.int64).astype("datetime64[ms]"), unit="ms").tolist()


def forcepoint_time(iso: str) -> str:
    """'23 Dec 2021 17:13:42': the `time` format the Forcepoint API really sends."""
    return f"{iso[8:10]} {MONTHS[iso[5:7]]} {iso[0:4]} {iso[11:19]}"


def day_of(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


def to_ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def from_ms(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(ms))


def day_start(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def next_midnight(now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    return day_start(now) + timedelta(days=1)


def token_datetime(ms: int) -> str:
    """'2021-12-23T18:32:57.308000Z': the datetime format inside Forcepoint page tokens."""
    return from_ms(ms).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
