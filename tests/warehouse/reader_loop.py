"""A reader process for the concurrency test: queries the warehouse until a stop file appears.

Each round asks a fresh connection and one opened at the start (an analyst's notebook) whether
analytics.events matches the per-type tables, and writes a JSON report at the end.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from log_assets.warehouse import checks, connect_readonly


def main(home: str, stop: str, report: str) -> None:
    answered, errors, inconsistent, counts = 0, [], 0, set()
    notebook = connect_readonly(home)
    Path(report + ".ready").touch()
    while not Path(stop).exists():
        for conn in (None, notebook):
            try:
                c = conn or connect_readonly(home)
                outcome = checks.events_match_tables(c)
                c.execute("SELECT count(*) FROM analytics.activity_daily").fetchall()
                c.execute("SELECT count(*) FROM analytics.incidents").fetchall()
                answered += 1
                inconsistent += not outcome.passed
                counts.add(outcome.metadata["events"])
                if conn is None:
                    c.close()
            except Exception as e:  # every failure is counted and reported, none is expected
                errors.append(f"{type(e).__name__}: {e}")
        time.sleep(0.01)
    Path(report).write_text(
        json.dumps(
            {
                "answered": answered,
                "errors": errors[:20],
                "error_count": len(errors),
                "inconsistent": inconsistent,
                "counts": sorted(counts),
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
