"""The lake as tests see it: rows and days of a lake table, read through the Iceberg catalog of a home
(`Lake.for_home`: LOG_ASSETS_DATABASE_URL and LOG_ASSETS_STORAGE_URL when set, else the home's SQLite
file and folder; a `Home` of a named tenant: that tenant's database, storage root and catalog), and
days written for test data the same way."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date

import pyarrow as pa

from log_assets.lake.lake import Lake
from log_assets.lake.layout import DAY_COLUMN
from log_assets.paths import Home


def _root(home: Home | str | os.PathLike) -> Home | str:
    """The home as Lake.for_home takes it: a Home as it is (with its tenant), else the folder."""
    return home if isinstance(home, Home) else str(home)


def _day(d: str | date) -> date:
    return d if isinstance(d, date) else date.fromisoformat(d)


def lake_table(
    home: Home | str | os.PathLike,
    vendor: str,
    log_type: str,
    days: Iterable[str | date] | str | date | None = None,
    columns: Iterable[str] | None = None,
) -> pa.Table:
    """The rows of those days (all days when None) as the table's current snapshot holds them."""
    if isinstance(days, (str, date)):
        days = [days]
    with Lake.for_home(_root(home)) as lake:
        return lake.read_days(
            vendor,
            log_type,
            None if days is None else [_day(d) for d in days],
            list(columns) if columns is not None else None,
        )


def lake_days(home: Home | str | os.PathLike, vendor: str, log_type: str) -> dict[str, int]:
    """Day -> rows, for the days that hold rows."""
    with Lake.for_home(_root(home)) as lake:
        return {d.isoformat(): s.rows for d, s in lake.days(vendor, log_type).items() if s.rows}


def lake_event_ids(
    home: Home | str | os.PathLike, vendor: str, log_type: str, day: str | date | None = None
) -> list[str]:
    return lake_table(home, vendor, log_type, day, ["event_id"]).column("event_id").to_pylist()


def lake_types(home: Home | str | os.PathLike, vendor: str) -> list[str]:
    """The log types of a vendor that have a lake table."""
    with Lake.for_home(_root(home)) as lake:
        return sorted(t for v, t in lake.tables() if v == vendor)


def write_lake_day(
    home: Home | str | os.PathLike, vendor: str, log_type: str, day: str | date, table: pa.Table
) -> None:
    """Make a day hold exactly `table` (one commit)."""
    if DAY_COLUMN in table.column_names:
        table = table.drop_columns([DAY_COLUMN])
    with Lake.for_home(_root(home)) as lake:
        lake.replace_days(vendor, log_type, table, [_day(day)])
