"""The pipeline state of a home, as a run opens it: the one place a StateStore is made for a run.

    with open_state(home, log_types=["access"], logger=context.log) as store:
        budget = DatabaseQuotaBudget(store, "access")
        ...

The database is `LOG_ASSETS_DATABASE_URL`, else the SQLite file `<home>/log_assets.db`. A home written
by a version that kept its state in JSON files (`state/forcepoint/<type>.json`,
`state/quota/forcepoint/<type>.json`) has them imported the first time a run opens it (migrate.py:
once, under a lock, each file renamed `*.json.imported`), so that the upgrade fetches nothing again
and re-spends no request. A run imports the files of its own log types: a damaged file of another
type stops that type's runs only, as it did when the files were read directly.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from pathlib import Path

from log_assets.paths import Home
from log_assets.state.store import StateStore

log = logging.getLogger(__name__)


def open_state(
    home: Home,
    *,
    log_types: Collection[str] | None = None,
    logger: logging.Logger | None = None,
    environ: Mapping[str, str] | None = None,
) -> StateStore:
    """The StateStore of `home` (close it, or use it as a context manager, when the run ends), the old
    JSON state files of `log_types` (None: of every log type) imported first. A file that cannot be
    imported raises StateFileError naming it and how to recover; the store is closed then."""
    store = StateStore.open(home.root, environ=environ)
    try:
        import_old_state(store, home, logger or log, log_types)
    except BaseException:
        store.close()
        raise
    return store


def import_old_state(
    store: StateStore, home: Home, logger: logging.Logger, log_types: Collection[str] | None = None
) -> None:
    """Import the JSON state files (of `log_types`) `home` still has, if any, saying in one line what
    was imported."""
    from log_assets.state.migrate import IMPORTED_SUFFIX, import_state_files, state_files

    if not state_files(home.state, log_types=log_types):
        return  # the usual case: nothing to look at, no lock taken
    report = import_state_files(store, home.state, log_types=log_types)
    if report.imported:
        logger.info(
            "imported the state files of an earlier version into the database %s: %s (each renamed "
            "*.json%s; nothing is fetched again)",
            store.db.url,
            ", ".join(_relative(p, home) for p in report.imported),
            IMPORTED_SUFFIX,
        )
    if report.skipped:
        logger.warning(
            "state files not imported, the database %s already holds that state: %s. They are not read; "
            "move them away once you have checked them",
            store.db.url,
            ", ".join(_relative(p, home) for p in report.skipped),
        )


def _relative(path: str, home: Home) -> str:
    try:
        return str(Path(path).relative_to(home.root))
    except ValueError:
        return path
