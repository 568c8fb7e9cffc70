"""The per-client event queue: reads pop for good, unread events expire after a TTL."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    event: dict
    text: str  # the event's JSON as served
    enqueued: float  # clock() at enqueue


class EventQueue:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self._clock = clock
        self._q: deque[Entry] = deque()
        self._cond = threading.Condition()
        self._expired: list[Entry] = []
        self._closed = False
        self._waiting = 0  # readers inside a long poll

    def put(self, entries: list[Entry]) -> None:
        with self._cond:
            self._q.extend(entries)
            self._cond.notify_all()

    def take(self, n: int, wait: float) -> list[Entry]:
        """Pop up to n events; on an empty queue wait up to `wait` seconds for some (long poll)."""
        deadline = self._clock() + wait
        with self._cond:
            while True:
                self._expire_locked()
                if self._q:
                    return [self._q.popleft() for _ in range(min(n, len(self._q)))]
                left = deadline - self._clock()
                if left <= 0 or self._closed:
                    return []
                self._waiting += 1
                try:
                    self._cond.wait(left)
                finally:
                    self._waiting -= 1

    def pending(self) -> int:
        with self._cond:
            self._expire_locked()
            return len(self._q)

    def waiting(self) -> int:
        """How many readers are waiting in a long poll right now."""
        with self._cond:
            return self._waiting

    def expired(self) -> list[Entry]:
        with self._cond:
            self._expire_locked()
            return list(self._expired)

    def open(self) -> None:
        with self._cond:
            self._closed = False

    def close(self) -> None:
        """Release every waiting reader (server shutdown)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _expire_locked(self) -> None:
        now = self._clock()
        q = self._q
        # Entries go in in enqueue order, so the oldest are at the left.
        while q and q[0].enqueued + self.ttl <= now:
            self._expired.append(q.popleft())
