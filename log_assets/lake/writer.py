"""The walk's staged pages as Arrow IPC bytes (`arrow_ipc_bytes`, `read_arrow_bytes`), which it stores
on the storage root (log_assets.storage). The lake itself is written through its Iceberg catalog
(log_assets.lake.lake)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.ipc

# Staging parts are written once and read only after a crash: lz4 costs ~1.5 ms a 1000-event page
# and writes a quarter of the bytes, which is what the per-page fsync waits for.
STAGING_COMPRESSION = "lz4"


def arrow_ipc_bytes(table: pa.Table, compression: str | None = STAGING_COMPRESSION) -> bytes:
    """`table` as an Arrow IPC file, in memory (for staging on the storage root, not the lake)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression=compression)) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()


def read_arrow_bytes(data: bytes) -> pa.Table:
    return pa.ipc.open_file(pa.BufferReader(data)).read_all()
