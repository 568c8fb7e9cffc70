"""`python -m log_assets.warehouse {sync,rebuild,status}` — the warehouse without Dagster.

sync     load the lake days that changed since they were loaded, refresh derived tables, publish
rebuild  build everything again from the whole lake (readers keep the old snapshot meanwhile)
status   row counts of the published tables
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from log_assets.warehouse import connect_readonly, rebuild, sync
from log_assets.warehouse.checks import count
from log_assets.warehouse.layout import TableRef
from log_assets.warehouse.sqlfiles import sql


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m log_assets.warehouse", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["sync", "rebuild", "status"])
    parser.add_argument("--home", help="data root (default: $LOG_ASSETS_HOME, else ./data)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    if args.command == "status":
        conn = connect_readonly(args.home)
        for schema, name in conn.execute(sql("checks", "public_relations")).fetchall():
            t = TableRef(schema, name)
            print(f"{t.key:40} {count(conn, t):>12,}")
        return 0

    started = time.monotonic()
    result = (sync if args.command == "sync" else rebuild)(args.home)
    loaded = {t: r for t, r in result["loads"].items() if r.days}
    for table, r in sorted(loaded.items()):
        print(f"{table:40} {len(r.days):>4} day(s) {r.lake_rows:>10,} lake rows {r.rows:>10,} rows")
    for table, r in result["derived"].items():
        print(f"{table:40} {'full' if r.full else 'incremental':>11} {r.rows:>10,} rows")
    print(f"published {result['published'].snapshot} in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
