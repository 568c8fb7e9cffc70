"""Asset checks every source asset (`forcepoint/*`, `aperture/*`) runs on the lake days it just wrote.

- `event_ids_unique`: within each day's lake partition (read from the table's current snapshot)
  every row has an `event_id` and no `event_id` appears twice.
- `rows_as_reported`: the rows in each day's lake partition equal the rows the run reported for that
  day (the partition's `rows` metadata).

They run in the asset's own step, after the days are committed to the lake, and cover every partition
of the run (one result per check and run, the days that failed named in its metadata). A failed check
does not fail the run: it marks the asset's check red in the UI, as a warning to look at the lake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:  # loaded by the step that runs the checks, not at definitions import
    import numpy as np
    import pyarrow as pa

    from log_assets.lake.lake import Lake

UNIQUE_IDS = "event_ids_unique"
ROWS_AS_REPORTED = "rows_as_reported"
_EXAMPLES = 5  # duplicated ids shown per day


def lake_check_specs(key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            UNIQUE_IDS,
            asset=key,
            description="Every row of each lake partition the run wrote has an event_id, and no event_id "
            "appears twice within a partition (read from the lake table's current snapshot).",
        ),
        dg.AssetCheckSpec(
            ROWS_AS_REPORTED,
            asset=key,
            description="The rows in each lake partition the run wrote (the table's current snapshot) equal "
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


def facts_of(ids: pa.ChunkedArray | pa.Array) -> PartitionFacts:
    """What a partition's `event_id` column says about it."""
    import pyarrow as pa

    chunks = ids.chunks if isinstance(ids, pa.ChunkedArray) else [ids]
    return _facts(lambda: iter(chunks))


def read_partition(lake: Lake, vendor: str, log_type: str, day: str) -> PartitionFacts:
    """What a day of a lake table holds (as of its current snapshot; nothing for a day without rows).

    Read a data file at a time, twice at most (`_facts`), from the files of one snapshot: a day's
    whole `event_id` column (about 100 bytes an id) is never held, nor counted in one table."""
    read = _id_reader(lake, vendor, log_type, date.fromisoformat(day))
    return PartitionFacts() if read is None else _facts(read)


def _facts(read: Callable[[], Iterable[pa.Array]]) -> PartitionFacts:
    """The facts of the ids that `read()` yields, a batch at a time; `read` is called again (the same
    ids) only when some id may be repeated.

    The first pass keeps an 8-byte hash of each id; ids whose hashes repeat are candidates, and the
    second pass counts the candidates' real values, so a collision of hashes (two ids, one hash) is
    counted as two ids seen once each, never as a repeat. Memory: 8 bytes an id, and the values of
    the candidates (the repeated ids, on a day that has any)."""
    import numpy as np

    rows = nulls = 0
    parts = []
    for ids in read():
        rows += len(ids)
        nulls += ids.null_count
        parts.append(id_hashes(ids))
    if rows == 0:
        return PartitionFacts()
    hashes = np.concatenate(parts)
    del parts
    hashes.sort()
    candidates = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
    del hashes
    counts: dict[str, int] = {}
    if len(candidates):
        import pyarrow.compute as pc

        for ids in read():
            present = pc.drop_null(ids)
            maybe = np.isin(id_hashes(present), candidates)
            if maybe.any():
                for v in pc.filter(present, maybe).to_pylist():
                    counts[v] = counts.get(v, 0) + 1
    order = sorted(((v, c) for v, c in counts.items() if c > 1), key=lambda vc: (-vc[1], vc[0]))
    return PartitionFacts(
        rows=rows,
        null_ids=nulls,
        duplicated_ids=len(order),
        extra_rows=sum(c - 1 for _, c in order),
        examples=tuple(v for v, _ in order[:_EXAMPLES]),
    )


def id_hashes(ids: pa.Array) -> np.ndarray:
    """A 64-bit hash of each id that is not null (equal ids, equal hashes; in this process). The
    facts never trust it alone (candidates are counted by value), which tests prove by replacing it
    with a hash under which different ids collide."""
    import numpy as np
    import pyarrow.compute as pc

    present = pc.drop_null(ids) if ids.null_count else ids
    return np.fromiter(map(hash, present.to_pylist()), np.int64, len(present))


def _id_reader(lake: Lake, vendor: str, log_type: str, day: date) -> Callable[[], Iterator[pa.Array]] | None:
    """A reader of the day's `event_id` column, a data file at a time, from the table's current
    snapshot (the same files at every call); None before the table's first write.

    pyiceberg's own batch reader (`to_arrow_batch_reader`) starts every file's read at once and keeps
    what it has read until it is taken, which is the whole column when the reader is slower than the
    disk; here each file is read when the one before it is done (`Lake.file_reader`)."""
    files = lake.file_reader(vendor, log_type, [day], ("event_id",))
    if files is None:
        return None

    def read() -> Iterator[pa.Array]:
        for batch in files():
            yield batch.column("event_id")

    return read


def lake_check_results(
    context: dg.AssetExecutionContext,
    key: dg.AssetKey,
    lake: Lake,
    tables: Mapping[str, Sequence[tuple[str, str]]],
    reported_rows: Mapping[str, int],
) -> list[dg.AssetCheckResult]:
    """The checks of `key` that the run selected, over the partitions in `tables` (day -> the lake
    tables that hold it, as (vendor, log type): one per log type, several for aperture/other_log_types)."""
    selected = {k.name for k in context.selected_asset_check_keys if k.asset_key == key}
    if not selected:
        return []
    facts = {day: [read_partition(lake, v, t, day) for v, t in ts] for day, ts in sorted(tables.items())}
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
        rows = {"rows_checked": sum(f.rows for fs in facts.values() for f in fs)}
        what = "partition(s) with a missing or repeated event_id"
        results.append(_result(key, UNIQUE_IDS, bad, what, len(facts), rows, "failing_partitions"))
    if ROWS_AS_REPORTED in selected:
        in_lake = {day: sum(f.rows for f in fs) for day, fs in facts.items()}
        mismatched = {
            day: {"lake_rows": n, "reported_rows": reported_rows.get(day)}
            for day, n in in_lake.items()
            if reported_rows.get(day) != n
        }
        rows = {
            "lake_rows": sum(in_lake.values()),
            "reported_rows": sum(v for d, v in reported_rows.items() if d in facts),
        }
        what = "partition(s) whose lake rows differ from the reported rows"
        results.append(_result(key, ROWS_AS_REPORTED, mismatched, what, len(facts), rows, "mismatched_partitions"))
    return results


def _result(
    key: dg.AssetKey, check: str, failing: Mapping[str, object], what: str, checked: int, rows: dict, listed: str
) -> dg.AssetCheckResult:
    """A check's result: passed when no partition fails; its metadata the partitions checked, the
    rows, and the failing partitions (under `listed`)."""
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=check,
        passed=not failing,
        description=_describe(failing, what),
        metadata={"partitions_checked": checked, **rows, listed: dg.MetadataValue.json(dict(failing))},
    )


def _describe(bad: Mapping[str, object], what: str) -> str:
    if not bad:
        return "ok"
    return f"{len(bad)} {what}: {', '.join(_days(bad))}"


def _days(days: Iterable[str]) -> list[str]:
    days = sorted(days)
    return days if len(days) <= 10 else [*days[:10], f"… {len(days) - 10} more"]
