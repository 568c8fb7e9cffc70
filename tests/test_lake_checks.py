"""The source assets' lake checks: event ids unique in a partition, rows as reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import dagster as dg
import pyarrow as pa
import pytest

from log_assets.defs.lake_checks import (
    ROWS_AS_REPORTED,
    UNIQUE_IDS,
    facts_of,
    lake_check_results,
    read_partition,
)
from log_assets.lake.iceberg import Lake

KEY = dg.AssetKey(["forcepoint", "access"])
T = ("forcepoint", "access")


@pytest.fixture
def lake(tmp_path):
    with Lake.for_home(tmp_path) as lk:
        yield lk


def _write(lake, day: str, ids):
    """One more data file of `day` holding rows with these ids (appended: repeats stay repeats)."""
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    n = len(ids)
    times = [start + timedelta(seconds=i) for i in range(n)]
    lake.append(
        *T,
        pa.table(
            {
                "event_id": pa.array(ids, pa.string()),
                "event_time": pa.array(times, pa.timestamp("us", "UTC")),
                "vendor": ["forcepoint"] * n,
                "log_type": ["access"] * n,
                "raw": ["{}"] * n,
                "ingested_at": pa.array([start] * n, pa.timestamp("us", "UTC")),
            }
        ),
    )


def _context(*names):
    return SimpleNamespace(selected_asset_check_keys={dg.AssetCheckKey(KEY, n) for n in names})


def _by_name(results):
    return {r.check_name: r for r in results}


def test_partition_facts_count_nulls_and_repeats():
    f = facts_of(pa.chunked_array([["1", "2", "3"], ["3", "4", None, "3"]], pa.string()))
    assert (f.rows, f.null_ids, f.duplicated_ids, f.extra_rows, f.examples) == (7, 1, 1, 2, ("3",))
    assert facts_of(pa.array([], pa.string())).rows == 0


def test_read_partition_counts_across_files(lake):
    _write(lake, "2026-11-20", ["1", "2", "3"])
    _write(lake, "2026-11-20", ["3", "4"])
    _write(lake, "2026-11-21", ["3"])
    f = read_partition(lake, *T, "2026-11-20")
    assert (f.rows, f.null_ids, f.duplicated_ids, f.extra_rows, f.examples) == (5, 0, 1, 1, ("3",))
    assert read_partition(lake, *T, "2026-11-22").rows == 0
    assert read_partition(lake, "forcepoint", "dlp", "2026-11-20").rows == 0  # no such table yet


def test_checks_pass_on_a_clean_lake(lake):
    _write(lake, "2026-11-19", ["1", "2"])
    _write(lake, "2026-11-20", ["3"])
    results = _by_name(
        lake_check_results(
            _context(UNIQUE_IDS, ROWS_AS_REPORTED),
            KEY,
            lake,
            {"2026-11-19": [T], "2026-11-20": [T], "2026-11-21": [T]},
            {"2026-11-19": 2, "2026-11-20": 1, "2026-11-21": 0},
        )
    )
    assert results[UNIQUE_IDS].passed and results[ROWS_AS_REPORTED].passed
    assert results[UNIQUE_IDS].metadata["rows_checked"].value == 3
    assert results[ROWS_AS_REPORTED].metadata["lake_rows"].value == 3


def test_checks_fail_on_repeated_ids_and_wrong_counts(lake):
    _write(lake, "2026-11-19", ["1", "2"])
    _write(lake, "2026-11-19", ["2"])
    _write(lake, "2026-11-20", ["3"])
    results = _by_name(
        lake_check_results(
            _context(UNIQUE_IDS, ROWS_AS_REPORTED),
            KEY,
            lake,
            {"2026-11-19": [T], "2026-11-20": [T]},
            {"2026-11-19": 3, "2026-11-20": 2},
        )
    )
    unique = results[UNIQUE_IDS]
    assert not unique.passed and "2026-11-19" in (unique.description or "")
    assert unique.metadata["failing_partitions"].value == {
        "2026-11-19": {
            "rows_without_event_id": 0,
            "duplicated_event_ids": 1,
            "duplicate_rows": 1,
            "examples": ["2"],
        }
    }
    rows = results[ROWS_AS_REPORTED]
    assert not rows.passed
    assert rows.metadata["mismatched_partitions"].value == {"2026-11-20": {"lake_rows": 1, "reported_rows": 2}}


def test_only_selected_checks_run(lake):
    _write(lake, "2026-11-19", ["1"])
    results = lake_check_results(_context(ROWS_AS_REPORTED), KEY, lake, {"2026-11-19": [T]}, {"2026-11-19": 1})
    assert [r.check_name for r in results] == [ROWS_AS_REPORTED]
    assert lake_check_results(_context(), KEY, lake, {"2026-11-19": [T]}, {}) == []
