"""Which names can become columns: as Iceberg (case-sensitive field names), Parquet (pyiceberg writes
a name as its Avro-compatible form: `a.b` as `a_x2Eb`, `sp ace` as `sp_x20ace`) and DuckDB (identifiers
are case-insensitive) will each hold them.

A field the catalog does not know becomes a text column under its own name (schema evolution) unless
its name cannot be one: empty, too long, a name the lake keeps for its own columns, or one that would
collide with a column the table has (or another new one of the same batch, the first in name order
winning) in any of the three. Such a field stays in `raw` only, and is reported: the reasons travel
with the table (`kept_in_raw`) to the run's metadata.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache

import pyarrow as pa

from log_assets.catalog import COMMON_COLUMNS

MAX_NAME = 128
# Column names of the lake's own (any case): a field of such a name stays in raw.
# The column the lake adds to every table: the UTC day of `event_time`, the tables' partition (also the
# warehouse's). Here, where nothing heavy is loaded with it.
DAY_COLUMN = "event_day"
RESERVED = frozenset({*COMMON_COLUMNS, "date", DAY_COLUMN})
# The schema metadata key under which a table carries the fields it kept in raw only.
KEPT_KEY = b"log_assets.kept_in_raw"


@lru_cache(maxsize=65536)
def parquet_name(name: str) -> str:
    """The name pyiceberg gives the column in the Parquet files it writes (pyiceberg imported on first
    use: loading the definitions leaves it to the runs that write)."""
    from pyiceberg.schema import make_compatible_name

    return make_compatible_name(name) if name else name


def shown(name: object, limit: int = 60) -> str:
    """A name as messages show it: quoted (an empty or blank one is visible), long ones cut."""
    text = json.dumps(name if isinstance(name, str) else str(name), ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 2] + '…"'


def field_name_problem(name: object) -> str | None:
    """Why a received field's name cannot be a column whatever the table holds, or None."""
    if not isinstance(name, str):
        return "not a text name"
    if not name:
        return "an empty name"
    if len(name) > MAX_NAME:
        return f"longer than {MAX_NAME} characters"
    if not name.isprintable():
        return "holds a control character"
    if name.strip() != name:
        return "begins or ends with a blank"
    if name.startswith(("_", ".")):
        return "begins with '_' or '.'"
    if name.lower() in RESERVED:
        return f"a name reserved for the lake's own columns ({name.lower()}, in any case)"
    return None


def parquet_clash(name: str, other: str) -> str:
    """Why `name` cannot be a column beside `other`: pyiceberg writes both under one Parquet name."""
    return f"written to Parquet as {shown(parquet_name(name))}, like the column {shown(other)}"


class ColumnNames:
    """The names a table's columns take in Iceberg, Parquet and DuckDB, to tell whether one more
    name would collide with any of them."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._keys: dict[str, str] = {}
        for n in names:
            self.add(n)

    def clash(self, name: str) -> str | None:
        """Why `name` cannot be added beside the names held, or None."""
        parquet = parquet_name(name)
        for key in (name.lower(), parquet.lower()):
            other = self._keys.get(key)
            if other is None:
                continue
            if parquet_name(other) == parquet:
                return parquet_clash(name, other)
            if other.lower() == name.lower():
                return f"the same name as the column {shown(other)} in the warehouse (case-insensitive there)"
            return (
                f"the same name as the column {shown(other)} in the warehouse once written to Parquet "
                f"(as {shown(parquet)} and {shown(parquet_name(other))})"
            )
        return None

    def add(self, name: str) -> None:
        for key in {name.lower(), parquet_name(name).lower()}:
            self._keys.setdefault(key, name)


def admit(existing: Iterable[str], new: Iterable[str], *, fields: bool = True) -> tuple[list[str], dict[str, str]]:
    """Of the `new` names (in their order), those that can be columns beside `existing` and each
    other, and the reason each of the rest cannot. With `fields`, the names are received fields
    (the rules of `field_name_problem` apply too); else a table's columns (only collisions count)."""
    held = ColumnNames(existing)
    ok: list[str] = []
    kept: dict[str, str] = {}
    for name in new:
        reason = field_name_problem(name) if fields else ("an empty name" if not name else None)
        if reason is None:
            reason = held.clash(name)
        if reason is None:
            ok.append(name)
            held.add(name)
        else:
            kept[name] = reason
    return ok, kept


def colliding_fields(names: Iterable[str]) -> dict[str, str]:
    """Of a table's column names (oldest first), those written to Parquet under the same name as an
    earlier one (pyiceberg cannot write a file of such a schema), each with the earlier one."""
    seen: dict[str, str] = {}
    out: dict[str, str] = {}
    for name in names:
        key = parquet_name(name)
        if key in seen:
            out[name] = seen[key]
        else:
            seen[key] = name
    return out


def own_names(names: Iterable[str]) -> dict[str, str]:
    """Parquet name -> column name, for a table's columns (oldest first) whose Parquet names differ
    from their own (`a_x2Eb` -> `a.b`); of two of one Parquet name, the older."""
    out: dict[str, str] = {}
    for name in names:
        stored = parquet_name(name)
        if stored != name:
            out.setdefault(stored, name)
    return out


def kept_in_raw(table: pa.Table | pa.Schema) -> dict[str, str]:
    """The fields a table's records carry that are not columns of it (name -> why)."""
    schema = table if isinstance(table, pa.Schema) else table.schema
    raw = (schema.metadata or {}).get(KEPT_KEY)
    return json.loads(raw) if raw else {}


def with_kept_in_raw(table: pa.Table, kept: Mapping[str, str]) -> pa.Table:
    """`table` carrying `kept` (see `kept_in_raw`) in its schema's metadata."""
    if not kept:
        return table
    meta = dict(table.schema.metadata or {})
    meta[KEPT_KEY] = json.dumps({**kept_in_raw(table), **kept}, ensure_ascii=False, sort_keys=True).encode()
    return table.replace_schema_metadata(meta)


def add_described(entries: list[str], kept: Mapping[str, str]) -> list[str]:
    """The `"name" (why)` entries of `kept` for names `entries` (such entries) does not name yet."""
    named = {e[: e.find('" (') + 1] for e in entries if '" (' in e}  # `"name"`: shown() quotes it
    return [f"{shown(n)} ({why})" for n, why in sorted(kept.items()) if shown(n) not in named]


def summary(kept: Mapping[str, str], per_reason: int = 20) -> str:
    """`kept` for a log line: grouped by reason, at most `per_reason` names each and how many more."""
    by_reason: dict[str, list[str]] = {}
    for n, why in sorted(kept.items()):
        by_reason.setdefault(why, []).append(shown(n))
    parts = []
    for why, names in by_reason.items():
        more = f" and {len(names) - per_reason} more" if len(names) > per_reason else ""
        parts.append(f"{', '.join(names[:per_reason])}{more} ({why})")
    return "; ".join(parts)
