"""Data checks on the published warehouse (what readers see). Dagster-free; each returns an Outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb

from log_assets.paths import Home
from log_assets.warehouse.derive import EVENTS
from log_assets.warehouse.layout import TableRef
from log_assets.warehouse.load import DAYS_PER_BATCH
from log_assets.warehouse.sources import RESERVED, VENDORS, Source, lake_days
from log_assets.warehouse.sqlfiles import ident, sql

# Clocks of the vendors and of this machine disagree a little; beyond this an event is "in the future".
FUTURE_SKEW = timedelta(minutes=5)


@dataclass
class Outcome:
    passed: bool
    description: str
    metadata: dict = field(default_factory=dict)


def unique_key(conn: duckdb.DuckDBPyConnection, table: TableRef, key: tuple[str, ...] = ("event_id",)) -> Outcome:
    key_sql = ", ".join(ident(k) for k in key)
    found = conn.execute(sql("checks", "duplicate_keys", table=table.sql, key=key_sql)).fetchone()
    assert found is not None  # an aggregate query returns one row
    keys, rows, examples = found
    name = " + ".join(key)
    if keys:
        return Outcome(
            False,
            f"{table.key}: {keys} {name} value(s) on more than one row ({rows} rows)",
            {"duplicated_keys": keys, "rows_involved": int(rows), "examples": examples},
        )
    return Outcome(True, f"{table.key}: one row per {name}", {"duplicated_keys": 0})


def no_future_events(
    conn, table: TableRef, now: datetime, time_column: str = "event_time", skew: timedelta = FUTURE_SKEW
) -> Outcome:
    n, latest = conn.execute(
        sql("checks", "future_events", table=table.sql, time=ident(time_column)), {"limit": now + skew}
    ).fetchone()
    if n:
        return Outcome(
            False,
            f"{table.key}: {n} event(s) later than now + {skew}",
            {"future_events": n, "latest": str(latest)},
        )
    return Outcome(True, f"{table.key}: no event later than now + {skew}", {"future_events": 0})


def matches_lake(conn, home: Home, src: Source, days_checked: int = DAYS_PER_BATCH) -> Outcome:
    """The table holds exactly the lake's distinct events for the days it loaded last."""
    loaded = conn.execute(
        sql("checks", "recent_loads"), {"table_name": src.ref.key, "limit": days_checked}
    ).fetchall()
    lake = lake_days(home, src.lt.vendor, src.lt.name)
    days = [d for d, sig in loaded if d in lake and lake[d].signature == sig]
    skipped = sorted(d.isoformat() for d, sig in loaded if d not in days)
    meta = {"days_checked": len(days), "days_changed_in_lake_since_load": skipped}
    if not days:
        return Outcome(True, f"{src.ref.key}: no loaded day to compare", meta)
    conn.execute(
        sql("meta", "set_variable", name="lake_files"), {"value": [f for d in days for f in lake[d].files]}
    )
    near = sorted({d + timedelta(days=s) for d in days for s in (-1, 0, 1)})
    lake_ids, rows, next_door, missing, extra = conn.execute(
        sql("checks", "lake_vs_table", table=src.ref.sql), {"days": days, "near": near}
    ).fetchone()
    meta.update(
        lake_distinct_ids=lake_ids,
        warehouse_rows=rows,
        kept_on_a_neighbouring_day=next_door,
        missing_from_warehouse=missing,
        not_in_lake=extra,
    )
    span = f"{min(days)}..{max(days)}"
    if rows + next_door == lake_ids and missing == 0 and extra == 0:
        return Outcome(
            True,
            f"{src.ref.key}: {rows} rows for {len(days)} day(s) {span} = the lake's {lake_ids} distinct ids"
            + (f" less {next_door} kept on a neighbouring day" if next_door else ""),
            meta,
        )
    return Outcome(
        False,
        f"{src.ref.key} {span}: {rows} rows (+{next_door} next door) for {lake_ids} distinct lake ids; "
        f"{missing} missing, {extra} not in the lake",
        meta,
    )


def fresh(conn, vendor: str, now: datetime, max_lag: timedelta) -> Outcome:
    newest, loaded_at = conn.execute(sql("checks", "newest_event"), {"vendor": vendor}).fetchone()
    meta = {
        "newest_event": str(newest),
        "last_load": str(loaded_at),
        "max_lag_hours": max_lag.total_seconds() / 3600,
    }
    if newest is None:
        return Outcome(False, f"no {vendor} event in the warehouse", meta)
    lag = now - newest
    meta["lag_hours"] = round(lag.total_seconds() / 3600, 2)
    if lag > max_lag:
        return Outcome(False, f"newest {vendor} event is {lag} old (more than {max_lag})", meta)
    return Outcome(True, f"newest {vendor} event is {lag} old", meta)


def per_type_tables(conn) -> list[TableRef]:
    """The per-type tables readers see (known and uncataloged types alike)."""
    out = []
    for vendor in VENDORS:
        for schema, name in conn.execute(sql("checks", "relations"), {"schema": vendor}).fetchall():
            ref = TableRef(schema, name)
            if ref not in RESERVED:
                out.append(ref)
    return out


def events_match_tables(conn) -> Outcome:
    counts = {t.key: count(conn, t) for t in per_type_tables(conn)}
    events = count(conn, EVENTS)
    meta = {"events": events, "per_type_total": sum(counts.values()), "tables": len(counts)}
    if events != sum(counts.values()):
        return Outcome(
            False, f"analytics.events has {events} rows, the per-type tables {sum(counts.values())}", meta
        )
    return Outcome(
        True, f"analytics.events has one row per row of the {len(counts)} per-type tables ({events})", meta
    )


def activity_matches_events(conn) -> Outcome:
    counted = conn.execute(sql("checks", "activity_events")).fetchone()[0]
    events = count(conn, EVENTS)
    meta = {"activity_events": int(counted), "events": events}
    if counted != events:
        return Outcome(False, f"activity_daily counts {counted} events, analytics.events has {events}", meta)
    return Outcome(True, f"activity_daily accounts for all {events} events", meta)


def count(conn, table: TableRef) -> int:
    return conn.execute(sql("checks", "count", table=table.sql)).fetchone()[0]
