"""Landing: merge a day's inbox files into `lake/aperture/<log_type>/date=<day>/`.

New events (by event_id, against what the partition already holds) are written as one more file in
the partition folder (temp + rename: readers see all of it or none). When a partition has gathered
many small files, or its files predate a catalog change, it is rewritten as one file in a new
folder and swapped in with `fsutil.replace_dir`. Inbox files are deleted only after the lake write
is durable; a repeat after a crash finds their events already present and writes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from log_assets import fsutil
from log_assets.aperture.spool import Spool, log_type_entry
from log_assets.catalog import APERTURE, LogType
from log_assets.lake.schema import Coercer, arrow_schema, build_table, is_current, new_fields
from log_assets.lake.writer import write_parquet_atomic

COMPACT_AT_FILES = 16


@dataclass
class LandReport:
    log_type: str
    day: str
    inbox_files: int = 0
    inbox_rows: int = 0
    landed: int = 0
    duplicates: int = 0
    rows: int = 0  # in the partition afterwards
    files: int = 0
    compacted: bool = False
    coercion_failures: int = 0
    new_fields: tuple[str, ...] = ()  # fields the catalog does not know, landed as text columns
    first_event: datetime | None = None
    last_event: datetime | None = None


class MisroutedEventsError(RuntimeError):
    """Inbox rows whose event time is not on the partition's day; left in the inbox, untouched."""


def _read_conformed(path: Path, lt: LogType, coercer: Coercer) -> tuple[pa.Table, bool]:
    """A lake/inbox file in the current schema; rebuilt from `raw` when the catalog has changed.

    Returns (table, was_current).
    """
    table = pq.ParquetFile(path).read()
    if is_current(table.schema, lt):
        return table, True
    rows = [
        {
            "event_id": r["event_id"],
            "event_time": r["event_time"],
            "vendor": APERTURE,
            "log_type": lt.name,
            "raw": r["raw"],
            "ingested_at": r["ingested_at"],
            "fields": _loads(r["raw"]),
        }
        for r in table.select(["event_id", "event_time", "raw", "ingested_at"]).to_pylist()
    ]
    return build_table(lt, rows, coercer), False


def _loads(raw: str) -> dict:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _partition_files(target: Path) -> list[Path]:
    if not target.exists():
        return []
    return sorted(p for p in target.iterdir() if p.suffix == ".parquet" and not p.name.startswith("."))


def _content_name(ids) -> str:
    h = hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:24]
    return f"part-{h}.parquet"


def _day_bounds(day: str) -> tuple[datetime, datetime]:
    start = datetime.combine(date.fromisoformat(day), time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def land_day(spool: Spool, log_type: str, day: str, compact_at: int = COMPACT_AT_FILES) -> LandReport:
    """Merge the inbox files of (log_type, day) into the lake. Serialized per log type by a lock."""
    lt = log_type_entry(log_type)
    report = LandReport(log_type, day)
    home = spool.home
    target = home.partition_dir(APERTURE, log_type, day)
    coercer = Coercer()
    spool.ensure()
    with spool.lock(f"land-{log_type}"):
        _clean_staging(home.staging, log_type, day)
        inbox_files = spool.inbox_files(log_type, day)
        report.inbox_files = len(inbox_files)
        existing_files = _partition_files(target)

        existing_ids: set[str] = set()
        stale_schema = False
        for f in existing_files:
            pf = pq.ParquetFile(f)
            if not is_current(pf.schema_arrow, lt):
                stale_schema = True
            existing_ids.update(pf.read(columns=["event_id"]).column("event_id").to_pylist())

        incoming = [_read_conformed(f, lt, coercer)[0] for f in inbox_files]
        # Files may differ by the new fields they carry: columns missing from one are NULL there.
        new = pa.concat_tables(incoming, promote_options="default") if incoming else arrow_schema(lt).empty_table()
        report.inbox_rows = new.num_rows
        report.new_fields = tuple(new_fields(new, lt))
        if new.num_rows:
            lo, hi = _day_bounds(day)
            times = new.column("event_time")
            if pc.min(times).as_py() < lo or pc.max(times).as_py() >= hi:
                raise MisroutedEventsError(f"inbox for {log_type} {day} holds events of another day")

        keep: list[int] = []
        seen = set(existing_ids)
        for i, eid in enumerate(new.column("event_id").to_pylist()):
            if eid not in seen:
                seen.add(eid)
                keep.append(i)
        report.duplicates = new.num_rows - len(keep)
        new = new.take(pa.array(keep, type=pa.int64())).sort_by("event_time")
        report.landed = new.num_rows

        if new.num_rows and (stale_schema or len(existing_files) + 1 > compact_at):
            _rewrite(home, lt, day, target, existing_files, new, coercer)
            report.compacted = True
        elif new.num_rows:
            write_parquet_atomic(new, target / _content_name(new.column("event_id").to_pylist()))
        elif stale_schema:
            _rewrite(home, lt, day, target, existing_files, new, coercer)
            report.compacted = True

        # The lake write above is durable (fsynced); only now may the inbox copies go.
        for f in inbox_files:
            with contextlib.suppress(FileNotFoundError):
                f.unlink()
        if inbox_files:
            fsutil.fsync_dir(inbox_files[0].parent)

    report.coercion_failures = coercer.failures
    _describe(report, target)
    return report


def _rewrite(
    home, lt: LogType, day: str, target: Path, existing_files: list[Path], new: pa.Table, coercer: Coercer
) -> None:
    tables = [_read_conformed(f, lt, coercer)[0] for f in existing_files] + [new]
    table = pa.concat_tables(tables, promote_options="default").sort_by("event_time")
    staging = home.staging / APERTURE / f"{lt.name}-{day}-{uuid.uuid4().hex[:12]}"
    write_parquet_atomic(table, staging / _content_name(table.column("event_id").to_pylist()))
    fsutil.replace_dir(staging, target)


def _clean_staging(staging_root: Path, log_type: str, day: str) -> None:
    # Leftovers of a rewrite that died before its swap; the lock says no one else is writing them.
    root = staging_root / APERTURE
    if not root.exists():
        return
    for d in root.glob(f"{log_type}-{day}-*"):
        shutil.rmtree(d, ignore_errors=True)


def _describe(report: LandReport, target: Path) -> None:
    files = _partition_files(target)
    report.files = len(files)
    if not files:
        return
    chunks = [c for f in files for c in pq.ParquetFile(f).read(columns=["event_time"]).column("event_time").chunks]
    times = pa.chunked_array(chunks, type=arrow_schema(log_type_entry(report.log_type)).field("event_time").type)
    report.rows = len(times)
    if len(times):
        report.first_event = pc.min(times).as_py()
        report.last_event = pc.max(times).as_py()
