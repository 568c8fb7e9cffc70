"""The lake's errors: each names the table (and day, file) and what to do."""

from __future__ import annotations


class LakeError(RuntimeError):
    """A lake operation that cannot be done as asked (the message says why and what to do)."""


class TableMetadataMissing(LakeError):
    """A table's catalog row points at a metadata file the storage root no longer holds."""


class DaysChanged(LakeError):
    """The days a write was based on changed under it (another writer committed to them since)."""


class HistoryExpired(LakeError):
    """A time or snapshot older than the history the table keeps."""
