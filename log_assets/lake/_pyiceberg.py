"""The one place that uses pyiceberg beyond its documented public API (catalogs, tables, scans,
transactions, expressions, types): writing a sorted chunk's data files per partition, committing given
data files as one snapshot, reading one planned file of a scan, a data file's column bounds and the
entries of manifests. A pyiceberg upgrade that moves these internals breaks here alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from pyiceberg.conversions import from_bytes
from pyiceberg.io.pyarrow import ArrowScan, bin_pack_arrow_table, pyarrow_to_schema, write_file
from pyiceberg.manifest import DataFile, ManifestEntryStatus, ManifestFile
from pyiceberg.partitioning import PartitionFieldValue, PartitionKey
from pyiceberg.table import Table, TableProperties, Transaction, WriteTask
from pyiceberg.table.snapshots import Snapshot
from pyiceberg.types import PrimitiveType

from log_assets.lake.layout import DAY_COLUMN

if TYPE_CHECKING:
    from pyiceberg.table import DataScan, FileScanTask

__all__ = [
    "DataFile",
    "bound_value",
    "stage_files",
    "live_file_paths",
    "read_planned_file",
    "snapshot_own_files",
    "write_day_files",
]

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def write_day_files(tbl: Table, chunk: pa.Table, write_uuid: uuid.UUID, counter: Iterator[int]) -> list[DataFile]:
    """The data files of `chunk` (sorted by day) in `tbl`: each day's rows are a slice of it, written
    as that partition's files. What pyiceberg's own table write does, without copying the rows twice
    (a filter per partition, then combine_chunks) to find partitions that a sorted chunk already has
    side by side."""
    meta = tbl.metadata
    spec, schema = meta.spec(), meta.schema()
    (day_field,) = spec.fields  # identity(event_day), the lake's only partition field
    target_size = int(
        meta.properties.get(
            TableProperties.WRITE_TARGET_FILE_SIZE_BYTES, TableProperties.WRITE_TARGET_FILE_SIZE_BYTES_DEFAULT
        )
    )
    task_schema = pyarrow_to_schema(
        chunk.schema, name_mapping=schema.name_mapping, format_version=meta.format_version
    )
    days = chunk.column(DAY_COLUMN).cast(pa.int32()).to_numpy()
    starts = [0, *(np.flatnonzero(days[1:] != days[:-1]) + 1).tolist()]
    ends = [*starts[1:], len(days)]
    tasks = []
    for a, b in zip(starts, ends, strict=True):
        day = date.fromordinal(EPOCH_ORDINAL + int(days[a]))
        key = PartitionKey(
            field_values=[PartitionFieldValue(field=day_field, value=day)], partition_spec=spec, schema=schema
        )
        for batches in bin_pack_arrow_table(chunk.slice(a, b - a), target_size):
            tasks.append(
                WriteTask(
                    write_uuid=write_uuid,
                    task_id=next(counter),
                    record_batches=batches,
                    partition_key=key,
                    schema=task_schema,
                )
            )
    return list(write_file(io=tbl.io, table_metadata=meta, tasks=iter(tasks)))


def stage_files(
    tbl: Table, properties: Mapping[str, str], remove: Iterable[DataFile], add: Iterable[DataFile]
) -> tuple[Transaction, int]:
    """A transaction of `tbl` holding one snapshot that removes the data files `remove` and adds `add`
    (an OVERWRITE, or an APPEND when nothing is removed), with `properties` in its summary, and that
    snapshot's id. Nothing is committed: the caller commits the transaction (`commit_transaction`),
    which raises pyiceberg's CommitFailedException (or ValidationException) on a lost race."""
    remove = list(remove)
    tx = tbl.transaction()
    update = tx.update_snapshot(snapshot_properties=dict(properties))
    producer = update.overwrite() if remove else update.fast_append()
    with producer:
        for f in remove:
            producer.delete_data_file(f)
        for f in add:
            producer.append_data_file(f)
    return tx, producer.snapshot_id


def read_planned_file(tbl: Table, scan: DataScan, task: FileScanTask) -> list[pa.RecordBatch]:
    """The record batches of one file a scan planned, as the scan reads it (its deletes and the
    table's schema applied), read now and whole."""
    return list(
        ArrowScan(tbl.metadata, tbl.io, scan.projection(), scan.row_filter, scan.case_sensitive).to_record_batches(
            [task]
        )
    )


def bound_value(kind: PrimitiveType, raw: bytes) -> Any:
    """A column bound of a data file (as its manifest stores it) as a value of the column's type."""
    return from_bytes(kind, raw)


def snapshot_own_files(tbl: Table, snap: Snapshot) -> Iterator[DataFile]:
    """The data files a snapshot added or deleted, from the entries of its own manifests."""
    for m in snap.manifests(tbl.io):
        if m.added_snapshot_id != snap.snapshot_id:
            continue
        for e in m.fetch_manifest_entry(tbl.io, discard_deleted=False):
            if e.snapshot_id == snap.snapshot_id and e.status != ManifestEntryStatus.EXISTING:
                yield e.data_file


def live_file_paths(tbl: Table, manifest: ManifestFile) -> set[str]:
    """The data and delete files a manifest lists as live (not deleted)."""
    return {e.data_file.file_path for e in manifest.fetch_manifest_entry(tbl.io, discard_deleted=True)}
