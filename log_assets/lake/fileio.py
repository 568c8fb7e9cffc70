"""pyiceberg's FileIO for a local storage root: every file the lake writes is durable when closed.

Its own module so that importing `log_assets.storage` (every process of a run does) does not import
pyiceberg's pyarrow I/O layer (pyarrow.dataset, pandas); pyiceberg imports this by name
(`Storage.iceberg_properties`) when the lake first opens a file.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from pyiceberg.io.pyarrow import PyArrowFile, PyArrowFileIO

from log_assets.fsutil import ensure_dir, fsync_dir, shared_file_mode


class _SyncedFile(io.FileIO):
    """A new file that is on disk, with its directory entry, once closed."""

    def close(self) -> None:
        if self.closed:
            return
        try:
            os.fsync(self.fileno())
        finally:
            super().close()
        fsync_dir(Path(str(self.name)).parent)


class _DurableLocalFile(PyArrowFile):
    def create(self, overwrite: bool = False) -> Any:
        path = Path(self._path)
        ensure_dir(path.parent)

        def opener(name: str, flags: int) -> int:
            fd = os.open(name, flags, 0o600)
            os.fchmod(fd, shared_file_mode())  # whatever the umask: lake files are for analysts too
            return fd

        try:
            raw = _SyncedFile(str(path), "wb" if overwrite else "xb", opener=opener)
        except FileExistsError:
            raise FileExistsError(f"Cannot create file, already exists: {self.location}") from None
        return io.BufferedWriter(raw, buffer_size=1 << 20)


class DurableLocalFileIO(PyArrowFileIO):
    """pyiceberg's PyArrowFileIO, but every local file it writes (data files, manifests, manifest
    lists, table metadata) is fsynced with its folder when closed, and gets the lake's shared file
    mode: a commit recorded in the catalog never points at a file a power cut could lose."""

    def new_output(self, location: str) -> PyArrowFile:
        scheme, netloc, path = self.parse_location(location, self.properties)
        if scheme != "file":
            return super().new_output(location)
        return _DurableLocalFile(location=location, path=path, fs=self.fs_by_scheme(scheme, netloc))
