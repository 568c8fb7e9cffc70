"""A large lake for the warehouse figures, written the way ingestion writes it, but fast.

Template rows come from the simulator's own record generators, parsed by the project's parsers
(so typed columns, raw JSON and value distributions are the pipeline's); each day's rows are drawn
from those templates with fresh event ids and times (vectorised), then written as one zstd Parquet
file per (type, day) with the lake writer. Landing 10M events through HTTP would take far longer
than the warehouse work being measured.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from benchmarks.common import write_lake_day
from log_assets.catalog import APERTURE, FORCEPOINT, FORCEPOINT_TYPES
from log_assets.lake.schema import Coercer, build_table
from log_assets.paths import Home

US_PER_DAY = 86_400_000_000

# Share of a day's events per (vendor, log type): a Forcepoint-heavy tenant with Aperture beside it.
MIX = {
    (FORCEPOINT, "access"): 0.45,
    (FORCEPOINT, "swgweb"): 0.25,
    (FORCEPOINT, "cloudaudit"): 0.05,
    (FORCEPOINT, "cloudsummary"): 0.05,
    (APERTURE, "activity_monitoring"): 0.15,
    (APERTURE, "incident"): 0.02,
    (APERTURE, "policy_violation"): 0.02,
    (APERTURE, "remediation"): 0.01,
}
TEMPLATES_PER_TYPE = 4000


def templates(seed: int = 7) -> dict[tuple[str, str], pa.Table]:
    from log_assets.aperture.parse import ParsedEvent, lake_row, parse_event
    from log_assets.aperture.spool import log_type_entry
    from log_assets.forcepoint.parse import IdStrategy, parse_records
    from log_assets.simulator import SimConfig, Simulator
    from log_assets.simulator.aperture.records import ApertureEvents

    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    out: dict[tuple[str, str], pa.Table] = {}
    fp_types = [t for (v, t) in MIX if v == FORCEPOINT]
    sim = Simulator(
        SimConfig(
            seed=seed, days=1, end=end, forcepoint_events_per_day=TEMPLATES_PER_TYPE, aperture_backlog_per_type=0
        )
    )
    day = (end - timedelta(days=1)).strftime("%Y-%m-%d")
    ingested = int(end.timestamp() * 1e6)
    for t in fp_types:
        lt = FORCEPOINT_TYPES[t]
        parsed = parse_records(lt, sim.forcepoint.distinct_events(t, day=day), ingested, IdStrategy(lt))
        out[(FORCEPOINT, t)] = build_table(lt, parsed.rows, Coercer())
    rows: dict[str, list] = {}
    for i, ev in enumerate(ApertureEvents(seed).generate(TEMPLATES_PER_TYPE, end - timedelta(days=1), end)):
        p = parse_event(i, ev)
        if isinstance(p, ParsedEvent):
            rows.setdefault(p.log_type, []).append(lake_row(p, end))
    for v, t in MIX:
        if v == APERTURE:
            out[(v, t)] = build_table(log_type_entry(t), rows[t], Coercer())
    return out


def write_day(home: Home, tmpl: dict[tuple[str, str], pa.Table], day: datetime, events: int, seed: int) -> int:
    """Write one UTC day of about `events` events across MIX. Returns the rows written."""
    rng = np.random.default_rng([seed, int(day.timestamp())])
    start_us = int(day.timestamp()) * 1_000_000
    name = day.strftime("%Y-%m-%d")
    written = 0
    for (vendor, log_type), share in MIX.items():
        base = tmpl[(vendor, log_type)]
        n = max(1, int(events * share))
        t = base.take(pa.array(rng.integers(0, base.num_rows, n)))
        ids = pc.binary_join_element_wise(
            pa.scalar(f"{log_type}-{name}-"), pc.cast(pa.array(np.arange(n)), pa.string()), ""
        )
        when = np.sort(start_us + rng.integers(0, US_PER_DAY, n))
        t = t.set_column(t.schema.get_field_index("event_id"), t.schema.field("event_id"), ids)
        t = t.set_column(
            t.schema.get_field_index("event_time"),
            t.schema.field("event_time"),
            pa.array(when, type=pa.timestamp("us", tz="UTC")),
        )
        t = t.set_column(
            t.schema.get_field_index("ingested_at"),
            t.schema.field("ingested_at"),
            pa.array(when + 60_000_000, type=pa.timestamp("us", tz="UTC")),
        )
        write_lake_day(home, vendor, log_type, name, t)
        written += n
    return written
