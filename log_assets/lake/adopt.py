"""Re-attach the lake's tables to a database that lost them: `python -m log_assets.lake adopt`.

For when the database of a home is truly lost (no backup) and a new one is to take its place, or
when a table's current metadata file is gone and the newest one left is to become current. With
`LOG_ASSETS_DATABASE_URL` and `LOG_ASSETS_STORAGE_URL` (or LOG_ASSETS_HOME) set as for a run:

- every table found on the storage root (`lake/<namespace>.db/<table>/metadata/*.metadata.json`) that
  the catalog lacks is registered from its newest metadata file (pyiceberg's public
  `Catalog.register_table`); with `--table ns.name`, only that one;
- a table the catalog has, whose current metadata file is gone, is pointed at the newest one left
  (only when named with `--table`: the writes after that version are lost from the table);
- the database is then bound to the storage root's home id (state.binding), so runs go again.

Nothing else of the lost database comes back: the walks start afresh (days are fetched again, which
spends requests) and the request counts start at zero (today's quota may already be partly spent).
Two metadata files of the same, newest version (a commit that lost a race left one) are not chosen
between: the table is reported and left for a person to register.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from log_assets.lake.catalog import ensure_namespace
from log_assets.lake.errors import LakeError, TableMetadataMissing
from log_assets.lake.lake import Lake
from log_assets.lake.layout import LAKE_PREFIX
from log_assets.state.binding import adopt_binding, live_metadata, metadata_order, table_metadata

if TYPE_CHECKING:
    from log_assets.paths import Home


@dataclass
class AdoptReport:
    registered: dict[str, str] = field(default_factory=dict)  # table -> metadata location
    repointed: dict[str, str] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)  # already in the catalog, readable
    broken: list[str] = field(default_factory=list)  # in the catalog, its metadata file gone, not named
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    home_id: str | None = None

    def lines(self) -> list[str]:
        out = [f"registered {t} from {loc}" for t, loc in sorted(self.registered.items())]
        out += [
            f"pointed {t} at {loc} (its current metadata file was gone)"
            for t, loc in sorted(self.repointed.items())
        ]
        out += [f"kept {t}: already in the catalog" for t in self.kept]
        out += [
            f"NOT changed {t}: its current metadata file is gone; `--table {t}` points it at the newest one left"
            for t in self.broken
        ]
        out += [
            f"NOT registered {t}: several metadata files of its newest version ({', '.join(c)}); register "
            f"the right one with pyiceberg's Catalog.register_table('{t}', <location>)"
            for t, c in sorted(self.ambiguous.items())
        ]
        if self.home_id:
            out.append(f"database and storage root bound as home {self.home_id}")
        return out


def newest_metadata(lake: Lake) -> dict[str, list[str]]:
    """Per table found on the storage root (`ns.name`), the keys of its metadata files of the
    newest version (one, unless a lost commit race left another)."""
    folders = {key.rsplit("/", 1)[0] for key in table_metadata(lake.storage, LAKE_PREFIX)}
    out = {}
    for folder in folders:
        # Not those of a table dropped on purpose (the table made again at its place starts anew at 0).
        keys = live_metadata(lake.storage, folder)
        if not keys:
            continue
        parts = folder.split("/")
        top = metadata_order(keys[-1])[0]
        out[f"{parts[1].removesuffix('.db')}.{parts[2]}"] = [k for k in keys if metadata_order(k)[0] == top]
    return out


def adopt_tables(lake: Lake, tables: Iterable[str] | None = None) -> AdoptReport:
    """Register the tables found on the storage root that the catalog lacks (of `tables` only when
    given; those named are also re-pointed when their current metadata file is gone)."""
    named = None if tables is None else set(tables)
    found = newest_metadata(lake)
    unknown = sorted((named or set()) - set(found))
    if unknown:
        raise LakeError(f"no table metadata for {', '.join(unknown)} under {lake.storage.uri(LAKE_PREFIX)}")
    report = AdoptReport()
    for table, candidates in sorted(found.items()):
        if named is not None and table not in named:
            continue
        vendor, _, log_type = table.partition(".")
        repoint = False
        try:
            if lake.table(vendor, log_type) is not None:
                report.kept.append(table)
                continue
        except TableMetadataMissing:
            if named is None:  # re-pointed only when named: the writes after that version are lost
                report.broken.append(table)
                continue
            repoint = True
        if len(candidates) > 1:
            report.ambiguous[table] = [lake.storage.uri(k) for k in candidates]
            continue
        location = lake.storage.uri(candidates[0])
        if repoint:
            # Only the catalog row goes (SqlCatalog.drop_table removes no file).
            lake.catalog.drop_table((vendor, log_type))
            report.repointed[table] = location
        else:
            report.registered[table] = location
        ensure_namespace(lake.catalog, lake.storage, vendor)
        lake.catalog.register_table((vendor, log_type), location)
    return report


def adopt(tables: Iterable[str] | None = None, home: Home | None = None) -> AdoptReport:
    """`adopt_tables` on `home` (default: the home of the environment) in its tenant's catalog, then the
    binding of its database to its storage root."""
    from log_assets.lake.catalog import database_url_of
    from log_assets.paths import Home  # noqa: F811 - at run time
    from log_assets.state import StateStore
    from log_assets.storage import Storage

    home = home or Home.from_env()
    storage = Storage.for_home(home)
    with Lake.open(database_url_of(home), storage, catalog=home.tenant.catalog_name) as lake:
        report = adopt_tables(lake, tables)
    with StateStore.open(home) as store:
        report.home_id = adopt_binding(store.db, storage, home.tenant)
    return report


__all__ = ["AdoptReport", "adopt", "adopt_tables", "newest_metadata"]
