"""Durable writes of local Parquet files (the Aperture inbox): temp name, fsync, rename. Nothing
half-written is ever visible. The lake itself is written through its Iceberg catalog
(log_assets.lake.lake); the walk's staged pages are Arrow IPC bytes (`arrow_ipc_bytes`) that it
stores on the storage root (log_assets.storage).

Shared files get the shared file mode (`LOG_ASSETS_FILE_MODE`: owner and group by default, never
writable by others) whatever the umask; private ones (the Aperture inbox) stay owner-only, as
mkstemp makes them."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq

from log_assets.fsutil import ensure_dir, fsync_dir, shared_file_mode

COMPRESSION = "zstd"


def _set_mode(tmp: str, private: bool) -> None:
    """mkstemp makes files owner-only; lake files are for analysts too (`LOG_ASSETS_FILE_MODE`)."""
    if not private:
        os.chmod(tmp, shared_file_mode())


ROW_GROUP_ROWS = 64_000


def write_parquet_atomic(
    table: pa.Table, path: Path, compression: str = COMPRESSION, private: bool = False
) -> None:
    ensure_dir(path.parent, private=private)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression=compression, row_group_size=ROW_GROUP_ROWS)
        _set_mode(tmp, private)
        _fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise
    fsync_dir(path.parent)


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


def _fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
