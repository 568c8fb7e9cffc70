"""Columns a table gains after it was made: the new fields its lake files carry, and those its
source gained for a table that mirrors one (the latest-state tables are `SELECT *` of theirs).

A log type gains at most `MAX_NEW_COLUMNS` new-field columns (`log_assets/lake/limits.py`): the
fields beyond are not columns of its table, their values stay in `raw`, and their names are
reported with the table's load.

Columns are added in one step when there are many. One ALTER TABLE per column costs each statement
the table's width and keeps every version of the table until the transaction commits (DuckDB 2.0:
3,000 columns on a table of 1,000 rows, 15 s and 2.5 GB; a build with 9,000 new fields took 4 min
44 s and 21.6 GB, beyond any memory limit DuckDB is given). More than `ALTER_AT_MOST` columns are
added by making the table again with all of them in one CREATE TABLE ... AS SELECT: one pass over
the table, in DuckDB's memory limit (1,000 columns on 1,000 rows 0.2 s; on 1M rows 62 s, 1.9 GB,
where the ALTERs took 4.3 GB). Up to `ALTER_AT_MOST`, an ALTER TABLE each costs next to nothing on a
table of any length (16 columns on 2M rows: 0.5 s, where making the table again took 20 s).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from log_assets.lake import limits
from log_assets.warehouse.layout import TableRef
from log_assets.warehouse.sqlfiles import ident

# Up to this many columns at once are added by ALTER TABLE, one each: a table of millions of rows
# pays a few milliseconds per column that way, where making it again would rewrite every row.
ALTER_AT_MOST = 16
# Names of new fields a log line shows (its count is always whole).
NAMES_SHOWN = 20


@dataclass
class NewColumns:
    """What the lake's new fields did to one per-type table in a run."""

    added: list[str] = field(default_factory=list)  # became columns
    beyond_limit: list[str] = field(default_factory=list)  # past MAX_NEW_COLUMNS: in raw only


def add_columns(w, ref: TableRef, columns: Sequence[tuple[str, str]]) -> None:
    """Add `columns` ((name, DuckDB type), NULL in every row there is) to the table, in one step."""
    if not columns:
        return
    if len(columns) <= ALTER_AT_MOST:
        for name, type_ in columns:
            w.run("tables", "add_column", table=ref.sql, column=ident(name), type=type_)
        return
    nulls = ", ".join(f"CAST(NULL AS {type_}) AS {ident(name)}" for name, type_ in columns)
    w.run("tables", "add_columns", table=ref.sql, columns=nulls)


def follow_lake(w, src, in_files: dict[str, str]) -> list[str]:
    """Give the per-type table of `src` the columns of its lake files (name -> DuckDB type) that it
    lacks, within the bound; returns the names of the lake's columns the table keeps, in its order."""
    have = dict(w.columns(src.ref))
    have_lower = {n.lower() for n in have}
    catalog = {n for n, _ in src.columns}
    incoming = [n for n in in_files if n.lower() not in have_lower]
    if incoming:
        taken, beyond = limits.bound_new_columns(
            [n for n in have if n not in catalog], incoming, limits.MAX_NEW_COLUMNS
        )
        new = [(n, in_files[n]) for n in taken]
        add_columns(w, src.ref, new)
        have.update(new)
        noted = w.new_columns.setdefault(src.ref.key, NewColumns())
        noted.added += [n for n in taken if n not in noted.added]
        noted.beyond_limit = sorted(set(noted.beyond_limit) | set(beyond))
        if taken:
            w.log.info("%s: %d new column(s) from the lake: %s", src.ref.key, len(taken), shown(taken))
        if beyond:
            w.log.warning(
                "%s: %d new field(s) of the lake files are not made columns, the table has the most "
                "new-field columns allowed (%d, MAX_NEW_COLUMNS in log_assets/lake/limits.py): %s; "
                "their values stay in the raw column",
                src.ref.key,
                len(beyond),
                limits.MAX_NEW_COLUMNS,
                shown(beyond),
            )
    return [n for n in have if n in in_files]


def follow_source(w, ref: TableRef, source: TableRef) -> list[str]:
    """Give `ref`, a table of its source's columns, those the source gained; returns their names."""
    have = {n.lower() for n, _ in w.columns(ref)}
    missing = [(n, t) for n, t in w.columns(source) if n.lower() not in have]
    if missing:
        w.log.info(
            "%s: %d new column(s) of %s: %s", ref.key, len(missing), source.key, shown([n for n, _ in missing])
        )
        add_columns(w, ref, missing)
    return [n for n, _ in missing]


def shown(names: Sequence[str]) -> str:
    """The first NAMES_SHOWN names, and how many more there are."""
    head = ", ".join(names[:NAMES_SHOWN])
    return head if len(names) <= NAMES_SHOWN else f"{head} and {len(names) - NAMES_SHOWN} more"
