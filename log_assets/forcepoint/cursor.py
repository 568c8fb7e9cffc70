"""How far a walk has come, read from its pages: one cursor per token style of the API.

A walk may complete a day (and stop) only once it has received every event before the day's end.
What says so depends on how the log type pages (`LogType.token_style`):
- `log_id`: pages come in time order, so the walk has passed the latest event it has seen, and a
  page whose earliest event is past the window's end means the window is behind it. An event's time
  is the sending device's clock: only times up to `horizon_us` (now plus a small allowance for clock
  skew, ingest.py's FUTURE_ALLOWANCE) are taken as evidence. A record a device with a wrong clock
  dated years ahead says nothing of where the walk stands, and must not complete today;
- `window` (swgweb, swgwebdlp): pages come newest-first within a window of time, so event times
  say nothing about what is still to come; the next token's window start does: nothing before it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc

from log_assets.catalog import LogType
from log_assets.forcepoint.parse import parse_time_us
from log_assets.state import Walk


class Cursor(Protocol):
    def after_page(
        self, walk: Walk, table: pa.Table, next_token: str | None, caught_up: bool, end_us: int, horizon_us: int
    ) -> bool:
        """Note what a page (its rows, the token after it) says of the walk's position; True when
        the walk has passed `end_us` (nothing before it is still to come). Event times after
        `horizon_us` are no evidence of it."""
        ...

    def passed_us(self, walk: Walk) -> int | None:
        """A time the walk has passed: every event before it has been received (None: none yet)."""
        ...


class LogIdCursor:
    def after_page(
        self, walk: Walk, table: pa.Table, next_token: str | None, caught_up: bool, end_us: int, horizon_us: int
    ) -> bool:
        first = min_time_us(table)
        return first is not None and end_us <= first <= horizon_us

    def passed_us(self, walk: Walk) -> int | None:
        return walk.max_time_us


class WindowCursor:
    def after_page(
        self, walk: Walk, table: pa.Table, next_token: str | None, caught_up: bool, end_us: int, horizon_us: int
    ) -> bool:
        floor = None if caught_up else window_start_us(next_token)
        if floor is not None and floor > (walk.floor_us or 0):
            walk.floor_us = floor
        return floor is not None and floor >= end_us

    def passed_us(self, walk: Walk) -> int | None:
        return walk.floor_us


_CURSORS: dict[str, Cursor] = {"log_id": LogIdCursor(), "window": WindowCursor()}


def cursor_for(lt: LogType) -> Cursor:
    try:
        return _CURSORS[lt.token_style]
    except KeyError:
        raise ValueError(f"{lt.name}: no cursor for token style {lt.token_style!r}") from None


def min_time_us(table: pa.Table) -> int | None:
    if table.num_rows == 0:
        return None
    return pc.min(table.column("event_time").cast(pa.int64())).as_py()


def window_start_us(token: str | None) -> int | None:
    """The `start_time` of a window token (base64 of {"start_time", "end_time", "page"}), or None
    when the token does not read as one."""
    if not token:
        return None
    try:
        doc = json.loads(base64.b64decode(token + "=" * (-len(token) % 4)))
        return parse_time_us(doc["start_time"]) if isinstance(doc, dict) else None
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
