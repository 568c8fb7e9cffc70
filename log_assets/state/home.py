"""The pipeline state of a home, as a run opens it: the one place a StateStore is made for a run.

    with open_state(home, log_types=["access"], logger=context.log) as store:
        budget = DatabaseQuotaBudget(store, "access")
        ...

The database is the one the home's tenant names (`LOG_ASSETS_DATABASE_URL` for the default tenant),
else the SQLite file `<home>/log_assets.db`; the store carries the tenant's key prefix. A home written
by a version that kept its state in JSON files (`state/forcepoint/<type>.json`,
`state/quota/forcepoint/<type>.json`) has them imported the first time a run opens it (migrate.py:
once, under a lock, each file renamed `*.json.imported`), so that the upgrade fetches nothing again
and re-spends no request. A run imports the files of its own log types: a damaged file of another
type stops that type's runs only, as it did when the files were read directly.

Before anything else the database and the storage root are checked to be the two halves of one home
(binding.py: the same home id in both); `Lake.for_home` checks the same through `check_home`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from log_assets.paths import Home
from log_assets.state.store import StateStore

if TYPE_CHECKING:
    from log_assets.storage import Storage

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
    imported raises StateFileError naming it and how to recover; the store is closed then. A database
    that is not the one of the home's storage root raises HomeMismatch (binding.py), before anything;
    a Forcepoint lake table of `log_types` whose current metadata file is gone, LakeMetadataMissing."""
    from log_assets.state.binding import bind_home, check_table_metadata
    from log_assets.storage import Storage

    store = StateStore.open(home, environ=environ)  # the tenant's database, keys prefixed by its prefix
    try:
        storage = Storage.for_home(home, environ)
        bind_home(store.db, storage, tenant=home.tenant)  # its one line, on the first run, goes to its own logger
        check_table_metadata(store.db, storage, "forcepoint", log_types, catalog=home.tenant.catalog_name)
        import_old_state(store, home, logger or log, log_types)
    except BaseException:
        store.close()
        raise
    return store


def check_home(
    home: Home,
    storage: Storage,
    *,
    environ: Mapping[str, str] | None = None,
    logger: logging.Logger | None = None,
) -> None:
    """Check that the home's database (its tenant's, else `<home>/log_assets.db`) and
    `storage` are the two halves of one home, binding them the first time (binding.py); HomeMismatch
    when they are not."""
    from log_assets.state.binding import bind_home

    with StateStore.open(home, environ=environ) as store:
        bind_home(store.db, storage, tenant=home.tenant, logger=logger)


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
