"""Forcepoint pages -> Arrow by compiled code (numpy, Arrow's CSV reader and compute kernels).

The walk's fast path. It reads the pages real tenants send — every record an object with the same
keys in the same order, its values strings (or numbers and nulls: those columns are typed the
careful way) — and gives exactly the rows, values, `raw` bytes, rejections and coercion counts of
the careful path (`parse.parse_records` + `build_table`). What it cannot prove it reads the same
way (an object or an array among the values, keys that differ between records, a record to
quarantine, quoting Python's csv module might read otherwise, JSON text that is not what orjson
writes) makes it return None: the page is then read the careful way, where a record that cannot
land is quarantined with its text.

JSON: the records' text — the answer's own bytes when they are what orjson writes for the records
(`read_json_body`: no whitespace, no escapes orjson would not write, ...), else the records written
by orjson once (which `raw` is anyway) — is located by numpy: the unescaped quotes give every key
and value, checked against the exact shape `{"k":"v",...}`, and each column is an Arrow view of
those bytes. The few values holding an escape are decoded by orjson. CSV: Arrow's CSV reader,
after a check that the page's quoting reads the same in Python's csv module; `raw` is assembled
from the values by Arrow's string kernels, byte for byte what orjson writes for the record.

The parts: `nativejson` (JSON text located), `nativecsv` (Arrow's CSV reader, `raw` of a CSV row),
`nativetimes` (times), `arrowtext` (Arrow string arrays at the byte level); here, a page's table.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from log_assets.catalog import FORCEPOINT, LIST, LOCATION, STRING, TIMESTAMP, LogType
from log_assets.forcepoint.arrowtext import blank_as_null, map_distinct, same_data
from log_assets.forcepoint.nativecsv import CsvRecords, csv_raw, read_csv
from log_assets.forcepoint.nativejson import JsonRecords, locate, raw_views, read_json_body, record_columns
from log_assets.forcepoint.nativetimes import times_us
from log_assets.forcepoint.pagetable import PageTable
from log_assets.lake.colnames import with_kept_in_raw
from log_assets.lake.schema import (
    STRING_LIST,
    UTC_TS,
    Coercer,
    arrow_schema,
    column_array,
    known_columns,
    location_parts,
    new_column_names,
    parse_distinct,
    parse_list,
    part_columns,
    text_column,
    typed_fields,
)
from log_assets.lake.times import MAX_US, MIN_US, parse_time_us

# What the client reads a page with (`native.read_json_body`, `native.read_csv`) and what it holds.
__all__ = ["CsvRecords", "JsonRecords", "parse_csv_records", "parse_json_records", "read_csv", "read_json_body"]


def parse_json_records(lt: LogType, records, ingested_us: int, ids, coercer: Coercer):
    """A JSON page's records -> PageTable, or None (see the module's docstring). `records`: the
    page as read from its body (JsonRecords), or dicts (their text is then written by orjson)."""
    if isinstance(records, JsonRecords):
        loc = records.located
        columns, big = records.columns
        return _page_table(lt, columns, raw_views(loc), loc.n, ingested_us, ids, coercer, records._list, big)
    n = len(records)
    if n == 0 or type(records) is not list or not all(type(r) is dict for r in records):
        return None
    keys = list(records[0])
    if not keys or not all(list(r) == keys for r in records):
        return None
    if any(('"' in k or "\\" in k or not k.isprintable()) for k in keys):
        return None
    try:
        raws = [orjson.dumps(r) for r in records]
    except TypeError:
        return None
    buf = b"".join(raws)
    lens = np.fromiter(map(len, raws), np.int64, n)
    ends = np.cumsum(lens)
    starts = ends - lens
    loc = locate(buf, np.frombuffer(buf, np.uint8), starts, ends, keys)
    if loc is None:
        return None
    offsets = np.zeros(n + 1, np.int32)
    offsets[1:] = ends
    raw = pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(buf)])
    columns, big = record_columns(loc, False, records)
    return _page_table(lt, columns, raw, n, ingested_us, ids, coercer, lambda: records, big)


def parse_csv_records(lt: LogType, records: CsvRecords, ingested_us: int, ids, coercer: Coercer):
    """A CSV page read by Arrow -> PageTable, or None (see the module's docstring)."""
    table = records.table
    n = table.num_rows
    big = pa.concat_arrays([c.combine_chunks() for c in table.columns])
    columns: dict[str, pa.Array | list] = {name: big.slice(i * n, n) for i, name in enumerate(table.column_names)}
    return _page_table(
        lt, columns, csv_raw(table, big), n, ingested_us, ids, coercer, lambda: table.to_pylist(), big
    )


def _page_table(
    lt: LogType,
    columns: dict[str, pa.Array | list],
    raw: pa.Array,
    n: int,
    ingested_us: int,
    ids,
    coercer: Coercer,
    as_dicts: Callable[[], list],
    big: pa.Array | None = None,
):
    """The page's table from its columns (Arrow string arrays, slices of `big`, or Python values)."""
    # Every record lands, or the careful path decides which are quarantined and why.
    tcol = columns.get(lt.time_field)
    if not isinstance(tcol, pa.Array):
        return None
    times, present = times_us(tcol, parse_time_us)
    if not present.all() or not ((times >= MIN_US) & (times < MAX_US)).all():
        return None
    eids = None
    if lt.key_fields:
        first = columns.get(lt.key_fields[0])
        if isinstance(first, pa.Array) and pc.all(pc.greater(pc.binary_length(first), 0)).as_py():
            eids = first
    if eids is None:
        got = [ids(r) for r in as_dicts()]
        if None in got:
            return None
        eids = pa.array(got, pa.string())
    before = coercer.failures
    blanked = blank_as_null(big) if big is not None else None

    def blank(col: pa.Array) -> pa.Array:
        # The column's slice of the blanked array (the same positions as its slice of `big`).
        if blanked is None or big is None or not same_data(col, big):
            return blank_as_null(col)
        return blanked.slice(col.offset - big.offset, len(col))

    out: dict[str, pa.Array] = {
        "event_id": eids,
        "event_time": pa.array(times, pa.int64()).cast(UTC_TS),
        "vendor": pa.repeat(pa.scalar(FORCEPOINT), n),
        "log_type": pa.repeat(pa.scalar(lt.name), n),
        "raw": raw,
        "ingested_at": pa.array(np.full(n, ingested_us, np.int64)).cast(UTC_TS),
    }
    for f in typed_fields(lt):
        col = columns.get(f.name)
        if col is None:
            out[f.name] = pa.nulls(n, arrow_schema(lt).field(f.name).type)
            for name in part_columns(f):
                out[name] = pa.nulls(n, pa.string())
            continue
        if isinstance(col, list):  # not all text: the careful column
            out[f.name] = column_array(col, f.type, coercer)
            if f.type == LOCATION:
                parts = parse_distinct(col, location_parts)
                for i, name in enumerate(part_columns(f)):
                    out[name] = pa.array([p[i] for p in parts], type=pa.string())
            continue
        if f.type == LIST:
            out[f.name] = map_distinct(col, parse_list, STRING_LIST)
        elif f.type == TIMESTAMP:
            values, ok = times_us(col, lambda v: coercer(v, TIMESTAMP))
            out[f.name] = pa.array(values, pa.int64(), mask=~ok).cast(UTC_TS)
        else:
            out[f.name] = text_column(col, f.type, coercer, blank(col))
        if f.type == LOCATION:
            parts = map_distinct(col, location_parts, pa.list_(pa.string()))
            for i, name in enumerate(part_columns(f)):
                out[name] = pc.list_element(parts, i)
    schema = arrow_schema(lt)
    table = pa.Table.from_arrays([out[f.name] for f in schema], schema=schema)
    known = known_columns(lt)
    usable, kept = new_column_names(lt, (k for k in columns if k not in known))
    for name in usable:
        col = columns[name]
        new = column_array(col, STRING, coercer) if isinstance(col, list) else blank(col)
        table = table.append_column(pa.field(name, pa.string()), new)
    return PageTable(with_kept_in_raw(table, kept), [], coercer.failures - before)
