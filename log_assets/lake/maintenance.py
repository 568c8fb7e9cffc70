"""A table's upkeep: compacting the days of many small files, expiring the snapshots older than the
retention (a table stays readable as of any time within it) and removing the files no kept snapshot
needs. `Lake.maintain` and `Lake.compact_day` are the way in."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.table import Table

from log_assets.lake._pyiceberg import live_file_paths
from log_assets.lake.daywriter import DayWriter
from log_assets.lake.errors import DaysChanged, LakeError
from log_assets.lake.layout import (
    COMMIT_ATTEMPTS,
    COMPACT_FLUSH_BYTES,
    COMPACT_OVER_FILES,
    DEFAULT_RETENTION,
    MIN_ORPHAN_AGE,
    SMALL_FILE_BYTES,
    WIDE_ROW_BYTES,
)
from log_assets.lake.results import Commit, MaintenanceReport
from log_assets.lake.snapshots import day_files

if TYPE_CHECKING:
    from log_assets.lake.lake import Lake

log = logging.getLogger(__name__)


def maintain(
    lake: Lake,
    retention: timedelta = DEFAULT_RETENTION,
    *,
    now: datetime | None = None,
    tables: Iterable[tuple[str, str]] | None = None,
    compact_over: int | None = COMPACT_OVER_FILES,
) -> list[MaintenanceReport]:
    """For each table: compact days of more than `compact_over` files, expire the snapshots older
    than `retention` (keeping the current one and the one that was current `retention` ago, so that
    the table can be read as of any time within it), then remove the files no kept snapshot needs
    and that are older than the retention (and at least MIN_ORPHAN_AGE: a write in progress)."""
    now = now or datetime.now(UTC)
    return [
        maintain_table(lake, v, t, retention, now, compact_over)
        for v, t in (tables if tables is not None else lake.tables())
    ]


def maintain_table(
    lake: Lake, vendor: str, log_type: str, retention: timedelta, now: datetime, compact_over: int | None
) -> MaintenanceReport:
    report = MaintenanceReport(f"{vendor}.{log_type}")
    if compact_over is not None:
        for day, stats in sorted(lake.days(vendor, log_type).items()):
            if stats.files > compact_over and compact_day(lake, vendor, log_type, day, min_files=compact_over):
                report.compacted_days.append(day)
    cutoff = now - retention
    for _ in range(COMMIT_ATTEMPTS):
        tbl = lake.table(vendor, log_type)
        if tbl is None:
            return report
        expire = snapshots_to_expire(tbl, cutoff)
        if not expire:
            break
        try:
            with lake.store_errors("expiring snapshots of", vendor, log_type):
                tbl.maintenance.expire_snapshots().by_ids(sorted(expire)).commit()
            report.expired_snapshots = len(expire)
            break
        except CommitFailedException:
            continue
    tbl = lake.table(vendor, log_type)
    if tbl is None:
        return report
    report.kept_snapshots = len(tbl.metadata.snapshots)
    if tbl.metadata.snapshots:
        report.oldest_kept = datetime.fromtimestamp(
            min(s.timestamp_ms for s in tbl.metadata.snapshots) / 1000, tz=UTC
        )
    orphan_cutoff = min(cutoff, now - MIN_ORPHAN_AGE)
    with lake.store_errors("removing unreferenced files of", vendor, log_type):
        report.deleted_files, report.deleted_bytes = _remove_orphans(lake, tbl, orphan_cutoff)
    log.info(
        "%s: maintenance: %d snapshot(s) expired, %d kept, %d file(s) removed (%d bytes), compacted %s",
        report.table,
        report.expired_snapshots,
        report.kept_snapshots,
        report.deleted_files,
        report.deleted_bytes,
        ", ".join(map(str, report.compacted_days)) or "nothing",
    )
    return report


def _remove_orphans(lake: Lake, tbl: Table, older_than: datetime) -> tuple[int, int]:
    root = lake.storage.key_of(tbl.location())
    if root is None:
        raise LakeError(f"{'.'.join(tbl.name())} lives at {tbl.location()}, outside {lake.storage.url}")
    keep = {k for k in map(lake.storage.key_of, referenced_files(tbl)) if k is not None}
    removed = removed_bytes = 0
    for sub in ("data", "metadata"):  # only the folders Iceberg writes: nothing else is ever touched
        for obj in lake.storage.list(f"{root}/{sub}" if root else sub):
            if obj.key in keep or obj.mtime is None or obj.mtime >= older_than:
                continue
            if lake.storage.delete(obj.key):
                removed += 1
                removed_bytes += obj.size
    return removed, removed_bytes


def compact_day(
    lake: Lake,
    vendor: str,
    log_type: str,
    day: date,
    *,
    min_files: int = 1,
    small_bytes: int | None = None,
    small_rows: int | None = None,
) -> Commit | None:
    """Rewrite the day's small data files (each append leaves one) as few, in one commit that
    replaces exactly those files; the day's other files (cut at a flush size, compaction's own
    included) stay as they are. Small: under `small_bytes` (SMALL_FILE_BYTES) and fewer than
    `small_rows` rows (what a COMPACT_FLUSH_BYTES flush holds at WIDE_ROW_BYTES a row), judged
    when called. Read a row group at a time and written as they come, so memory stays bounded
    whatever the day's size. None when the day has no more than `min_files` small files, when
    their rewrite would not be fewer files (nothing is committed: the files it wrote are removed),
    or when the day changed meanwhile (it is left as it is)."""
    small_bytes = SMALL_FILE_BYTES if small_bytes is None else small_bytes
    small_rows = COMPACT_FLUSH_BYTES // WIDE_ROW_BYTES if small_rows is None else small_rows
    tbl = lake.table(vendor, log_type)
    snap = tbl.current_snapshot() if tbl else None
    if tbl is None or snap is None:
        return None
    small = [
        f
        for f in day_files(tbl, [day], snap.snapshot_id)
        if f.file_size_in_bytes < small_bytes and f.record_count < small_rows
    ]
    if len(small) <= max(min_files, 1):
        return None
    with DayWriter(lake, vendor, log_type, [day], flush_bytes=COMPACT_FLUSH_BYTES, replaces=small) as w:
        with lake.store_errors("compacting", vendor, log_type):
            for f in small:
                data = pq.ParquetFile(tbl.io.new_input(f.file_path).open(seekable=True))
                for i in range(data.num_row_groups):
                    w.add(data.read_row_group(i), only_days=True)
        w.flush()
        if w.files_written >= len(small):
            log.info(
                "%s.%s %s: compacting %d small file(s) would write %d; left as they are",
                vendor,
                log_type,
                day,
                len(small),
                w.files_written,
            )
            return None  # not committed: the writer removes its files
        try:
            return w.commit("replace", base_snapshot_id=snap.snapshot_id)
        except DaysChanged:
            return None


def snapshots_to_expire(tbl: Table, cutoff: datetime) -> set[int]:
    """Snapshots older than `cutoff`, but for the current one and the one current at the cutoff."""
    cutoff_ms = int(cutoff.timestamp() * 1000)
    keep = {ref.snapshot_id for ref in tbl.metadata.refs.values()}
    at_cutoff = tbl.snapshot_as_of_timestamp(cutoff_ms)
    if at_cutoff is not None:
        keep.add(at_cutoff.snapshot_id)
    return {
        s.snapshot_id for s in tbl.metadata.snapshots if s.timestamp_ms < cutoff_ms and s.snapshot_id not in keep
    }


def referenced_files(tbl: Table) -> set[str]:
    """Every file a kept snapshot or the table's metadata needs: metadata files (current and logged),
    manifest lists, manifests, data and delete files, statistics."""
    md = tbl.metadata
    out = {tbl.metadata_location, *(e.metadata_file for e in md.metadata_log)}
    out |= {s.statistics_path for s in md.statistics}
    out |= {s.statistics_path for s in md.partition_statistics}
    manifests = {}
    for snap in md.snapshots:
        out.add(snap.manifest_list)
        for m in snap.manifests(tbl.io):
            manifests[m.manifest_path] = m
    for path, m in manifests.items():
        out.add(path)
        out |= live_file_paths(tbl, m)
    return out
