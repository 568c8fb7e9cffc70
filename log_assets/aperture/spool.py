"""The durable Aperture spool and quarantine.

Layout under $LOG_ASSETS_HOME:

    spool/aperture/bodies/<name>.json                       response bodies exactly as received
    spool/aperture/inbox/<log_type>/date=<day>/<chunk>.parquet   parsed events, waiting for the lake
    spool/aperture/locks/                                    flock files (sort, landing per type)
    quarantine/aperture/<name>.json                          a body that could not be (fully) parsed
    quarantine/aperture/<name>.note.json                     why, and which events

A body moves through the spool in steps that each leave a complete, durable state behind:
received -> `bodies/` (fsynced before it is parsed or the next read is made) -> `sort_bodies` turns
a chunk of bodies into inbox files (one per log type x day, atomic) and only then deletes the bodies
-> landing (see `land.py`) merges a day's inbox files into the lake and only then deletes them.
A crash anywhere repeats at most the last step; names are deterministic and the lake deduplicates
on event_id, so a repeat neither loses nor duplicates an event.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import secrets
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from log_assets import fsutil
from log_assets.aperture.parse import BodyError, ParsedBody, lake_row, parse_body
from log_assets.catalog import APERTURE, APERTURE_TYPES, LogType, generic_log_type
from log_assets.lake.schema import Coercer, build_table
from log_assets.lake.writer import write_parquet_atomic
from log_assets.paths import Home

BODY_SUFFIX = ".json"
NOTE_SUFFIX = ".note.json"
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
    def __init__(self, home: Home) -> None:
        self.home = home
        self.root = home.spool / APERTURE
        self.bodies = self.root / "bodies"
        self.inbox = self.root / "inbox"
        self.locks = self.root / "locks"
        self.quarantine = home.quarantine / APERTURE

    def ensure(self) -> Spool:
        # Bodies hold raw records: owner-only, like state and quarantine.
        for d in (
            self.home.spool,
            self.root,
            self.bodies,
            self.inbox,
            self.locks,
            self.home.quarantine,
            self.quarantine,
        ):
            fsutil.ensure_dir(d, private=True)
        return self

    # -- bodies -----------------------------------------------------------------------------
    @staticmethod
    def new_body_name(reader: int, seq: int, now: datetime | None = None) -> str:
        """Sortable by arrival; unique across readers, processes and hosts sharing the folder."""
        now = now or datetime.now(UTC)
        return f"{now.strftime(_NAME_TIME)}-p{os.getpid()}-r{reader}-{seq:06d}-{secrets.token_hex(3)}"

    @staticmethod
    def received_at(path: Path) -> datetime:
        try:
            return datetime.strptime(path.name[: len("20260101T000000.000000Z")], _NAME_TIME).replace(tzinfo=UTC)
        except ValueError:
            return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)

    def write_body(self, body: bytes, name: str) -> Path:
        """Temp file, fsync, rename, fsync dir: when this returns the body survives a crash."""
        path = self.bodies / f"{name}{BODY_SUFFIX}"
        fsutil.atomic_write_bytes(path, body, private=True)
        return path

    def list_bodies(self) -> list[Path]:
        if not self.bodies.exists():
            return []
        return sorted(
            p for p in self.bodies.iterdir() if p.name.endswith(BODY_SUFFIX) and not p.name.startswith(".")
        )

    def recover_temp_bodies(self, min_age: float = STALE_TEMP_SECONDS) -> int:
        """Promote temp bodies left by a writer that died before its rename.

        Their bytes may be complete (died after fsync) or not; either way they are all that is left
        of a popped batch, so they go through sorting like any body (and to quarantine if broken).
        """
        if not self.bodies.exists():
            return 0
        n = 0
        cutoff = time.time() - min_age
        for p in self.bodies.iterdir():
            if not (p.name.startswith(".") and p.name.endswith(".tmp")):
                continue
            try:
                if p.stat().st_mtime > cutoff:
                    continue
            except FileNotFoundError:
                continue
            base = p.name[1:].split(BODY_SUFFIX + ".", 1)[0]
            target = self.bodies / f"{base}-recovered{BODY_SUFFIX}"
            if target.exists():
                continue
            os.replace(p, target)
            n += 1
        if n:
            fsutil.fsync_dir(self.bodies)
        return n

    # -- quarantine -------------------------------------------------------------------------
    def quarantine_bytes(self, data: bytes, name: str, note: dict) -> Path:
        """Keep `data` byte for byte under quarantine/aperture/, with a note beside it."""
        fsutil.ensure_dir(self.quarantine, private=True)
        path = self.quarantine / f"{name}{BODY_SUFFIX}"
        fsutil.atomic_write_json(self.quarantine / f"{name}{NOTE_SUFFIX}", note, private=True)
        fsutil.atomic_write_bytes(path, data, private=True)
        return path

    def quarantine_body(self, body_path: Path, note: dict) -> Path:
        """Move a spooled body into quarantine (a rename: the bytes are never rewritten)."""
        fsutil.ensure_dir(self.quarantine, private=True)
        name = body_path.name[: -len(BODY_SUFFIX)]
        fsutil.atomic_write_json(self.quarantine / f"{name}{NOTE_SUFFIX}", note, private=True)
        target = self.quarantine / body_path.name
        try:
            os.replace(body_path, target)
        except OSError as e:
            if e.errno != 18:  # EXDEV: spool and quarantine on different file systems
                raise
            fsutil.atomic_write_bytes(target, body_path.read_bytes(), private=True)
            body_path.unlink()
        fsutil.fsync_dir(self.quarantine)
        fsutil.fsync_dir(body_path.parent)
        return target

    def quarantined_bodies(self) -> list[Path]:
        if not self.quarantine.exists():
            return []
        return sorted(
            p
            for p in self.quarantine.iterdir()
            if p.name.endswith(BODY_SUFFIX) and not p.name.endswith(NOTE_SUFFIX) and not p.name.startswith(".")
        )

    # -- inbox ------------------------------------------------------------------------------
    def inbox_dir(self, log_type: str, day: str) -> Path:
        return self.inbox / log_type / f"date={day}"

    def inbox_files(self, log_type: str, day: str) -> list[Path]:
        d = self.inbox_dir(log_type, day)
        if not d.exists():
            return []
        return sorted(p for p in d.iterdir() if p.suffix == ".parquet" and not p.name.startswith("."))

    def pending_partitions(self) -> dict[tuple[str, str], list[Path]]:
        """(log_type, day) -> inbox files waiting to be landed."""
        out: dict[tuple[str, str], list[Path]] = {}
        if not self.inbox.exists():
            return out
        for type_dir in sorted(self.inbox.iterdir()):
            if not type_dir.is_dir():
                continue
            for day_dir in sorted(type_dir.iterdir()):
                if not (day_dir.is_dir() and day_dir.name.startswith("date=")):
                    continue
                files = self.inbox_files(type_dir.name, day_dir.name[5:])
                if files:
                    out[(type_dir.name, day_dir.name[5:])] = files
        return out

    def _prune_empty_inbox_dirs(self) -> None:
        # Only sorting creates inbox folders, and it holds the sort lock while doing this.
        if not self.inbox.exists():
            return
        for type_dir in self.inbox.iterdir():
            if not type_dir.is_dir():
                continue
            for day_dir in type_dir.iterdir():
                with contextlib.suppress(OSError):
                    day_dir.rmdir()
            with contextlib.suppress(OSError):
                type_dir.rmdir()

    # -- locks ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """An exclusive flock, held until the block ends (released by the OS if the process dies)."""
        fsutil.ensure_dir(self.locks, private=True)
        fd = os.open(self.locks / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _note(body_path: Path, data: bytes, reason: str, **extra) -> dict:
    return {
        "reason": reason,
        "spool_file": body_path.name,
        "received_at": Spool.received_at(body_path).isoformat(),
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


def _sort_chunk(spool: Spool, chunk: list[Path], report: SortReport) -> None:
    rows: dict[tuple[str, str], list[dict]] = defaultdict(list)
    done: list[Path] = []
    for body_path in chunk:
        data = body_path.read_bytes()
        report.bodies += 1
        try:
            parsed: ParsedBody = parse_body(data)
        except BodyError as e:
            spool.quarantine_body(body_path, _note(body_path, data, f"unparseable body: {e}"))
            report.bodies_quarantined += 1
            continue
        if not parsed.events and not parsed.rejected:
            report.empty_bodies += 1
        if parsed.rejected:
            # Keep the whole body byte for byte; its good events still land below.
            rejected = [{"index": r.index, "reason": r.reason, "raw": r.raw[:4000]} for r in parsed.rejected]
            spool.quarantine_bytes(
                data,
                body_path.name[: -len(BODY_SUFFIX)],
                _note(body_path, data, "events rejected", rejected=rejected, events_landing=len(parsed.events)),
            )
            report.bodies_partly_quarantined += 1
            report.events_quarantined += len(parsed.rejected)
        received = Spool.received_at(body_path)
        for ev in parsed.events:
            rows[(ev.log_type, ev.day)].append(lake_row(ev, received))
            report.per_partition[(ev.log_type, ev.day)] += 1
            report.see(ev.event_time)
        report.events += len(parsed.events)
        done.append(body_path)

    chunk_id = hashlib.sha256("\n".join(p.name for p in chunk).encode()).hexdigest()[:24]
    coercer = Coercer()
    for (log_type, day), batch in sorted(rows.items()):
        table = build_table(log_type_entry(log_type), batch, coercer)
        write_parquet_atomic(table, spool.inbox_dir(log_type, day) / f"{chunk_id}.parquet", private=True)
        report.inbox_files += 1
    report.coercion_failures += coercer.failures

    # Only now are the chunk's events durable elsewhere.
    for body_path in done:
        with contextlib.suppress(FileNotFoundError):
            body_path.unlink()
    if done:
        fsutil.fsync_dir(spool.bodies)
