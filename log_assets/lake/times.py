"""Times as the vendors send them -> microseconds since the epoch (UTC).

Forcepoint's `%d %b %Y %H:%M:%S` (`23 Dec 2021 17:13:42`, parsed by hand: strptime is too slow at a
million a day), `%Y-%m-%d %H:%M:%S` (swgweb's indexedtime, transaction ids) and ISO 8601 (Aperture,
with `Z`, milliseconds or a trailing space). A time without a zone is UTC, as both APIs document.
"""

from __future__ import annotations

from datetime import UTC, datetime

_MONTHS = {
    m: i
    for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Event times the lake accepts: a UTC day folder from 1970 to 2199. Anything else (a year-9999 time, a
# negative epoch) is quarantined with its reason, not landed.
MIN_US = 0
MAX_US = int((datetime(2200, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()) * 1_000_000
_day_cache: dict[tuple[int, int, int], int] = {}


def parse_time_us(value) -> int | None:
    """Microseconds since the epoch (UTC) from the API's `time`: `23 Dec 2021 17:13:42` or ISO 8601."""
    if not isinstance(value, str):
        return None
    s = value.strip()
    parts = s.split(" ")
    if len(parts) == 4:  # the real form, `%d %b %Y %H:%M:%S`, parsed by hand: strptime is too slow at 1M/day
        d, mon, y, hms = parts
        month = _MONTHS.get(mon[:3].lower())
        hp = hms.split(":")
        if month and len(hp) == 3:
            try:
                key = (int(y), month, int(d))
                base = _day_cache.get(key)
                if base is None:
                    base = int((datetime(*key, tzinfo=UTC) - _EPOCH).total_seconds())
                    _day_cache[key] = base
                h, m = int(hp[0]), int(hp[1])
                sec = float(hp[2])
                if not (0 <= h < 24 and 0 <= m < 60 and 0 <= sec < 61):
                    return None
                return (base + h * 3600 + m * 60) * 1_000_000 + int(round(sec * 1_000_000))
            except ValueError:
                return None
        return None
    try:
        dt = datetime.fromisoformat(s.replace(" ", "T", 1) if "T" not in s and len(s) >= 19 else s)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)  # the API documents UTC
    delta = dt - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
