"""The per-type tables and the lake partitions they are loaded from."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from log_assets.catalog import APERTURE, CATALOG, COMMON_COLUMNS, FORCEPOINT, LogType, generic_log_type
from log_assets.fsutil import ensure_dir
from log_assets.lake.colnames import DAY_COLUMN, own_names
from log_assets.lake.schema import arrow_schema
from log_assets.paths import Home
from log_assets.storage import Storage
from log_assets.warehouse.layout import TableRef, is_table_name

if TYPE_CHECKING:
    # The lake's Iceberg code is imported by the functions that open the lake, not with the
    # package's Dagster definitions (which list the sources).
    from log_assets.lake.lake import Lake
    from log_assets.lake.results import Changes
    from log_assets.tenant import Tenant

VENDORS = (FORCEPOINT, APERTURE)

# Names of derived tables in the vendor schemas; an uncataloged log type never takes one of them.
RESERVED = frozenset({TableRef(FORCEPOINT, "cloudsummary_current"), TableRef(APERTURE, "incident_current")})


@dataclass(frozen=True)
class Source:
    """One per-type table: a catalog entry, or a log type found in the lake that the catalog lacks."""

    lt: LogType
    ref: TableRef
    cataloged: bool = True

    @property
    def columns(self) -> list[tuple[str, str]]:
        """(name, DuckDB type): the lake columns, with event_day after the common ones."""
        out = []
        for f in arrow_schema(self.lt):
            out.append((f.name, duckdb_type(f.type)))
            if f.name == COMMON_COLUMNS[-1]:
                out.append((DAY_COLUMN, "DATE"))
        return out


def duckdb_type(t: pa.DataType) -> str:
    if pa.types.is_string(t):
        return "VARCHAR"
    if pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_float64(t):
        return "DOUBLE"
    if pa.types.is_timestamp(t) and t.tz is not None:
        return "TIMESTAMP WITH TIME ZONE"  # as DuckDB names it back, so that types compare equal
    if pa.types.is_list(t) and pa.types.is_string(t.value_type):
        return "VARCHAR[]"
    raise TypeError(f"no DuckDB type for lake column type {t}")


def cataloged_sources(catalog: dict = CATALOG) -> list[Source]:
    return [Source(lt, TableRef(lt.vendor, lt.name)) for lt in catalog.values()]


def uncataloged_source(vendor: str, log_type: str) -> Source:
    name = log_type if TableRef(vendor, log_type) not in RESERVED else f"{log_type}_log"
    return Source(generic_log_type(vendor, log_type), TableRef(vendor, name), cataloged=False)


def lake_sources(home: Home, catalog: dict = CATALOG) -> list[Source]:
    """Log types with a lake table that the catalog does not know (kept raw, never dropped)."""
    found = [
        uncataloged_source(vendor, name)
        for vendor, name in _lake(home).tables()
        if vendor in VENDORS and is_table_name(name) and (vendor, name) not in catalog
    ]
    return sorted(found, key=lambda s: s.ref)


@dataclass(frozen=True)
class LakeDay:
    day: date
    locations: tuple[str, ...]  # the day's data files in the table's current snapshot
    signature: str  # changes whenever the day's files change (a commit to the day)
    cache: LakeFileCache = field(compare=False, repr=False)

    @property
    def files(self) -> list[str]:
        """Local paths of the day's data files, for DuckDB (fetched into the home's cache first when
        the lake is on an object store)."""
        return [self.cache.local(loc) for loc in self.locations]


def lake_days(home: Home, vendor: str, log_type: str, snapshot_id: int | None = None) -> dict[date, LakeDay]:
    """The days of one lake table that hold rows, with their data files (in a snapshot: the current one
    when None). Reads every manifest; the cached copies of files the snapshot lacks are removed."""
    lake = _lake(home)
    cache = lake_file_cache(lake, home)
    day_files = lake.day_files(vendor, log_type, snapshot_id)
    from log_assets.lake.layout import table_location

    cache.prune(table_location(lake.storage, vendor, log_type), {f for fs in day_files.values() for f in fs})
    return _lake_days(day_files, cache)


def some_lake_days(
    home: Home, vendor: str, log_type: str, snapshot_id: int, days: Iterable[date]
) -> dict[date, LakeDay]:
    """Those of `days` that hold rows in a snapshot, with their data files, from a scan filtered to them
    (only the manifests that may hold them are read). HistoryExpired once the snapshot is not kept."""
    lake = _lake(home)
    return _lake_days(lake.day_files(vendor, log_type, snapshot_id, days), lake_file_cache(lake, home))


def _lake_days(day_files: dict[date, list[str]], cache: LakeFileCache) -> dict[date, LakeDay]:
    return {day: LakeDay(day, tuple(files), day_signature(files), cache) for day, files in day_files.items()}


def day_signature(locations: Iterable[str]) -> str:
    """Of a day's data files: changes whenever a commit changes the day."""
    return hashlib.sha1("\n".join(sorted(locations)).encode()).hexdigest()


def lake_changes(home: Home, vendor: str, log_type: str, since_snapshot_id: int | None) -> Changes:
    """The days of a lake table changed after a snapshot, from the snapshots' metadata (see
    `Lake.changed_days`); nothing beyond the table's metadata file is read when it is still current."""
    return _lake(home).changed_days(vendor, log_type, since_snapshot_id)


def lake_column_names(home: Home, vendor: str, log_type: str) -> dict[str, str]:
    """Parquet name -> the lake table's own column name, for the columns pyiceberg writes under
    another name (`a.b` as `a_x2Eb`, `sp ace` as `sp_x20ace`): the warehouse reads the files by
    their Parquet names and keeps the columns under their own."""
    tbl = _lake(home).table(vendor, log_type)
    if tbl is None:
        return {}
    return own_names(f.name for f in sorted(tbl.schema().fields, key=lambda f: f.field_id))


def lake_head(home: Home, vendor: str, log_type: str) -> int | None:
    """The lake table's current snapshot (None before its first write, or with no table)."""
    tbl = _lake(home).table(vendor, log_type)
    snap = tbl.current_snapshot() if tbl is not None else None
    return snap.snapshot_id if snap is not None else None


def prune_cached_days(
    home: Home, vendor: str, log_type: str, days: Iterable[date], keep: dict[date, LakeDay]
) -> int:
    """Remove the cached copies of those days' files that `keep` (the days' files now) lacks: what a
    load of only the changed days can tell is stale, without listing the whole table."""
    lake = _lake(home)
    locations = {loc for part in keep.values() for loc in part.locations}
    from log_assets.lake.layout import table_location

    return lake_file_cache(lake, home).prune(table_location(lake.storage, vendor, log_type), locations, days=days)


# Under the home (scratch on a cluster): copies of the lake's data files the warehouse read from an
# object store. Data files never change once written, so a copy is exact for as long as it exists.
CACHE_DIR = ".cache/lake"


class LakeFileCache:
    """The lake's data files as local paths: the files themselves on local storage; on an object
    store (DuckDB reads s3:// only with an extension that may not be installable), copies fetched
    through the store's pyarrow filesystem into the home's cache, kept while the current snapshot
    references them."""

    def __init__(self, storage: Storage, root: Path):
        self.storage = storage
        self.root = root

    def local(self, location: str) -> str:
        key = self.storage.key_of(location)
        if key is None:
            from log_assets.lake.errors import LakeError

            raise LakeError(f"the lake's data file {location} lies outside its storage {self.storage.describe()}")
        if self.storage.is_local:
            return self.storage.fs_path(key)
        path = self.root / key
        if not path.exists():
            ensure_dir(path.parent)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            try:
                with self.storage.reading(key) as src, open(tmp, "wb") as out:
                    shutil.copyfileobj(src, out, COPY_CHUNK)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        return str(path)

    def prune(
        self,
        table_location: str,
        keep: set[str],
        grace: timedelta | None = None,
        touch: bool = False,
        days: Iterable[date] | None = None,
    ) -> int:
        """Remove the cached copies of one table's files that `keep` (its current files) lacks; with
        `grace`, only those last used longer ago than that. With `touch`, the kept copies are marked
        used now (a views file names them: a reader may open them until `grace` after it is replaced).
        With `days`, only those days' folders are looked at (`keep` need hold only their files)."""
        key = self.storage.key_of(table_location)
        if self.storage.is_local or key is None or not (self.root / key).exists():
            return 0
        wanted = {self.storage.key_of(loc) for loc in keep}
        before = time.time() - (grace.total_seconds() if grace else 0)
        if days is None:
            files = (self.root / key).rglob("*")
        else:
            folders = [self.root / key / "data" / f"{DAY_COLUMN}={day.isoformat()}" for day in days]
            files = (p for folder in folders if folder.is_dir() for p in folder.iterdir())
        removed = 0
        for p in files:
            if not p.is_file():
                continue
            if str(p.relative_to(self.root)) in wanted:
                if touch:
                    os.utime(p)
            elif grace is None or p.stat().st_mtime < before:
                p.unlink(missing_ok=True)
                removed += 1
        return removed


COPY_CHUNK = 8 << 20


def lake_file_cache(lake: Lake, home: Home) -> LakeFileCache:
    return LakeFileCache(lake.storage, home.root / CACHE_DIR)


# The lake of the homes this process works on, opened once each (the last few kept), by the home
# (root and tenant) and the database and storage root its tenant's settings name now.
_LAKES: OrderedDict[tuple[str, Tenant, str, str], Lake] = OrderedDict()
_KEEP = 4


def lake_of(home: Home) -> Lake:
    """The lake (and catalog) of `home`, opened once per process and kept."""
    return _lake(home)


def _lake(home: Home) -> Lake:
    tenant = home.tenant
    key = (str(home.root), tenant, tenant.database_url_from() or "", tenant.storage_url_from() or "")
    lake = _LAKES.get(key)
    if lake is None:
        from log_assets.lake.lake import Lake

        lake = _LAKES[key] = Lake.for_home(home)
        while len(_LAKES) > _KEEP:
            _LAKES.popitem(last=False)[1].close()
    _LAKES.move_to_end(key)
    return lake
