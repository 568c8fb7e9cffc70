"""The bound on new-field columns per log type, as the lake and the warehouse both apply it."""

from __future__ import annotations

from log_assets.lake.limits import bound_new_columns


def test_existing_columns_stay_and_new_ones_fill_the_room_in_name_order():
    taken, beyond = bound_new_columns(["b", "q"], ["z", "a", "q", "c", "a"], limit=4)
    assert (taken, beyond) == (["a", "c"], ["z"])


def test_a_table_past_the_bound_keeps_its_columns_and_takes_none():
    assert bound_new_columns(["a", "b", "c"], ["d", "b"], limit=2) == ([], ["d"])


def test_nothing_new_is_nothing_to_report():
    assert bound_new_columns(["a"], ["a"], limit=1) == ([], [])
