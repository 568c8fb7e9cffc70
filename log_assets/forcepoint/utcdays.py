"""UTC days and event times in microseconds, as the walk counts them.

The lake is partitioned by UTC day (`date=YYYY-MM-DD`); an event's day is its time's integer
division by a day's microseconds (the lake starts after 1970).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

US_PER_DAY = 86_400_000_000

_day_names: dict[int, str] = {}


def day_of(us: int) -> str:
    """The UTC day of a time in microseconds (cached per day: called once per event)."""
    n = us // US_PER_DAY
    name = _day_names.get(n)
    if name is None:
        name = _day_names[n] = datetime.fromtimestamp(n * 86400, tz=UTC).strftime("%Y-%m-%d")
    return name


def day_start_us(day: str) -> int:
    d = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    return int(d.timestamp()) * 1_000_000


def iso_us(us: int | None) -> str | None:
    if us is None:
        return None
    return datetime.fromtimestamp(us / 1e6, tz=UTC).isoformat().replace("+00:00", "Z")


def days_between(start: datetime, end: datetime) -> list[str]:
    """UTC days d with start <= d < end (both at midnight)."""
    out, d = [], start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    while d < end:
        out.append(d.strftime("%Y-%m-%d"))
        d += timedelta(days=1)
    return out


def next_day(day: str) -> str:
    return (datetime.strptime(day, "%Y-%m-%d") + timedelta(days=1)).strftime("%Y-%m-%d")


def midnight(day: str) -> datetime:
    return datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
