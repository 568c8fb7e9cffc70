"""Hand-made lake partitions for warehouse tests, written the way ingestion writes them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from log_assets.catalog import CATALOG, generic_log_type
from log_assets.lake.schema import Coercer, build_table
from log_assets.lake.writer import write_parquet_atomic
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
    """Write rows (all of one vendor, type and UTC day) as one lake file."""
    vendor, log_type = rows[0]["vendor"], rows[0]["log_type"]
    day = rows[0]["event_time"].date().isoformat()
    assert all(
        (r["vendor"], r["log_type"], r["event_time"].date().isoformat()) == (vendor, log_type, day) for r in rows
    )
    lt = CATALOG.get((vendor, log_type)) or generic_log_type(vendor, log_type)
    path = home.partition_dir(vendor, log_type, day) / f"{file}.parquet"
    write_parquet_atomic(build_table(lt, rows, Coercer()), path)
    return path
