"""The daily request budget per log type (the API allows 300 requests per type per UTC day).

Requests are charged durably *before* they are sent, so a crash can never make the count low.
The server's own X-RateLimit-Remaining is believed too: other tools may share the quota.

While requests go out faster than one a second (a fast API, a backfill of many small pages), the
budget charges them in blocks, like a sequence cache: one durable write covers the next few
requests, so the walk does not wait for a disk flush per page. A block grows (doubling, up to a
twentieth of the limit) only while the previous one was used up within a second, and what is left
of it is given back when the walk ends. A process killed while holding a block leaves those few
requests counted as spent — the count errs high, never low.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from log_assets.forcepoint.client import QuotaExhausted
from log_assets.fsutil import atomic_write_json, read_json

API_DAILY_LIMIT = 300
# A block is grown only while the previous one was used up within this many seconds.
BLOCK_WINDOW_S = 1.0


def utc_today(now: datetime | None = None) -> str:
    return (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d")


def next_reset(day: str) -> str:
    d = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=timezone.utc) + timedelta(days=1)
    return d.strftime("%Y-%m-%d 00:00:00+00:00")


class QuotaBudget:
    def __init__(self, path: Path, log_type: str, limit: int = API_DAILY_LIMIT, reserve: int = 0, clock=None,
                 max_block: int | None = None):
        if limit < 1 or reserve < 0 or reserve >= limit:
            raise ValueError(f"need 0 <= reserve < limit, got limit={limit} reserve={reserve}")
        self.path = path
        self.log_type = log_type
        self.limit = limit
        self.reserve = reserve
        self.max_block = max(1, limit // 20) if max_block is None else max(1, max_block)
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._lock = threading.Lock()
        # The block this process holds: requests charged on disk but not sent yet.
        self._held = 0
        self._st: dict | None = None  # the state as last written by this process (while holding)
        self._block = 1
        self._granted_at = float("-inf")

    def _load(self) -> dict:
        today = utc_today(self._clock())
        if self._held and self._st is not None and self._st["day"] == today:
            return self._st
        self._held = 0
        st = read_json(self.path, default=None) or {}
        if st.get("day") != today:
            st = {"day": today, "spent": 0, "server_remaining": None}
        return st

    @property
    def spent_today(self) -> int:
        """Requests counted as sent today (by this process's count; another process also counts
        the block this one holds)."""
        with self._lock:
            return self._load()["spent"] - self._held

    @property
    def left(self) -> int:
        with self._lock:
            st = self._load()
            ours = self.limit - self.reserve - st["spent"] + self._held
            server = st.get("server_remaining")
            if server is not None:
                ours = min(ours, server + self._held - self.reserve)
            return max(ours, 0)

    def charge(self) -> None:
        """Count one request about to be sent, or raise QuotaExhausted without counting it."""
        with self._lock:
            st = self._load()
            if self._held:
                self._held -= 1
                return
            if self._room(st) <= 0:
                raise QuotaExhausted(
                    f"request budget for Forcepoint {self.log_type} logs is spent for {st['day']} "
                    f"({st['spent']} sent by this pipeline, budget {self.limit} minus reserve {self.reserve}"
                    + (f", server reports {st['server_remaining']} left" if st.get("server_remaining") is not None else "")
                    + f"); it resets at {next_reset(st['day'])}. The position is saved: run again after the reset.",
                    next_reset(st["day"]),
                )
            now = time.monotonic()
            self._block = min(self._block * 2, self.max_block) if now - self._granted_at < BLOCK_WINDOW_S else 1
            n = min(self._block, self._room(st))
            st["spent"] += n
            if st.get("server_remaining") is not None:
                st["server_remaining"] -= n
            atomic_write_json(self.path, st)
            self._st, self._held, self._granted_at = st, n - 1, now

    def _room(self, st: dict) -> int:
        room = self.limit - self.reserve - st["spent"]
        server = st.get("server_remaining")
        if server is not None:
            room = min(room, server - self.reserve)
        return room

    def observe(self, remaining: int | None) -> None:
        """Believe the server's X-RateLimit-Remaining (it also counts other tools' requests)."""
        if remaining is None:
            return
        with self._lock:
            st = self._load()
            remaining = int(remaining)
            # Requests of our block not sent yet are within what the server still has, if it has
            # them; any beyond that are given back (they will not be sent).
            dropped = self._held - min(self._held, max(remaining - self.reserve, 0))
            if dropped:
                self._held -= dropped
                st["spent"] -= dropped
            elif st.get("server_remaining") == remaining - self._held:
                return  # what charge() already counted down to: nothing new to write
            st["server_remaining"] = remaining - self._held
            atomic_write_json(self.path, st)

    def release(self) -> None:
        """Give back the requests of the block not sent (at the end of a walk)."""
        with self._lock:
            st = self._load()
            if not self._held:
                return
            st["spent"] -= self._held
            if st.get("server_remaining") is not None:
                st["server_remaining"] += self._held
            self._held = 0
            self._block = 1
            atomic_write_json(self.path, st)
