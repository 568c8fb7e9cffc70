"""The session macros the build SQL shares (warehouse/sql/meta.sql, section `macros`)."""

from __future__ import annotations

import duckdb

from log_assets.warehouse.sqlfiles import sql


def test_trimmed_text_is_the_trimmed_value_or_null_where_there_is_no_text():
    conn = duckdb.connect()
    conn.execute(sql("meta", "macros"))
    values = ["", "   ", "[]", "{}", "null", "None", "NULL", None, "  bob ", "a b", " [x] "]
    got = conn.execute(
        "SELECT v, trimmed_text(v), has_text(v) FROM unnest($values) AS t(v)", {"values": values}
    ).fetchall()
    assert [(v, t) for v, t, _ in got] == [
        ("", None),
        ("   ", None),
        ("[]", None),
        ("{}", None),
        ("null", None),
        ("None", None),
        ("NULL", None),
        (None, None),
        ("  bob ", "bob"),
        ("a b", "a b"),
        (" [x] ", "[x]"),
    ]
    assert all((t is not None) == h for _, t, h in got)  # text exactly where has_text says so
