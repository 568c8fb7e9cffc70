"""The durable Aperture spool and quarantine, on the storage root (`LOG_ASSETS_STORAGE_URL`: the
home's folder on one machine, `s3://bucket/prefix` on a cluster).

Keys under the root:

    spool/aperture/bodies/<name>.json                            response bodies exactly as received
    spool/aperture/inbox/<log_type>/date=<day>/<chunk>.parquet   parsed events, waiting for the lake
    quarantine/aperture/<name>.json                              a body that could not be (fully) parsed
    quarantine/aperture/<name>.note.json                         why, and which events

A body moves through the spool in steps that each leave a complete, durable state behind:
received -> `bodies/` (acknowledged by the store, fsynced locally, before it is parsed or the next
read is made) -> `sort_bodies` turns a chunk of bodies into inbox files (one per log type x day,
each written whole) and only then deletes the bodies -> landing (see `land.py`) merges a day's inbox
files into the lake and only then deletes them. A crash anywhere repeats at most the last step;
names are deterministic and the lake deduplicates on event_id, so a repeat neither loses nor
duplicates an event. Sorting, and the landing of each log type, are serialized across processes and
machines by named locks in the state database (`LOG_ASSETS_DATABASE_URL`), which a killed holder
releases by itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from log_assets import fsutil
from log_assets.aperture.parse import BodyError, ParsedBody, lake_row, parse_body
from log_assets.catalog import APERTURE, APERTURE_TYPES, LogType, generic_log_type
from log_assets.lake.schema import Coercer, build_table
from log_assets.paths import Home
from log_assets.storage import ObjectInfo, Storage

if TYPE_CHECKING:
    from log_assets.state.store import StateStore

BODY_SUFFIX = ".json"
NOTE_SUFFIX = ".note.json"
INBOX_SUFFIX = ".parquet"
# The inbox's Parquet chunks (private, read back whole by the landing): not the lake's tables, whose
# files pyiceberg writes with their own row groups (lake.layout.ROW_GROUP_ROWS).
INBOX_COMPRESSION = "zstd"
INBOX_ROW_GROUP_ROWS = 64_000
_NAME_TIME = "%Y%m%dT%H%M%S.%fZ"
_EMPTY_BODY = re.compile(rb'\s*(\{\s*"events"\s*:\s*(\[\s*\]|null)\s*\}|\[\s*\])\s*')
# A temp body older than this belongs to a writer that died between write and rename.
STALE_TEMP_SECONDS = 600.0
SORT_CHUNK_BODIES = 200


def log_type_entry(name: str) -> LogType:
    """The catalog entry, or a generic one that keeps an unknown type's events (raw) in its own folder."""
    return APERTURE_TYPES.get(name) or generic_log_type(APERTURE, name)


def is_empty_body(body: bytes) -> bool:
    """`{"events": []}` (or null, or `[]`): the API's other way of saying "nothing queued"."""
    return len(body) < 256 and _EMPTY_BODY.fullmatch(body) is not None


@dataclass
class SortReport:
    bodies: int = 0
    empty_bodies: int = 0
    bodies_quarantined: int = 0  # whole body unreadable
    bodies_partly_quarantined: int = 0  # readable, but some events rejected
    events: int = 0
    events_quarantined: int = 0
    coercion_failures: int = 0
    inbox_files: int = 0
    per_partition: dict = field(default_factory=lambda: defaultdict(int))  # (log_type, day) -> events
    oldest_event: datetime | None = None
    newest_event: datetime | None = None

    def see(self, when: datetime) -> None:
        if self.oldest_event is None or when < self.oldest_event:
            self.oldest_event = when
        if self.newest_event is None or when > self.newest_event:
            self.newest_event = when


class Spool:
    """The spool of a home, on `storage` (default: the home's storage root). Paths are storage keys;
    `local_dir(key)` is the folder of one when the storage is local."""

    def __init__(self, home: Home, storage: Storage | None = None) -> None:
        self.home = home
        self.storage = storage if storage is not None else Storage.for_home(home)
        self.root = f"spool/{APERTURE}"
        self.bodies = f"{self.root}/bodies"
        self.inbox = f"{self.root}/inbox"
        self.quarantine = f"quarantine/{APERTURE}"
        self._state: StateStore | None = None

    def ensure(self) -> Spool:
        # Bodies hold raw records: owner-only, like state and quarantine (objects in a bucket have
        # the bucket's access rules).
        if self.storage.is_local:
            for key in ("spool", self.root, self.bodies, self.inbox, "quarantine", self.quarantine):
                fsutil.ensure_dir(self.local_dir(key), private=True)
        return self

    def close(self) -> None:
        if self._state is not None:
            self._state.close()
            self._state = None

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def local_dir(self, key: str) -> Path:
        """The local folder of a key prefix (local storage only)."""
        if not self.storage.is_local:
            raise ValueError(f"the spool is on {self.storage.describe()}, not in a local folder")
        return Path(self.storage.fs_path(key))

    def describe(self) -> str:
        return self.storage.uri(self.root)

    # -- bodies -----------------------------------------------------------------------------
    @staticmethod
    def new_body_name(reader: int, seq: int, now: datetime | None = None) -> str:
        """Sortable by arrival; unique across readers, processes and hosts sharing the spool."""
        now = now or datetime.now(UTC)
        return f"{now.strftime(_NAME_TIME)}-p{os.getpid()}-r{reader}-{seq:06d}-{secrets.token_hex(3)}"

    @staticmethod
    def received_at(obj: ObjectInfo) -> datetime:
        name = obj.key.rsplit("/", 1)[-1]
        try:
            return datetime.strptime(name[: len("20260101T000000.000000Z")], _NAME_TIME).replace(tzinfo=UTC)
        except ValueError:
            return obj.mtime or datetime.now(UTC)

    def write_body(self, body: bytes, name: str) -> ObjectInfo:
        """When this returns the store holds the whole body (locally: written under a temp name,
        fsynced and renamed, the folder fsynced)."""
        return self.storage.write_bytes(f"{self.bodies}/{name}{BODY_SUFFIX}", body, private=True)

    def list_bodies(self) -> list[ObjectInfo]:
        return [o for o in self.storage.list(self.bodies, recursive=False) if o.key.endswith(BODY_SUFFIX)]

    def recover_temp_bodies(self, min_age: float = STALE_TEMP_SECONDS) -> int:
        """Promote temp bodies left by a local writer that died before its rename (an object store
        writes an object whole or not at all: nothing to recover there).

        Their bytes may be complete (died after fsync) or not; either way they are all that is left
        of a popped batch, so they go through sorting like any body (and to quarantine if broken).
        """
        if not self.storage.is_local:
            return 0
        bodies = self.local_dir(self.bodies)
        if not bodies.exists():
            return 0
        n = 0
        cutoff = time.time() - min_age
        for p in bodies.iterdir():
            if not (p.name.startswith(".") and p.name.endswith(".tmp")):
                continue
            try:
                if p.stat().st_mtime > cutoff:
                    continue
            except FileNotFoundError:
                continue
            base = p.name[1:].split(BODY_SUFFIX + ".", 1)[0]
            target = bodies / f"{base}-recovered{BODY_SUFFIX}"
            if target.exists():
                continue
            os.replace(p, target)
            n += 1
        if n:
            fsutil.fsync_dir(bodies)
        return n

    # -- quarantine -------------------------------------------------------------------------
    def quarantine_bytes(self, data: bytes, name: str, note: dict) -> str:
        """Keep `data` byte for byte under quarantine/aperture/, with a note beside it. Returns its key."""
        key = f"{self.quarantine}/{name}{BODY_SUFFIX}"
        self.storage.write_bytes(f"{self.quarantine}/{name}{NOTE_SUFFIX}", _note_bytes(note), private=True)
        self.storage.write_bytes(key, data, private=True)
        return key

    def quarantine_body(self, body: ObjectInfo, data: bytes, note: dict) -> str:
        """Move a spooled body into quarantine: its bytes as read, then the body goes."""
        name = body.key.rsplit("/", 1)[-1][: -len(BODY_SUFFIX)]
        key = self.quarantine_bytes(data, name, note)
        self.storage.delete(body.key)
        return key

    def quarantined_bodies(self) -> list[ObjectInfo]:
        return [
            o
            for o in self.storage.list(self.quarantine, recursive=False)
            if o.key.endswith(BODY_SUFFIX) and not o.key.endswith(NOTE_SUFFIX)
        ]

    # -- inbox ------------------------------------------------------------------------------
    def inbox_dir(self, log_type: str, day: str) -> str:
        return f"{self.inbox}/{log_type}/date={day}"

    def write_inbox(self, table: pa.Table, log_type: str, day: str, chunk_id: str) -> ObjectInfo:
        out = pa.BufferOutputStream()
        pq.write_table(table, out, compression=INBOX_COMPRESSION, row_group_size=INBOX_ROW_GROUP_ROWS)
        key = f"{self.inbox_dir(log_type, day)}/{chunk_id}{INBOX_SUFFIX}"
        return self.storage.write_bytes(key, out.getvalue().to_pybytes(), private=True)

    def read_inbox(self, obj: ObjectInfo) -> pa.Table:
        return pq.ParquetFile(pa.BufferReader(self.storage.read_bytes(obj.key))).read()

    def inbox_files(self, log_type: str, day: str) -> list[ObjectInfo]:
        listed = self.storage.list(self.inbox_dir(log_type, day), recursive=False)
        return [o for o in listed if o.key.endswith(INBOX_SUFFIX)]

    def pending_partitions(self) -> dict[tuple[str, str], list[ObjectInfo]]:
        """(log_type, day) -> inbox files waiting to be landed (one listing of the inbox)."""
        out: dict[tuple[str, str], list[ObjectInfo]] = {}
        for o in self.storage.list(self.inbox):
            parts = o.key[len(self.inbox) + 1 :].split("/")
            if len(parts) != 3 or not parts[1].startswith("date=") or not parts[2].endswith(INBOX_SUFFIX):
                continue
            out.setdefault((parts[0], parts[1][5:]), []).append(o)
        return dict(sorted(out.items()))

    def inbox_types(self) -> list[str]:
        """The log types the inbox holds files of."""
        return sorted({t for t, _day in self.pending_partitions()})

    def _prune_empty_inbox_dirs(self) -> None:
        # Only a local folder keeps empty folders; sorting holds the sort lock while doing this.
        if not self.storage.is_local:
            return
        inbox = self.local_dir(self.inbox)
        if not inbox.exists():
            return
        for type_dir in inbox.iterdir():
            if not type_dir.is_dir():
                continue
            for day_dir in type_dir.iterdir():
                with contextlib.suppress(OSError):
                    day_dir.rmdir()
            with contextlib.suppress(OSError):
                type_dir.rmdir()

    # -- locks ------------------------------------------------------------------------------
    def state(self) -> StateStore:
        """The home's state database (the tenant's), bound to this spool's storage root on first use:
        a database of another home is refused before anything is read. Closed with the spool."""
        if self._state is None:
            from log_assets.state.binding import bind_home
            from log_assets.state.store import StateStore

            state = StateStore.open(self.home)  # the tenant's database; its locks are the tenant's own
            try:
                bind_home(state.db, self.storage, tenant=self.home.tenant)
            except BaseException:
                state.close()
                raise
            self._state = state
        return self._state

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Hold the spool's lock `name` (waiting for it) across processes and machines: a named lock
        of the state database, released by the server (or the kernel) when its holder dies."""
        with self.state().lock(f"{APERTURE}/spool {name}", wait=None):
            yield


def _note_bytes(note: dict) -> bytes:
    return json.dumps(note, indent=1, sort_keys=True, default=str).encode()


def _note(body: ObjectInfo, data: bytes, reason: str, **extra) -> dict:
    return {
        "reason": reason,
        "spool_file": body.key.rsplit("/", 1)[-1],
        "received_at": Spool.received_at(body).isoformat(),
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        **extra,
    }


def sort_bodies(spool: Spool, chunk_bodies: int = SORT_CHUNK_BODIES) -> SortReport:
    """Turn every spooled body into inbox files (or quarantine), then delete it.

    Runs under the sort lock so two drains never sort the same body at once. Each chunk of bodies
    becomes at most one inbox file per (log type, day), named after the chunk so that repeating an
    interrupted chunk overwrites rather than adds.
    """
    report = SortReport()
    spool.ensure()
    with spool.lock("sort"):
        spool._prune_empty_inbox_dirs()
        bodies = spool.list_bodies()
        for start in range(0, len(bodies), chunk_bodies):
            _sort_chunk(spool, bodies[start : start + chunk_bodies], report)
    return report


def _sort_chunk(spool: Spool, chunk: list[ObjectInfo], report: SortReport) -> None:
    rows: dict[tuple[str, str], list[dict]] = defaultdict(list)
    done: list[ObjectInfo] = []
    for body in chunk:
        try:
            data = spool.storage.read_bytes(body.key)
        except FileNotFoundError:
            continue  # sorted and deleted by a run that held the lock before us
        report.bodies += 1
        try:
            parsed: ParsedBody = parse_body(data)
        except BodyError as e:
            spool.quarantine_body(body, data, _note(body, data, f"unparseable body: {e}"))
            report.bodies_quarantined += 1
            continue
        if not parsed.events and not parsed.rejected:
            report.empty_bodies += 1
        if parsed.rejected:
            # Keep the whole body byte for byte; its good events still land below.
            rejected = [{"index": r.index, "reason": r.reason, "raw": r.raw[:4000]} for r in parsed.rejected]
            spool.quarantine_bytes(
                data,
                body.key.rsplit("/", 1)[-1][: -len(BODY_SUFFIX)],
                _note(body, data, "events rejected", rejected=rejected, events_landing=len(parsed.events)),
            )
            report.bodies_partly_quarantined += 1
            report.events_quarantined += len(parsed.rejected)
        received = Spool.received_at(body)
        report.coercion_failures += parsed.repaired  # values not valid UTF-8: landed made valid, raw exact
        for ev in parsed.events:
            rows[(ev.log_type, ev.day)].append(lake_row(ev, received))
            report.per_partition[(ev.log_type, ev.day)] += 1
            report.see(ev.event_time)
        report.events += len(parsed.events)
        done.append(body)

    chunk_id = hashlib.sha256("\n".join(b.key.rsplit("/", 1)[-1] for b in chunk).encode()).hexdigest()[:24]
    coercer = Coercer()
    for (log_type, day), batch in sorted(rows.items()):
        spool.write_inbox(build_table(log_type_entry(log_type), batch, coercer), log_type, day, chunk_id)
        report.inbox_files += 1
    report.coercion_failures += coercer.failures

    # Only now are the chunk's events durable elsewhere.
    for body in done:
        spool.storage.delete(body.key)
