"""`python -m log_assets.lake adopt [--table ns.name ...] [--home PATH] [--tenant NAME]`: re-attach the
lake's tables found on the storage root to the database (see log_assets/lake/adopt.py), with the
environment of a run (of a named tenant: its home, database variable and storage root as its
definitions give them)."""

from __future__ import annotations

import argparse
import sys

from log_assets.tenant import TenantConfigError, add_tenant_arguments, tenant_from_args


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m log_assets.lake", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    adopt_cmd = sub.add_parser(
        "adopt",
        help="register the tables found on the storage root in the database (LOG_ASSETS_DATABASE_URL) "
        "and bind the two",
    )
    adopt_cmd.add_argument(
        "--table",
        action="append",
        metavar="NS.NAME",
        help="only this table (repeatable); a named table whose current metadata file is gone is pointed at the "
        "newest one left",
    )
    adopt_cmd.add_argument("--home", help="the home (default: $LOG_ASSETS_HOME, else ./data)")
    add_tenant_arguments(adopt_cmd)
    args = parser.parse_args(argv)
    from log_assets.lake.adopt import adopt
    from log_assets.paths import Home

    try:
        home = Home.from_env(args.home, tenant_from_args(args))
    except TenantConfigError as e:
        parser.error(str(e))
    try:
        report = adopt(args.table, home)
    except Exception as e:  # one line, no trace: the messages name what to do
        print(f"adopt failed: {e}", file=sys.stderr)
        return 1
    for line in report.lines() or ["nothing found to adopt"]:
        print(line)
    return 0 if not report.ambiguous and not report.broken else 2


if __name__ == "__main__":
    sys.exit(main())
