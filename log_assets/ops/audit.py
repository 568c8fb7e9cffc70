"""The ingest audit: one row per request to a vendor's API, in the pipeline's state database.

A client fills a `RequestAudit` where it already knows the answer (`audited` wraps one request:
its time, its duration, the attempts written to the wire, and a failure's error text, redacted by
the client), and hands it to its audit hook. `AuditTrail` is the hook the assets give: it writes the
row to `log_assets_state_ingest_audit` in a transaction of its own, under an id that a retried write
finds (so it is never written twice), with the tenant's prefix on the stream. A row is never a
reason to lose a page: a write the database refuses is logged and counted (`not_recorded`, in the
run's metadata), and the run goes on.

Rows are kept `LOG_ASSETS_AUDIT_RETENTION_DAYS` days (default 30: the vendor collector's horizon);
each trail deletes its streams' older rows once, at its first write. No URL, header or token is
stored: the row holds the stream, the endpoint's name, figures and the client's redacted message.

Nothing here loads SQLAlchemy at import time (Dagster loads this module to start).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from log_assets.state.store import StateStore

log = logging.getLogger(__name__)

RETENTION_ENV = "LOG_ASSETS_AUDIT_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 30
# Aperture's queue holds every log type: its requests are audited under this log type.
ALL_TYPES = "*"
ERROR_MAX = 300


def retention_days(environ: dict[str, str] | None = None) -> int:
    """LOG_ASSETS_AUDIT_RETENTION_DAYS (at least 1), else 30; a value that is not a whole number is refused."""
    raw = ((os.environ if environ is None else environ).get(RETENTION_ENV) or "").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    try:
        days = int(raw)
    except ValueError:
        days = 0
    if days < 1:
        raise ValueError(f"{RETENTION_ENV} must be a whole number of days, at least 1; got {raw!r}")
    return days


@dataclass
class RequestAudit:
    """One request: filled by the client that sends it."""

    source: str  # forcepoint, aperture
    log_type: str  # the type named, or ALL_TYPES (Aperture's queue)
    endpoint: str  # logs (Forcepoint); events, token (Aperture)
    requested_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: int | None = None  # HTTP status of the final answer; None: none arrived
    bytes: int = 0
    records: int | None = None
    duration_seconds: float = 0.0
    attempts: int = 0  # written to the wire (retries included); 0: nothing was sent
    quota_left: int | None = None
    error: str | None = None
    audit_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def stream(self) -> str:
        return f"{self.source}/{self.log_type}"


AuditHook = Callable[[RequestAudit], None]


@contextlib.contextmanager
def audited(
    hook: AuditHook | None,
    entry: RequestAudit,
    *,
    sent: Callable[[], int] | None = None,
    redact: Callable[[str], str] = lambda s: s,
) -> Iterator[RequestAudit]:
    """Time the request the block sends and hand `entry` to `hook` however it ends: the block fills
    status, bytes and records (and `attempts` itself when `sent` is None); a failure's exception is
    kept as `error` (its class and redacted message) and raised again. A hook that raises is logged,
    never passed on: the answer already received must still land."""
    started = time.monotonic()
    before = sent() if sent is not None else 0
    try:
        yield entry
    except BaseException as e:
        if entry.error is None:
            entry.error = redact(f"{type(e).__name__}: {e}")[:ERROR_MAX]
        raise
    finally:
        entry.duration_seconds = time.monotonic() - started
        if sent is not None:
            entry.attempts = sent() - before
        if hook is not None:
            try:
                hook(entry)
            except Exception as e:  # noqa: BLE001 - the audit never costs a page
                log.warning("%s: audit row not recorded: %s", entry.stream, redact(str(e))[:ERROR_MAX])


class AuditTrail:
    """The audit hook of one run: writes each request's row to the state database (see the module)."""

    def __init__(
        self,
        store: StateStore,
        *,
        retention: int | None = None,
        quota_left: Callable[[], int | None] | None = None,
        logger: logging.Logger | None = None,
        clock: Callable[[], datetime] | None = None,
        deferred: bool = False,
    ):
        self.store = store
        # Deferred: rows wait for `flush` (Aperture: a popped body is made durable before anything
        # else, its audit row included; the drain flushes after each body is in the spool).
        self.deferred = deferred
        self._pending: list[RequestAudit] = []
        self.retention_days = retention if retention is not None else retention_days()
        self._quota_left = quota_left
        self.log = logger or log
        self._clock = clock or (lambda: datetime.now(UTC))
        self._pruned: set[str] = set()
        self._lock = threading.Lock()  # Aperture's readers share one trail
        self.recorded = 0
        self.not_recorded = 0
        self.pruned = 0

    def __call__(self, entry: RequestAudit) -> None:
        if entry.quota_left is None and self._quota_left is not None:
            entry.quota_left = self._quota_left()
        if self.deferred:
            with self._lock:
                self._pending.append(entry)
            return
        self._record(entry)

    def flush(self) -> None:
        """Write the rows waiting (a deferred trail's)."""
        with self._lock:
            pending, self._pending = self._pending, []
        for entry in pending:
            self._record(entry)

    def _record(self, entry: RequestAudit) -> None:
        try:
            pruned = self._write(entry)
        except Exception as e:  # noqa: BLE001 - a StateDatabaseError, or worse: never the run's end
            with self._lock:
                self.not_recorded += 1
            self.log.warning("%s: audit row of a request not recorded (the request stands): %s", entry.stream, e)
            return
        with self._lock:
            self.recorded += 1
            self.pruned += pruned

    def metadata(self) -> dict[str, int]:
        """The figures a run reports."""
        return {
            "audit_rows_recorded": self.recorded,
            "audit_rows_not_recorded": self.not_recorded,
            "audit_rows_pruned": self.pruned,
        }

    def _write(self, entry: RequestAudit) -> int:
        """Write the row (and, the first time for its stream, delete the stream's rows past the
        retention); the rows deleted."""
        import sqlalchemy as sa

        from log_assets.state import tables as t

        stream = self.store.key(entry.stream)
        row = {
            "audit_id": entry.audit_id,
            "stream": stream,
            "endpoint": entry.endpoint,
            "requested_at": entry.requested_at,
            "status": entry.status,
            "bytes": int(entry.bytes),
            "records": entry.records,
            "duration_ms": round(entry.duration_seconds * 1000),
            "attempts": int(entry.attempts),
            "quota_left": entry.quota_left,
            "error": entry.error[:ERROR_MAX] if entry.error else None,
        }
        with self._lock:
            prune = stream not in self._pruned
            self._pruned.add(stream)
        cutoff = self._clock() - timedelta(days=self.retention_days)

        def write(conn) -> int:
            ins = self.store.insert(t.ingest_audit).values(**row)
            conn.execute(ins.on_conflict_do_nothing(index_elements=[t.ingest_audit.c.audit_id]))
            if not prune:
                return 0
            gone = conn.execute(
                sa.delete(t.ingest_audit).where(
                    t.ingest_audit.c.stream == stream, t.ingest_audit.c.requested_at < cutoff
                )
            )
            return int(gone.rowcount or 0)

        try:
            pruned: int = self.store.db.run(
                write,
                doing=f"recording a request of {stream} in the ingest audit",
                consequence="The request's audit row is missing; the request and what it fetched stand.",
            )
        except BaseException:
            if prune:
                with self._lock:
                    self._pruned.discard(stream)
            raise
        return pruned


AUDIT_COLUMNS = (
    "audit_id",
    "stream",
    "endpoint",
    "requested_at",
    "status",
    "bytes",
    "records",
    "duration_ms",
    "attempts",
    "quota_left",
    "error",
)


def read_audit(store: StateStore, since: datetime | None = None) -> list[dict[str, Any]]:
    """The tenant's audit rows (requested at or after `since`), oldest first, each with `source` and
    `log_type` split from its stream (the tenant's prefix removed)."""
    import sqlalchemy as sa

    from log_assets.state import tables as t

    a = t.ingest_audit
    prefix = store.key("")
    query = sa.select(*(a.c[name] for name in AUDIT_COLUMNS)).where(
        sa.or_(*(a.c.stream.startswith(f"{prefix}{source}/", autoescape=True) for source in SOURCES))
    )
    if since is not None:
        query = query.where(a.c.requested_at >= since)
    query = query.order_by(a.c.requested_at, a.c.audit_id)

    def read(conn) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in conn.execute(query)]

    rows: list[dict[str, Any]] = store.read(read, "reading the ingest audit")
    for r in rows:
        source, _, log_type = r.pop("stream")[len(prefix) :].partition("/")
        r["source"], r["log_type"] = source, log_type
        if r["requested_at"].tzinfo is None:  # SQLite hands back naive UTC
            r["requested_at"] = r["requested_at"].replace(tzinfo=UTC)
    return rows


SOURCES = ("forcepoint", "aperture")
