"""Asset checks every source asset (`forcepoint/*`, `aperture/*`) runs on the lake days it just wrote.

- `event_ids_unique`: within each day's lake partition (read from its Parquet files) every row has an
  `event_id` and no `event_id` appears twice.
- `rows_as_reported`: the rows in each day's lake partition (read from its Parquet files) equal the
  rows the run reported for that day (the partition's `rows` metadata).

They run in the asset's own step, after the day folders are in place, and cover every partition of
the run (one result per check and run, the days that failed named in its metadata). A failed check
does not fail the run: it marks the asset's check red in the UI, as a warning to look at the lake.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

UNIQUE_IDS = "event_ids_unique"
ROWS_AS_REPORTED = "rows_as_reported"
_EXAMPLES = 5  # duplicated ids shown per day


def lake_check_specs(key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            UNIQUE_IDS,
            asset=key,
            description="Every row of each lake partition the run wrote has an event_id, and no event_id "
            "appears twice within a partition (read from its Parquet files).",
        ),
        dg.AssetCheckSpec(
            ROWS_AS_REPORTED,
            asset=key,
            description="The rows in each lake partition the run wrote (read from its Parquet files) equal "
            "the rows the run reported for that partition.",
        ),
    ]


@dataclass(frozen=True)
class PartitionFacts:
    rows: int = 0
    null_ids: int = 0
    duplicated_ids: int = 0  # ids that appear more than once
    extra_rows: int = 0  # rows beyond the first of each duplicated id
    examples: tuple[str, ...] = ()


def read_partition(folder: Path) -> PartitionFacts:
    """What a partition folder's Parquet files hold (nothing for a missing folder)."""
    files = sorted(str(f) for f in folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return PartitionFacts()
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET threads = 1")
        row = con.execute("SELECT count(*), count(*) - count(event_id) FROM read_parquet(?)", [files]).fetchone()
        rows, null_ids = (row[0], row[1]) if row else (0, 0)
        dups = con.execute(
            "SELECT event_id, count(*) AS n FROM read_parquet(?) WHERE event_id IS NOT NULL GROUP BY event_id "
            "HAVING n > 1 ORDER BY n DESC, event_id",
            [files],
        ).fetchall()
    finally:
        con.close()
    return PartitionFacts(
        rows=rows,
        null_ids=null_ids,
        duplicated_ids=len(dups),
        extra_rows=sum(n - 1 for _, n in dups),
        examples=tuple(i for i, _ in dups[:_EXAMPLES]),
    )


def lake_check_results(
    context: dg.AssetExecutionContext,
    key: dg.AssetKey,
    folders: Mapping[str, Sequence[Path]],
    reported_rows: Mapping[str, int],
) -> list[dg.AssetCheckResult]:
    """The checks of `key` that the run selected, over the partitions in `folders` (day -> the folders
    that hold it: one per log type, several for aperture/other_log_types)."""
    selected = {k.name for k in context.selected_asset_check_keys if k.asset_key == key}
    if not selected:
        return []
    facts = {day: [read_partition(f) for f in fs] for day, fs in sorted(folders.items())}
    results = []
    if UNIQUE_IDS in selected:
        bad = {
            day: {
                "rows_without_event_id": sum(f.null_ids for f in fs),
                "duplicated_event_ids": sum(f.duplicated_ids for f in fs),
                "duplicate_rows": sum(f.extra_rows for f in fs),
                "examples": [e for f in fs for e in f.examples][:_EXAMPLES],
            }
            for day, fs in facts.items()
            if any(f.null_ids or f.duplicated_ids for f in fs)
        }
        results.append(
            dg.AssetCheckResult(
                asset_key=key,
                check_name=UNIQUE_IDS,
                passed=not bad,
                description=_describe(bad, "partition(s) with a missing or repeated event_id"),
                metadata={
                    "partitions_checked": len(facts),
                    "rows_checked": sum(f.rows for fs in facts.values() for f in fs),
                    "failing_partitions": dg.MetadataValue.json(bad),
                },
            )
        )
    if ROWS_AS_REPORTED in selected:
        in_lake = {day: sum(f.rows for f in fs) for day, fs in facts.items()}
        mismatched = {
            day: {"lake_rows": n, "reported_rows": reported_rows.get(day)}
            for day, n in in_lake.items()
            if reported_rows.get(day) != n
        }
        results.append(
            dg.AssetCheckResult(
                asset_key=key,
                check_name=ROWS_AS_REPORTED,
                passed=not mismatched,
                description=_describe(mismatched, "partition(s) whose lake rows differ from the reported rows"),
                metadata={
                    "partitions_checked": len(facts),
                    "lake_rows": sum(in_lake.values()),
                    "reported_rows": sum(v for d, v in reported_rows.items() if d in facts),
                    "mismatched_partitions": dg.MetadataValue.json(mismatched),
                },
            )
        )
    return results


def _describe(bad: Mapping[str, object], what: str) -> str:
    if not bad:
        return "ok"
    return f"{len(bad)} {what}: {', '.join(_days(bad))}"


def _days(days: Iterable[str]) -> list[str]:
    days = sorted(days)
    return days if len(days) <= 10 else [*days[:10], f"… {len(days) - 10} more"]
