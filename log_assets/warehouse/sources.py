"""The per-type tables and the lake partitions they are loaded from."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa

from log_assets.catalog import APERTURE, CATALOG, COMMON_COLUMNS, FORCEPOINT, LogType, generic_log_type
from log_assets.lake.schema import arrow_schema
from log_assets.paths import Home
from log_assets.warehouse.layout import TableRef, is_table_name

VENDORS = (FORCEPOINT, APERTURE)
DAY_COLUMN = "event_day"

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
    """Log types with a lake folder that the catalog does not know (kept raw, never dropped)."""
    found = []
    for vendor in VENDORS:
        try:
            entries = list(os.scandir(home.lake / vendor))
        except FileNotFoundError:
            continue
        for e in entries:
            if e.is_dir() and is_table_name(e.name) and (vendor, e.name) not in catalog:
                found.append(uncataloged_source(vendor, e.name))
    return sorted(found, key=lambda s: s.ref)


@dataclass(frozen=True)
class LakeDay:
    day: date
    files: tuple[str, ...]
    signature: str  # changes whenever a file of the partition is added, replaced or removed


def lake_days(home: Home, vendor: str, log_type: str) -> dict[date, LakeDay]:
    """The partitions of one log type that hold at least one Parquet file."""
    out: dict[date, LakeDay] = {}
    try:
        entries = list(os.scandir(home.type_dir(vendor, log_type)))
    except FileNotFoundError:
        return out
    for e in entries:
        if not (e.name.startswith("date=") and e.is_dir()):
            continue
        try:
            day = date.fromisoformat(e.name[5:])
        except ValueError:
            continue
        part = _lake_day(Path(e.path), day)
        if part is not None:
            out[day] = part
    return out


def _lake_day(folder: Path, day: date) -> LakeDay | None:
    files, h = [], hashlib.sha1()
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except FileNotFoundError:  # swapped out while listing; the caller lists again
        return None
    for e in entries:
        # Temporary files of an atomic write start with a dot.
        if e.name.startswith(".") or not e.name.endswith(".parquet"):
            continue
        try:
            st = e.stat()
        except FileNotFoundError:
            continue
        files.append(e.path)
        h.update(f"{e.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    if not files:
        return None
    return LakeDay(day, tuple(files), h.hexdigest())
