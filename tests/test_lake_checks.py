"""The source assets' lake checks: event ids unique in a partition, rows as reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import dagster as dg
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from log_assets.defs import lake_checks
from log_assets.defs.lake_checks import (
    ROWS_AS_REPORTED,
    UNIQUE_IDS,
    PartitionFacts,
    facts_of,
    lake_check_results,
    read_partition,
)
from log_assets.lake.lake import Lake

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


def _facts_counted_in_memory(ids) -> PartitionFacts:
    """The facts as the check counted them before it read a day a file at a time: pyarrow's
    value_counts over the whole column (the reference the bounded count must equal)."""
    if len(ids) == 0:
        return PartitionFacts()
    counts = pc.value_counts(pc.drop_null(ids))
    repeated = pc.filter(counts, pc.greater(counts.field("counts"), 1))
    order = sorted(
        zip(repeated.field("values").to_pylist(), repeated.field("counts").to_pylist(), strict=True),
        key=lambda vc: (-vc[1], vc[0]),
    )
    return PartitionFacts(
        rows=len(ids),
        null_ids=ids.null_count,
        duplicated_ids=len(order),
        extra_rows=sum(c - 1 for _, c in order),
        examples=tuple(v for v, _ in order[:5]),
    )


def _random_ids(seed: int, n: int, distinct: int, null_every: int = 0) -> list[str | None]:
    rng = np.random.default_rng(seed)
    ids: list[str | None] = [f"id-{v:06d}" for v in rng.integers(0, distinct, n)]
    if null_every:
        ids[::null_every] = [None] * len(ids[::null_every])
    return ids


TRICKY = {
    "empty": [[]],
    "empty chunks": [[], [], []],
    "one row": [["a"]],
    "one null": [[None]],
    "only nulls": [[None, None], [None]],
    "no repeats": [["a", "b", "c"], ["d"]],
    "one repeat across chunks": [["1", "2", "3"], ["3", "4", None, "3"]],
    "one id many times": [["x"] * 50, ["x"] * 7, ["y"]],
    # Ties in count are ordered by value; more than five repeated ids: the first five only.
    "ties and more than five": [["g", "f", "e", "d", "c", "b", "a", "h"] * 2, ["b", "z", "z", "z"]],
    "every id twice": [[str(i) for i in range(300)], [str(i) for i in reversed(range(300))]],
    "unicode and empty string": [["é", "e", "", "", "日本", "é"], [None, "日本", "e\u0301"]],
    "random with nulls": [_random_ids(1, 3000, 2500, null_every=97), _random_ids(2, 2000, 2500)],
    "random, few distinct": [_random_ids(3, 5000, 40)],
}


def _colliding(ids: pa.Array) -> np.ndarray:
    """A hash under which most different ids collide (three values in all)."""
    present = pc.drop_null(ids)
    return np.fromiter((len(v) % 3 for v in present.to_pylist()), np.int64, len(present))


@pytest.mark.parametrize("hashing", ["real", "colliding"])
@pytest.mark.parametrize("name", sorted(TRICKY))
def test_partition_facts_equal_the_whole_column_count(name, hashing, monkeypatch):
    """Counted from 8-byte hashes and the candidates' real values, the facts are exactly those of a
    count over the whole column, whatever the input; with a hash under which different ids collide
    too (a collision must never be reported as a repeated id)."""
    if hashing == "colliding":
        monkeypatch.setattr(lake_checks, "id_hashes", _colliding)
    ids = pa.chunked_array(TRICKY[name], pa.string())
    assert facts_of(ids) == _facts_counted_in_memory(ids)
    assert facts_of(ids.combine_chunks()) == _facts_counted_in_memory(ids)


def test_partition_facts_count_nulls_and_repeats_with_large_strings():
    ids = pa.chunked_array([["1", "2", "3"], ["3", "4", None, "3"]], pa.large_string())
    assert facts_of(ids) == PartitionFacts(7, 1, 1, 2, ("3",))


@pytest.mark.parametrize("hashing", ["real", "colliding"])
def test_read_partition_reads_a_file_at_a_time_and_equals_the_whole_day_count(lake, hashing, monkeypatch):
    """The day's files read one by one give the facts of the day's whole column (the lake's own read
    of it), across files and with repeats inside and between them; the whole day is never read as
    one table."""
    files = [
        ["a", "b", "c", "a"],
        ["d", "b", "e"],
        [f"n{i}" for i in range(200)],
        ["b", "f", "n7", "n7"],
        ["gg"],
    ]
    for ids in files:
        _write(lake, "2026-11-20", ids)
    _write(lake, "2026-11-21", ["a", "a"])  # another day's repeats are not this day's
    expected = _facts_counted_in_memory(lake.read_day(*T, datetime(2026, 11, 20).date(), ["event_id"])["event_id"])
    assert expected == PartitionFacts(212, 0, 3, 5, ("b", "n7", "a"))
    if hashing == "colliding":
        monkeypatch.setattr(lake_checks, "id_hashes", _colliding)
    read_whole_day = []
    monkeypatch.setattr(Lake, "read_day", lambda *a, **k: read_whole_day.append(a) or pytest.fail("read_day"))
    monkeypatch.setattr(Lake, "read_days", lambda *a, **k: read_whole_day.append(a) or pytest.fail("read_days"))
    assert read_partition(lake, *T, "2026-11-20") == expected
    assert read_partition(lake, *T, "2026-11-21") == PartitionFacts(2, 0, 1, 1, ("a",))
    assert read_partition(lake, *T, "2026-11-22") == PartitionFacts()
    assert not read_whole_day


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
