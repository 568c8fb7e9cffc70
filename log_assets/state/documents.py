"""The typed state documents, and their JSON forms.

A Forcepoint log type's walk state (`WalkState`) is what `state/forcepoint/<type>.json` held: the walk
in progress, the tail token, and the days already in the lake. Its field names are the JSON file's
keys, so `to_file_doc()` gives exactly the file's shape (and `from_file_doc` reads one, checked).
A document read from the database is checked the same way: a wrongly shaped one stops the run with
what is wrong (`DocumentError`), never is taken for an empty state.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class DocumentError(ValueError):
    """A document that does not have its shape; the message says where and what."""


# ------------------------------------------------------------------------------------ checking


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


class _Doc:
    """Typed access to one JSON object, naming the place of a wrong value (`walk.pages`)."""

    def __init__(self, doc: Any, where: str):
        if not isinstance(doc, dict):
            raise DocumentError(f"{where or 'the document'} is {_kind(doc)}, expected an object")
        self.doc = doc
        self.where = where

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _get(self, key: str, required: bool) -> Any:
        if key not in self.doc:
            if required:
                raise DocumentError(f"{self._name(key)} is missing")
            return None
        return self.doc[key]

    def _want(self, key: str, value: Any, what: str) -> DocumentError:
        return DocumentError(f"{self._name(key)} is {_kind(value)}, expected {what}")

    def count(self, key: str, required: bool = True, default: int = 0) -> int:
        value = self._get(key, required)
        if value is None and not required:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._want(key, value, "a number")
        if value < 0:
            raise DocumentError(f"{self._name(key)} is {value}, a count cannot be negative")
        return value

    def opt_number(self, key: str, required: bool = True) -> int | None:
        value = self._get(key, required)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise self._want(key, value, "a number or null")
        return value

    def flag(self, key: str) -> bool:
        value = self._get(key, True)
        if not isinstance(value, bool):
            raise self._want(key, value, "true/false")
        return value

    def text(self, key: str, required: bool = True) -> str:
        value = self._get(key, required)
        if not isinstance(value, str):
            raise self._want(key, value, "a string")
        return value

    def opt_text(self, key: str, required: bool = True) -> str | None:
        value = self._get(key, required)
        if value is not None and not isinstance(value, str):
            raise self._want(key, value, "a string or null")
        return value

    def day(self, key: str) -> str:
        value = self.text(key)
        check_day(value, self._name(key))
        return value

    def strs(self, key: str, required: bool = True, days: bool = False) -> list[str]:
        value = self._get(key, required)
        if value is None and not required:
            return []
        if not isinstance(value, list):
            raise self._want(key, value, "an array")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise DocumentError(f"{self._name(key)}[{i}] is {_kind(item)}, expected a string")
            if days:
                check_day(item, f"{self._name(key)}[{i}]")
        return list(value)

    def obj(self, key: str) -> _Doc:
        return _Doc(self._get(key, True), self._name(key))

    def only(self, known: set[str]) -> None:
        extra = sorted(set(self.doc) - known)
        if extra:
            raise DocumentError(
                f"{self.where or 'the document'} has fields this version does not know: {', '.join(extra)} "
                "(written by a newer log-assets?)"
            )


def check_day(value: str, what: str) -> None:
    if not _DAY.match(value):
        raise DocumentError(f"{what} {value!r} is not a YYYY-MM-DD day")


# ----------------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class DayRecord:
    """A UTC day of a stream that is in the lake; `complete`: closed and walked past (never fetched
    again unless asked to). `walk`: the id of the walk that last wrote it."""

    complete: bool
    walk: str | None = None


@dataclass
class WalkCounters:
    events: int = 0
    duplicates: int = 0
    quarantined: int = 0
    coercion_failures: int = 0
    outside_window: int = 0
    future_dated: int = 0
    kept_in_raw_unlisted: int = 0  # fields kept in raw only beyond those `Walk.kept_in_raw` names
    landed: int = 0
    late: int = 0

    @classmethod
    def from_doc(cls, d: _Doc) -> WalkCounters:
        names = {f.name for f in fields(cls)}
        d.only(names)
        return cls(**{n: d.count(n, required=False) for n in names})


@dataclass
class Walk:
    """A walk in progress (ingest.py): where it stands and what it has staged and committed."""

    id: str
    stage_from: str  # first day staged (YYYY-MM-DD)
    end: str  # the day after the window (exclusive)
    token: str | None  # the token to send next; None: start by `startdate` stage_from
    started_from: str  # how it started, in words (for the report)
    replace_days: list[str] = field(default_factory=list)  # replaced, not merged, on first commit
    pages: int = 0
    requests: int = 0
    max_time_us: int | None = None
    staged: list[str] = field(default_factory=list)
    committed: list[str] = field(default_factory=list)
    dropped_after_end: int = 0
    counters: WalkCounters = field(default_factory=WalkCounters)
    new_fields: list[str] = field(default_factory=list)
    # Fields that stayed in raw only, each as `"name" (why)` (see log_assets.lake.colnames).
    kept_in_raw: list[str] = field(default_factory=list)
    floor_us: int | None = None  # window tokens: no event before this is still to come

    def to_dict(self) -> dict:
        d = asdict(self)
        if not d["kept_in_raw"]:
            del d["kept_in_raw"]  # the document of a walk that kept none is the one earlier versions read
        return d

    @classmethod
    def from_dict(cls, doc: Any, where: str = "walk") -> Walk:
        d = _Doc(doc, where)
        d.only({f.name for f in fields(cls)})
        return cls(
            id=d.text("id"),
            stage_from=d.day("stage_from"),
            end=d.day("end"),
            token=d.opt_text("token"),
            started_from=d.text("started_from"),
            replace_days=d.strs("replace_days", days=True),
            pages=d.count("pages"),
            requests=d.count("requests"),
            max_time_us=d.opt_number("max_time_us"),
            staged=d.strs("staged", days=True),
            committed=d.strs("committed", days=True),
            dropped_after_end=d.count("dropped_after_end"),
            counters=WalkCounters.from_doc(d.obj("counters")),
            new_fields=d.strs("new_fields", required=False),
            kept_in_raw=d.strs("kept_in_raw", required=False),
            floor_us=d.opt_number("floor_us", required=False),
        )


@dataclass
class Tail:
    """The token after the last page of a walk that caught up, to continue the open days from."""

    token: str
    covered_from: str  # every event from this day up to `position` is landed
    position: str | None = None  # ISO time of the latest event before the token
    open_days: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: Any, where: str = "tail") -> Tail:
        d = _Doc(doc, where)
        d.only({f.name for f in fields(cls)})
        return cls(
            token=d.text("token"),
            covered_from=d.day("covered_from"),
            position=d.opt_text("position", required=False),
            open_days=d.strs("open_days", required=False, days=True),
        )


FILE_FORMAT_VERSION = 1  # the `version` key of the JSON state files


@dataclass
class WalkState:
    """One stream's walk state. `version` is the stored version it was read at (0: none stored yet);
    a save succeeds only if the stored one is still that version."""

    stream: str
    days: dict[str, DayRecord] = field(default_factory=dict)
    walk: Walk | None = None
    tail: Tail | None = None
    version: int = 0
    # The days as stored (what the next save compares against, to write only the changes).
    saved_days: dict[str, DayRecord] = field(default_factory=dict, repr=False, compare=False)

    def to_file_doc(self) -> dict:
        """The shape of `state/forcepoint/<type>.json`."""
        return {
            "version": FILE_FORMAT_VERSION,
            "days": {
                day: {"complete": r.complete, **({"walk": r.walk} if r.walk is not None else {})}
                for day, r in sorted(self.days.items())
            },
            "walk": self.walk.to_dict() if self.walk else None,
            "tail": self.tail.to_dict() if self.tail else None,
        }

    @classmethod
    def from_file_doc(cls, stream: str, doc: Any) -> WalkState:
        """A JSON state file's document (checked; DocumentError says what is wrong). The result
        counts as never stored (version 0)."""
        d = _Doc(doc, "")
        d.only({"version", "days", "walk", "tail"})
        if d.count("version", required=False, default=FILE_FORMAT_VERSION) > FILE_FORMAT_VERSION:
            raise DocumentError(f"version is {doc['version']}, newer than this log-assets reads")
        days: dict[str, DayRecord] = {}
        day_docs = d.obj("days") if "days" in doc else _Doc({}, "days")
        for day in day_docs.doc:
            check_day(day, "a key of 'days'")
            info = day_docs.obj(day)
            days[day] = DayRecord(
                complete=info.flag("complete") if "complete" in info.doc else False,
                walk=info.opt_text("walk", required=False),
            )
        walk = Walk.from_dict(doc["walk"]) if doc.get("walk") is not None else None
        tail = Tail.from_dict(doc["tail"]) if doc.get("tail") is not None else None
        return cls(stream, days, walk, tail)


def dumps(doc: dict | None) -> str | None:
    return None if doc is None else json.dumps(doc, sort_keys=True, separators=(",", ":"))


def loads(text: str | None, where: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as e:
        raise DocumentError(f"{where} is not valid JSON ({e})") from None


@dataclass(frozen=True)
class QuotaCounter:
    """The requests charged to `key` on UTC `day`, and the server's last word on what is left (its
    X-RateLimit-Remaining, counted down by each charge since: other tools may share the quota)."""

    key: str
    day: str
    spent: int = 0
    server_remaining: int | None = None

    def exhausted(self, limit: int, reserve: int = 0) -> bool:
        if self.spent >= limit - reserve:
            return True
        return self.server_remaining is not None and self.server_remaining <= reserve

    def left(self, limit: int, reserve: int = 0) -> int:
        ours = limit - reserve - self.spent
        if self.server_remaining is not None:
            ours = min(ours, self.server_remaining - reserve)
        return max(ours, 0)
