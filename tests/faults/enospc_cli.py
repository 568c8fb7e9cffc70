"""`python enospc_cli.py ARGS...` = `dagster ARGS...` on a disk that fills up.

Environment:
  LOG_ASSETS_FAULT_ENOSPC_AT     the n-th matching write (1-based) fails with ENOSPC
  LOG_ASSETS_FAULT_ENOSPC_WHAT   "parquet": pyarrow.parquet.write_table / ParquetWriter.write_table
                                 (a few bytes are written first, like a write cut off by a full disk);
                                 "home": creating any temporary file under $LOG_ASSETS_HOME
                                 (state, spool, quarantine and lake files are all made that way)
  LOG_ASSETS_FAULT_ENOSPC_COUNT  how many writes fail from the n-th on (default 1; 0 = all: the disk stays full)
  LOG_ASSETS_FAULT_ENOSPC_MARK   a file created when the first failure fires (so the test knows it did)

The step must run in this process (run config `execution: {config: {in_process: {}}}`).
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
import threading

AT = int(os.environ.get("LOG_ASSETS_FAULT_ENOSPC_AT", "1"))
WHAT = os.environ.get("LOG_ASSETS_FAULT_ENOSPC_WHAT", "parquet")
COUNT = int(os.environ.get("LOG_ASSETS_FAULT_ENOSPC_COUNT", "1"))
MARK = os.environ.get("LOG_ASSETS_FAULT_ENOSPC_MARK")
HOME = os.path.realpath(os.environ.get("LOG_ASSETS_HOME", "./data"))

_lock = threading.Lock()
_calls = 0


def _should_fail() -> bool:
    global _calls
    with _lock:
        _calls += 1
        n = _calls
    if n < AT or (COUNT > 0 and n >= AT + COUNT):
        return False
    if MARK and not os.path.exists(MARK):
        with open(MARK, "w") as f:
            f.write(f"{WHAT} write {n}\n")
    return True


def _enospc(where) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(where))


def _patch_parquet() -> None:
    import pyarrow.parquet as pq

    orig_write_table = pq.write_table
    orig_writer_write = pq.ParquetWriter.write_table

    def write_table(table, where, *args, **kwargs):
        if _should_fail():
            if isinstance(where, (str, os.PathLike)):
                with open(where, "wb") as f:  # a torn file: the magic bytes and nothing more
                    f.write(b"PAR1\x00\x00")
            raise _enospc(where)
        return orig_write_table(table, where, *args, **kwargs)

    def writer_write_table(self, table, *args, **kwargs):
        if _should_fail():
            raise _enospc(getattr(self, "where", "parquet writer"))
        return orig_writer_write(self, table, *args, **kwargs)

    pq.write_table = write_table
    pq.ParquetWriter.write_table = writer_write_table


def _patch_home() -> None:
    orig_mkstemp = tempfile.mkstemp

    def mkstemp(suffix=None, prefix=None, dir=None, text=False):
        if dir is not None and os.path.realpath(os.fspath(dir)).startswith(HOME + os.sep) and _should_fail():
            raise _enospc(dir)
        return orig_mkstemp(suffix, prefix, dir, text)

    tempfile.mkstemp = mkstemp


def main() -> None:
    if WHAT == "parquet":
        _patch_parquet()
    elif WHAT == "home":
        _patch_home()
    else:
        raise SystemExit(f"unknown LOG_ASSETS_FAULT_ENOSPC_WHAT={WHAT!r}")
    from dagster._cli import main as dagster_main

    sys.argv = ["dagster", *sys.argv[1:]]
    dagster_main()


if __name__ == "__main__":
    main()
