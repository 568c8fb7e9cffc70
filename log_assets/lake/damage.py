"""Damaged lake files, named with their table, day and the way back.

A data file of a table's current snapshot can be missing from the storage root, shorter or longer
than the manifest recorded (cut off by a full disk, a partial copy, a restore gone wrong), or not
Parquet any more. Readers (DuckDB in the warehouse) would fail with their own words ("No magic bytes
found") naming no table or day; maintenance, which reads no data file, would report success over it.
Here every such file is found by comparing the storage root's listing with the sizes the manifests
record (one listing per table, no file read), or, for the files of a failed read, by reading their
Parquet footers, and described with the recovery:

- Forcepoint: the day fetched again, replacing it whole (its asset's partition with the run config
  `refetch: true`), or the file restored from the storage's backup or versioning;
- Aperture: the file restored from the backup or versioning (its events cannot be fetched again: the
  API hands each out once);
- a table the warehouse publishes: the warehouse rebuilt from the lake, which publishes it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pyarrow.parquet as pq

from log_assets.lake.errors import LakeError
from log_assets.lake.lake import Lake
from log_assets.lake.layout import LAKE_PREFIX
from log_assets.lake.snapshots import day_of
from log_assets.storage import StorageError


@dataclass(frozen=True)
class DamagedFile:
    table: str  # `forcepoint.access`
    day: date | None
    location: str  # the file's URL
    reason: str

    def describe(self) -> str:
        day = self.day.isoformat() if self.day else "?"
        return f"{self.table} day {day}: {self.location} {self.reason}"


class LakeDamaged(LakeError):
    """Files of the lake cannot be read: the message names each (table, day, file) and the recovery."""

    def __init__(self, damaged: list[DamagedFile], doing: str):
        self.damaged = damaged
        shown = damaged[:10]
        more = f" (and {len(damaged) - len(shown)} more)" if len(damaged) > len(shown) else ""
        super().__init__(
            f"{doing}: {len(damaged)} lake data file(s) cannot be read: "
            + "; ".join(d.describe() for d in shown)
            + more
            + ". "
            + " ".join(sorted({recovery(d.table, d.day) for d in damaged}))
        )


def recovery(table: str, day: date | None) -> str:
    """How to get a day of a table back, in words."""
    vendor, _, log_type = table.partition(".")
    when = day.isoformat() if day else "<day>"
    restore = "restore the file from the storage root's backup or object versioning (same name, same place)"
    if vendor == "forcepoint":
        return (
            f"For {table} {when}: {restore}; or fetch the day again, replacing it whole: materialize the asset "
            f"forcepoint/{log_type} for the partition {when} with the run config "
            f"`ops: {{forcepoint__{log_type}: {{config: {{refetch: true}}}}}}` "
            "(it spends that day's requests again)."
        )
    if vendor == "aperture":
        return (
            f"For {table} {when}: {restore} (Aperture events cannot be fetched again: the API hands each out "
            "once); if no copy is left, the day's other files still hold their events."
        )
    return (  # a table the warehouse publishes: made again from the lake
        f"For {table}: rebuild the warehouse from the lake (`python -m log_assets.warehouse rebuild`, or "
        "materialize warehouse_rebuild), which publishes the table again."
    )


def damaged_files(lake: Lake, vendor: str, log_type: str, days: Iterable[date] | None = None) -> list[DamagedFile]:
    """The data files of the table's current snapshot (of `days` when given) that are missing or whose
    size differs from the manifest's, by one listing of the table's data folder."""
    tbl = lake.table(vendor, log_type)
    if tbl is None or tbl.current_snapshot() is None:
        return []
    from log_assets.lake.snapshots import days_filter

    name = f"{vendor}.{log_type}"
    wanted = None if days is None else set(days)
    files = [t.file for t in tbl.scan(row_filter=days_filter(wanted)).plan_files()]
    listed = {o.key: o.size for o in lake.storage.list(f"{LAKE_PREFIX}/{vendor}.db/{log_type}/data")}
    out = []
    for f in files:
        key = lake.storage.key_of(f.file_path)
        if key is None:
            continue  # a file outside the storage root: not ours to look at
        size = listed.get(key)
        if size is None and lake.storage.stat(key) is None:  # listed names skip dot files only
            reason = "is missing from the storage root"
        elif size is not None and size != f.file_size_in_bytes:
            recorded = f.file_size_in_bytes
            reason = f"holds {size} bytes where the table's manifest records {recorded} (cut off or replaced)"
        else:
            continue
        out.append(DamagedFile(name, day_of(f.partition[0]), f.file_path, reason))
    return out


def unreadable_files(
    lake: Lake, vendor: str, log_type: str, day_files: dict[date, list[str]]
) -> list[DamagedFile]:
    """Of the given files (by day), those missing, of another size than the manifest records, or
    whose Parquet footer cannot be read."""
    name = f"{vendor}.{log_type}"
    damaged = {d.location: d for d in damaged_files(lake, vendor, log_type, day_files)}
    for day, locations in day_files.items():
        for loc in locations:
            if loc in damaged:
                continue
            key = lake.storage.key_of(loc)
            if key is None:
                continue
            try:
                with lake.storage.fs.open_input_file(lake.storage.fs_path(key)) as f:
                    pq.ParquetFile(f).metadata  # noqa: B018 - reads the footer, the magic bytes
            except FileNotFoundError:
                damaged[loc] = DamagedFile(name, day, loc, "is missing from the storage root")
            except StorageError:
                raise
            except Exception as e:  # pyarrow's ArrowInvalid, OSError: the file is not Parquet any more
                damaged[loc] = DamagedFile(
                    name, day, loc, f"is not readable Parquet ({' '.join(str(e).split())[:200]})"
                )
    return sorted(damaged.values(), key=lambda d: (d.day or date.min, d.location))
