"""A log type's rows in analytics.events: the SELECT list that maps its columns to the normalized names.

A cataloged type is mapped from its catalog entry (`LogType.event_columns`, `LogType.events`), unless
sql/events.sql has a section named for it (a type that needs more than fields: a condition, a
computed value); a type the catalog does not know is read from `raw` by its vendor's `<vendor>.*`
section (derive.define_events_view chooses).
"""

from __future__ import annotations

from collections.abc import Callable

from log_assets.catalog import LIST, LogType
from log_assets.warehouse.sqlfiles import ident, literal, sections, sql

# The columns a mapping may provide, with their types (a column it leaves out is NULL). Text columns
# are trimmed and an empty value is NULL (tables.sql events_text_column).
EVENT_MAPPED_COLUMNS = (
    ("event_class", "VARCHAR"),
    ("user_name", "VARCHAR"),
    ("user_email", "VARCHAR"),
    ("src_ip", "VARCHAR"),
    ("app_name", "VARCHAR"),
    ("action", "VARCHAR"),
    ("activity_name", "VARCHAR"),
    ("object_name", "VARCHAR"),
    ("url", "VARCHAR"),
    ("domain", "VARCHAR"),
    ("category", "VARCHAR"),
    ("http_method", "VARCHAR"),
    ("response_code", "INTEGER"),
    ("severity", "DOUBLE"),
    ("bytes_out", "BIGINT"),
    ("bytes_in", "BIGINT"),
)
_ORDER = {name: i for i, (name, _) in enumerate(EVENT_MAPPED_COLUMNS)}
_FROM_FIELDS = set(_ORDER) - {"event_class"}  # event_class comes from Events.event_class


def section_name(lt: LogType) -> str:
    return f"{lt.vendor}.{lt.name}"


def entry_mapping(lt: LogType) -> str:
    """The SELECT list (`expr AS column, ...`) of a type mapped by its catalog entry."""
    return ",\n".join(f"{expr} AS {ident(column)}" for column, expr in expressions(lt))


def from_section(lt: LogType) -> bool:
    """Whether a cataloged type is mapped by its own section of sql/events.sql, not by its entry."""
    return section_name(lt) in sections("events")


def expressions(lt: LogType, name: Callable[[str], str] = ident) -> list[tuple[str, str]]:
    """(column, SQL expression) of a type mapped from its catalog entry, event_class first; `name`
    writes a field's name (quoted by default)."""
    unknown = sorted(set(lt.event_columns()) - _FROM_FIELDS)
    if unknown:
        raise ValueError(
            f"catalog: {lt.vendor} log type {lt.name!r}: its events mapping names columns analytics.events "
            f"does not have: {', '.join(unknown)} (known: {', '.join(sorted(_FROM_FIELDS))}); "
            "fix log_assets/catalog.py"
        )
    event_class = literal(lt.events.event_class)
    if lt.events.dlp_field is not None:
        case = sql("tables", "events_dlp_class", field=name(lt.events.dlp_field), otherwise=event_class)
        event_class = " ".join(line for line in case.splitlines() if not line.lstrip().startswith("--"))
    types = {f.name: f.type for f in lt.fields}
    out = [("event_class", event_class)]
    mapped = lt.event_columns()
    for column, fields in sorted(mapped.items(), key=lambda item: _ORDER[item[0]]):
        if len(fields) == 1:
            out.append((column, _value(name(fields[0]), types[fields[0]], alone=True)))
        else:
            out.append((column, f"coalesce({', '.join(_value(name(f), types[f], alone=False) for f in fields)})"))
    return out


def _value(field: str, type_: str, alone: bool) -> str:
    """A field as text or its own type; a list joined with ', ' (NULL when empty, where another field
    may follow it)."""
    if type_ != LIST:
        return field
    joined = f"array_to_string({field}, ', ')"
    return joined if alone else f"nullif({joined}, '')"
