"""`python -m benchmarks.newfields [--fields 9000] [--pages 3] [--records 1000]`: the warehouse build
of a lake whose records carry many fields the catalog does not know; prints its wall time and peak RSS.

The lake: one day of forcepoint.cloudsummary (a type with a latest-state table; `--log-type access`
for one without, which the build before the fix could finish), `--pages` pages of
`--records` records each, committed one page at a time as ingestion commits them; the `--fields`
new field names are spread evenly over the pages, each page's over its records (every record carries
a few, every name is carried by one record at least). The build (`log_assets.warehouse.sync`) runs in
its own process; its wall time and peak RSS are exact (benchmarks.rusage). Which `log_assets` that
process imports follows PYTHONPATH (a checkout's root to measure another version).

Before the bound and the one-step column adds (one ALTER TABLE per field, in one transaction):
1,500 fields in one page took 13 s / 1.0 GB, 3,000 28 s / 3.0 GB, 9,000 over three pages 4 min 44 s
and 21.6 GB.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import PY, clean_env, measure, mib, say, scratch
from log_assets.catalog import CATALOG, FORCEPOINT
from log_assets.lake.schema import Coercer, build_table
from log_assets.paths import Home

DAY = datetime(2026, 3, 1, tzinfo=UTC)


def page(log_type: str, p: int, fields: list[str], records: int) -> list[dict]:
    """The rows of page `p`: record i carries the fields i, i + records, i + 2 * records, ..."""
    rows = []
    for i in range(records):
        when = DAY + timedelta(seconds=p * records + i)
        extra = {name: f"v{p}-{i}" for name in fields[i::records]}
        fields_ = {"user": f"u{i % 7}", "action": "Allowed", **extra}
        if log_type == "cloudsummary":
            fields_.update(fileid=f"F{p}-{i % 50}", status="Public")
        rows.append(
            {
                "event_id": f"E{p}-{i}",
                "event_time": when,
                "vendor": FORCEPOINT,
                "log_type": log_type,
                "raw": json.dumps(fields_, sort_keys=True),
                "ingested_at": when + timedelta(minutes=5),
                "fields": fields_,
            }
        )
    return rows


def write_lake(home: Path, log_type: str, fields: int, pages: int, records: int) -> None:
    from log_assets.lake.lake import Lake

    lt = CATALOG[(FORCEPOINT, log_type)]
    names = [f"newfield_{k:05d}" for k in range(fields)]
    per_page = -(-fields // pages)
    with Lake.for_home(Home(home)) as lake:
        for p in range(pages):
            table = build_table(
                lt, page(log_type, p, names[p * per_page : (p + 1) * per_page], records), Coercer()
            )
            with lake.writer(FORCEPOINT, log_type, [DAY.date()]) as w:
                w.add(table, only_days=True)
                w.commit("append")


CHILD = """
import json, sys, time
from log_assets.warehouse import connect_readonly, sync
log_type = sys.argv[1]
t0 = time.perf_counter()
result = sync()
seconds = time.perf_counter() - t0
load = result["loads"]["forcepoint." + log_type]
con = connect_readonly()
tables = [log_type] + (["cloudsummary_current"] if log_type == "cloudsummary" else [])
width = {t: con.execute(f"SELECT count(*) FROM (DESCRIBE forcepoint.{t})").fetchone()[0] for t in tables}
print(json.dumps({"seconds": seconds, "columns": width, "rows": load.rows,
                  "beyond_limit": len(getattr(load, "new_columns_beyond_limit", []))}))
"""


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fields", type=int, default=9000)
    ap.add_argument("--pages", type=int, default=3)
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--log-type", default="cloudsummary", choices=["cloudsummary", "access"])
    args = ap.parse_args(argv)
    with scratch("newfields") as home:
        say(f"writing {args.pages} page(s) of {args.records} records, {args.fields} new fields")
        write_lake(home, args.log_type, args.fields, args.pages, args.records)
        say("building the warehouse")
        env = clean_env(LOG_ASSETS_HOME=str(home))
        got = measure([PY, "-c", CHILD, args.log_type], env, home / "build.log", timeout=3600).check(
            "the warehouse build"
        )
        out = json.loads(got.log.strip().splitlines()[-1])
    print(
        f"{args.log_type}: new fields {args.fields} over {args.pages} page(s) of {args.records} records: "
        f"warehouse build {got.seconds:.1f} s wall, peak RSS {mib(got.peak_rss):.0f} MiB; "
        f"columns {out['columns']}, {out['beyond_limit']} field(s) beyond the limit"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
