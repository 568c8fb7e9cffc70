"""The detection scenarios' records (log_assets/simulator/scenarios.py) committed to a lake as
ingestion commits them (typed by the catalog from the received fields), for the rules' tests."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from log_assets.aperture.parse import event_id as aperture_event_id
from log_assets.paths import Home
from log_assets.simulator import scenarios
from tests.warehouse.lakegen import write

FP, AP = "forcepoint", "aperture"
DAY = date(2026, 4, 15)


def lake_row(vendor: str, log_type: str, eid: str, when: datetime, rec: dict) -> dict:
    """A row as ingestion hands it to the lake (tests/warehouse/lakegen.py's shape)."""
    return {
        "event_id": eid,
        "event_time": when,
        "vendor": vendor,
        "log_type": log_type,
        "raw": json.dumps(rec, sort_keys=True),
        "ingested_at": when + timedelta(hours=1),
        "fields": rec,
    }


def forcepoint_event(log_type: str, rec: dict, eid: str | None = None) -> dict:
    when = datetime.strptime(rec["time"], "%d %b %Y %H:%M:%S").replace(tzinfo=UTC)
    eid = eid or hashlib.sha1(json.dumps(rec, sort_keys=True).encode()).hexdigest()
    return lake_row(FP, log_type, eid, when, rec)


def aperture_event(rec: dict) -> dict:
    when = datetime.fromisoformat(rec["timestamp"].strip().replace("Z", "+00:00"))
    return lake_row(AP, rec["log_type"], aperture_event_id(rec), when, rec)


def write_by_day(home: Home, rows: list[dict], part: str = "p0") -> None:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        groups[(r["vendor"], r["log_type"], r["event_time"].date())].append(r)
    for rows_of_day in groups.values():
        write(home, rows_of_day, part)


def write_scenarios(home: Home, day: date = DAY) -> None:
    rows = [forcepoint_event(t, r) for t, recs in scenarios.forcepoint_records(day).items() for r in recs]
    rows += [aperture_event(r) for r in scenarios.aperture_events(day)]
    write_by_day(home, rows)
