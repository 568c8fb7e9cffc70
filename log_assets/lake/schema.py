"""Arrow schemas for lake files, derived from the catalog, and value coercion into them."""

from __future__ import annotations

import json
import math
from functools import lru_cache

import pyarrow as pa

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


@lru_cache(maxsize=None)
def arrow_schema(lt: LogType) -> pa.Schema:
    return pa.schema(_COMMON_FIELDS + [pa.field(f.name, ARROW_TYPES[f.type]) for f in typed_fields(lt)])


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
        if type_ == FLOAT:
            if isinstance(value, (int, float)):
                return float(value)
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


def build_table(lt: LogType, rows: list[dict], coercer: Coercer) -> pa.Table:
    """Rows hold the common columns plus `fields` (the received record as a dict)."""
    schema = arrow_schema(lt)
    columns = {name: [r[name] for r in rows] for name in COMMON_COLUMNS}
    for f in typed_fields(lt):
        name, type_ = f.name, f.type
        values = [r["fields"].get(name) for r in rows]
        try:
            # Fast path: Arrow converts a column whose values already have the right type.
            if type_ == INT and any(v is True or v is False for v in values):
                raise pa.ArrowTypeError("booleans are not integers here")
            columns[name] = pa.array(values, type=ARROW_TYPES[type_])
        except (pa.ArrowTypeError, pa.ArrowInvalid, OverflowError):
            columns[name] = pa.array([coercer(v, type_) for v in values], type=ARROW_TYPES[type_])
    return pa.Table.from_pydict(columns, schema=schema)
