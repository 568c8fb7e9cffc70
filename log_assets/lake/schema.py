"""Arrow schemas for lake files, derived from the catalog, and value coercion into them."""

from __future__ import annotations

import json
import math
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from log_assets.catalog import COMMON_COLUMNS, FLOAT, INT, STRING, LogType

UTC_TS = pa.timestamp("us", tz="UTC")

ARROW_TYPES = {STRING: pa.string(), INT: pa.int64(), FLOAT: pa.float64()}
DUCKDB_TYPES = {STRING: "VARCHAR", INT: "BIGINT", FLOAT: "DOUBLE"}

_COMMON_FIELDS = [
    pa.field("event_id", pa.string(), nullable=False),
    pa.field("event_time", UTC_TS, nullable=False),
    pa.field("vendor", pa.string(), nullable=False),
    pa.field("log_type", pa.string(), nullable=False),
    pa.field("raw", pa.string(), nullable=False),
    pa.field("ingested_at", UTC_TS, nullable=False),
]
assert tuple(f.name for f in _COMMON_FIELDS) == COMMON_COLUMNS


def typed_fields(lt: LogType):
    """The vendor fields that become typed columns (common column names are never shadowed)."""
    return [f for f in lt.fields if f.name not in COMMON_COLUMNS]


@cache
def arrow_schema(lt: LogType) -> pa.Schema:
    return pa.schema(_COMMON_FIELDS + [pa.field(f.name, ARROW_TYPES[f.type]) for f in typed_fields(lt)])


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


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
        if type_ == STRING:
            if isinstance(value, str):
                return value
            if isinstance(value, (dict, list)):
                return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            return str(value)
        if isinstance(value, bool):
            self.failures += 1
            return None
        if type_ == INT:
            return self._int(value)
        if type_ == FLOAT:
            if isinstance(value, (int, float)):
                try:
                    f = float(value)
                except OverflowError:  # an integer beyond any double
                    f = math.inf
                if math.isfinite(f):
                    return f
                self.failures += 1
                return None
            if isinstance(value, str):
                s = value.strip()
                if not s or s.lower() in ("null", "none", "n/a", "-"):
                    return None
                try:
                    f = float(s)
                except ValueError:
                    self.failures += 1
                    return None
                if math.isfinite(f):
                    return f
            self.failures += 1
            return None
        raise ValueError(f"unknown column type {type_!r}")

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
            s = value.strip()
            if not s or s.lower() in ("null", "none", "n/a", "-"):
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


# Text the Coercer reads exactly as Arrow's cast does; anything else takes the Python path.
_INT_TEXT = r"^-?[0-9]{1,18}$"
_FLOAT_TEXT = r"^-?[0-9]{1,30}(\.[0-9]{1,30})?$"


def column_array(values: list, type_: str, coercer: Coercer) -> pa.Array:
    """One typed column from received values, with the Coercer's semantics.

    Fast paths first (Arrow converts values that already have the column's type; numbers sent as
    plain decimal text are cast in C++); any other value sends the whole column through the Coercer.
    """
    arrow_type = ARROW_TYPES[type_]
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
            text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
            if (
                pc.all(pc.match_substring_regex(text, _INT_TEXT if type_ == INT else _FLOAT_TEXT)).as_py()
                is not False
            ):
                return pc.cast(text, arrow_type)
    return pa.array([coercer(v, type_) for v in values], type=arrow_type)


def typed_columns(lt: LogType, records: list[dict], coercer: Coercer) -> dict[str, pa.Array]:
    """The typed columns of a log type from received records (dicts), column by column."""
    return {f.name: column_array([r.get(f.name) for r in records], f.type, coercer) for f in typed_fields(lt)}


def build_table(lt: LogType, rows: list[dict], coercer: Coercer) -> pa.Table:
    """Rows hold the common columns plus `fields` (the received record as a dict)."""
    schema = arrow_schema(lt)
    columns = {name: [r[name] for r in rows] for name in COMMON_COLUMNS}
    columns.update(typed_columns(lt, [r["fields"] for r in rows], coercer))
    return pa.Table.from_pydict(columns, schema=schema)
