"""The baselines a landing run is compared with, each run as its own process.

`python -m benchmarks.naive naive URL TOKEN FORMAT STARTDATE OUTDIR`: what a typical script does —
requests + json + pandas, one Parquet file per page.
`python -m benchmarks.naive floor URL TOKEN FORMAT STARTDATE`: the fetch-only floor — download
every page and read only its token; no parsing, nothing written.

Both stop where the pipeline stops on a day that has ended: at the answer with no new events (the
API then gives back the token it was sent).
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import requests

TYPE = "access"
CV = "1.1.5"


def naive(url: str, token: str, fmt: str, startdate: str, out: str) -> int:
    import pandas as pd

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    params = {"type": TYPE, "cv": CV, "responseformat": fmt, "startdate": startdate}
    n, rows, last = 0, 0, None
    while True:
        resp = session.get(url, params=params, timeout=120)
        resp.raise_for_status()
        page = resp.json()
        data = page["response"]["data"]
        df = pd.read_csv(io.StringIO(data)) if fmt == "csv" else pd.DataFrame(data)
        if len(df) == 0:
            break
        df.to_parquet(out_dir / f"page-{n:06d}.parquet")
        n += 1
        rows += len(df)
        nxt = page.get("nextpagetoken")
        if not nxt or nxt == last:
            break
        last = nxt
        params = {"type": TYPE, "cv": CV, "responseformat": fmt, "nextpagetoken": nxt}
    print(f"pages={n} rows={rows}")
    return 0


# The envelope is {"status": ..., "nextpagetoken": "...", "response": ...}: the token is near the start.
_TOKEN = re.compile(rb'"nextpagetoken"\s*:\s*"([^"\\]*)"')


def floor(url: str, token: str, fmt: str, startdate: str) -> int:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    params = {"type": TYPE, "cv": CV, "responseformat": fmt, "startdate": startdate}
    n, nbytes, last = 0, 0, None
    while True:
        resp = session.get(url, params=params, timeout=120)
        resp.raise_for_status()
        body = resp.content
        nbytes += len(body)
        n += 1
        m = _TOKEN.search(body, 0, 4096)
        nxt = m.group(1).decode() if m else None
        if not nxt or nxt == last:
            break
        last = nxt
        params = {"type": TYPE, "cv": CV, "responseformat": fmt, "nextpagetoken": nxt}
    print(f"requests={n} bytes={nbytes}")
    return 0


def main(argv: list[str]) -> int:
    kind, *args = argv
    return naive(*args) if kind == "naive" else floor(*args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
