"""Hand-made lake days for warehouse tests, committed to the lake tables the way ingestion commits them."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq

from log_assets.catalog import CATALOG, generic_log_type
from log_assets.lake.lake import Lake
from log_assets.lake.schema import Coercer, build_table
from log_assets.paths import Home


def ts(text: str) -> datetime:
    """'2026-03-01 10:00' (UTC) -> aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event(vendor: str, log_type: str, event_id: str, time: str, ingested: str | None = None, **fields) -> dict:
    when = ts(time)
    return {
        "event_id": event_id,
        "event_time": when,
        "vendor": vendor,
        "log_type": log_type,
        "raw": json.dumps({"log_type": log_type, **fields}, sort_keys=True),
        "ingested_at": ts(ingested) if ingested else when + timedelta(hours=1),
        "fields": fields,
    }


def write(home: Home, rows: list[dict], file: str = "part-0") -> Path:
    """Write rows (all of one vendor, type and UTC day) as the day's part `file`: the day then holds
    the rows of all its parts (writing a part again replaces that part), committed to the lake as
    one replace of the day. The parts are kept beside the lake, under `<home>/.lakegen/`."""
    vendor, log_type = rows[0]["vendor"], rows[0]["log_type"]
    day = rows[0]["event_time"].date().isoformat()
    assert all(
        (r["vendor"], r["log_type"], r["event_time"].date().isoformat()) == (vendor, log_type, day) for r in rows
    )
    lt = CATALOG.get((vendor, log_type)) or generic_log_type(vendor, log_type)
    path = _parts(home, vendor, log_type, day) / f"{file}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(build_table(lt, rows, Coercer()), path)
    _commit_day(home, vendor, log_type, day)
    return path


def remove_day(home: Home, vendor: str, log_type: str, day: str) -> None:
    """Empty a day of the lake (its parts are forgotten)."""
    shutil.rmtree(_parts(home, vendor, log_type, day), ignore_errors=True)
    _commit_day(home, vendor, log_type, day)


def _parts(home: Home, vendor: str, log_type: str, day: str) -> Path:
    return Path(home.root) / ".lakegen" / vendor / log_type / day


def _commit_day(home: Home, vendor: str, log_type: str, day: str) -> None:
    """Replace the day with its parts, one data file each (flush_bytes=1: a file per table added)."""
    folder = _parts(home, vendor, log_type, day)
    parts = [pq.read_table(f) for f in sorted(folder.glob("*.parquet"))] if folder.exists() else []
    with Lake.for_home(home) as lk, lk.writer(vendor, log_type, [date.fromisoformat(day)], flush_bytes=1) as w:
        for part in parts:
            w.add(part, only_days=True)
        w.commit("replace")
