"""What the lake's operations report: a write's commit, a day's figures, the days changed between two
snapshots, a table's maintenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Commit:
    """What a write did: its snapshot (None when there was nothing to do), rows per day written,
    files added and removed, and how many attempts the commit took."""

    table: str
    snapshot_id: int | None
    rows: dict[date, int]
    files_added: int
    files_removed: int
    attempts: int
    day_files: dict[date, int] = field(default_factory=dict)  # data files per written day afterwards


@dataclass(frozen=True)
class DayStats:
    rows: int
    files: int
    bytes: int


@dataclass(frozen=True)
class Changes:
    """Days changed in a table between two snapshots. With `everything`, the starting snapshot is not
    in the table's history (none given, expired by maintenance, or from before the table was made
    again): every day in `days` (all of the current snapshot) must be read again, and days that are
    not there any more dropped."""

    snapshot_id: int | None  # the table's current snapshot
    days: frozenset[date]
    everything: bool
    reason: str = ""


@dataclass(frozen=True)
class DayFigures:
    """A day as the lake's metadata describes it: rows, data files, first and last event time."""

    rows: int
    files: int
    first: datetime | None
    last: datetime | None


@dataclass
class MaintenanceReport:
    table: str
    compacted_days: list[date] = field(default_factory=list)
    expired_snapshots: int = 0
    kept_snapshots: int = 0
    deleted_files: int = 0
    deleted_bytes: int = 0
    oldest_kept: datetime | None = None  # the earliest time the table can be read as of
