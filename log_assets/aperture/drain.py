"""The drain: empty the Aperture queue into the durable spool, then sort the spool into the inbox.

Each reader thread owns one HTTP session and loops: read one batch -> write it to the spool (fsynced)
-> only then read again. A reader never abandons a read in flight: stopping (budget spent, queue
empty, another reader's fatal error, or an interrupt of the run) only prevents the next read, since
a batch the server has popped exists nowhere else.

The budget holds with reads in flight: every request a reader makes (token, read, their retries)
has a hard deadline one read timeout after the budget, where the client cuts it off (keeping the
bytes of a popped batch that did arrive, in quarantine). So a drain ends within budget + one read
timeout, and the readers are joined with that bound.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests

from log_assets.aperture.client import ApertureClient, ApertureError, AuthError, RetryLater, TruncatedBody
from log_assets.aperture.spool import SortReport, Spool, is_empty_body, sort_bodies
from log_assets.storage import StorageError

DEFAULT_BUDGET_SECONDS = 45.0
# One reader by default: a kill then loses at most the one batch in flight. More readers drain
# faster (near-linearly, see benchmarks) but each may hold a popped batch when a run is killed.
DEFAULT_READERS = 1
MAX_CONSECUTIVE_ERRORS = 3
WRITE_ATTEMPTS = 3
# After the hard deadline, time for a reader whose read was cut off to write what it got.
JOIN_GRACE_SECONDS = 5.0


class DrainError(ApertureError):
    def __init__(self, message: str, report: DrainReport):
        super().__init__(message)
        self.report = report


@dataclass
class DrainReport:
    readers: int = 0
    budget_seconds: float = 0.0
    bodies_read: int = 0  # 200 responses this run
    bytes_read: int = 0
    empty_reads: int = 0  # 204, or 200 with no events
    bodies_truncated: int = 0  # connection lost mid-body: what arrived is in quarantine
    read_errors: int = 0
    bodies_recovered: int = 0  # temp bodies of a writer that died before its rename
    stop_reason: str = ""  # "empty" | "budget" | "errors" | "fatal" | "interrupted"
    readers_abandoned: int = 0  # still busy when the drain ended (never expected: requests have deadlines)
    errors: list[str] = field(default_factory=list)
    tokens_issued: int = 0
    elapsed_seconds: float = 0.0
    sort: SortReport = field(default_factory=SortReport)
    finished_at: datetime | None = None

    @property
    def events_read(self) -> int:
        return self.sort.events + self.sort.events_quarantined

    @property
    def oldest_event_age_seconds(self) -> float | None:
        if self.sort.oldest_event is None or self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - self.sort.oldest_event).total_seconds())


class _Shared:
    def __init__(self, deadline: float, hard_deadline: float) -> None:
        self.deadline = deadline  # no read starts after this
        self.hard_deadline = hard_deadline  # no request runs past this
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.reader_outcomes: list[str] = []
        self.fatal: BaseException | None = None


def drain(
    client: ApertureClient,
    spool: Spool,
    *,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    readers: int = DEFAULT_READERS,
    max_consecutive_errors: int = MAX_CONSECUTIVE_ERRORS,
    log=None,
) -> DrainReport:
    """Read until the queue is empty or the budget is spent, then sort everything spooled.

    Raises DrainError (after sorting what did arrive) when the credentials are refused, a body
    cannot be written, or every reader gave up on errors.
    """
    if readers < 1:
        raise ValueError("readers must be at least 1")
    started = time.monotonic()
    report = DrainReport(readers=readers, budget_seconds=budget_seconds)
    spool.ensure()
    report.bodies_recovered = spool.recover_temp_bodies()
    shared = _Shared(started + budget_seconds, started + budget_seconds + client.read_timeout)
    join_until = shared.hard_deadline + JOIN_GRACE_SECONDS
    interrupted: BaseException | None = None
    threads: list[threading.Thread] = []
    try:
        # One token up front: bad credentials fail here, before any reader pops anything.
        client.token(deadline=shared.hard_deadline)
        threads = [
            threading.Thread(
                target=_reader,
                args=(i, client, spool, shared, report, max_consecutive_errors, log),
                name=f"aperture-reader-{i}",
                daemon=True,
            )
            for i in range(readers)
        ]
        for t in threads:
            t.start()
        try:
            _join(threads, join_until)
        except BaseException as e:  # run interrupted: let reads in flight land in the spool first
            interrupted = e
            shared.stop.set()
            _join(threads, join_until)
    finally:
        _flush_audit(client)
        busy = [t.name for t in threads if t.is_alive()]
        if busy:
            report.readers_abandoned = len(busy)
            report.errors.append(f"readers still busy past the hard deadline, not waited for: {busy}")
            if log:
                log.error(f"aperture drain: {busy} still busy past the hard deadline; not waited for")
        report.sort = sort_bodies(spool)
        report.tokens_issued = client.tokens_issued
        report.elapsed_seconds = round(time.monotonic() - started, 3)
        report.finished_at = datetime.now(UTC)

    if interrupted is not None:
        report.stop_reason = "interrupted"
        raise interrupted
    outcomes = shared.reader_outcomes
    if shared.fatal is not None:
        report.stop_reason = "fatal"
        raise DrainError(f"Aperture drain stopped: {shared.fatal}", report) from shared.fatal
    if outcomes and all(o == "errors" for o in outcomes):
        report.stop_reason = "errors"
        raise DrainError(f"every reader gave up after repeated errors; last: {report.errors[-1:]}", report)
    report.stop_reason = "empty" if "empty" in outcomes else ("budget" if "budget" in outcomes else "errors")
    return report


def _reader(
    i, client: ApertureClient, spool: Spool, shared: _Shared, report: DrainReport, max_errors: int, log
) -> None:
    outcome = "budget"
    session = client.session()
    seq = 0
    consecutive = 0
    try:
        while True:
            _flush_audit(client)  # the last read's row, its body now in the spool
            if shared.stop.is_set():
                outcome = "empty" if shared.fatal is None else "fatal"
                break
            if time.monotonic() >= shared.deadline:
                outcome = "budget"
                break
            try:
                status, body = client.read_bulk(session, deadline=shared.hard_deadline)
            except TruncatedBody as e:
                seq += 1
                name = spool.new_body_name(i, seq) + "-truncated"
                try:
                    spool.quarantine_bytes(e.partial, name, {"reason": str(e), "bytes": len(e.partial)})
                except (OSError, StorageError) as q:
                    kept = f"the {len(e.partial)} bytes of a truncated body could not be kept: {q}"
                    _fatal(shared, OSError(kept))
                    outcome = "fatal"
                    break
                with shared.lock:
                    report.bodies_truncated += 1
                    report.read_errors += 1
                    report.errors.append(str(e))
                if log:
                    log.warning(f"aperture reader {i}: {e}; the bytes that arrived are in quarantine as {name}")
                consecutive += 1
            except RetryLater as e:
                # Nothing was popped; asking again now would only be refused again.
                with shared.lock:
                    report.errors.append(str(e)[:300])
                if log:
                    log.warning(f"aperture reader {i}: {e}")
                if e.beyond_cap:
                    _fatal(shared, e)
                    outcome = "fatal"
                else:
                    outcome = "budget"
                break
            except AuthError as e:
                _fatal(shared, e)
                outcome = "fatal"
                break
            except (ApertureError, requests.RequestException) as e:
                consecutive += 1
                text = client.redact(f"{type(e).__name__}: {e}")[:300]
                with shared.lock:
                    report.read_errors += 1
                    report.errors.append(text)
                if log:
                    log.warning(f"aperture reader {i}: {text}")
            else:
                consecutive = 0
                if status == 204:
                    with shared.lock:
                        report.empty_reads += 1
                    shared.stop.set()
                    outcome = "empty"
                    break
                seq += 1
                if not _spool(spool, body, i, seq, shared, log):
                    outcome = "fatal"
                    break
                with shared.lock:
                    report.bodies_read += 1
                    report.bytes_read += len(body)
                if is_empty_body(body):
                    with shared.lock:
                        report.empty_reads += 1
                    shared.stop.set()
                    outcome = "empty"
                    break
                continue
            if consecutive >= max_errors:
                outcome = "errors"
                break
            # Back off a little, without sleeping past the budget or a stop.
            shared.stop.wait(min(2.0**consecutive * 0.25, max(0.0, shared.deadline - time.monotonic())))
    finally:
        session.close()
        _flush_audit(client)
        with shared.lock:
            shared.reader_outcomes.append(outcome)


def _flush_audit(client: ApertureClient) -> None:
    """Write the audit rows a deferred trail holds (`ops.audit.AuditTrail`): after a body is in the
    spool, never before."""
    flush = getattr(client.audit, "flush", None)
    if flush is not None:
        flush()


def _join(threads: list[threading.Thread], until: float) -> None:
    for t in threads:
        t.join(timeout=max(0.0, until - time.monotonic()))


def _spool(spool: Spool, body: bytes, i: int, seq: int, shared: _Shared, log) -> bool:
    """Make a popped body durable. If the disk refuses, stop every reader: more reads would only
    pop more batches that cannot be kept."""
    name = spool.new_body_name(i, seq)
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            spool.write_body(body, name)
            return True
        except (OSError, StorageError) as e:
            if log:
                log.error(f"aperture reader {i}: cannot write a {len(body)}-byte body (attempt {attempt}): {e}")
            if attempt == WRITE_ATTEMPTS:
                where = spool.describe()
                _fatal(
                    shared, OSError(f"a {len(body)}-byte body could not be written to the spool on {where}: {e}")
                )
                return False
            time.sleep(0.5 * attempt)
    return False


def _fatal(shared: _Shared, error: BaseException) -> None:
    with shared.lock:
        if shared.fatal is None:
            shared.fatal = error
    shared.stop.set()
