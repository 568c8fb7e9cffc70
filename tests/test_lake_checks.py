"""The source assets' lake checks: event ids unique in a partition, rows as reported."""

from __future__ import annotations

from types import SimpleNamespace

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq

from log_assets.defs.lake_checks import ROWS_AS_REPORTED, UNIQUE_IDS, lake_check_results, read_partition

KEY = dg.AssetKey(["forcepoint", "access"])


def _write(folder, name, ids):
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"event_id": pa.array(ids, pa.string()), "x": list(range(len(ids)))}), folder / name)


def _context(*names):
    return SimpleNamespace(selected_asset_check_keys={dg.AssetCheckKey(KEY, n) for n in names})


def _by_name(results):
    return {r.check_name: r for r in results}


def test_read_partition_counts_across_files(tmp_path):
    d = tmp_path / "date=2026-11-20"
    _write(d, "a.parquet", ["1", "2", "3"])
    _write(d, "b.parquet", ["3", "4", None, "3"])
    (d / "notes.txt").write_text("not parquet")
    f = read_partition(d)
    assert (f.rows, f.null_ids, f.duplicated_ids, f.extra_rows, f.examples) == (7, 1, 1, 2, ("3",))
    assert read_partition(tmp_path / "missing").rows == 0


def test_checks_pass_on_a_clean_lake(tmp_path):
    _write(tmp_path / "d1", "a.parquet", ["1", "2"])
    _write(tmp_path / "d2", "a.parquet", ["3"])
    results = _by_name(
        lake_check_results(
            _context(UNIQUE_IDS, ROWS_AS_REPORTED),
            KEY,
            {"2026-11-19": [tmp_path / "d1"], "2026-11-20": [tmp_path / "d2"], "2026-11-21": [tmp_path / "none"]},
            {"2026-11-19": 2, "2026-11-20": 1, "2026-11-21": 0},
        )
    )
    assert results[UNIQUE_IDS].passed and results[ROWS_AS_REPORTED].passed
    assert results[UNIQUE_IDS].metadata["rows_checked"].value == 3
    assert results[ROWS_AS_REPORTED].metadata["lake_rows"].value == 3


def test_checks_fail_on_repeated_ids_and_wrong_counts(tmp_path):
    _write(tmp_path / "d1", "a.parquet", ["1", "2"])
    _write(tmp_path / "d1", "b.parquet", ["2"])
    _write(tmp_path / "d2", "a.parquet", ["3"])
    results = _by_name(
        lake_check_results(
            _context(UNIQUE_IDS, ROWS_AS_REPORTED),
            KEY,
            {"2026-11-19": [tmp_path / "d1"], "2026-11-20": [tmp_path / "d2"]},
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


def test_only_selected_checks_run(tmp_path):
    _write(tmp_path / "d1", "a.parquet", ["1"])
    results = lake_check_results(
        _context(ROWS_AS_REPORTED), KEY, {"2026-11-19": [tmp_path / "d1"]}, {"2026-11-19": 1}
    )
    assert [r.check_name for r in results] == [ROWS_AS_REPORTED]
    assert lake_check_results(_context(), KEY, {"2026-11-19": [tmp_path / "d1"]}, {}) == []
