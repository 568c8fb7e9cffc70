"""Move a home written in the one-machine layout into the cluster-mode layout, without fetching anything.

    python -m log_assets.migrate [--home PATH] [--dry-run]

- the JSON state files (`state/forcepoint/<type>.json`, `state/quota/forcepoint/<type>.json`) go into
  the database (`LOG_ASSETS_DATABASE_URL`, default `<home>/log_assets.db`): walk positions, complete
  days and today's request count, so nothing is fetched again and no request is spent again;
- every lake day folder (`lake/<vendor>/<type>/date=YYYY-MM-DD/*.parquet`) becomes that day of the
  Iceberg table `<vendor>.<type>` under `LOG_ASSETS_STORAGE_URL`, one commit per day, its rows as they
  are (already deduplicated by the day merges).

It can be run again: a day the table already holds with the folder's row count is left alone, a state
file already imported was renamed `*.json.imported`. The old folders stay where they are until you
delete them (after `--dry-run` shows nothing left to move); `lake/.migrated-to-iceberg` marks the move
done. Until then a run refuses a home that holds such folders (`unmigrated_lake`), rather than
starting an empty lake beside them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from log_assets.lake.schema import conform, widen
from log_assets.paths import Home

log = logging.getLogger("log_assets.migrate")

VENDORS = ("forcepoint", "aperture")


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
            f"already there: {kept}"
        )


MIGRATED_MARKER = ".migrated-to-iceberg"


def unmigrated_lake(home: Home) -> str | None:
    """Why this home cannot be used before `python -m log_assets.migrate` (None when it can): it holds
    day folders of the Parquet lake of earlier versions and the migration has not been completed."""
    if (home.lake / MIGRATED_MARKER).exists():
        return None
    for vendor in VENDORS:
        root = home.lake / vendor
        if root.is_dir() and next(root.glob("*/date=*/*.parquet"), None) is not None:
            return (
                f"{home.lake} holds the Parquet lake of an earlier version (lake/{vendor}/<type>/date=*/); "
                "move it into the Iceberg tables first, without fetching anything: python -m log_assets.migrate "
                f"--home {home.root} (its --dry-run says what would move)"
            )
    return None


def lake_day_folders(home: Home) -> list[tuple[str, str, date, Path]]:
    """Every `lake/<vendor>/<type>/date=YYYY-MM-DD/` folder holding Parquet files, in order."""
    out = []
    for vendor in VENDORS:
        root = home.lake / vendor
        if not root.is_dir():
            continue
        for folder in sorted(root.glob("*/date=*")):
            try:
                day = date.fromisoformat(folder.name.removeprefix("date="))
            except ValueError:
                continue
            if folder.is_dir() and any(folder.glob("*.parquet")):
                out.append((vendor, folder.parent.name, day, folder))
    return out


def read_day_folder(folder: Path) -> pa.Table:
    """A day's files as one table, their schemas united by name (a day can hold files written before
    and after a new field arrived)."""
    files = sorted(folder.glob("*.parquet"))
    tables = [pq.read_table(f) for f in files]
    schema = tables[0].schema
    for t in tables[1:]:
        schema = widen(schema, t.schema)
    return pa.concat_tables([conform(t, schema) for t in tables])


def migrate(
    home: Home, *, database_url: str | None = None, storage=None, dry_run: bool = False
) -> MigrationReport:
    from log_assets.lake.iceberg import Lake, database_url_from_env, with_event_day
    from log_assets.state.migrate import import_state_files
    from log_assets.state.store import StateStore
    from log_assets.storage import Storage

    report = MigrationReport()
    url = database_url or database_url_from_env(home=home.root)
    storage = storage or Storage.from_env(home=home.root)
    if not dry_run:
        with StateStore.open(home.root, url=url) as store:
            imported = import_state_files(store, home.state)
        report.state_imported, report.state_skipped = imported.imported, imported.skipped
    with Lake.open(url, storage) as lake:
        held: dict[tuple[str, str], dict] = {}
        for vendor, log_type, day, folder in lake_day_folders(home):
            if (vendor, log_type) not in held:
                held[(vendor, log_type)] = lake.days(vendor, log_type) if lake.table(vendor, log_type) else {}
            rows = sum(pq.ParquetFile(f).metadata.num_rows for f in folder.glob("*.parquet"))
            there = held[(vendor, log_type)].get(day)
            if there is not None and there.rows == rows:
                report.days.append(DayMove(vendor, log_type, day, rows, moved=False))
                continue
            if not dry_run:
                table = with_event_day(read_day_folder(folder))
                lake.ensure_table(vendor, log_type, table.schema)
                lake.replace_days(vendor, log_type, table, days=[day])
                log.info("%s.%s %s: %d rows", vendor, log_type, day, table.num_rows)
            report.days.append(DayMove(vendor, log_type, day, rows, moved=True))
    if not dry_run and home.lake.is_dir():
        (home.lake / MIGRATED_MARKER).write_text(
            "The Parquet day folders beside this file were moved into the Iceberg tables (python -m "
            "log_assets.migrate); they are no longer read and may be deleted.\n"
        )
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m log_assets.migrate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", help="the home to move (default: $LOG_ASSETS_HOME, else ./data)")
    ap.add_argument("--dry-run", action="store_true", help="say what would move; change nothing")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    home = Home.from_env(args.home)
    if not home.root.is_dir():
        print(f"no home at {home.root}: nothing to move", file=sys.stderr)
        return 1
    report = migrate(home, dry_run=args.dry_run)
    print(("would move: " if args.dry_run else "") + report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
