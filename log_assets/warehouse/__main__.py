"""`python -m log_assets.warehouse {sync,rebuild,status,sql}` — the warehouse without Dagster.

sync     load the lake days that changed since they were loaded, refresh derived tables, publish
rebuild  build everything again from the whole lake (readers keep the old snapshot meanwhile)
status   row counts of the published tables
sql      run one SQL statement read-only against the published warehouse and print the result as a
         table (times in UTC), e.g. `python -m log_assets.warehouse sql "FROM analytics.incidents LIMIT 5"`
"""

from __future__ import annotations

import argparse
import decimal
import sys
import time
from pathlib import Path

import duckdb

from log_assets.cli import console_logging
from log_assets.paths import Home
from log_assets.tenant import TenantConfigError, add_tenant_arguments, tenant_from_args
from log_assets.warehouse import connect_readonly, rebuild, sync
from log_assets.warehouse.checks import count
from log_assets.warehouse.layout import TableRef
from log_assets.warehouse.sqlfiles import sql

# Rows `sql` prints unless --max-rows says otherwise; the rest is counted, not shown.
DEFAULT_MAX_ROWS = 100


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m log_assets.warehouse", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["sync", "rebuild", "status", "sql"])
    parser.add_argument("query", nargs="?", help="for `sql`: the statement to run (read-only)")
    parser.add_argument("--home", help="data root (default: $LOG_ASSETS_HOME, else ./data)")
    add_tenant_arguments(parser)
    parser.add_argument(
        "--max-rows",
        type=int,
        default=DEFAULT_MAX_ROWS,
        help=f"for `sql`: rows printed at most (default {DEFAULT_MAX_ROWS})",
    )
    args = parser.parse_intermixed_args(argv)
    try:
        home = Home.from_env(args.home, tenant_from_args(args))
    except TenantConfigError as e:
        parser.error(str(e))
    if args.command == "sql":
        if not args.query:
            parser.error('sql needs a statement, e.g. sql "FROM analytics.events LIMIT 10"')
        if args.max_rows < 0:
            parser.error("--max-rows must be 0 or more")
        return run_sql(args.query, home, args.max_rows)
    if args.query is not None:
        parser.error(f"{args.command} takes no statement")
    console_logging("%(asctime)s %(message)s")

    if args.command == "status":
        try:
            conn = connect_readonly(home)
        except FileNotFoundError as e:
            print(f"error: {shown(str(e))}", file=sys.stderr)
            return 1
        for schema, name in conn.execute(sql("checks", "public_relations")).fetchall():
            t = TableRef(schema, name)
            print(f"{t.key:40} {count(conn, t):>12,}")
        return 0

    from log_assets.state.errors import StateError

    try:
        missing = no_lake(home)
        if missing:
            print(f"error: {missing}", file=sys.stderr)
            return 1
        started = time.monotonic()
        result = (sync if args.command == "sync" else rebuild)(home)
    except StateError as e:  # a database or storage root that is not this home's (or tenant's): named
        print(f"error: {shown(str(e))}", file=sys.stderr)
        return 1
    loaded = {t: r for t, r in result["loads"].items() if r.days}
    for table, r in sorted(loaded.items()):
        print(f"{table:40} {len(r.days):>4} day(s) {r.lake_rows:>10,} lake rows {r.rows:>10,} rows")
    for table, r in result["derived"].items():
        figures = "".join(f", {v:,} {k.replace('_', ' ')}" for k, v in r.figures.items())
        print(f"{table:40} {'full' if r.full else 'incremental':>11} {r.rows:>10,} rows{figures}")
    print(f"published {result['published'].snapshot} in {time.monotonic() - started:.1f} s")
    return 0


# What to run first, where there is no lake to load.
FIRST_RUN = (
    "run the pipeline first (materialize the forcepoint/... and aperture/... assets: `log-assets ui`), "
    "or `log-assets demo` for demo data in its own home"
)


def no_lake(home_arg: Home | str | None) -> str | None:
    """Why the home has no lake to load (one line naming it and what to run first), or None. Makes
    nothing: a home, a database or a warehouse is not created by asking."""
    from sqlalchemy.engine import make_url

    from log_assets.state.db import database_url, normalized_url, redact_url
    from log_assets.warehouse.sources import lake_of

    home = home_arg if isinstance(home_arg, Home) else Home.from_env(home_arg)
    url = normalized_url(database_url(home), home.tenant.database_url_env)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists():
        return f"no lake at {home.root} (no database {parsed.database}): {FIRST_RUN}"
    if not lake_of(home).tables():
        return f"the lake of {home.root} has no tables (database {redact_url(url)}): {FIRST_RUN}"
    return None


def run_sql(query: str, home: Home | str | None, max_rows: int = DEFAULT_MAX_ROWS) -> int:
    """Print the result of `query` as an aligned text table; 1 and a one-line error on failure."""
    try:
        conn = connect_readonly(home)  # read-only, session time zone UTC
    except FileNotFoundError as e:
        print(f"error: {shown(str(e))}", file=sys.stderr)
        return 1
    try:
        cur = conn.execute(query)
        if cur.description is None:  # a statement without a result (SET, PRAGMA …)
            print("ok")
            return 0
        columns = [d[0] for d in cur.description]
        rows = cur.fetchmany(max_rows + 1)
    except duckdb.Error as e:
        print(f"error: {type(e).__name__}: {_one_line(str(e))}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    more = len(rows) > max_rows
    rows = rows[:max_rows]
    print(format_table(columns, rows))
    print(f"({len(rows)} row{'' if len(rows) == 1 else 's'}{'; more not shown (--max-rows)' if more else ''})")
    return 0


def _one_line(text: str) -> str:
    return shown(" ".join(text.split()))


_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def shown(text: str) -> str:
    """`text` safe to write to a terminal on one line: every character that is not printable (ESC,
    NUL and the other control characters, tabs and line breaks, Unicode's line separators, format
    characters) written as its escape (`\\x1b`, `\\x00`, `\\t`, `\\n`, `\\u2028`); printable
    Unicode as it is. Values come from the vendors: an ESC sequence in one must not drive the
    analyst's terminal."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def _cell(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    return shown(str(value))


def _is_numeric(values: list) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(
        isinstance(v, int | float | decimal.Decimal) and not isinstance(v, bool) for v in present
    )


def format_table(columns: list[str], rows: list[tuple]) -> str:
    """Columns left-aligned, numbers right-aligned, `|` between them; cells over 60 characters cut."""
    limit = 60
    columns = [shown(c) for c in columns]
    cells = [[_cell(v) for v in row] for row in rows]
    cells = [[c if len(c) <= limit else c[: limit - 1] + "…" for c in row] for row in cells]
    numeric = [_is_numeric([r[i] for r in rows]) for i in range(len(columns))]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return " | ".join(
            v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out = [line(columns), "-+-".join("-" * w for w in widths)]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
