"""The answers a walk has received and not yet checkpointed, kept on the storage root by the request
that got them.

The walk asks for the next page while it lands the current one, so a run that stops (killed, a
full disk, an error while landing) may hold answers it has paid for in quota but not landed. Each
answer with events is kept, zstd-compressed, under the walk's staging prefix
(`lake/.staging/forcepoint/<type>/<walk id>/spool/` on `LOG_ASSETS_STORAGE_URL`, owner-only when
local) until its page is checkpointed; the next run of the walk, on this machine or another, uses
it instead of asking again, so a run killed at any instant re-requests at most the one page that
was in flight. A kept answer is a copy whose loss only costs a request: it is not fsynced, and a
store that refuses it is logged, not fatal.

At most two answers are ever unconfirmed (the page being landed and the one in flight), so a walk
keeps them in two slots, `spool/slot0.body` and `spool/slot1.body`, each answer in the slot the
answer before it is not in: the one it replaces is two pages back, checkpointed before the request
that replaces it was sent. Each slot names the request it answers (a hash of what shapes the
answer: log type, API version, response format, token or start date), so an answer is only ever
taken for that same request. Nothing is deleted page by page (on S3 a delete is three requests, a
slot overwritten is one PUT); the slots go with the walk's staging prefix when the walk ends.

A run reads what an earlier run kept once, on its first `take` (one listing; the slots' contents
only when there are any), and takes each answer at most once. Versions before the slots kept an
answer per request as `spool/<hash>.body`; those are still taken.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
import threading

import pyarrow as pa

from log_assets.catalog import LogType
from log_assets.forcepoint.client import ForcepointClient, MalformedPage, Page
from log_assets.storage import Storage, StorageError

_MAGIC = b"LAS1"
_SLOT_MAGIC = b"LAS2"  # then the request's hash (32 ASCII hex digits), then the packed body
_HASH_LEN = 32
_CODEC = pa.Codec("zstd", compression_level=1)  # a 1 MB JSON page in ~1 ms, to ~90 KB
SLOTS = ("slot0.body", "slot1.body")


def pack(body: bytes) -> bytes:
    return _MAGIC + len(body).to_bytes(8, "little") + _CODEC.compress(body, asbytes=True)


def unpack(data: bytes) -> bytes:
    if data[:4] != _MAGIC or len(data) < 12:
        raise ValueError("not a kept answer")
    size = int.from_bytes(data[4:12], "little")
    return _CODEC.decompress(data[12:], decompressed_size=size, asbytes=True)


def pack_slot(request: str, body: bytes) -> bytes:
    """A slot's content: the request it answers, then the packed body."""
    name = request.encode("ascii")
    if len(name) != _HASH_LEN:
        raise ValueError(f"not a request hash: {request!r}")
    return _SLOT_MAGIC + name + pack(body)


def unpack_slot(data: bytes) -> tuple[str, bytes]:
    """(the request a slot answers, its packed body); ValueError for what no slot holds."""
    if data[:4] != _SLOT_MAGIC or len(data) < 4 + _HASH_LEN:
        raise ValueError("not a kept answer")
    try:
        request = data[4 : 4 + _HASH_LEN].decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("not a kept answer") from None
    return request, data[4 + _HASH_LEN :]


class KeptAnswers:
    """`prefix`: the key prefix of the log type's walks on `storage` (daybuilder.staging_prefix).

    `take` and `keep` are called by the walk's one fetch thread, in the order of the answers."""

    def __init__(self, storage: Storage, prefix: str, lt: LogType, client: ForcepointClient, log: logging.Logger):
        self.storage = storage
        self.prefix = prefix.strip("/")
        self.lt = lt
        self.client = client
        self.log = log
        self._lock = threading.Lock()
        self._walk: str | None = None  # the walk whose earlier answers are read (below)
        self._earlier: dict[str, tuple[str, bytes | None]] = {}  # request -> (key, packed body; None: unread)
        self._last_slot: int | None = None  # the slot of the walk's latest answer (kept or taken)

    def request(self, stage_from: str, token: str | None) -> str:
        """The name of one request of a walk: what shapes its answer (API version, response format),
        so a changed setting never reuses an old one."""
        what = f"token={token}" if token is not None else f"startdate={stage_from}"
        shape = f"{self.lt.name}|{self.client.cv_for(self.lt)}|{self.client.response_format}|{what}"
        return hashlib.sha256(shape.encode()).hexdigest()[:_HASH_LEN]

    def spool(self, walk_id: str) -> str:
        return f"{self.prefix}/{walk_id}/spool"

    def key(self, walk_id: str, stage_from: str, token: str | None) -> str:
        """Where versions before the slots kept the answer to one request (still taken)."""
        return f"{self.spool(walk_id)}/{self.request(stage_from, token)}.body"

    def slot_key(self, walk_id: str, slot: int) -> str:
        return f"{self.spool(walk_id)}/{SLOTS[slot]}"

    # ------------------------------------------------------------------ what earlier runs kept

    def _load(self, walk_id: str) -> None:
        """Read once what earlier runs kept for the walk: one listing, then each slot's content."""
        if self._walk == walk_id:
            return
        self._walk, self._earlier, self._last_slot = walk_id, {}, None
        try:
            objects = self.storage.list(self.spool(walk_id), recursive=False)
        except StorageError as e:
            self.log.warning("forcepoint/%s: kept answers not readable (%s); asking again", self.lt.name, e)
            return
        for obj in objects:
            name = posixpath.basename(obj.key)
            if name in SLOTS:
                try:
                    request, packed = unpack_slot(self.storage.read_bytes(obj.key))
                except FileNotFoundError:
                    continue
                except (StorageError, ValueError) as e:
                    self.log.warning(
                        "forcepoint/%s: kept answer %s unreadable (%s); asking again",
                        self.lt.name,
                        self.storage.uri(obj.key),
                        e,
                    )
                    continue
                self._earlier[request] = (obj.key, packed)
            elif name.endswith(".body") and len(name) == _HASH_LEN + len(".body"):
                self._earlier.setdefault(name[:_HASH_LEN], (obj.key, None))  # an earlier version's

    def take(self, walk_id: str, stage_from: str, token: str | None) -> Page | None:
        """The page kept for this request by an earlier run; None when there is none with events,
        or it cannot be read (then the request is sent again: the server's answer is the same)."""
        with self._lock:
            self._load(walk_id)
            found = self._earlier.pop(self.request(stage_from, token), None)
        if found is None:
            return None
        key, packed = found
        try:
            data = packed if packed is not None else self.storage.read_bytes(key)
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
        name = posixpath.basename(key)
        if name in SLOTS:
            with self._lock:
                self._last_slot = SLOTS.index(name)  # the next answer goes to the other slot
        self.log.info("forcepoint/%s: using the answer kept from an earlier run for this request", self.lt.name)
        return page

    def keep(self, walk_id: str, stage_from: str, token: str | None, page: Page) -> None:
        """Keep an answer that moves the walk on (events, and a new token after them), in the slot the
        walk's previous answer is not in."""
        if not (page.records and page.raw_body and page.next_token and page.next_token != token):
            return
        with self._lock:
            if self._walk != walk_id:
                self._walk, self._earlier, self._last_slot = walk_id, {}, None
            # The first answer of a run that took none goes to slot 0: what the slots held is read
            # (the first take read it), so this run still takes it.
            slot = 0 if self._last_slot is None else 1 - self._last_slot
            self._last_slot = slot
        # Not durable: after a power cut a lost or torn body only costs asking again.
        try:
            self.storage.write_bytes(
                self.slot_key(walk_id, slot),
                pack_slot(self.request(stage_from, token), page.raw_body),
                private=True,
                durable=False,
            )
        except StorageError as e:
            self.log.warning(
                "forcepoint/%s: could not keep the answer (%s); a run that stops before its page is "
                "checkpointed asks for it again",
                self.lt.name,
                e,
            )
