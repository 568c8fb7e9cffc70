"""One Forcepoint log type's events, in the order the API serves them.

Distinct events are numbered by time. The served stream is those events with ~`duplicate_rate`
re-deliveries slipped in a little after their original, then whatever `append` adds. Only small
numpy arrays are kept: the sorted event times and the positions of the re-deliveries; records
themselves are generated from (seed, type, event index) when served.
"""

from __future__ import annotations

import threading

import numpy as np

from log_assets.simulator.draws import stable_key
from log_assets.simulator.timefmt import DAY_MS

# A re-delivered event comes back within this many events of its original.
REDELIVERY_WINDOW = 200


def day_times(rng: np.random.Generator, day_ms: int, covered_ms: int, n: int) -> np.ndarray:
    """`n` distinct, sorted millisecond times in [day_ms, day_ms + covered_ms).

    The first is exactly 00:00:00.000, and a full day's last is 23:59:59.999: the boundary events
    that day-partitioned readers get wrong.
    """
    n = min(n, covered_ms)
    if n <= 0:
        return np.empty(0, dtype=np.int64)
    # Sorted draws from a range shortened by n, then spread by their rank: strictly increasing.
    s = np.sort(rng.integers(0, covered_ms - n + 1, size=n, dtype=np.int64))
    s[0] = 0
    if covered_ms == DAY_MS and n > 1:
        s[-1] = covered_ms - n
    return day_ms + s + np.arange(n, dtype=np.int64)


class EventStream:
    def __init__(self, log_type: str, seed: int, start_ms: int, end_ms: int, per_day: int, duplicate_rate: float):
        self.log_type = log_type
        self.origin_ms = start_ms
        rng = np.random.default_rng([seed & 0xFFFFFFFF, stable_key("stream", log_type) & 0xFFFFFFFF])
        parts = []
        day = start_ms
        while day < end_ms:
            covered = min(DAY_MS, end_ms - day)
            n = per_day if covered == DAY_MS else int(round(per_day * covered / DAY_MS))
            if per_day > 0 and covered > 0:
                n = max(n, 1)
            parts.append(day_times(rng, day, covered, n))
            day += DAY_MS
        self.times = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        self.base_count = d = len(self.times)

        k = int(round(d * duplicate_rate)) if d else 0
        src = rng.integers(0, d, size=k, dtype=np.int64) if k else np.empty(0, dtype=np.int64)
        after = np.minimum(src + rng.integers(1, REDELIVERY_WINDOW, size=k, dtype=np.int64), d - 1)
        order = np.lexsort((src, after))
        self.dup_src = src[order]  # event index re-delivered
        self.dup_after = after[order]  # ... right after this event
        self.dup_pos = self.dup_after + 1 + np.arange(k, dtype=np.int64)  # its stream position
        self.base_length = d + k

        self._lock = threading.Lock()
        # Appended events: new event indices base_count.., one stream position each.
        self._tail_times = np.empty(0, dtype=np.int64)
        self._tail_high = np.empty(0, dtype=np.int64)  # running maximum of time along the tail

    # -- sizes ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.base_length + len(self._tail_times)

    @property
    def event_count(self) -> int:
        return self.base_count + len(self._tail_times)

    @property
    def duplicate_count(self) -> int:
        return len(self.dup_src)

    # -- reading -------------------------------------------------------------------------------

    def slice(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Event indices and their times at stream positions [start, stop)."""
        tail_times = self._tail_times
        stop = min(stop, self.base_length + len(tail_times))
        if start >= stop:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        base_stop = min(stop, self.base_length)
        events, times = [], []
        if start < base_stop:
            pos = np.arange(start, base_stop, dtype=np.int64)
            k = len(self.dup_pos)
            if k:
                j = np.searchsorted(self.dup_pos, pos, side="left")
                jc = np.minimum(j, k - 1)
                is_dup = (j < k) & (self.dup_pos[jc] == pos)
                ev = np.where(is_dup, self.dup_src[jc], pos - j)
            else:
                ev = pos
            events.append(ev)
            times.append(self.times[ev])
        if stop > self.base_length:
            lo = max(start, self.base_length) - self.base_length
            hi = stop - self.base_length
            events.append(self.base_count + np.arange(lo, hi, dtype=np.int64))
            times.append(tail_times[lo:hi])
        return np.concatenate(events), np.concatenate(times)

    def position_at_or_after(self, ms: int) -> int | None:
        """Stream position of the first event with time >= ms; None when there is none yet."""
        i = int(np.searchsorted(self.times, ms, side="left"))
        if i < self.base_count:
            return i + int(np.searchsorted(self.dup_after, i, side="left"))
        high = self._tail_high
        j = int(np.searchsorted(high, ms, side="left"))
        if j < len(high):
            return self.base_length + j
        return None

    def high_water(self, pos: int) -> int:
        """The stream's time key at a position: the newest event time served up to there."""
        if pos >= self.base_length:
            return int(self._tail_high[pos - self.base_length])
        k = len(self.dup_pos)
        j = int(np.searchsorted(self.dup_pos, pos, side="left"))
        if j < k and self.dup_pos[j] == pos:
            return int(self.times[self.dup_after[j]])
        return int(self.times[pos - j])

    def distinct(self, lo_ms: int | None = None, hi_ms: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Indices and times of the distinct events with lo_ms <= time < hi_ms, by time."""
        tail_times = self._tail_times
        lo = -(2**62) if lo_ms is None else lo_ms
        hi = 2**62 if hi_ms is None else hi_ms
        a, b = np.searchsorted(self.times, [lo, hi], side="left")
        idx = [np.arange(a, b, dtype=np.int64)]
        mask = (tail_times >= lo) & (tail_times < hi)
        idx.append(self.base_count + np.nonzero(mask)[0].astype(np.int64))
        events = np.concatenate(idx)
        times = np.concatenate([self.times[a:b], tail_times[mask]])
        order = np.lexsort((events, times))
        return events[order], times[order]

    def day_numbers(self) -> list[int]:
        """UTC days (days since the epoch) holding at least one event."""
        days = np.unique(np.concatenate([self.times, self._tail_times]) // DAY_MS)
        return days.tolist()

    # -- writing -------------------------------------------------------------------------------

    def append(self, n: int, at_ms: int) -> None:
        """n new events at at_ms, at_ms + 1 ms, ... (distinct times keep the records distinct)."""
        with self._lock:
            new = at_ms + np.arange(n, dtype=np.int64)
            times = np.concatenate([self._tail_times, new])
            # The tail's running maximum is kept strictly increasing (an event appended behind
            # the newest one still gets a later place), so "after time T" names one position.
            floor = self.times[-1] if self.base_count else np.iinfo(np.int64).min // 2
            prev = int(self._tail_high[-1]) if len(self._tail_high) else int(floor)
            # h[j] = max(h[j-1] + 1, t[j]), vectorised.
            j = np.arange(n, dtype=np.int64)
            added = j + np.maximum(prev + 1, np.maximum.accumulate(new - j))
            high = np.concatenate([self._tail_high, added])
            # Publish the running maximum first: any position a reader finds in the times then
            # has its key already.
            self._tail_high = high
            self._tail_times = times
