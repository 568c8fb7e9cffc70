"""A write of a lake table: rows added a table at a time are written as data files when a flush's
worth is buffered (memory stays bounded), then committed as one snapshot that replaces whole days or
appends to them, redone on a fresh load of the table when it loses a race with another writer."""

from __future__ import annotations

import contextlib
import itertools
import logging
import random
import time
import uuid
import warnings
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import sqlalchemy.exc
from pyiceberg.exceptions import CommitFailedException, ValidationException
from pyiceberg.table import Table

from log_assets.lake._pyiceberg import DataFile, stage_files, write_day_files
from log_assets.lake.errors import LakeError
from log_assets.lake.layout import (
    COMMIT_ATTEMPTS,
    DAY_COLUMN,
    TARGET_FILE_BYTES,
    WRITE_ID_PROP,
    WRITE_MODE_PROP,
    Mode,
    plain_schema,
    with_event_day,
)
from log_assets.lake.results import Commit
from log_assets.lake.snapshots import check_unchanged, day_files, days_of_snapshot, find_write

if TYPE_CHECKING:
    from log_assets.lake.lake import Lake

log = logging.getLogger(__name__)

# A writer's buffered tables are joined into one table of one chunk per this many bytes (see
# DayWriter._consolidate).
CONSOLIDATE_BYTES = 8 * 1024 * 1024
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class DayWriter:
    """One write of a table: data files written as rows come (buffered to the target file size), then
    one commit. Used as a context manager, an exception (or no commit) removes the files it wrote."""

    def __init__(
        self,
        lake: Lake,
        vendor: str,
        log_type: str,
        days: Iterable[date] = (),
        *,
        flush_bytes: int = TARGET_FILE_BYTES,
        replaces: list[DataFile] | None = None,
    ):
        self.lake = lake
        # A compaction replaces these files of the day only (the rest of the day stays).
        self.replaces = {f.file_path for f in replaces} if replaces is not None else None
        self.flush_bytes = flush_bytes
        self.vendor = vendor
        self.log_type = log_type
        self.name = f"{vendor}.{log_type}"
        self.days: set[date] = set(days)
        self.rows: dict[date, int] = {}
        self.write_id = uuid.uuid4().hex
        self._uuid = uuid.UUID(self.write_id)
        self._counter = itertools.count(0)
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        # The buffered tables before this one (of these bytes) are consolidated, or left as they are.
        self._consolidated, self._consolidated_bytes = 0, 0
        self._files: list[DataFile] = []
        self._committed = False
        self._outcome_unknown = False
        # Columns of the rows added that the table refused (name -> why): their values are in raw.
        self.kept_in_raw: dict[str, str] = {}

    def __enter__(self) -> DayWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if not self._committed:
            self.abort()

    def add(self, table: pa.Table, *, only_days: bool = False) -> None:
        """Rows of the lake's columns (`event_day` is derived from `event_time` when absent). With
        `only_days`, every row must fall on one of the writer's `days`."""
        if self._committed:
            raise LakeError(f"{self.name}: this write is already committed")
        if table.num_rows == 0:
            return
        if DAY_COLUMN not in table.column_names:
            table = with_event_day(table)
        got = _day_counts(table.column(DAY_COLUMN))
        if only_days and not set(got) <= self.days:
            stray = sorted(set(got) - self.days)
            raise ValueError(f"{self.name}: rows of {', '.join(map(str, stray))}, outside the days being replaced")
        for d, n in got.items():
            self.rows[d] = self.rows.get(d, 0) + n
        self._buffer.append(table)
        self._buffered += table.nbytes
        if self._buffered >= self.flush_bytes:
            self._flush()
        else:
            self._consolidate()

    def _consolidate(self) -> None:
        """Buffered tables of one schema, once they hold CONSOLIDATE_BYTES, made one table of one
        chunk: pyiceberg's writer projects every record batch onto the file's schema in Python (some
        milliseconds each), and a walk adds a table per page. The copy is of these tables only."""
        if self._buffered - self._consolidated_bytes < CONSOLIDATE_BYTES:
            return
        tail = self._buffer[self._consolidated :]
        if len(tail) > 1 and all(t.schema == tail[0].schema for t in tail[1:]):
            self._buffer[self._consolidated :] = [pa.concat_tables(tail).combine_chunks()]
        self._consolidated, self._consolidated_bytes = len(self._buffer), self._buffered

    @property
    def files_written(self) -> int:
        """Data files written so far (the rows still buffered are not in one yet)."""
        return len(self._files)

    @property
    def written_paths(self) -> list[str]:
        """The paths of the data files written so far, in the order written."""
        return [f.file_path for f in self._files]

    def flush(self) -> None:
        """Write the buffered rows as data files now (a commit does it too)."""
        self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        buffered = self._buffer
        schema = buffered[0].schema
        for t in buffered[1:]:
            schema = _unite(schema, t.schema)
        tbl, refused = self.lake.ensure_columns(self.vendor, self.log_type, schema)
        if refused:
            # Not columns of the table (their values are in raw): the rows are written without them.
            self.kept_in_raw.update(refused)
            buffered = [t.drop_columns([n for n in refused if n in t.column_names]) for t in buffered]
        target = plain_schema(tbl.schema().as_arrow())
        chunk = _sorted_by_day(pa.concat_tables([_conform(t, target, self.name) for t in buffered]))
        with self.lake.store_errors("writing", self.vendor, self.log_type):
            self._files += write_day_files(tbl, chunk, self._uuid, self._counter)
        self._clear_buffer()

    def _clear_buffer(self) -> None:
        self._buffer, self._buffered = [], 0
        self._consolidated, self._consolidated_bytes = 0, 0

    def commit(self, mode: Mode = "replace", *, base_snapshot_id: int | None = None) -> Commit:
        if self._committed:
            raise LakeError(f"{self.name}: this write is already committed")
        self._flush()
        days = set(self.rows) | (self.days if mode == "replace" else set())
        try:
            result = self._commit(mode, days, base_snapshot_id)
        except BaseException:
            if not self._outcome_unknown:
                self.abort()
            raise
        self._committed = True
        return result

    def _commit(self, mode: Mode, days: set[date], base_snapshot_id: int | None) -> Commit:
        props = {WRITE_ID_PROP: self.write_id, WRITE_MODE_PROP: mode}
        for attempt in range(1, COMMIT_ATTEMPTS + 1):
            tbl = self.lake.table(self.vendor, self.log_type)
            if tbl is None:
                if self._files:
                    raise LakeError(f"{self.name}: the table was dropped while it was being written")
                return Commit(self.name, None, {}, 0, 0, attempt)
            if self._outcome_unknown and (landed := find_write(tbl, self.write_id)) is not None:
                return self._result(tbl, landed, days, 0, attempt)
            head = tbl.current_snapshot()
            if base_snapshot_id is not None:
                check_unchanged(tbl, base_snapshot_id, days, self.name)
            old = day_files(tbl, days) if mode == "replace" and head is not None and days else []
            if self.replaces is not None:
                old = [f for f in old if f.file_path in self.replaces]
            if not old and not self._files:
                return Commit(self.name, head.snapshot_id if head else None, {}, 0, 0, attempt)
            tx, snapshot_id = stage_files(tbl, props, old, self._files)
            try:
                with self.lake.store_errors("committing to", self.vendor, self.log_type):
                    committed = tx.commit_transaction()
            except (CommitFailedException, ValidationException) as e:
                log.info("%s: commit lost a race (%s); attempt %d of %d", self.name, e, attempt, COMMIT_ATTEMPTS)
                time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))
                continue
            except sqlalchemy.exc.DBAPIError as e:
                # The database went away mid-commit: it may have landed. Look before trying again.
                self._outcome_unknown = True
                log.warning("%s: commit interrupted (%s); checking whether it landed", self.name, e)
                time.sleep(min(2.0, 0.1 * 2**attempt))
                continue
            return self._result(committed, snapshot_id, days, len(old), attempt)
        raise LakeError(
            f"{self.name}: gave up after {COMMIT_ATTEMPTS} attempts to commit: other writers kept committing "
            "to this table first"
        )

    def _result(self, tbl: Table, snapshot_id: int, days: set[date], removed: int, attempts: int) -> Commit:
        snap = tbl.snapshot_by_id(snapshot_id)
        files = {}
        if snap is not None and days:
            per_day = days_of_snapshot(tbl, snap, days)
            files = {d: per_day[d].files if d in per_day else 0 for d in days}
        return Commit(
            self.name, snapshot_id, dict(sorted(self.rows.items())), len(self._files), removed, attempts, files
        )

    def abort(self) -> None:
        """Remove the files written so far (never committed)."""
        self._clear_buffer()
        tbl = self.lake.table(self.vendor, self.log_type) if self._files else None
        for f in self._files:
            with contextlib.suppress(Exception):  # an orphan at worst, removed by maintenance
                assert tbl is not None
                tbl.io.delete(f.file_path)
        self._files = []


def _sorted_by_day(table: pa.Table) -> pa.Table:
    """`table` in (event_day, event_time) order: each day's rows together, each day's files' row
    groups narrow in time. Rows that come in that order already (a walk's pages, a day read back) are
    not copied."""
    keys = [DAY_COLUMN] + (["event_time"] if "event_time" in table.column_names else [])
    if all(_ascending(table.column(k)) for k in keys):
        return table
    return table.sort_by([(k, "ascending") for k in keys])


def _ascending(column: pa.ChunkedArray) -> bool:
    if column.null_count or len(column) < 2:
        return not column.null_count
    values = column.cast(pa.int32() if pa.types.is_date32(column.type) else pa.int64()).to_numpy()
    return bool((values[1:] >= values[:-1]).all())


def _unite(a: pa.Schema, b: pa.Schema) -> pa.Schema:
    if a.names == b.names:
        return a
    have = set(a.names)
    extra = [f for f in b if f.name not in have]
    return pa.schema(list(a) + extra) if extra else a


def _day_counts(days: pa.ChunkedArray) -> dict[date, int]:
    """Rows per day of an `event_day` column (numpy: an Arrow group_by costs milliseconds a page)."""
    if days.null_count:
        raise ValueError(f"{days.null_count} row(s) with no {DAY_COLUMN}")
    found, counts = np.unique(days.cast(pa.int32()).to_numpy(), return_counts=True)
    return {
        date.fromordinal(_EPOCH_ORDINAL + int(d)): int(n)
        for d, n in zip(found.tolist(), counts.tolist(), strict=True)
    }


def _conform(table: pa.Table, target: pa.Schema, name: str) -> pa.Table:
    """`table` in the table's Arrow schema: its column order and types (a safe cast), NULL for columns
    it lacks. A required column must be present and hold no NULL."""
    n = table.num_rows
    have = set(table.column_names)
    extra = have - set(target.names)
    if extra:
        raise LakeError(f"{name}: columns {sorted(extra)} are not in the table (the schema did not evolve)")
    columns = []
    for f in target:
        if f.name not in have:
            if not f.nullable:
                raise ValueError(f"{name}: rows without the required column {f.name}")
            columns.append(pa.nulls(n, f.type))
            continue
        col = table.column(f.name)
        if not f.nullable and col.null_count:
            raise ValueError(f"{name}: {col.null_count} row(s) with no {f.name} (a required column)")
        if col.type != f.type:
            try:
                col = col.cast(f.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                raise LakeError(
                    f"{name}: column {f.name} is {f.type} in the lake; these rows hold {col.type} that does not "
                    f"convert ({e})"
                ) from None
        columns.append(col)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pa.Table.from_arrays(columns, schema=target)
