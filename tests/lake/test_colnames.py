"""New columns whose names would collide in Parquet (pyiceberg's escaped names), Iceberg or DuckDB
(case-insensitive): refused before the schema changes, the rows landing without them; a table whose
schema already holds two such columns is repaired by the next write."""

from __future__ import annotations

import logging

import pyarrow as pa
import pytest
from pyiceberg.types import StringType

from log_assets.lake.lake import Lake
from log_assets.storage import Storage
from tests.lake.test_iceberg import D1, D2, D3, ids, rows


@pytest.fixture
def lake(tmp_path):
    lake = Lake.open(f"sqlite:///{tmp_path / 'log_assets.db'}", Storage.from_url(tmp_path / "root"))
    yield lake
    lake.close()


def _with(table: pa.Table, **columns: str) -> pa.Table:
    for name, value in columns.items():
        table = table.append_column(pa.field(name, pa.string()), pa.array([value] * table.num_rows, pa.string()))
    return table


def _write(lake: Lake, table: pa.Table) -> dict[str, str]:
    days = set(table.column("event_time").cast(pa.date32()).to_pylist())
    with lake.writer("forcepoint", "access", days) as w:
        w.add(table)
        w.commit("replace")
    return w.kept_in_raw


def _columns(lake: Lake) -> list[str]:
    tbl = lake.table("forcepoint", "access")
    assert tbl is not None
    return [f.name for f in tbl.schema().fields]


def test_a_column_written_to_parquet_like_another_is_refused_and_its_rows_land(lake, caplog):
    assert _write(lake, _with(rows(D1, ["a"]), **{"a.b": "dotted", "sp ace": "spaced"})) == {}
    caplog.set_level(logging.WARNING)
    # Pages parsed apart: each name alone is a fine column, but `a_x2Eb` is how `a.b` is written.
    kept = _write(lake, _with(rows(D2, ["b"]), a_x2Eb="escaped", sp_x20ace="escaped too", fresh="new"))
    assert set(kept) == {"a_x2Eb", "sp_x20ace"}
    assert 'written to Parquet as "a_x2Eb", like the column "a.b"' in kept["a_x2Eb"]
    assert "a_x2Eb" in caplog.text and "forcepoint.access" in caplog.text and "raw" in caplog.text
    cols = _columns(lake)
    assert "a_x2Eb" not in cols and "sp_x20ace" not in cols and "fresh" in cols
    got = lake.read_days("forcepoint", "access").sort_by("event_id")
    assert ids(got) == ["a", "b"]
    assert got.column("a.b").to_pylist() == ["dotted", None]
    assert got.column("fresh").to_pylist() == [None, "new"]
    # Later writes, with or without the refused column, still land.
    _write(lake, rows(D3, ["c"]))
    _write(lake, _with(rows(D3, ["d"]), a_x2Eb="again"))
    assert ids(lake.read_days("forcepoint", "access")) == ["a", "b", "d"]


def test_case_twins_are_refused_as_the_warehouse_cannot_hold_them(lake):
    _write(lake, _with(rows(D1, ["a"]), Foo="x"))
    kept = _write(lake, _with(rows(D2, ["b"]), foo="y", FOO="z", USER="u"))
    assert set(kept) == {"foo", "FOO", "USER"}
    assert "case-insensitive" in kept["USER"]
    assert [c for c in _columns(lake) if c.lower() in ("foo", "user")] == ["user", "Foo"]


def test_colliding_names_of_one_batch_keep_the_first(lake):
    kept = _write(lake, _with(rows(D1, ["a"]), **{"x.y": "1", "x_x2Ey": "2", "Bar": "3", "bar": "4"}))
    assert set(kept) == {"x_x2Ey", "bar"}
    cols = _columns(lake)
    assert "x.y" in cols and "Bar" in cols and "x_x2Ey" not in cols and "bar" not in cols


def test_a_table_whose_schema_already_holds_both_is_repaired_by_the_next_write(lake, caplog):
    _write(lake, rows(D1, ["a"]))
    tbl = lake.table("forcepoint", "access")
    assert tbl is not None
    # What earlier versions did: both columns added, after which pyiceberg could write no file.
    with tbl.update_schema() as upd:
        upd.add_column(("a.b",), StringType())
        upd.add_column(("a_x2Eb",), StringType())
    caplog.set_level(logging.WARNING)
    kept = _write(lake, _with(rows(D2, ["b"]), **{"a.b": "dotted"}))
    assert "a_x2Eb" in kept
    assert "dropped the column" in caplog.text and '"a_x2Eb"' in caplog.text and '"a.b"' in caplog.text
    assert "forcepoint.access" in caplog.text
    assert "a_x2Eb" not in _columns(lake)
    got = lake.read_days("forcepoint", "access").sort_by("event_id")
    assert ids(got) == ["a", "b"] and got.column("a.b").to_pylist() == [None, "dotted"]
    _write(lake, rows(D3, ["c"]))
    assert ids(lake.read_days("forcepoint", "access")) == ["a", "b", "c"]


def test_a_column_the_catalog_gives_the_type_is_never_refused(lake):
    # A table from before the catalog typed `orgid`, holding a new field `OrgID` (its case twin).
    full = rows(D1, ["a"])
    older = full.drop_columns(["orgid"]).append_column(pa.field("OrgID", pa.string()), pa.array(["o"]))
    assert _write(lake, older) == {}
    assert _write(lake, rows(D2, ["b"])) == {}
    cols = _columns(lake)
    assert "orgid" in cols and "OrgID" in cols
    assert ids(lake.read_days("forcepoint", "access")) == ["a", "b"]


def test_new_columns_past_the_bound_are_kept_in_raw_and_named(lake, caplog):
    """A burst of new field names: the table takes MAX_NEW_COLUMNS of them (name order, the ones it has
    first), the rest are refused before the schema changes, named with the reason, and their rows land."""
    from log_assets.lake.limits import BEYOND_LIMIT, MAX_NEW_COLUMNS

    first = {f"f{i:05d}": "x" for i in range(MAX_NEW_COLUMNS - 2)}
    assert _write(lake, _with(rows(D1, ["a"]), **first)) == {}
    caplog.set_level(logging.WARNING)
    burst = {f"g{i:05d}": "y" for i in range(5)}
    kept = _write(lake, _with(rows(D2, ["b"]), **burst))
    assert kept == {f"g{i:05d}": BEYOND_LIMIT for i in (2, 3, 4)}
    columns = _columns(lake)
    assert {"g00000", "g00001"} <= set(columns) and not {"g00002", "g00003", "g00004"} & set(columns)
    assert ids(lake.read_days("forcepoint", "access")) == ["a", "b"]
    assert '"g00002", "g00003", "g00004" (past the bound' in caplog.text


def test_a_field_already_named_is_not_named_again_whatever_its_reason_says():
    """A walk resumed in another run names each field kept in raw once: reasons hold ' (' themselves."""
    from log_assets.lake.colnames import add_described
    from log_assets.lake.limits import BEYOND_LIMIT

    kept = {"g00002": BEYOND_LIMIT, "RAW": "a name reserved for the lake's own columns (raw, in any case)"}
    entries = add_described([], kept)
    assert len(entries) == 2
    assert add_described(entries, kept) == []
    assert add_described(entries, {**kept, "fresh": "an empty name"}) == ['"fresh" (an empty name)']
