"""The daily request budget per log type (the API allows 300 requests per type per UTC day).

Requests are charged durably *before* they are sent, so a crash can never make the count low. The
count is kept in the pipeline's database (log_assets.state), so that every run, on any machine, shares
it. The server's own X-RateLimit-Remaining is believed too (the client reports it with every answer,
and a 429 as 0): other tools may share the quota.

Nothing here imports the database layer at import time (Dagster loads this module to start).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from log_assets.forcepoint.client import QuotaExhausted

if TYPE_CHECKING:
    from log_assets.state.store import StateStore

API_DAILY_LIMIT = 300


def utc_today(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y-%m-%d")


def next_reset(day: str) -> str:
    d = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC) + timedelta(days=1)
    return d.strftime("%Y-%m-%d 00:00:00+00:00")


def _check_limits(limit: int, reserve: int) -> None:
    if limit < 1 or reserve < 0 or reserve >= limit:
        raise ValueError(f"need 0 <= reserve < limit, got limit={limit} reserve={reserve}")


def spent_error(
    log_type: str, day: str, spent: int, limit: int, reserve: int, server_remaining: int | None
) -> QuotaExhausted:
    """The refusal of a request the day's budget has no room for, with the day's figures."""
    server = f", server reports {server_remaining} left" if server_remaining is not None else ""
    return QuotaExhausted(
        f"request budget for Forcepoint {log_type} logs is spent for {day} ({spent} sent by this pipeline, "
        f"budget {limit} minus reserve {reserve}{server}); it resets at {next_reset(day)}. The position is "
        "saved: run again after the reset.",
        next_reset(day),
    )


class DatabaseQuotaBudget:
    """The budget of one log type, counted in the pipeline's database (log_assets.state) so that runs
    on several machines share one count: a charge is one committed transaction that counts only below
    the limit (atomic between processes), made before the request is sent."""

    def __init__(
        self, store: StateStore, log_type: str, limit: int = API_DAILY_LIMIT, reserve: int = 0, clock=None
    ):
        from log_assets.state import stream_name

        _check_limits(limit, reserve)
        self.store = store
        self.log_type = log_type
        self.key = stream_name("forcepoint", log_type)
        self.limit = limit
        self.reserve = reserve
        self._clock = clock or (lambda: datetime.now(UTC))
        # (day, server figure) as this budget's last charge left it in the database, until the answer
        # to that request is observed.
        self._stored: tuple[str, int | None] | None = None
        # Requests left today as the last charge and the server's last figure leave them (None: no
        # request yet), for the ingest audit's rows.
        self.last_left: int | None = None
        self._last_spent = 0

    def _counter(self):
        return self.store.quota(self.key, utc_today(self._clock()))

    @property
    def spent_today(self) -> int:
        return self._counter().spent

    @property
    def left(self) -> int:
        return self._counter().left(self.limit, self.reserve)

    def charge(self) -> None:
        from log_assets.state.errors import QuotaRefused

        day = utc_today(self._clock())
        self._stored = None
        try:
            counter = self.store.charge(self.key, day, self.limit, reserve=self.reserve)
        except QuotaRefused as e:
            c = e.counter
            self.last_left = 0
            raise spent_error(self.log_type, day, c.spent, self.limit, self.reserve, c.server_remaining) from None
        self._stored = (day, counter.server_remaining)
        self._last_spent = counter.spent
        self.last_left = counter.left(self.limit, self.reserve)

    def observe(self, remaining: int | None) -> None:
        """Believe the server's X-RateLimit-Remaining. Only advisory: a database error here is logged,
        never raised (the answer it came with is already received and must still land)."""
        from log_assets.state.errors import StateDatabaseError

        day = utc_today(self._clock())
        stored, self._stored = self._stored, None
        if remaining is not None:
            ours = self.limit - self.reserve - self._last_spent
            self.last_left = max(0, min(ours, remaining - self.reserve))
        if remaining is None or (day, remaining) == stored:
            return  # nothing said, or the figure this budget's charge just stored: nothing to write
        try:
            self.store.observe(self.key, day, remaining)
        except StateDatabaseError as e:
            logging.getLogger(__name__).warning(
                "forcepoint/%s: server's remaining count not recorded: %s", self.log_type, e
            )
