"""The pipeline state in the database: walk state, day completeness, quota counters, locks.

Every operation is one transaction, and every one may be retried after a lost connection because it
can tell whether an earlier attempt committed:
- `save_walk` carries a write id: a retry that finds its own id stored knows it committed;
- `charge` carries a request id, stored in the transaction that counts it: a retry that finds the row
  returns that count instead of counting again (and waits, on the day's counter row, for an attempt
  still in flight to finish first);
- reads and `observe` (it sets a value) repeat harmlessly.
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from log_assets.state import locks
from log_assets.state import tables as t
from log_assets.state.db import Database, RetryPolicy, database_url, url_variable
from log_assets.state.documents import (
    DayRecord,
    DocumentError,
    QuotaCounter,
    Tail,
    Walk,
    WalkState,
    check_day,
    dumps,
    loads,
)
from log_assets.state.errors import QuotaRefused, StaleState, StateCorrupt, StateError

WALK_RECOVERY = (
    "Restore the database from a backup if you have one; otherwise delete the row "
    f"(DELETE FROM {t.walks.name} WHERE stream = '<stream>') and run again: the walk in progress and "
    f"the tail token are forgotten, the days already complete ({t.days.name}) stay complete, and the "
    "rest of the run's window is fetched again (events already in the lake are not duplicated)."
)
_SCHEMA_LOCK = "log_assets state schema"


def stream_name(vendor: str, log_type: str) -> str:
    """The name a vendor's log type goes by in the state: `forcepoint/access`."""
    return f"{vendor}/{log_type}"


def _as_date(day: str) -> date:
    check_day(day, "day")
    return date.fromisoformat(day)


def _now() -> datetime:
    return datetime.now(UTC)


class StateStore:
    """The typed pipeline state on one Database (see db.py for where it is and how it connects).

    `prefix` is the tenant's (`Tenant.state_prefix`: "" for the default tenant, `acme/` for tenant
    acme): every stream, quota key and lock name given to the store is stored and locked as
    `prefix + name`, so that tenants sharing one database never read, charge or lock each other's."""

    def __init__(self, db: Database, *, create: bool = True, prefix: str = ""):
        self.db = db
        self.prefix = prefix
        if create:
            self.ensure_schema()

    @classmethod
    def open(
        cls,
        home,
        *,
        url: str | None = None,
        environ: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        **settings: Any,
    ) -> StateStore:
        """The store on `url`, else the database of `home` (a `paths.Home`: its tenant's database
        variable, else `<home>/log_assets.db`; a folder: the default tenant's home there), with the
        home's tenant's key prefix."""
        from log_assets.paths import Home

        if retry is not None:
            settings["retry"] = retry
        prefix = home.tenant.state_prefix if isinstance(home, Home) else ""
        db = Database(url or database_url(home, environ), variable=url_variable(home), **settings)
        try:
            return cls(db, prefix=prefix)
        except BaseException:
            db.dispose()
            raise

    def key(self, name: str) -> str:
        """The stored name of a stream, quota key or lock `name` (with the tenant's prefix)."""
        return self.prefix + name

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"StateStore({self.db.url})"

    def ensure_schema(self) -> None:
        """Create the state tables that are missing (idempotent, safe from two processes at once)."""

        def create(conn: Connection) -> None:
            if self.db.backend == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(locks.lock_key(_SCHEMA_LOCK))))
            t.create_schema(conn)  # SQLite: BEGIN IMMEDIATE already serializes this

        self.db.run(
            create,
            doing="creating the state tables",
            consequence="Nothing was fetched or changed: run again when the database is back.",
        )

    # ------------------------------------------------------------------------------ helpers

    def insert(self, table: sa.Table) -> Any:
        """An INSERT into `table` that can say ON CONFLICT (both dialects spell it the same), for
        a statement run inside `self.db.run` (the modules that keep their own tables here use it)."""
        return (postgresql.insert if self.db.backend == "postgresql" else sqlite.insert)(table)

    @functools.cached_property
    def _quota_statements(self) -> _QuotaStatements:
        return _QuotaStatements(self.insert)

    @functools.cached_property
    def _walk_statements(self) -> _WalkStatements:
        return _WalkStatements()

    def read(self, fn: Callable[[Connection], Any], doing: str) -> Any:
        """`fn(connection)` in a read-only transaction, tried again after a transient failure
        (`Database.run`); `doing` names what is read in the error when the database stays away."""
        return self.db.run(
            fn,
            doing=doing,
            write=False,
            consequence="Nothing was fetched or changed; the saved position stands: run again when the "
            "database is back.",
        )

    # --------------------------------------------------------------------------- walk state

    def load_walk(self, stream: str) -> WalkState:
        """The stream's walk state (an empty one at version 0 when none is stored)."""
        name, stream = stream, self.key(stream)

        def load(conn: Connection) -> WalkState:
            row = conn.execute(
                sa.select(t.walks.c.version, t.walks.c.walk, t.walks.c.tail).where(t.walks.c.stream == stream)
            ).first()
            day_rows = conn.execute(
                sa.select(t.days.c.day, t.days.c.complete, t.days.c.walk_id).where(t.days.c.stream == stream)
            ).all()
            days = {d.isoformat(): DayRecord(bool(complete), walk_id) for d, complete, walk_id in day_rows}
            state = WalkState(name, days=days, saved_days=dict(days))
            if row is not None:
                state.version = row.version
                try:
                    walk_doc = loads(row.walk, "walk")
                    tail_doc = loads(row.tail, "tail")
                    state.walk = Walk.from_dict(walk_doc) if walk_doc is not None else None
                    state.tail = Tail.from_dict(tail_doc) if tail_doc is not None else None
                except DocumentError as e:
                    raise StateCorrupt(
                        t.walks.name, stream, str(e), WALK_RECOVERY.replace("<stream>", stream)
                    ) from None
            return state

        result: WalkState = self.read(load, f"reading the walk state of {stream}")
        return result

    def save_walk(self, state: WalkState) -> None:
        """Store `state` (walk, tail and the days that changed since it was read or last saved) in one
        transaction, if the stored version is still `state.version`; else StaleState, nothing saved.
        On success `state.version` is the new version."""
        write_id = uuid.uuid4().hex
        stream = self.key(state.stream)
        days = dict(state.days)
        changed = [(d, r) for d, r in sorted(days.items()) if state.saved_days.get(d) != r]
        removed = [_as_date(d) for d in state.saved_days if d not in days]
        for d, _ in changed:
            _as_date(d)
        values = {
            "walk": dumps(state.walk.to_dict() if state.walk else None),
            "tail": dumps(state.tail.to_dict() if state.tail else None),
            "write_id": write_id,
        }

        def save(conn: Connection) -> None:
            now = _now()
            w = self._walk_statements
            row = conn.execute(w.locked, {"p_stream": stream}).first()
            if row is not None and row.write_id == write_id:
                return  # an earlier attempt of this save committed; its answer was lost
            found = row.version if row is not None else None
            if (found or 0) != state.version:
                raise StaleState(stream, state.version, found)
            if row is None:
                try:
                    conn.execute(sa.insert(t.walks).values(stream=stream, version=1, updated_at=now, **values))
                except sa_exc.IntegrityError:
                    raise StaleState(stream, 0, 1) from None  # another run stored its first state meanwhile
            else:
                done = conn.execute(
                    w.advance,
                    {
                        "p_stream": stream,
                        "p_was": state.version,
                        "p_version": state.version + 1,
                        "p_updated_at": now,
                        **{f"p_{k}": v for k, v in values.items()},
                    },
                )
                if done.rowcount != 1:
                    raise StaleState(stream, state.version, None)
            if removed:
                conn.execute(sa.delete(t.days).where(t.days.c.stream == stream, t.days.c.day.in_(removed)))
            if changed:
                ins = self.insert(t.days)
                conn.execute(
                    ins.on_conflict_do_update(
                        index_elements=[t.days.c.stream, t.days.c.day],
                        set_={
                            "complete": ins.excluded.complete,
                            "walk_id": ins.excluded.walk_id,
                            "updated_at": ins.excluded.updated_at,
                        },
                    ),
                    [
                        {
                            "stream": stream,
                            "day": _as_date(d),
                            "complete": r.complete,
                            "walk_id": r.walk,
                            "updated_at": now,
                        }
                        for d, r in changed
                    ],
                )

        self.db.run(
            save,
            doing=f"saving the walk state of {stream}",
            consequence="This checkpoint was not saved; the one before it stands. Run again when the database "
            "is back: the pages after the saved position are fetched again, and the lake keeps each event once.",
        )
        state.version += 1
        state.saved_days = days

    def days(self, stream: str) -> dict[str, DayRecord]:
        """The stream's days in the lake, by UTC day."""
        stream = self.key(stream)

        def read(conn: Connection) -> dict[str, DayRecord]:
            rows = conn.execute(
                sa.select(t.days.c.day, t.days.c.complete, t.days.c.walk_id)
                .where(t.days.c.stream == stream)
                .order_by(t.days.c.day)
            ).all()
            return {d.isoformat(): DayRecord(bool(c), w) for d, c, w in rows}

        result: dict[str, DayRecord] = self.read(read, f"reading the days of {stream}")
        return result

    # ------------------------------------------------------------------------------- quota

    def quota(self, key: str, day: str) -> QuotaCounter:
        """The counter of `key` on `day` (zero, server figure unknown, when nothing was charged)."""
        key = self.key(key)
        d = _as_date(day)

        def read(conn: Connection) -> QuotaCounter:
            row = conn.execute(
                sa.select(t.quota.c.spent, t.quota.c.server_remaining).where(
                    t.quota.c.key == key, t.quota.c.day == d
                )
            ).first()
            return (
                QuotaCounter(key, day) if row is None else QuotaCounter(key, day, row.spent, row.server_remaining)
            )

        result: QuotaCounter = self.read(read, f"reading the request count of {key}")
        return result

    def charge(
        self, key: str, day: str, limit: int, *, reserve: int = 0, request_id: str | None = None
    ) -> QuotaCounter:
        """Count one request about to be sent, in a committed transaction, if the day's budget allows
        (fewer than `limit - reserve` charged, and the server's last figure above `reserve`); returns
        the counter with it. Else QuotaRefused, nothing counted. Atomic between processes.

        `request_id` (default: a new one) names this request: charging the same id again returns
        the count it got, without counting it twice."""
        if limit < 1 or reserve < 0 or reserve >= limit:
            raise ValueError(f"need 0 <= reserve < limit, got limit={limit} reserve={reserve}")
        rid = request_id or uuid.uuid4().hex
        key = self.key(key)
        d = _as_date(day)
        q = self._quota_statements
        at = {"p_key": key, "p_day": d}
        attempts = 0

        def charge(conn: Connection) -> QuotaCounter:
            nonlocal attempts
            attempts += 1
            now = _now()
            # The row lock makes an earlier attempt still in flight finish (commit or not) first.
            row = conn.execute(q.locked, at).first()
            created = 0
            if row is None:  # the day's first charge (or another process's, at the same moment)
                created = conn.execute(q.create, {**at, "p_server_remaining": None, "p_updated_at": now}).rowcount
                row = conn.execute(q.locked, at).one()
            # A new id cannot have been charged before this call's first attempt; a given id, or a
            # repeat after an attempt whose commit may have landed, is looked up.
            if request_id is not None or attempts > 1:
                prior = conn.execute(q.prior, {"p_request_id": rid}).first()
                if prior is not None:
                    return QuotaCounter(key, day, prior.spent, prior.server_remaining)
            counter = QuotaCounter(key, day, row.spent, row.server_remaining)
            if counter.exhausted(limit, reserve):
                raise QuotaRefused(counter, limit, reserve)
            spent = row.spent + 1
            remaining = None if row.server_remaining is None else row.server_remaining - 1
            done = conn.execute(
                q.count,
                {**at, "p_was": row.spent, "p_spent": spent, "p_server_remaining": remaining, "p_updated_at": now},
            )
            if done.rowcount != 1:  # the row lock rules this out; never count on a guess
                raise StateError(f"the request count of {key} changed under a row lock; nothing was counted")
            conn.execute(
                q.record,
                {
                    **at,
                    "p_request_id": rid,
                    "p_spent": spent,
                    "p_server_remaining": remaining,
                    "p_charged_at": now,
                },
            )
            if created:  # the day's first charge: forget the request ids no retry can still ask about
                keep_from = d - timedelta(days=t.KEEP_CHARGES_DAYS)
                conn.execute(sa.delete(t.quota_charges).where(t.quota_charges.c.day < keep_from))
            return QuotaCounter(key, day, spent, remaining)

        result: QuotaCounter = self.db.run(
            charge,
            doing=f"counting a request of {key} against the day's quota",
            consequence="The request was not sent; the saved position stands: run again when the database is "
            "back. (If the connection broke as the count was being committed, today's count may hold this one "
            "request that was never sent: it errs towards sending less, never more.)",
        )
        return result

    def observe(self, key: str, day: str, remaining: int | None) -> None:
        """Believe the server's X-RateLimit-Remaining (None: it said nothing; nothing is written). A
        figure equal to the stored one writes nothing."""
        if remaining is None:
            return
        key = self.key(key)
        d = _as_date(day)
        value = int(remaining)

        def observe(conn: Connection) -> None:
            conn.execute(
                self._quota_statements.observe,
                {"p_key": key, "p_day": d, "p_server_remaining": value, "p_updated_at": _now()},
            )

        self.db.run(
            observe,
            doing=f"recording the server's remaining requests of {key}",
            consequence="The server's figure was not recorded; the count of requests sent stands.",
        )

    # -------------------------------------------------------------------------------- locks

    @contextlib.contextmanager
    def lock(
        self,
        name: str,
        *,
        wait: float | None = 0.0,
        poll: float = 0.5,
        on_wait: Callable[[str | None], None] | None = None,
    ) -> Iterator[locks.HeldLock]:
        """Hold the named lock (e.g. `forcepoint/access`: one walk per log type) across processes and
        machines for the block; a killed holder's lock frees itself. See locks.hold. The lock is the
        tenant's own (`key`): another tenant's lock of the same name does not block it."""
        with locks.hold(self.db, self.key(name), wait=wait, poll=poll, on_wait=on_wait) as held:
            yield held


class _QuotaStatements:
    """The quota's statements, built once with bound parameters (named p_*: a column's own name is
    reserved in INSERT and UPDATE): a request's charge runs on every page, and building and keying
    SQLAlchemy constructs anew each time cost more than the SQL."""

    def __init__(self, upsert: Callable[[sa.Table], Any]):
        q, c = t.quota, t.quota_charges
        row = (q.c.key == sa.bindparam("p_key")) & (q.c.day == sa.bindparam("p_day"))
        self.locked = sa.select(q.c.spent, q.c.server_remaining).where(row).with_for_update()
        # The day's row, nothing spent: created by the first charge (no figure), or by a figure the
        # server gave before any charge of the day.
        ins = upsert(q).values(
            key=sa.bindparam("p_key"),
            day=sa.bindparam("p_day"),
            spent=0,
            server_remaining=sa.bindparam("p_server_remaining"),
            updated_at=sa.bindparam("p_updated_at"),
        )
        self.create = ins.on_conflict_do_nothing(index_elements=[q.c.key, q.c.day])
        self.prior = sa.select(c.c.spent, c.c.server_remaining).where(
            c.c.request_id == sa.bindparam("p_request_id")
        )
        self.count = (
            sa.update(q)
            .where(row, q.c.spent == sa.bindparam("p_was"))
            .values(
                spent=sa.bindparam("p_spent"),
                server_remaining=sa.bindparam("p_server_remaining"),
                updated_at=sa.bindparam("p_updated_at"),
            )
        )
        self.record = sa.insert(c).values(
            request_id=sa.bindparam("p_request_id"),
            key=sa.bindparam("p_key"),
            day=sa.bindparam("p_day"),
            spent=sa.bindparam("p_spent"),
            server_remaining=sa.bindparam("p_server_remaining"),
            charged_at=sa.bindparam("p_charged_at"),
        )
        self.observe = ins.on_conflict_do_update(
            index_elements=[q.c.key, q.c.day],
            set_={"server_remaining": ins.excluded.server_remaining, "updated_at": ins.excluded.updated_at},
            where=q.c.server_remaining.is_distinct_from(ins.excluded.server_remaining),
        )


class _WalkStatements:
    """A checkpoint's statements (one per page), built once: see _QuotaStatements."""

    def __init__(self) -> None:
        w = t.walks
        self.locked = (
            sa.select(w.c.version, w.c.write_id).where(w.c.stream == sa.bindparam("p_stream")).with_for_update()
        )
        self.advance = (
            sa.update(w)
            .where(w.c.stream == sa.bindparam("p_stream"), w.c.version == sa.bindparam("p_was"))
            .values(
                version=sa.bindparam("p_version"),
                updated_at=sa.bindparam("p_updated_at"),
                walk=sa.bindparam("p_walk"),
                tail=sa.bindparam("p_tail"),
                write_id=sa.bindparam("p_write_id"),
            )
        )
