"""Child processes for the state tests (run as `python -m tests.state.workers ...`).

- `charge URL KEY DAY LIMIT N START_AT`: at time START_AT, try N charges; print what each got.
- `hold URL NAME`: take the lock NAME, print `held`, then sleep until killed.
"""

from __future__ import annotations

import json
import sys
import time

from log_assets.state import Database, QuotaRefused, RetryPolicy, StateStore


def charge(url: str, key: str, day: str, limit: str, n: str, start_at: str) -> None:
    store = StateStore(Database(url, retry=RetryPolicy(attempts=1)))
    time.sleep(max(0.0, float(start_at) - time.time()))
    counts, refused = [], 0
    for _ in range(int(n)):
        try:
            counts.append(store.charge(key, day, int(limit)).spent)
        except QuotaRefused:
            refused += 1
    store.close()
    print(json.dumps({"counts": counts, "refused": refused}), flush=True)


def hold(url: str, name: str) -> None:
    store = StateStore(Database(url))
    with store.lock(name):
        print("held", flush=True)
        time.sleep(600)


if __name__ == "__main__":
    {"charge": charge, "hold": hold}[sys.argv[1]](*sys.argv[2:])
