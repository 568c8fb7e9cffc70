"""Times of a column of text in microseconds, for the native page path (`native.py`): the API's own
form (`DD Mon YYYY HH:MM:SS`) read by numpy, any other text by the careful parser once per distinct
value."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from log_assets.forcepoint.arrowtext import text_buffers

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_CODES = np.array([(ord(m[0]) << 16) | (ord(m[1]) << 8) | ord(m[2]) for m in _MONTHS], np.int64)
_MONTH_ORDER = np.argsort(_MONTH_CODES)
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.int64)


_DIGITS = [0, 1, 7, 8, 9, 10, 12, 13, 15, 16, 18, 19]


def _fixed_times(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds of the values in the API's own form and which those are: exactly
    `DD Mon YYYY HH:MM:SS` (day 01-31, an English month abbreviation, year 1000-9999, hour 00-23,
    minute 00-59, second 00-60 as parse_time_us reads them) of a date that exists. Any other text
    is left to parse_time_us."""
    n = len(texts)
    out = np.zeros(n, np.int64)
    ok = np.zeros(n, bool)
    if texts.null_count:
        texts = pc.fill_null(texts, "")
    offs, data = text_buffers(texts)
    sel = np.flatnonzero(np.diff(offs) == 20)
    if len(sel) == 0:
        return out, ok
    mat = data[offs[sel][:, None] + np.arange(20)].astype(np.int64)
    digits = mat[:, _DIGITS] - 48
    code = (mat[:, 3] << 16) | (mat[:, 4] << 8) | mat[:, 5]
    slot = np.minimum(np.searchsorted(_MONTH_CODES[_MONTH_ORDER], code), 11)
    shape = (
        ((digits >= 0) & (digits <= 9)).all(axis=1)
        & (mat[:, 2] == 32)
        & (mat[:, 6] == 32)
        & (mat[:, 11] == 32)
        & (mat[:, 14] == 58)
        & (mat[:, 17] == 58)
        & (_MONTH_CODES[_MONTH_ORDER][slot] == code)
    )
    digits = np.where(shape[:, None], digits, 0)
    day = digits[:, 0] * 10 + digits[:, 1]
    year = ((digits[:, 2] * 10 + digits[:, 3]) * 10 + digits[:, 4]) * 10 + digits[:, 5]
    hour, minute, sec = (
        digits[:, 6] * 10 + digits[:, 7],
        digits[:, 8] * 10 + digits[:, 9],
        digits[:, 10] * 10 + digits[:, 11],
    )
    month = _MONTH_ORDER[slot] + 1
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    dim = _DAYS_IN_MONTH[month - 1] + ((month == 2) & leap)
    valid = shape & (day >= 1) & (day <= dim) & (year >= 1000) & (hour <= 23) & (minute <= 59) & (sec <= 60)
    # Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    out[sel] = np.where(valid, ((days * 86400) + hour * 3600 + minute * 60 + sec) * 1_000_000, 0)
    ok[sel] = valid
    return out, ok


def times_us(texts: pa.Array, parse: Callable) -> tuple[np.ndarray, np.ndarray]:
    """`parse` of every value (microseconds or None) as (values, present): the API's own form in
    numpy, anything else by `parse`, once per distinct text."""
    values, present = _fixed_times(texts)
    rest = np.flatnonzero(~present)
    if len(rest):
        enc = texts.take(pa.array(rest)).dictionary_encode()
        parsed = [parse(v) for v in enc.dictionary.to_pylist()]
        got = np.array([0 if v is None else v for v in parsed], np.int64)
        ok = np.array([v is not None for v in parsed], bool)
        idx = np.asarray(enc.indices.fill_null(-1))
        if (idx < 0).any():  # a null value: what parse makes of None
            none = parse(None)
            got, ok = np.append(got, 0 if none is None else none), np.append(ok, none is not None)
        values[rest] = np.where(ok[idx], got[idx], values[rest])
        present[rest] = ok[idx]
    return values, present
