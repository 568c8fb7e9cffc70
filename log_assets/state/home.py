"""The pipeline state of a home, as a run opens it: the one place a StateStore is made for a run.

    with open_state(home, log_types=["access"], logger=context.log) as store:
        budget = DatabaseQuotaBudget(store, "access")
        ...

The database is the one the home's tenant names (`LOG_ASSETS_DATABASE_URL` for the default tenant),
else the SQLite file `<home>/log_assets.db`; the store carries the tenant's key prefix. A home written
by a version that kept its state in JSON files (`state/forcepoint/<type>.json`,
`state/quota/forcepoint/<type>.json`) has them imported the first time a run opens it (log_assets.legacy,
the one check of earlier versions at a run's start: once, under a lock, each file renamed
`*.json.imported`), so that the upgrade fetches nothing again and re-spends no request. A run imports
the files of its own log types: a damaged file of another type stops that type's runs only, as it did
when the files were read directly.

Before anything else the database and the storage root are checked to be the two halves of one home
(binding.py: the same home id in both); `Lake.for_home` checks the same through `check_home`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
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
    imported raises StateFileError (legacy.statefiles) naming it and how to recover; the store is closed
    then. A database that is not the one of the home's storage root raises HomeMismatch (binding.py),
    before anything; a Forcepoint lake table of `log_types` whose current metadata file is gone,
    LakeMetadataMissing."""
    from log_assets.state.binding import bind_home, check_table_metadata
    from log_assets.storage import Storage

    store = StateStore.open(home, environ=environ)  # the tenant's database, keys prefixed by its prefix
    try:
        storage = Storage.for_home(home, environ)
        bind_home(store.db, storage, tenant=home.tenant)  # its one line, on the first run, goes to its own logger
        check_table_metadata(store.db, storage, "forcepoint", log_types, catalog=home.tenant.catalog_name)
        from log_assets.legacy import import_old_state

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
