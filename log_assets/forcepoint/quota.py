"""The daily request budget per log type (the API allows 300 requests per type per UTC day).

Requests are charged durably *before* they are sent, so a crash can never make the count low.
The server's own X-RateLimit-Remaining is believed too (the client reports it with every answer,
and a 429 as 0): other tools may share the quota.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from log_assets.forcepoint.client import QuotaExhausted
from log_assets.forcepoint.statefiles import QUOTA_RECOVERY, check_quota_state
from log_assets.fsutil import atomic_write_json, read_state

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
    """The refusal of a request the day's budget has no room for (both budgets say it alike)."""
    server = f", server reports {server_remaining} left" if server_remaining is not None else ""
    return QuotaExhausted(
        f"request budget for Forcepoint {log_type} logs is spent for {day} ({spent} sent by this pipeline, "
        f"budget {limit} minus reserve {reserve}{server}); it resets at {next_reset(day)}. The position is "
        "saved: run again after the reset.",
        next_reset(day),
    )


class QuotaBudget:
    def __init__(self, path: Path, log_type: str, limit: int = API_DAILY_LIMIT, reserve: int = 0, clock=None):
        _check_limits(limit, reserve)
        self.path = path
        self.log_type = log_type
        self.limit = limit
        self.reserve = reserve
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()

    def _load(self) -> dict:
        today = utc_today(self._clock())
        st = read_state(self.path, check=check_quota_state, how_to_recover=QUOTA_RECOVERY) or {}
        if st.get("day") != today:
            st = {"day": today, "spent": 0, "server_remaining": None}
        return st

    @property
    def spent_today(self) -> int:
        return self._load()["spent"]

    @property
    def left(self) -> int:
        st = self._load()
        ours = self.limit - self.reserve - st["spent"]
        server = st.get("server_remaining")
        if server is not None:
            ours = min(ours, server - self.reserve)
        return max(ours, 0)

    def charge(self) -> None:
        """Count one request about to be sent, or raise QuotaExhausted without counting it."""
        with self._lock:
            st = self._load()
            if self._exhausted(st):
                raise spent_error(
                    self.log_type, st["day"], st["spent"], self.limit, self.reserve, st.get("server_remaining")
                )
            st["spent"] += 1
            if st.get("server_remaining") is not None:
                st["server_remaining"] -= 1
            atomic_write_json(self.path, st)

    def _exhausted(self, st: dict) -> bool:
        if st["spent"] >= self.limit - self.reserve:
            return True
        server = st.get("server_remaining")
        return server is not None and server <= self.reserve

    def observe(self, remaining: int | None) -> None:
        """Believe the server's X-RateLimit-Remaining (it also counts other tools' requests)."""
        if remaining is None:
            return
        with self._lock:
            st = self._load()
            if st.get("server_remaining") == int(remaining):
                return  # what charge() already counted down to: nothing new to write
            st["server_remaining"] = int(remaining)
            atomic_write_json(self.path, st)


class DatabaseQuotaBudget:
    """The same budget, counted in the pipeline's database (log_assets.state) so that runs on several
    machines share one count: a charge is one committed transaction that counts only below the limit
    (atomic between processes), made before the request is sent. The messages are QuotaBudget's."""

    def __init__(self, store, log_type: str, limit: int = API_DAILY_LIMIT, reserve: int = 0, clock=None):
        from log_assets.state import stream_name

        _check_limits(limit, reserve)
        self.store = store
        self.log_type = log_type
        self.key = stream_name("forcepoint", log_type)
        self.limit = limit
        self.reserve = reserve
        self._clock = clock or (lambda: datetime.now(UTC))

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
        try:
            self.store.charge(self.key, day, self.limit, reserve=self.reserve)
        except QuotaRefused as e:
            c = e.counter
            raise spent_error(self.log_type, day, c.spent, self.limit, self.reserve, c.server_remaining) from None

    def observe(self, remaining: int | None) -> None:
        """Believe the server's X-RateLimit-Remaining. Only advisory: a database error here is logged,
        never raised (the answer it came with is already received and must still land)."""
        from log_assets.state.errors import StateDatabaseError

        try:
            self.store.observe(self.key, utc_today(self._clock()), remaining)
        except StateDatabaseError as e:
            logging.getLogger(__name__).warning(
                "forcepoint/%s: server's remaining count not recorded: %s", self.log_type, e
            )
