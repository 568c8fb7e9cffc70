"""Move a home written in the one-machine layout into the cluster-mode layout, without fetching anything.

    python -m log_assets.migrate [--home PATH] [--dry-run]

- the JSON state files (`state/forcepoint/<type>.json`, `state/quota/forcepoint/<type>.json`) go into
  the database (`LOG_ASSETS_DATABASE_URL`, default `<home>/log_assets.db`): walk positions, complete
  days and today's request count, so nothing is fetched again and no request is spent again;
- every lake day folder (`lake/<vendor>/<type>/date=YYYY-MM-DD/*.parquet`) becomes that day of the
  Iceberg table `<vendor>.<type>` under `LOG_ASSETS_STORAGE_URL`, one commit per day, its rows as they
  are (already deduplicated by the day merges).

It moves every folder or refuses: whatever under `lake/<vendor>/` it cannot move (a folder that is not
`<type>/date=YYYY-MM-DD` of a real day, a file that is not Parquet or not readable, rows of another
day) is named with what to do, and the move is not marked done; it looks at every folder and every
file's footer before it changes anything. It can be run again: a day the table already holds with the
folder's row count is left alone, a state file already imported was renamed `*.json.imported`. Only
when everything moved does `lake/.migrated-to-iceberg` mark the move done; the old folders stay
where they are until you delete them. Until then a run refuses a home that holds such folders
(`unmigrated_lake`), naming the command and, after a refusal, what it refused
(`lake/.migration-refused`), rather than starting an empty lake beside them.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NoReturn

from log_assets.fsutil import atomic_write_bytes
from log_assets.legacy import MIGRATED_MARKER, REFUSED_NOTE
from log_assets.legacy.oldlake import Problem, day_table, survey
from log_assets.legacy.statefiles import StateFileError
from log_assets.paths import Home

log = logging.getLogger("log_assets.migrate")


@dataclass
class DayMove:
    vendor: str
    log_type: str
    day: date
    rows: int
    moved: bool  # False: the table already held the day with as many rows


@dataclass
class MigrationReport:
    state_imported: list[str] = field(default_factory=list)
    state_skipped: list[str] = field(default_factory=list)
    days: list[DayMove] = field(default_factory=list)
    # Temporary files of the old version's writes that never finished (`.<name>.<random>.tmp`, never
    # renamed into the lake, so never part of it): left where they are, not moved.
    unfinished_writes: list[str] = field(default_factory=list)

    @property
    def days_moved(self) -> int:
        return sum(d.moved for d in self.days)

    @property
    def rows_moved(self) -> int:
        return sum(d.rows for d in self.days if d.moved)

    def summary(self) -> str:
        kept = len(self.days) - self.days_moved
        return (
            f"state files imported: {len(self.state_imported)} (already in the database: "
            f"{len(self.state_skipped)}); lake days moved: {self.days_moved} ({self.rows_moved} rows), "
            f"already there: {kept}; unfinished writes of the old version left in place (never part of "
            f"its lake): {len(self.unfinished_writes)}"
        )


class MigrationRefused(RuntimeError):
    """The old lake holds what cannot be moved: the migration is not marked done, the old folders must
    stay, and runs of the home stay refused until it is fixed and the migration run again."""

    def __init__(self, home: Home, problems: list[Problem], moved: int):
        self.home = home
        self.problems = problems
        self.moved = moved
        done = (
            "Nothing was moved."
            if not moved
            else f"{moved} day folder(s) were moved (they are not moved again); the ones named here were not."
        )
        lines = [
            f"python -m log_assets.migrate refused to finish: {len(problems)} thing(s) in the old lake "
            f"{home.lake} cannot be moved, so the move is not marked done ({MIGRATED_MARKER} not written) "
            f"and the old folders must stay. {done}",
            *(f"- {p}" for p in problems),
            f"Then run python -m log_assets.migrate --home {shlex.quote(str(home.root))}"
            + (f" {home.tenant.command_options()}" if home.tenant.command_options() else "")
            + " again.",
        ]
        super().__init__("\n".join(lines))


def _note_refusal(home: Home, refused: MigrationRefused) -> None:
    doc = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "problems": [{"path": str(p.path), "what": p.what, "fix": p.fix} for p in refused.problems],
        "message": str(refused),
    }
    atomic_write_bytes(home.lake / REFUSED_NOTE, (json.dumps(doc, indent=1) + "\n").encode())


def lake_day_folders(home: Home) -> list[tuple[str, str, date, Path]]:
    """Every `lake/<vendor>/<type>/date=YYYY-MM-DD/` folder holding Parquet files to move, in order
    (what cannot be moved: `survey(home).problems`)."""
    return [(d.vendor, d.log_type, d.day, d.folder) for d in survey(home).days]


def migrate(
    home: Home, *, database_url: str | None = None, storage=None, dry_run: bool = False
) -> MigrationReport:
    """Move the home's JSON state files and old lake folders (see the module). Raises MigrationRefused
    naming everything it cannot move, and what to do, before changing anything when the folders
    and footers show it, else after moving every day it can; the move is then not marked done."""
    from log_assets.lake.catalog import database_url_of
    from log_assets.lake.lake import Lake
    from log_assets.legacy.stateimport import import_state_files
    from log_assets.state.store import StateStore
    from log_assets.storage import Storage

    report = MigrationReport()
    old = survey(home)
    report.unfinished_writes = [str(p) for p in old.unfinished_writes]
    if old.problems:
        _refuse(home, MigrationRefused(home, old.problems, moved=0), dry_run)
    url = database_url or database_url_of(home)
    storage = storage or Storage.for_home(home)
    if not dry_run:
        with StateStore.open(home, url=url) as store:
            imported = import_state_files(store, home.state)
        report.state_imported, report.state_skipped = imported.imported, imported.skipped
    problems: list[Problem] = []
    with Lake.open(url, storage, catalog=home.tenant.catalog_name) as lake:
        held: dict[tuple[str, str], dict] = {}
        for d in old.days:
            vendor, log_type, day = d.vendor, d.log_type, d.day
            if (vendor, log_type) not in held:
                held[(vendor, log_type)] = lake.days(vendor, log_type) if lake.table(vendor, log_type) else {}
            there = held[(vendor, log_type)].get(day)
            if there is not None and there.rows == d.rows:
                report.days.append(DayMove(vendor, log_type, day, d.rows, moved=False))
                continue
            if not dry_run:
                table = day_table(home, d)
                if isinstance(table, Problem):
                    problems.append(table)
                    continue
                lake.ensure_table(vendor, log_type, table.schema)
                lake.replace_days(vendor, log_type, table, days=[day])
                log.info("%s.%s %s: %d rows", vendor, log_type, day, table.num_rows)
            report.days.append(DayMove(vendor, log_type, day, d.rows, moved=True))
    if problems:
        _refuse(home, MigrationRefused(home, problems, moved=report.days_moved), dry_run)
    if not dry_run and home.lake.is_dir():
        (home.lake / MIGRATED_MARKER).write_text(
            "Every Parquet day folder beside this file was moved into the Iceberg tables (python -m "
            "log_assets.migrate); they are no longer read and may be deleted.\n"
        )
        (home.lake / REFUSED_NOTE).unlink(missing_ok=True)
    return report


def _refuse(home: Home, refused: MigrationRefused, dry_run: bool) -> NoReturn:
    if not dry_run:
        try:
            _note_refusal(home, refused)
        except OSError as e:  # the refusal itself still reaches the caller
            log.warning("could not keep the refusal in %s (%s)", home.lake / REFUSED_NOTE, e)
    raise refused


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m log_assets.migrate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", help="the home to move (default: $LOG_ASSETS_HOME, else ./data)")
    ap.add_argument("--dry-run", action="store_true", help="say what would move; change nothing")
    from log_assets.tenant import TenantConfigError, add_tenant_arguments, tenant_from_args

    add_tenant_arguments(ap)
    args = ap.parse_args(argv)
    from log_assets.cli import console_logging

    console_logging()
    try:
        home = Home.from_env(args.home, tenant_from_args(args))
    except TenantConfigError as e:
        ap.error(str(e))
    if not home.root.is_dir():
        print(f"no home at {home.root}: nothing to move", file=sys.stderr)
        return 1
    from log_assets.lake.errors import LakeError

    try:
        report = migrate(home, dry_run=args.dry_run)
    except (MigrationRefused, StateFileError, LakeError) as e:
        print(
            ("would refuse: " if args.dry_run and isinstance(e, MigrationRefused) else "") + str(e),
            file=sys.stderr,
        )
        return 1
    print(("would move: " if args.dry_run else "") + report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
