"""The answers a walk has received and not yet checkpointed, kept on the storage root by the request
that got them.

The walk asks for the next page while it lands the current one, so a run that stops (killed, a
full disk, an error while landing) may hold answers it has paid for in quota but not landed. Each
answer with events is kept, zstd-compressed, as `<walk's staging prefix>/spool/<hash>.body`
(`lake/.staging/forcepoint/<type>/<walk id>/spool/` on `LOG_ASSETS_STORAGE_URL`, owner-only when
local) until its page is checkpointed; the next run of the walk, on this machine or another, uses
it instead of asking again, so a run killed at any instant re-requests at most the one page that
was in flight. A kept answer is a copy whose loss only costs a request: it is not fsynced, and a
store that refuses it (or its removal) is logged, not fatal.
"""

from __future__ import annotations

import hashlib
import logging

import pyarrow as pa

from log_assets.catalog import LogType
from log_assets.forcepoint.client import ForcepointClient, MalformedPage, Page
from log_assets.storage import Storage, StorageError

_MAGIC = b"LAS1"
_CODEC = pa.Codec("zstd", compression_level=1)  # a 1 MB JSON page in ~1 ms, to ~90 KB


def pack(body: bytes) -> bytes:
    return _MAGIC + len(body).to_bytes(8, "little") + _CODEC.compress(body, asbytes=True)


def unpack(data: bytes) -> bytes:
    if data[:4] != _MAGIC or len(data) < 12:
        raise ValueError("not a kept answer")
    size = int.from_bytes(data[4:12], "little")
    return _CODEC.decompress(data[12:], decompressed_size=size, asbytes=True)


class KeptAnswers:
    """`prefix`: the key prefix of the log type's walks on `storage` (daybuilder.staging_prefix)."""

    def __init__(self, storage: Storage, prefix: str, lt: LogType, client: ForcepointClient, log: logging.Logger):
        self.storage = storage
        self.prefix = prefix.strip("/")
        self.lt = lt
        self.client = client
        self.log = log

    def key(self, walk_id: str, stage_from: str, token: str | None) -> str:
        """Where the answer to one request of the walk is kept. The key holds what shapes the
        answer (API version, response format), so a changed setting never reuses an old one."""
        what = f"token={token}" if token is not None else f"startdate={stage_from}"
        shape = f"{self.lt.name}|{self.client.cv_for(self.lt)}|{self.client.response_format}|{what}"
        return f"{self.prefix}/{walk_id}/spool/{hashlib.sha256(shape.encode()).hexdigest()[:32]}.body"

    def take(self, walk_id: str, stage_from: str, token: str | None) -> Page | None:
        """The page kept for this request by an earlier run; None when there is none with events,
        or it cannot be read (then the request is sent again: the server's answer is the same)."""
        key = self.key(walk_id, stage_from, token)
        try:
            data = self.storage.read_bytes(key)
        except FileNotFoundError:
            return None
        except StorageError as e:
            self.log.warning("forcepoint/%s: kept answer unreadable (%s); asking again", self.lt.name, e)
            return None
        try:
            page = self.client.page_from_body(unpack(data), self.lt)
        except (OSError, ValueError, pa.ArrowException, MalformedPage) as e:  # OSError: a torn body
            self.log.warning(
                "forcepoint/%s: kept answer %s unreadable (%s); asking again",
                self.lt.name,
                self.storage.uri(key),
                e,
            )
            return None
        if not page.records:
            return None
        self.log.info("forcepoint/%s: using the answer kept from an earlier run for this request", self.lt.name)
        return page

    def keep(self, walk_id: str, stage_from: str, token: str | None, page: Page) -> None:
        """Keep an answer that moves the walk on (events, and a new token after them)."""
        if page.records and page.raw_body and page.next_token and page.next_token != token:
            # Not durable: after a power cut a lost or torn body only costs asking again.
            try:
                self.storage.write_bytes(
                    self.key(walk_id, stage_from, token), pack(page.raw_body), private=True, durable=False
                )
            except StorageError as e:
                self.log.warning(
                    "forcepoint/%s: could not keep the answer (%s); a run that stops before its page is "
                    "checkpointed asks for it again",
                    self.lt.name,
                    e,
                )

    def forget(self, walk_id: str, stage_from: str, token: str | None) -> None:
        """Once the page is checkpointed its answer is no longer needed (one left behind goes with
        the walk's staging prefix when the walk ends)."""
        try:
            self.storage.delete(self.key(walk_id, stage_from, token))
        except StorageError as e:
            self.log.warning("forcepoint/%s: could not remove a kept answer (%s)", self.lt.name, e)
