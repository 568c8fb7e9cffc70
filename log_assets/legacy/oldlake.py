"""The Parquet lake of earlier versions (`lake/<vendor>/<type>/date=YYYY-MM-DD/*.parquet`): what it
holds, what of it can be moved into the Iceberg tables and what cannot, each with what to do
(`python -m log_assets.migrate` moves it, legacy.migrate)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from log_assets.legacy import VENDORS
from log_assets.paths import Home

# Where the refusal suggests moving what it cannot move: outside `lake/`, so nothing reads it again.
SET_ASIDE = "set-aside"

# A log type's folder name, as `aperture.parse.normalize_log_type` makes them: it is the table's name.
_TYPE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
# The columns every day file of the old lake holds and the move needs.
_NEEDED = ("event_id", "event_time")


@dataclass
class Problem:
    """Something under `lake/<vendor>/` that the migration cannot move: its path, what is wrong and
    what to do about it."""

    path: Path
    what: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}: {self.what}. {self.fix}"


@dataclass
class OldDay:
    vendor: str
    log_type: str
    day: date
    folder: Path
    files: list[Path]
    rows: int  # from the files' footers


@dataclass
class OldLake:
    """What `lake/<vendor>/` of a home holds: the day folders that can be moved, what cannot, and
    the temporary files of unfinished writes."""

    days: list[OldDay] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unfinished_writes: list[Path] = field(default_factory=list)


def _move_out(home: Home, path: Path) -> str:
    """The commands that move `path` out of the lake, to the same place under `<home>/set-aside/`."""
    try:
        rel = path.parent.relative_to(home.lake)
    except ValueError:
        rel = Path()
    target = home.root / SET_ASIDE / rel
    return f"mkdir -p {shlex.quote(str(target))} && mv {shlex.quote(str(path))} {shlex.quote(str(target))}/"


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()).rstrip(".") or type(error).__name__


def _day_of(name: str) -> date | None:
    text = name.removeprefix("date=")
    if text == name or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _unfinished_write(path: Path) -> bool:
    # The old version wrote `.<name>.<random>.tmp` (tempfile.mkstemp) and renamed it into place.
    return path.name.startswith(".") and path.name.endswith(".tmp") and path.is_file()


def survey(home: Home) -> OldLake:
    """Every folder and file under `lake/<vendor>/`: the day folders to move (their files' footers
    read), and everything that cannot be moved, with what to do. Changes nothing."""
    out = OldLake()

    def listed(folder: Path) -> list[Path]:
        try:
            return sorted(folder.iterdir())
        except OSError as e:
            out.problems.append(
                Problem(
                    folder,
                    f"cannot be listed ({_one_line(e)})",
                    "Make it readable by this user, or move it out of the lake (what it holds is then not "
                    f"moved): {_move_out(home, folder)}",
                )
            )
            return []

    for vendor in VENDORS:
        root = home.lake / vendor
        if not root.is_dir():
            continue
        for type_dir in listed(root):
            if not type_dir.is_dir() or not _TYPE_NAME.fullmatch(type_dir.name):
                out.problems.append(
                    Problem(
                        type_dir,
                        "is not a log type's folder (lake/<vendor>/<type>/, a name of a-z, 0-9 and _)",
                        "If it holds a log type's day folders, rename it to that type; otherwise move it "
                        f"out of the lake: {_move_out(home, type_dir)}",
                    )
                )
                continue
            for entry in listed(type_dir):
                day = _day_of(entry.name)
                if day is None or not entry.is_dir():
                    out.problems.append(
                        Problem(
                            entry,
                            "is not a day folder (date=YYYY-MM-DD of a real day)",
                            "If it holds events of a day that no day folder holds, rename it to that day's "
                            "folder; otherwise (a copy, a backup) move it out of the lake: "
                            f"{_move_out(home, entry)}",
                        )
                    )
                    continue
                _survey_day(home, out, vendor, type_dir.name, day, entry, listed(entry))
    return out


def _survey_day(
    home: Home, out: OldLake, vendor: str, log_type: str, day: date, folder: Path, entries: list[Path]
) -> None:
    files: list[Path] = []
    rows = 0
    for f in entries:
        if _unfinished_write(f):
            out.unfinished_writes.append(f)
            continue
        if f.suffix != ".parquet" or not f.is_file():
            out.problems.append(
                Problem(
                    f,
                    "is not a Parquet file of the old lake (a day folder holds *.parquet files)",
                    f"If it is one, name it *.parquet; otherwise move it out of the lake: {_move_out(home, f)}",
                )
            )
            continue
        try:
            meta = pq.ParquetFile(f).metadata
            names = set(meta.schema.to_arrow_schema().names)
        except (OSError, pa.ArrowException) as e:
            out.problems.append(_unreadable(home, f, e))
            continue
        missing = [c for c in _NEEDED if c not in names]
        if missing:
            out.problems.append(
                Problem(
                    f,
                    f"is not a day file of the old lake: it has no {' and no '.join(missing)} column",
                    f"Move it out of the lake: {_move_out(home, f)}",
                )
            )
            continue
        files.append(f)
        rows += meta.num_rows
    if files:
        out.days.append(OldDay(vendor, log_type, day, folder, files, rows))


def _unreadable(home: Home, f: Path, e: BaseException) -> Problem:
    return Problem(
        f,
        f"is not a readable Parquet file ({_one_line(e)})",
        "Restore it from a backup (or make it readable), or move it out of the lake (its rows are then not "
        f"moved): {_move_out(home, f)}",
    )


def day_table(home: Home, d: OldDay) -> pa.Table | Problem:
    """The day folder's rows with their `event_day`, or what stops them moving."""
    from log_assets.lake.layout import DAY_COLUMN, with_event_day

    tables = []
    for f in d.files:
        try:
            t = with_event_day(pq.read_table(f))
        except (OSError, pa.ArrowException) as e:
            return _unreadable(home, f, e)
        days = pc.unique(t.column(DAY_COLUMN)).to_pylist()
        if days != [d.day] and t.num_rows:
            other = ", ".join(sorted({"no event_time" if x is None else str(x) for x in days if x != d.day}))
            return Problem(
                f,
                f"holds rows of other days than its folder's {d.day} (by event_time: {other})",
                "Move it out of the lake (its rows are then not moved), or write its rows into the folders "
                f"of their days: {_move_out(home, f)}",
            )
        tables.append(t)
    schema = tables[0].schema
    for t in tables[1:]:
        schema = _widen(schema, t.schema)
    try:
        # A day can hold files written before and after a new field arrived: united by name.
        return pa.concat_tables([_conform(t, schema) for t in tables])
    except (pa.ArrowException, ValueError) as e:
        return Problem(
            d.folder,
            f"its files ({', '.join(f.name for f in d.files)}) do not agree on their columns' types "
            f"({_one_line(e)})",
            "Move the file that differs from the others out of the lake (its rows are then not moved): "
            f"{_move_out(home, d.files[-1])} (the last one, say)",
        )


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` in `schema`: columns in its order, the missing ones NULL (a day's files may differ by
    the new fields they carry)."""
    if table.schema.equals(schema, check_metadata=False):
        return table
    n = table.num_rows
    names = set(table.column_names)
    columns = [table.column(f.name).cast(f.type) if f.name in names else pa.nulls(n, f.type) for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def _widen(schema: pa.Schema, other: pa.Schema) -> pa.Schema:
    """`schema` followed by the fields of `other` that it lacks."""
    extra = [f for f in other if f.name not in schema.names]
    return pa.schema(list(schema) + extra) if extra else schema
