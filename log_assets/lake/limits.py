"""Bounds on what records can make of a table's schema, and on a day's files (`COMPACT_OVER_FILES`).

A field the catalog does not know becomes a text column of its log type (schema evolution), in the
lake and in the warehouse. A log type gains at most `MAX_NEW_COLUMNS` such columns: a tenant or a
vendor bug that sends thousands of distinct field names (ids used as keys) would otherwise make
tables thousands of columns wide, and every statement over them slower and hungrier. The fields
beyond the bound are not columns; their values stay in `raw`, and their names are reported.

`bound_new_columns` is the rule: the columns a table already has stay, then the new ones in name
order until the bound is reached. The lake applies it before any schema change of a table
(`Lake.ensure_columns`: a field past it is reported as kept in raw, `fields_kept_in_raw`), and the
warehouse to the columns it takes from the lake's files (`log_assets/warehouse/columns.py`), so a
field past the bound is a column of neither.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

# New-field columns per log type (the catalog's columns not counted). A real log type carries a few
# dozen fields beyond its catalog entry at most; a thousand leaves room for vendors' additions while
# a table stays a size DuckDB and Iceberg handle in seconds.
MAX_NEW_COLUMNS = 1000
# A day with more data files than this has its small ones rewritten as few (`Lake.maintain`, the
# day merges of both vendors; appends add a file each). Here, where nothing is loaded with it, so that
# the maintenance job's configuration reads it when the definitions load.
COMPACT_OVER_FILES = 16
# Why a field past the bound is not a column (as the run's metadata names it).
BEYOND_LIMIT = f"past the bound of {MAX_NEW_COLUMNS:,} new-field columns per log type (MAX_NEW_COLUMNS)"


def bound_new_columns(
    existing: Collection[str], incoming: Iterable[str], limit: int = MAX_NEW_COLUMNS
) -> tuple[list[str], list[str]]:
    """Of the new-field columns `incoming`, those a table that already has the new-field columns
    `existing` takes (name order), and those beyond the bound (name order). Names in `existing` are
    neither: they are columns already, even past the bound (a table made before it stays as it is)."""
    have = set(existing)
    fresh = sorted({n for n in incoming if n not in have})
    room = max(0, limit - len(have))
    return fresh[:room], fresh[room:]


def beyond_bound(existing: Collection[str], incoming: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """`bound_new_columns` at MAX_NEW_COLUMNS, the names past the bound each with its reason (BEYOND_LIMIT),
    as the names kept in raw are reported."""
    taken, beyond = bound_new_columns(existing, incoming)
    return taken, dict.fromkeys(beyond, BEYOND_LIMIT)
