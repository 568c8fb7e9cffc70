"""Durable writes of Parquet (and staging Arrow) files: temp name, fsync, rename. Nothing
half-written is ever visible.

Lake files get the shared file mode (`LOG_ASSETS_FILE_MODE`: owner and group by default, never
writable by others) whatever the umask; private ones (the Aperture inbox) and staging parts stay
owner-only, as mkstemp makes them."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
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


class ParquetBuilder:
    """One Parquet file written a table at a time (buffered into row groups of ROW_GROUP_ROWS)
    under a hidden temporary name, made visible only by `finish` (fsync, rename)."""

    def __init__(self, directory: Path, schema: pa.Schema, compression: str = COMPRESSION):
        ensure_dir(directory)
        self.directory = directory
        self.schema = schema
        self.compression = compression
        self.rows = 0
        self._tmp: str | None = None
        self._writer: pq.ParquetWriter | None = None
        self._buf: list[pa.Table] = []
        self._buffered = 0

    def add(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self._buf.append(table)
        self._buffered += table.num_rows
        if self._buffered >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._buf:
            return
        if self._writer is None:
            fd, self._tmp = tempfile.mkstemp(dir=self.directory, prefix=".part.", suffix=".tmp")
            os.close(fd)
            self._writer = pq.ParquetWriter(self._tmp, self.schema, compression=self.compression)
        self._writer.write_table(pa.concat_tables(self._buf), row_group_size=ROW_GROUP_ROWS)
        self.rows += self._buffered
        self._buf, self._buffered = [], 0

    def finish(self, path: Path) -> int:
        """Write the rest, make the file durable and visible at `path`. Returns its rows (with
        no rows, no file is made)."""
        try:
            self._flush()
            if self._writer is None:
                return 0
            self._writer.close()
            self._writer = None
            assert self._tmp is not None  # made with the writer
            _set_mode(self._tmp, False)
            _fsync_path(self._tmp)
            os.replace(self._tmp, path)
            self._tmp = None
        except BaseException:
            self.abort()
            raise
        fsync_dir(path.parent)
        return self.rows

    def abort(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):  # the file is thrown away anyway
                self._writer.close()
            self._writer = None
        if self._tmp is not None:
            _unlink(self._tmp)
            self._tmp = None
        self._buf, self._buffered = [], 0


def stream_parquet_atomic(batches: Iterable[pa.Table], schema: pa.Schema, path: Path) -> int:
    """Write tables one after another into one file, buffering to ROW_GROUP_ROWS. Returns rows."""
    b = ParquetBuilder(path.parent, schema)
    try:
        for t in batches:
            b.add(t)
    except BaseException:
        b.abort()
        raise
    return b.finish(path)


# Staging parts are written once and read only after a crash: lz4 costs ~1.5 ms a 1000-event page
# and writes a quarter of the bytes, which is what the per-page fsync waits for.
STAGING_COMPRESSION = "lz4"


def write_arrow_atomic(table: pa.Table, path: Path, compression: str | None = STAGING_COMPRESSION) -> None:
    """An Arrow IPC file, durable before it is visible under its name. For staging, not the lake."""
    ensure_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            with pa.ipc.new_file(f, table.schema, options=pa.ipc.IpcWriteOptions(compression=compression)) as w:
                w.write_table(table)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise
    fsync_dir(path.parent)


def read_arrow(path: Path) -> pa.Table:
    with pa.OSFile(str(path), "rb") as f:
        return pa.ipc.open_file(f).read_all()


def _fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
