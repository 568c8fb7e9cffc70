"""Named SQL statements from `sql/*.sql`.

A file holds sections, each starting with a `-- name: <name>` line. `@{name}` marks a place for an
identifier or SQL fragment the code fills in (quoted by the caller); values go in as DuckDB
parameters (`$name`), never as text.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_NAME = re.compile(r"^-- name: (\S+)\s*$", re.MULTILINE)
_SLOT = re.compile(r"@\{(\w+)\}")


@cache
def sections(file: str, package: str = "log_assets.warehouse") -> dict[str, str]:
    """The sections of `sql/<file>.sql` in `package` (the warehouse's, or another such as log_assets.ocsf)."""
    text = resources.files(package).joinpath("sql", f"{file}.sql").read_text()
    parts = _NAME.split(text)
    # parts = [preamble, name1, body1, name2, body2, ...]
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def sql(file: str, section: str, /, **slots: str) -> str:
    """The statement `section` of `sql/<file>.sql` with its `@{...}` slots filled."""
    try:
        text = sections(file)[section]
    except KeyError:
        raise KeyError(f"no section {section!r} in sql/{file}.sql") from None
    return fill(text, f"sql/{file}.sql {section}", **slots)


def fill(text: str, where: str, /, **slots: str) -> str:
    """`text` with its `@{...}` slots filled; `where` names the statement in the error of a missing one."""

    def value(m: re.Match) -> str:
        try:
            return slots[m.group(1)]
        except KeyError:
            raise KeyError(f"{where}: no value for @{{{m.group(1)}}}") from None

    return _SLOT.sub(value, text)


def ident(*parts: str) -> str:
    """A quoted (qualified) identifier."""
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


def column_defs(columns) -> str:
    """`"name" TYPE, ...` for a CREATE TABLE."""
    return ", ".join(f"{ident(name)} {type_}" for name, type_ in columns)


def literal(value: str) -> str:
    """A quoted string literal, for the few places DuckDB takes no parameter (COPY targets, view bodies)."""
    return "'" + value.replace("'", "''") + "'"
