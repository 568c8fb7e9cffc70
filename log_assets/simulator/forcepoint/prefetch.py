"""Build the page a client will ask for next while it is still reading this one.

Paging is sequential, so after serving a page the next one is predictable. Building it on a
worker thread overlaps the simulator's work with the client's parsing (they run in different
processes), which keeps the simulator from being the bottleneck of ingestion benchmarks. Pages
are pure functions of their key, so a prefetched page is exactly what would have been built.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor

MAX_PAGES = 8


class Prefetcher:
    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._pages: OrderedDict[Hashable, Future] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], bytes]) -> bytes:
        with self._lock:
            future = self._pages.pop(key, None)
        return future.result() if future is not None else build()

    def schedule(self, key: Hashable, build: Callable[[], bytes]) -> None:
        with self._lock:
            if key in self._pages:
                return
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="forcepoint-prefetch")
            self._pages[key] = self._pool.submit(build)
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            self._pages.clear()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
