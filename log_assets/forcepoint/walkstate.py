"""Where a log type's walk state is kept, and the lock that gives one walk at a time its log type.

The walk needs three things of it (`WalkStateStore`): the typed state (`WalkState` of
log_assets.state.documents: the walk in progress, the tail token, the days in the lake), a save
that is durable when it returns (every checkpoint of the walk is one), and exclusive use of the
log type for the whole walk (runs of one log type share a token and a quota).

`DatabaseWalkStateStore` keeps it in the pipeline's database (log_assets.state), what every run
uses. (Versions before it kept a JSON file per log type under `$LOG_ASSETS_HOME/state/forcepoint/`;
log_assets.legacy imports those.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from log_assets.catalog import FORCEPOINT, LogType
from log_assets.forcepoint.client import ForcepointError
from log_assets.state import WalkState, stream_name
from log_assets.state.errors import LockHeld
from log_assets.state.locks import HeldLock
from log_assets.state.store import StateStore


class WalkStateStore(Protocol):
    def load(self) -> WalkState:
        """The stored state; an empty one when none is stored. One that cannot be used raises."""
        ...

    def save(self, state: WalkState) -> None:
        """Store `state`, durably by the time this returns."""
        ...

    def exclusive(self) -> AbstractContextManager[None]:
        """Hold the log type for one walk, waiting (a while) for another run that holds it."""
        ...


class DatabaseWalkStateStore:
    """The walk state in the pipeline's database (log_assets.state: LOG_ASSETS_DATABASE_URL, by default
    `<home>/log_assets.db`), for runs on several machines: a save is one committed transaction
    checked against the version it read, and the log type's lock (a PostgreSQL advisory lock, or a
    flock beside a SQLite file) frees itself when its holder dies. Before every save the lock is
    checked to be still held: a walk that lost it (its database connection broke) stops instead of
    writing over another run's checkpoint."""

    def __init__(self, store: StateStore, lt: LogType, *, lock_timeout: float, log: logging.Logger):
        self.store = store
        self.lt = lt
        self.stream = stream_name(FORCEPOINT, lt.name)
        self.lock_timeout = lock_timeout
        self.log = log
        self._held: HeldLock | None = None

    def load(self) -> WalkState:
        return self.store.load_walk(self.stream)

    def save(self, state: WalkState) -> None:
        if self._held is not None:
            self._held.verify()
        self.store.save_walk(state)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        def waiting(holder: str | None) -> None:
            by = f" ({holder})" if holder else ""
            self.log.info(
                "forcepoint/%s: another run%s is fetching this log type; waiting for it", self.lt.name, by
            )

        try:
            with self.store.lock(self.stream, wait=self.lock_timeout, on_wait=waiting) as held:
                self._held = held
                try:
                    yield
                finally:
                    self._held = None
        except LockHeld as e:
            raise ForcepointError(f"gave up waiting for another run fetching {self.lt.name}: {e}") from None
