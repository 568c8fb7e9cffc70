"""Durable Parquet writes: temp name, fsync, rename. Nothing half-written is ever visible."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from log_assets.fsutil import ensure_dir, fsync_dir

COMPRESSION = "zstd"


def _public_mode(tmp: str, private: bool) -> None:
    """mkstemp makes files owner-only; lake files are for analysts too (the umask decides)."""
    if not private:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
ROW_GROUP_ROWS = 64_000


def write_parquet_atomic(table: pa.Table, path: Path, compression: str = COMPRESSION, private: bool = False) -> None:
    ensure_dir(path.parent, private=private)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression=compression, row_group_size=ROW_GROUP_ROWS)
        _public_mode(tmp, private)
        _fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise
    fsync_dir(path.parent)


def stream_parquet_atomic(batches: Iterable[pa.Table], schema: pa.Schema, path: Path) -> int:
    """Write tables one after another into one file, buffering to ROW_GROUP_ROWS. Returns rows."""
    ensure_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    rows = 0
    try:
        with pq.ParquetWriter(tmp, schema, compression=COMPRESSION) as w:
            buf: list[pa.Table] = []
            buffered = 0
            for t in batches:
                if t.num_rows == 0:
                    continue
                buf.append(t)
                buffered += t.num_rows
                if buffered >= ROW_GROUP_ROWS:
                    w.write_table(pa.concat_tables(buf), row_group_size=ROW_GROUP_ROWS)
                    rows += buffered
                    buf, buffered = [], 0
            if buf:
                w.write_table(pa.concat_tables(buf), row_group_size=ROW_GROUP_ROWS)
                rows += buffered
        _public_mode(tmp, False)
        _fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise
    fsync_dir(path.parent)
    return rows


def _fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
