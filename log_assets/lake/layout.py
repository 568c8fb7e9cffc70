"""How the lake's tables are laid out: the names, sizes and table properties every module of the lake
shares, and the tables' schema (the catalog's columns with `event_day`) and Arrow type conversions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.types import DoubleType, FloatType, IntegerType, LongType

from log_assets.catalog import APERTURE, CATALOG, COMMON_COLUMNS, FORCEPOINT, LogType, generic_log_type
from log_assets.lake.colnames import DAY_COLUMN as DAY_COLUMN  # (defined there: it loads nothing)
from log_assets.lake.limits import COMPACT_OVER_FILES as COMPACT_OVER_FILES  # (defined there: it loads nothing)
from log_assets.lake.schema import arrow_schema
from log_assets.storage import Storage
from log_assets.tenant import DEFAULT_CATALOG

# The default tenant's catalog; a named tenant's is `log_assets_<name>` (Tenant.catalog_name).
CATALOG_NAME = DEFAULT_CATALOG
LAKE_PREFIX = "lake"  # under the storage root
DEFAULT_RETENTION = timedelta(days=7)
# Unreferenced files younger than this are never removed, whatever the retention: a write in progress
# has written its data files but not yet committed them.
MIN_ORPHAN_AGE = timedelta(days=1)
COMMIT_ATTEMPTS = 8
# A table's metadata found with no catalog row is looked at again this many times, this far apart,
# before a create is refused: a concurrent writer's create writes the file first, then the row.
CREATE_RACE_CHECKS = 4
CREATE_RACE_WAIT = 0.5
# Compaction rewrites a day's small data files (appends of a few pages, Aperture landings) as files
# cut every COMPACT_FLUSH_BYTES of Arrow rows, as a large write (the walk's day merge) cuts its own. A
# file is small when it is under SMALL_FILE_BYTES of Parquet *and* holds fewer rows than such a flush
# at WIDE_ROW_BYTES a row (16,384 rows; a poll is a few 1,000-record pages, a 64 MiB flush of
# Forcepoint access records some 36,000). Size alone does not tell: 64 MiB of log records compress
# to some 5 MiB of zstd Parquet, so a day written large, and compaction's own output, would look
# small and be rewritten as as many files on every run. Rows do not depend on the compression: a
# file cut at the flush size holds enough of them unless they are wider than WIDE_ROW_BYTES, and
# then it is over SMALL_FILE_BYTES unless they also compress more than 8 to 1. For those last, a
# compaction that would not leave the day fewer files is not committed. So a day written large is
# never read whole, and compacting a day again right after does nothing.
SMALL_FILE_BYTES = 8 * 1024 * 1024
COMPACT_FLUSH_BYTES = 64 * 1024 * 1024
WIDE_ROW_BYTES = 4096
# Snapshot summary keys of our own: the write that made a snapshot (to recognise a commit whose
# answer was lost) and the write's mode.
WRITE_ID_PROP = "log-assets.write-id"
WRITE_MODE_PROP = "log-assets.write-mode"

# Data files are cut at this many in-memory (uncompressed Arrow) bytes, which pyiceberg's writer
# measures: about 40-80 MB of zstd Parquet for log records. A writer buffers at most this much.
TARGET_FILE_BYTES = 256 * 1024 * 1024
ROW_GROUP_ROWS = 131_072

TABLE_PROPERTIES = {
    "format-version": "2",
    "write.parquet.compression-codec": "zstd",
    "write.target-file-size-bytes": str(TARGET_FILE_BYTES),
    "write.parquet.row-group-limit": str(ROW_GROUP_ROWS),
    # `raw` is the record as received: its min/max would only bloat the manifests.
    "write.metadata.metrics.column.raw": "counts",
    # Per-day added/removed counts in every snapshot's summary: what changed, without reading manifests.
    "write.summary.partition-limit": "1000",
    # The writer here retries a lost race itself, on a fresh load (whole days are replaced).
    "commit.retry.num-retries": "0",
    # Older table-metadata files become unreferenced and go with the orphans (`maintain`).
    "write.metadata.previous-versions-max": "32",
}

Mode = Literal["replace", "append"]

# ------------------------------------------------------------------------------------ schema


def lake_schema(lt: LogType) -> pa.Schema:
    """The Arrow schema of a lake table: the catalog's columns with `event_day` after the common ones."""
    base = arrow_schema(lt)
    fields = list(base)
    at = base.get_field_index(COMMON_COLUMNS[-1]) + 1
    fields.insert(at, pa.field(DAY_COLUMN, pa.date32(), nullable=False))
    return pa.schema(fields)


def with_event_day(table: pa.Table) -> pa.Table:
    """`table` with `event_day` (the UTC day of `event_time`), after `ingested_at` when it is new."""
    day = pc.cast(pc.cast(table.column("event_time"), pa.timestamp("us", tz="UTC")), pa.date32())
    if DAY_COLUMN in table.column_names:
        return table.set_column(
            table.column_names.index(DAY_COLUMN), pa.field(DAY_COLUMN, pa.date32(), False), day
        )
    names = table.column_names
    at = names.index(COMMON_COLUMNS[-1]) + 1 if COMMON_COLUMNS[-1] in names else len(names)
    return table.add_column(at, pa.field(DAY_COLUMN, pa.date32(), nullable=False), day)


# The namespaces of the sources' tables, whose new-field columns are bounded (lake/limits.py).
SOURCES = (FORCEPOINT, APERTURE)


def log_type_of(vendor: str, log_type: str) -> LogType:
    return CATALOG.get((vendor, log_type)) or generic_log_type(vendor, log_type)


def norm_type(t: pa.DataType) -> pa.DataType:
    """Arrow types that are the same Iceberg type compare equal (string/large_string, list/large_list,
    whatever a list's item field is called)."""
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.list_(norm_type(t.value_type))
    if pa.types.is_timestamp(t) and t.tz is not None:
        return pa.timestamp(t.unit, tz="UTC")
    return t


def _plain(t: pa.DataType) -> pa.DataType:
    """The lake's Arrow type for what pyiceberg hands back (it reads and maps strings and lists as
    large_string / large_list, not always the same way)."""
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.list_(_plain(t.value_type))
    return t


def plain_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f.with_type(_plain(f.type)) for f in schema], metadata=schema.metadata)


def plain_table(table: pa.Table) -> pa.Table:
    target = plain_schema(table.schema)
    return table if target.equals(table.schema) else table.cast(target)


# Iceberg's own type promotions: a column of the narrower type becomes the wider one.
PROMOTIONS: dict[tuple[Any, pa.DataType], Any] = {
    (IntegerType(), pa.int64()): LongType(),
    (FloatType(), pa.float64()): DoubleType(),
}


def table_location(storage: Storage, namespace: str, name: str) -> str:
    """Where a table's files live: `<root>/lake/<namespace>.db/<name>`."""
    return storage.uri(f"{LAKE_PREFIX}/{namespace}.db/{name}")
