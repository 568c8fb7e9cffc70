"""Arrow schemas for lake files, derived from the catalog, and value coercion into them."""

from __future__ import annotations

import ast
import contextlib
import json
import math
from collections.abc import Callable, Iterable
from functools import cache

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from log_assets.catalog import (
    COMMON_COLUMNS,
    FLOAT,
    INT,
    LIST,
    LOCATION,
    LOCATION_PARTS,
    STRING,
    TIMESTAMP,
    Field,
    LogType,
)
from log_assets.jsonsafe import json_text
from log_assets.lake.colnames import admit, with_kept_in_raw
from log_assets.lake.limits import beyond_bound
from log_assets.lake.times import parse_time_us

UTC_TS = pa.timestamp("us", tz="UTC")
STRING_LIST = pa.list_(pa.string())

ARROW_TYPES = {
    STRING: pa.string(),
    INT: pa.int64(),
    FLOAT: pa.float64(),
    TIMESTAMP: UTC_TS,
    LIST: STRING_LIST,
    LOCATION: pa.string(),
}

# Received text that means "no value" in every typed column (raw keeps it as it came).
EMPTY_TEXT = ("", "[]", "None", "null", "NULL")

_COMMON_FIELDS = [
    pa.field("event_id", pa.string(), nullable=False),
    pa.field("event_time", UTC_TS, nullable=False),
    pa.field("vendor", pa.string(), nullable=False),
    pa.field("log_type", pa.string(), nullable=False),
    pa.field("raw", pa.string(), nullable=False),
    pa.field("ingested_at", UTC_TS, nullable=False),
]
assert tuple(f.name for f in _COMMON_FIELDS) == COMMON_COLUMNS


def typed_fields(lt: LogType) -> list[Field]:
    """The vendor fields that become typed columns (common column names are never shadowed)."""
    return [f for f in lt.fields if f.name not in COMMON_COLUMNS]


def part_columns(f: Field) -> list[str]:
    """The columns a field's parsed parts add beside it (`location_city`, ...)."""
    return [f"{f.name}_{p}" for p in LOCATION_PARTS] if f.type == LOCATION else []


@cache
def arrow_schema(lt: LogType) -> pa.Schema:
    fields = list(_COMMON_FIELDS)
    for f in typed_fields(lt):
        fields.append(pa.field(f.name, ARROW_TYPES[f.type]))
        fields += [pa.field(name, pa.string()) for name in part_columns(f)]
    return pa.schema(fields)


@cache
def known_columns(lt: LogType) -> frozenset[str]:
    """Every column name the catalog gives the type: a received field of another name is new."""
    return frozenset(arrow_schema(lt).names)


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _number_text(value: str) -> str | None:
    """A number column's text, stripped; None for the texts that mean no value (not a failure)."""
    s = value.strip()
    return None if s in EMPTY_TEXT or s.lower() in ("null", "none", "n/a", "-") else s


class Coercer:
    """Turns received values into column values, counting what could not be converted.

    A value that does not fit its column becomes NULL there; it is still in `raw`, and the count
    is reported in the run's metadata.
    """

    def __init__(self) -> None:
        self.failures = 0

    def __call__(self, value, type_: str):
        if value is None:
            return None
        if type_ in (STRING, LOCATION):
            if isinstance(value, str):
                return None if value.strip() in EMPTY_TEXT else value
            if isinstance(value, (dict, list)):
                return json.dumps(value, ensure_ascii=False, separators=(",", ":")) if value else None
            return json_text(value)
        if type_ == LIST:
            return parse_list(value)
        if type_ == TIMESTAMP:
            if isinstance(value, str) and value.strip() in EMPTY_TEXT:
                return None
            us = parse_time_us(value)
            if us is None:
                self.failures += 1
            return us
        if isinstance(value, bool):
            self.failures += 1
            return None
        if type_ == INT:
            return self._int(value)
        if type_ == FLOAT:
            return self._float(value)
        raise ValueError(f"unknown column type {type_!r}")

    def _float(self, value):
        f = math.nan  # not a number: a failure
        if isinstance(value, (int, float)):
            try:
                f = float(value)
            except OverflowError:  # an integer beyond any double
                f = math.inf
        elif isinstance(value, str):
            s = _number_text(value)
            if s is None:
                return None
            with contextlib.suppress(ValueError):
                f = float(s)
        if math.isfinite(f):
            return f
        self.failures += 1
        return None

    def _int(self, value):
        n = self._int_or_none(value)
        if n is not None and not INT64_MIN <= n <= INT64_MAX:
            self.failures += 1  # beyond a 64-bit column; the value is still in `raw`
            return None
        return n

    def _int_or_none(self, value):
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            if value.is_integer():
                return int(value)
            self.failures += 1
            return None
        if isinstance(value, str):
            s = _number_text(value)
            if s is None:
                return None
            try:
                return int(s)
            except ValueError:
                try:
                    f = float(s)
                except ValueError:
                    self.failures += 1
                    return None
                if f.is_integer():
                    return int(f)
        self.failures += 1
        return None


def _items(values) -> list[str] | None:
    out = []
    for v in values:
        if v is None:
            continue
        text = (
            v
            if isinstance(v, str)
            else json.dumps(v, ensure_ascii=False)
            if isinstance(v, (dict, list))
            else str(v)
        )
        text = text.strip()
        if text and text not in EMPTY_TEXT:
            out.append(text)
    return out or None


def parse_list(value) -> list[str] | None:
    """A list of strings from the shapes real records use: a JSON array (`["WR:Gambling"]`, also
    inside a string), a Python list written as a string (`['67521', 'All Users']`) or a comma list
    (`Alert, Blocked, DLP`). Empty (`[]`, `""`, `None`) is NULL."""
    if value is None:
        return None
    if isinstance(value, list):
        return _items(value)
    if not isinstance(value, str):
        return _items([value])
    s = value.strip()
    if s in EMPTY_TEXT:
        return None
    if s.startswith("[") and s.endswith("]"):
        try:
            parsed = orjson.loads(s)
        except orjson.JSONDecodeError:
            try:
                parsed = ast.literal_eval(s)  # a Python list's repr; literals only, nothing runs
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                parsed = None
        if isinstance(parsed, (list, tuple)):
            return _items(parsed)
        return _items(s[1:-1].split(","))
    return _items(s.split(","))


def location_parts(value) -> tuple[str | None, ...]:
    """`City||Region||Code||CC` (or fewer parts: `London||Eng`) -> its parts; other shapes (a JSON
    array such as `["Guest"]`) have none."""
    if not isinstance(value, str) or "||" not in value:
        return (None,) * len(LOCATION_PARTS)
    parts = [p.strip() or None for p in value.split("||")][: len(LOCATION_PARTS)]
    return tuple(parts + [None] * (len(LOCATION_PARTS) - len(parts)))


# Text the Coercer reads exactly as Arrow's cast does; anything else takes the Python path.
_INT_TEXT = r"^-?[0-9]{1,18}$"
_FLOAT_TEXT = r"^-?[0-9]{1,30}(\.[0-9]{1,30})?$"


def column_array(values: list, type_: str, coercer: Coercer) -> pa.Array:
    """One typed column from received values, with the Coercer's semantics.

    Fast paths first (Arrow converts values that already have the column's type; numbers sent as
    plain decimal text are cast in C++); any other value sends the whole column through the Coercer.
    """
    arrow_type = ARROW_TYPES[type_]
    if type_ == LIST:
        return _list_column(values)
    if type_ == TIMESTAMP:
        return pa.array(parse_distinct(values, lambda v: coercer(v, type_)), type=pa.int64()).cast(UTC_TS)
    if type_ in (STRING, LOCATION):
        try:
            text = pa.array(values, type=pa.string())
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            return pa.array([coercer(v, type_) for v in values], type=pa.string())
        return empty_as_null(text)
    try:
        if type_ == INT and any(v is True or v is False for v in values):
            raise pa.ArrowTypeError("booleans are not integers here")
        return pa.array(values, type=arrow_type)
    except (pa.ArrowTypeError, pa.ArrowInvalid, OverflowError):
        pass
    if type_ != STRING:
        try:
            text = pa.array(values, type=pa.string())  # numbers sent as text (CSV pages)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            text = None
        if text is not None:
            text = empty_as_null(text)
            if (
                pc.all(pc.match_substring_regex(text, _INT_TEXT if type_ == INT else _FLOAT_TEXT)).as_py()
                is not False
            ):
                return pc.cast(text, arrow_type)
    return pa.array([coercer(v, type_) for v in values], type=arrow_type)


def text_column(text: pa.Array, type_: str, coercer: Coercer, blanked: pa.Array | None = None) -> pa.Array:
    """`column_array` of values that are all text (or missing), given as an Arrow string array:
    the same column and the same coercion failures, without a Python object per value where
    Arrow's kernels decide alike. LIST and TIMESTAMP columns are the caller's (per distinct value).
    `blanked`: `empty_as_null(text)` if the caller has it already."""
    arrow_type = ARROW_TYPES[type_]
    if blanked is None:
        blanked = empty_as_null(text)
    if type_ in (STRING, LOCATION):
        return blanked
    if type_ not in (INT, FLOAT):
        raise ValueError(f"text_column does not build {type_!r} columns")
    if text.null_count == len(text):
        return pa.nulls(len(text), arrow_type)
    pattern = _INT_TEXT if type_ == INT else _FLOAT_TEXT
    if pc.all(pc.match_substring_regex(blanked, pattern)).as_py() is not False:
        return pc.cast(blanked, arrow_type)
    return pa.array([coercer(v, type_) for v in text.to_pylist()], type=arrow_type)


@cache
def _empty_texts() -> pa.Array:
    # Built on first use: the first pa.array of a process loads pyarrow's pandas support (pandas itself).
    return pa.array(EMPTY_TEXT, pa.string())


def empty_as_null(text: pa.Array) -> pa.Array:
    """Text columns hold NULL, never '' or '[]', for an empty value."""
    blank = pc.is_in(pc.utf8_trim_whitespace(text), value_set=_empty_texts())
    if not pc.any(blank).as_py():
        return text
    return pc.if_else(blank, pa.scalar(None, pa.string()), text)


def parse_distinct(values: list, parse: Callable) -> list:
    """parse(v) of every value, each distinct text parsed once (a page repeats its seconds, categories)."""
    seen: dict = {}
    out = []
    for v in values:
        if type(v) is str:
            got = seen.get(v, seen)
            if got is seen:
                got = seen[v] = parse(v)
            out.append(got)
        else:
            out.append(parse(v))
    return out


def _list_column(values: list) -> pa.Array:
    return pa.array(parse_distinct(values, parse_list), type=STRING_LIST)


def typed_columns(lt: LogType, records: list[dict], coercer: Coercer) -> dict[str, pa.Array]:
    """The typed columns of a log type from received records (dicts), column by column."""
    out: dict[str, pa.Array] = {}
    for f in typed_fields(lt):
        values = [r.get(f.name) for r in records]
        out[f.name] = column_array(values, f.type, coercer)
        if f.type == LOCATION:
            parts = parse_distinct(values, location_parts)
            for i, name in enumerate(part_columns(f)):
                out[name] = pa.array([p[i] for p in parts], type=pa.string())
    return out


def new_field_columns(
    lt: LogType, records: list[dict], coercer: Coercer
) -> tuple[dict[str, pa.Array], dict[str, str]]:
    """Columns for the top-level fields the catalog does not know (schema evolution): text, under the
    field's own name, beside the catalog's columns; and the fields that cannot be columns (see
    `colnames.admit`: their values stay in `raw`), each with the reason."""
    known = known_columns(lt)
    found: set[str] = set()
    for r in records:
        if not r.keys() <= known:
            found.update(k for k in r if k not in known)
    usable, kept = new_column_names(lt, found)
    return {name: column_array([r.get(name) for r in records], STRING, coercer) for name in usable}, kept


def new_column_names(lt: LogType, found: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """Of received field names the catalog does not know: those that become columns (in name order)
    and why each of the others stays in `raw` only."""
    names = sorted(found, key=str)
    if not names:
        return [], {}
    usable, kept = admit(known_columns(lt), names)
    # No table takes more new-field columns than the bound (lake/limits.py), so a page need not build
    # more: a burst of thousands of names costs a column each on every page otherwise.
    usable, beyond = beyond_bound((), usable)
    return usable, {**kept, **beyond}


def build_table(lt: LogType, rows: list[dict], coercer: Coercer) -> pa.Table:
    """Rows hold the common columns plus `fields` (the received record as a dict)."""
    columns = {name: [r[name] for r in rows] for name in COMMON_COLUMNS}
    records = [r["fields"] for r in rows]
    columns.update(typed_columns(lt, records, coercer))
    return with_new_fields(pa.Table.from_pydict(columns, schema=arrow_schema(lt)), lt, records, coercer)


def with_new_fields(table: pa.Table, lt: LogType, records: list[dict], coercer: Coercer) -> pa.Table:
    """The table with a text column appended for each field the catalog does not know (the fields
    that cannot be columns are named in its `kept_in_raw`)."""
    columns, kept = new_field_columns(lt, records, coercer)
    for name, column in columns.items():
        table = table.append_column(pa.field(name, pa.string()), column)
    return with_kept_in_raw(table, kept)


def is_current(schema: pa.Schema, lt: LogType) -> bool:
    """A file's schema is the catalog's for the type, followed by text columns for new fields only."""
    catalog = arrow_schema(lt)
    n = len(catalog)
    if len(schema) < n or not pa.schema(list(schema)[:n]).equals(catalog, check_metadata=False):
        return False
    known = known_columns(lt)
    return all(f.name not in known and f.type == pa.string() for f in list(schema)[n:])


def new_fields(table: pa.Table, lt: LogType) -> list[str]:
    """The columns of a lake table that the catalog does not give its type."""
    known = known_columns(lt)
    return [n for n in table.column_names if n not in known]
