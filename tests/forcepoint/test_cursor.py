"""The cursors say when a walk has passed a time, one per token style: `log_id` pages come in time
order (the latest event seen is passed; a page starting past the end means the window is behind),
`window` pages come newest-first within a window (only the next token's window start says so)."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.forcepoint.cursor import LogIdCursor, WindowCursor, cursor_for, window_start_us
from log_assets.state import Walk

END_US = int(datetime(2026, 11, 11, tzinfo=UTC).timestamp()) * 1_000_000
HOUR_US = 3_600_000_000
HORIZON = END_US + 48 * HOUR_US  # "now" (plus the allowance) is well past the window


def walk() -> Walk:
    return Walk("w", "2026-11-10", "2026-11-11", None, "startdate 2026-11-10T00:00:00Z")


def times(*us: int) -> pa.Table:
    return pa.table({"event_time": pa.array(us, pa.timestamp("us", tz="UTC"))})


def window_token(start: str, page: int = 1) -> str:
    doc = {"start_time": start, "end_time": "2026-11-11T06:00:00Z", "page": page}
    return base64.b64encode(json.dumps(doc).encode()).decode().rstrip("=")


def test_each_token_style_has_its_cursor():
    assert isinstance(cursor_for(FORCEPOINT_TYPES["access"]), LogIdCursor)
    assert isinstance(cursor_for(FORCEPOINT_TYPES["swgweb"]), WindowCursor)
    assert isinstance(cursor_for(FORCEPOINT_TYPES["swgwebdlp"]), WindowCursor)
    with pytest.raises(ValueError, match="no cursor for token style 'pages'"):
        cursor_for(replace(FORCEPOINT_TYPES["access"], token_style="pages"))


def test_log_id_a_time_past_the_horizon_is_no_evidence():
    """A page of one record from a device whose clock says 2199 does not pass the window's end."""
    c, w = LogIdCursor(), walk()
    year_2199 = int(datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()) * 1_000_000
    now = END_US - 6 * HOUR_US  # the window's day is still running
    assert not c.after_page(w, times(year_2199), "t2", False, END_US, now)
    assert c.after_page(w, times(END_US + 1), "t3", False, END_US, END_US + 2)  # a believable time is


def test_log_id_a_page_starting_at_the_end_passes_it_and_the_latest_event_is_passed():
    c, w = LogIdCursor(), walk()
    crossing = times(END_US - HOUR_US, END_US + HOUR_US)
    assert not c.after_page(w, crossing, "t2", False, END_US, HORIZON)  # crosses it
    assert c.after_page(w, times(END_US + HOUR_US, END_US), "t3", False, END_US, HORIZON)
    assert not c.after_page(w, times(), "t3", True, END_US, HORIZON)  # an empty page says nothing
    assert c.passed_us(w) is None
    w.max_time_us = END_US - 5
    assert c.passed_us(w) == END_US - 5
    assert w.floor_us is None  # window-only state is left alone


def test_window_the_next_tokens_start_is_the_floor_whatever_the_events_times():
    c, w = WindowCursor(), walk()
    late_events = times(END_US + 5 * HOUR_US)  # newest first: says nothing of what is still to come
    assert not c.after_page(w, late_events, window_token("2026-11-10T18:00:00Z"), False, END_US, HORIZON)
    assert c.passed_us(w) == END_US - 6 * HOUR_US
    # An earlier window start never moves the floor back; one at the end passes it.
    assert not c.after_page(w, late_events, window_token("2026-11-10T12:00:00Z"), False, END_US, HORIZON)
    assert w.floor_us == END_US - 6 * HOUR_US
    assert c.after_page(w, times(), window_token("2026-11-11T00:00:00Z"), False, END_US, HORIZON)
    assert c.passed_us(w) == END_US


def test_window_caught_up_or_an_unreadable_token_moves_nothing():
    c, w = WindowCursor(), walk()
    assert not c.after_page(w, times(), window_token("2026-11-12T00:00:00Z"), True, END_US, HORIZON)
    assert not c.after_page(w, times(), "not-a-window-token", False, END_US, HORIZON)
    assert not c.after_page(w, times(), None, False, END_US, HORIZON)
    assert c.passed_us(w) is None


@pytest.mark.parametrize(
    "token", [None, "", "!!!", base64.b64encode(b"[1]").decode(), base64.b64encode(b"{}").decode()]
)
def test_window_start_of_what_is_not_a_window_token_is_none(token):
    assert window_start_us(token) is None
