"""Warehouse work in its own process; prints one JSON line.

`python -m benchmarks.warehouse_child rebuild`: the full build (`log_assets.warehouse.rebuild`).
`python -m benchmarks.warehouse_child sync`: the routine incremental update (`log_assets.warehouse.sync`).
`python -m benchmarks.warehouse_child queries`: three typical analyst queries on the published warehouse.
LOG_ASSETS_HOME names the home.
"""

from __future__ import annotations

import json
import sys
import time

# What an analyst asks first. Each runs on a fresh read-only connection (as a notebook would open it).
QUERIES = {
    "top_blocked_users_7d": """
        SELECT user_name, count(*) AS blocked
        FROM analytics.events
        WHERE action ILIKE 'block%'
          AND event_time >= (SELECT max(event_time) FROM analytics.events) - INTERVAL 7 DAY
        GROUP BY user_name ORDER BY blocked DESC LIMIT 10""",
    "daily_volume_by_vendor_app_30d": """
        SELECT event_day, vendor, app_name, sum(events) AS events, sum(bytes_out) AS bytes_out
        FROM analytics.activity_daily
        GROUP BY ALL ORDER BY event_day, events DESC""",
    "one_user_one_day_with_raw": """
        SELECT event_time, vendor, log_type, action, object_name, raw
        FROM analytics.events
        WHERE user_email = (SELECT user_email FROM analytics.events WHERE user_email IS NOT NULL LIMIT 1)
          AND event_day = (SELECT max(event_day) FROM analytics.events)
        ORDER BY event_time""",
}


def main(argv: list[str]) -> int:
    kind = argv[0]
    if kind in ("rebuild", "sync"):
        from log_assets import warehouse

        t0 = time.perf_counter()
        result = getattr(warehouse, kind)()
        seconds = time.perf_counter() - t0
        loads = result["loads"]
        out = {
            "seconds": seconds,
            "rows": sum(r.rows for r in loads.values()),
            "lake_rows": sum(r.lake_rows for r in loads.values()),
            "days_loaded": sum(len(r.days) for r in loads.values()),
        }
    else:
        from log_assets.warehouse import connect_readonly

        out = {}
        for name, q in QUERIES.items():
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                conn = connect_readonly()
                rows = conn.execute(q).fetchall()
                conn.close()
                times.append(time.perf_counter() - t0)
            out[name] = {"median_seconds": sorted(times)[1], "first_seconds": times[0], "rows": len(rows)}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
