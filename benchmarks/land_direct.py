"""`python -m benchmarks.land_direct LOG_TYPE FIRST_DAY LAST_DAY`: the landing walk alone, without
Dagster — the same resource wiring the asset uses (pipeline state, client, quota budget,
ForcepointIngest), reading the same environment. Separates the cost of landing from Dagster's own
start-up and bookkeeping."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.defs.forcepoint.resources import ForcepointResource
from log_assets.forcepoint.ingest import ForcepointIngest
from log_assets.paths import Home
from log_assets.state.home import open_state


def main(argv: list[str]) -> int:
    log_type, first, last = argv
    lt = FORCEPOINT_TYPES[log_type]
    start = datetime.strptime(first, "%Y-%m-%d").replace(tzinfo=UTC)
    end = datetime.strptime(last, "%Y-%m-%d").replace(tzinfo=UTC) + timedelta(days=1)
    home = Home.from_env()
    resource = ForcepointResource()
    with open_state(home) as store:
        budget = resource.budget(store, lt)
        with resource.client(budget) as client:
            report = ForcepointIngest(home, lt, client, budget).run(start, end)
    print(
        f"requests={report.requests} pages={report.pages} events={report.events_received} "
        f"landed={report.rows_landed} stopped={report.stopped_because!r}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
