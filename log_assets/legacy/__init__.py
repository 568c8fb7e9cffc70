"""Homes of earlier versions: everything that only reads or moves what they wrote, behind one entry.

Earlier versions kept the lake as Parquet day folders (`lake/<vendor>/<type>/date=YYYY-MM-DD/*.parquet`)
and their state as JSON files (`state/forcepoint/<type>.json`, `state/quota/forcepoint/<type>.json`).
Today the lake is Apache Iceberg tables (log_assets.lake) and the state a database (log_assets.state).

The entry points, the only names the rest of the package uses:
- the command: `python -m log_assets.migrate` / `log-assets migrate` (`main`, in `legacy.migrate`);
- the check at a run's start: `unmigrated_lake` (`Lake.for_home` refuses a home still holding the
  Parquet lake) and `import_old_state` (`state.home.open_state` brings a log type's JSON state files
  into the database, once).

This module is small on purpose (no pyarrow, no pyiceberg, no database): a run imports it when it
starts, and only when a home holds something of an earlier version does it load the modules that
read it (`stateimport`, `statefiles`, `oldlake`, `migrate`). Outside it, only the command's module
(`log_assets.migrate`) imports it at module level, and nothing imports its other modules
(tests/test_imports.py checks both, and that a run loads nothing of it but this module).
"""

from __future__ import annotations

import json
import logging
import shlex
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from log_assets.paths import Home

if TYPE_CHECKING:
    from log_assets.state.store import StateStore

# The vendors whose day folders the Parquet lake of earlier versions held.
VENDORS = ("forcepoint", "aperture")
MIGRATED_MARKER = ".migrated-to-iceberg"
# What the last refused migration named (JSON), so that a run refused meanwhile can say it too.
REFUSED_NOTE = ".migration-refused"
# An imported JSON state file is renamed `<name>.json.imported`: kept for reference, never read again.
IMPORTED_SUFFIX = ".imported"


def main(argv: list[str] | None = None) -> int:
    """`python -m log_assets.migrate` (legacy.migrate)."""
    from log_assets.legacy.migrate import main as migrate_main

    return migrate_main(argv)


# ------------------------------------------------------------------------------ the Parquet lake


def unmigrated_lake(home: Home) -> str | None:
    """Why this home cannot be used before `python -m log_assets.migrate` (None when it can): it holds
    day folders of the Parquet lake of earlier versions and the migration has not been completed.
    After a migration that refused, the message says what it named."""
    if (home.lake / MIGRATED_MARKER).exists():
        return None
    for vendor in VENDORS:
        root = home.lake / vendor
        if root.is_dir() and next(root.glob("*/date=*/*.parquet"), None) is not None:
            options = home.tenant.command_options()
            command = f"python -m log_assets.migrate --home {shlex.quote(str(home.root))}" + (
                f" {options}" if options else ""
            )
            old = f"{home.lake} holds the Parquet lake of an earlier version (lake/{vendor}/<type>/date=*/)"
            refused = _last_refusal(home)
            if refused:
                return (
                    f"{old}, and {command} refused to move it: {refused}. Fix or move out of the lake what "
                    f"it names (each with what to do in {home.lake / REFUSED_NOTE}), then run {command} again"
                )
            return (
                f"{old}; move it into the Iceberg tables first, without fetching anything: {command} "
                "(its --dry-run says what would move)"
            )
    return None


def _last_refusal(home: Home, shown: int = 3) -> str | None:
    note = home.lake / REFUSED_NOTE
    try:
        doc = json.loads(note.read_text())
        problems = [f"{p['path']}: {p['what']}" for p in doc["problems"]]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return f"see {note}"
    more = f"; and {len(problems) - shown} more" if len(problems) > shown else ""
    return "; ".join(problems[:shown]) + more


# --------------------------------------------------------------------------------- state files


# The folders of the state files under `state/`, by kind: a log type's walk, its daily request count.
STATE_FOLDERS = {"walk": "{vendor}", "quota": "quota/{vendor}"}


def state_files(
    state_dir: Path,
    vendor: str = "forcepoint",
    log_types: Collection[str] | None = None,
    kinds: Collection[str] = tuple(STATE_FOLDERS),
) -> list[Path]:
    """The vendor's state files of `kinds` (walk, quota) under `state_dir` not yet imported, of
    `log_types` only if given. Cheap: a folder listing per kind."""
    return [
        path
        for kind in kinds
        for path in sorted((state_dir / STATE_FOLDERS[kind].format(vendor=vendor)).glob("*.json"))
        if log_types is None or path.stem in log_types
    ]


def import_old_state(
    store: StateStore, home: Home, logger: logging.Logger, log_types: Collection[str] | None = None
) -> None:
    """Import the JSON state files (of `log_types`) `home` still has, if any, saying in one line what
    was imported. A file that cannot be used raises legacy.statefiles.StateFileError naming it and
    how to recover."""
    if not state_files(home.state, log_types=log_types):
        return  # the usual case: nothing to look at, no lock taken
    from log_assets.legacy.stateimport import import_state_files

    report = import_state_files(store, home.state, log_types=log_types)
    said = (
        (
            report.imported,
            logging.INFO,
            "imported the state files of an earlier version into the database %s: "
            f"%s (each renamed *.json{IMPORTED_SUFFIX}; nothing is fetched again)",
        ),
        (
            report.skipped,
            logging.WARNING,
            "state files not imported, the database %s already holds that state: "
            "%s. They are not read; move them away once you have checked them",
        ),
    )
    for files, level, message in said:
        if files:
            logger.log(level, message, store.db.url, ", ".join(_relative(p, home) for p in files))


def _relative(path: str, home: Home) -> str:
    try:
        return str(Path(path).relative_to(home.root))
    except ValueError:
        return path
