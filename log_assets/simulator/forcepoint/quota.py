"""The per log type, per UTC day request allowance and its X-RateLimit-* headers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from log_assets.simulator.timefmt import next_midnight


@dataclass(frozen=True)
class QuotaState:
    allowed: bool
    limit: int
    remaining: int
    reset: datetime  # next UTC midnight

    @property
    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(int(self.reset.timestamp())),
        }

    def exceeded_message(self, log_type: str) -> str:
        return (
            f"You have exceeded your allowance of {self.limit} requests per day for {log_type} logs. "
            f"Limit will reset at {self.reset.strftime('%Y-%m-%d')} 00:00:00+00:00"
        )


class Quota:
    def __init__(self, limit: int, clock: Callable[[], datetime] | None = None):
        self.limit = limit
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], int] = {}  # (log type, UTC day) -> requests

    def take(self, log_type: str) -> QuotaState:
        """Count one request; it is allowed while the day's count stays within the limit."""
        now = self._clock()
        key = (log_type, now.strftime("%Y-%m-%d"))
        with self._lock:
            n = self._counts.get(key, 0) + 1
            self._counts[key] = n
        return QuotaState(n <= self.limit, self.limit, max(0, self.limit - n), next_midnight(now))

    def peek(self, log_type: str) -> QuotaState:
        now = self._clock()
        n = self._counts.get((log_type, now.strftime("%Y-%m-%d")), 0)
        return QuotaState(n < self.limit, self.limit, max(0, self.limit - n), next_midnight(now))

    def used(self, log_type: str) -> int:
        """Requests that named this type today, including refused ones."""
        return self._counts.get((log_type, self._clock().strftime("%Y-%m-%d")), 0)

    def reset(self, log_type: str | None = None) -> None:
        with self._lock:
            for key in list(self._counts):
                if log_type is None or key[0] == log_type:
                    del self._counts[key]
