"""The Forcepoint state files that versions before the pipeline's database wrote: reading one
(`read_state`, StateFileError naming the file and how to recover) and the shapes they must have,
checked when they are imported into the database (legacy.stateimport, with `read_state(path,
check=..., how_to_recover=...)`). `write_state_file` writes one as those versions did.

A file that does not have its shape stops the run with the file's name and how to recover: treating
it as empty would forget which days are complete (and fetch them again) or re-spend the day's quota.

- `state/forcepoint/<type>.json` (the walk, see ingest.py): `days`, `walk`, `tail`, `version`;
- `state/quota/forcepoint/<type>.json` (the request counter, see quota.py): `day`, `spent`,
  `server_remaining`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from log_assets.fsutil import atomic_write_bytes

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

WALK_RECOVERY = (
    "It records which days are complete and where the walk stands. Restore it from a backup if you "
    "have one; otherwise move it away (`mv <file> <file>.bad`) and run again: every day of the run's "
    "window is then fetched again (events already in the lake are not duplicated; the requests count "
    "against today's quota)."
)
QUOTA_RECOVERY = (
    "It counts the requests this pipeline sent today against the API's daily quota. Restore it from a "
    "backup, or write what you know, e.g. "
    '{"day": "YYYY-MM-DD", "spent": 300, "server_remaining": null} to send nothing more today; '
    "moving it away makes the pipeline believe nothing was sent today (the server still answers 429 "
    "when the quota is spent)."
)


def _is(value: Any, kinds: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in kinds:
        return False  # JSON true/false is not a number
    return isinstance(value, kinds)


def _field(doc: dict, key: str, kinds: tuple[type, ...], required: bool = False, where: str = "") -> str | None:
    if key not in doc:
        return f"{where}{key!r} is missing" if required else None
    if not _is(doc[key], kinds):
        want = " or ".join(json_kind(k()) if k is not type(None) else "null" for k in kinds)
        return f"{where}{key!r} is {json_kind(doc[key])}, expected {want}"
    return None


def _first(*reasons: str | None) -> str | None:
    """The first reason, a field of the wrong type before a missing one (it says more)."""
    found = [r for r in reasons if r]
    wrong = [r for r in found if not r.endswith(" is missing")]
    return next(iter(wrong or found), None)


def _day(value: Any, what: str) -> str | None:
    return None if isinstance(value, str) and _DAY.match(value) else f"{what} {value!r} is not a YYYY-MM-DD day"


NULL = type(None)


def check_walk_state(doc: dict) -> str | None:
    """The walk state of one log type (ingest.py); None when it has its shape. The walk always saves
    all four top-level keys, so a file without one of them is not one it wrote."""
    reason = _first(
        _field(doc, "version", (int,), True),
        _field(doc, "days", (dict,), True),
        _field(doc, "walk", (dict, NULL), True),
        _field(doc, "tail", (dict, NULL), True),
    )
    if reason:
        return reason
    for day, info in (doc.get("days") or {}).items():
        reason = _day(day, "a key of 'days'") or (
            None if isinstance(info, dict) else f"days[{day!r}] is {json_kind(info)}, expected an object"
        )
        reason = reason or _field(info, "complete", (bool,), where=f"days[{day!r}].")
        if reason:
            return reason
    walk = doc.get("walk")
    if walk is not None:
        w = "walk."
        reason = _first(
            _field(walk, "id", (str,), True, w),
            _field(walk, "stage_from", (str,), True, w),
            _field(walk, "end", (str,), True, w),
            _field(walk, "token", (str, NULL), True, w),
            _field(walk, "started_from", (str,), True, w),
            _field(walk, "pages", (int,), True, w),
            _field(walk, "requests", (int,), True, w),
            _field(walk, "max_time_us", (int, NULL), True, w),
            _field(walk, "staged", (list,), True, w),
            _field(walk, "committed", (list,), True, w),
            _field(walk, "replace_days", (list,), True, w),
            _field(walk, "dropped_after_end", (int,), True, w),
            _field(walk, "counters", (dict,), True, w),
        )
        reason = reason or _day(walk["stage_from"], "walk.stage_from") or _day(walk["end"], "walk.end")
        if reason:
            return reason
        for key, value in walk["counters"].items():
            if not _is(value, (int,)):
                return f"walk.counters[{key!r}] is {json_kind(value)}, expected a number"
    tail = doc.get("tail")
    if tail is not None:
        reason = _first(
            _field(tail, "token", (str,), True, "tail."),
            _field(tail, "covered_from", (str,), False, "tail."),
            _field(tail, "position", (str, NULL), False, "tail."),
            _field(tail, "open_days", (list,), False, "tail."),
        )
        if reason:
            return reason
    return None


def check_quota_state(doc: dict) -> str | None:
    """The daily request counter of one log type (quota.py); None when it has its shape."""
    reason = _first(
        _field(doc, "day", (str,), True),
        _field(doc, "spent", (int,), True),
        _field(doc, "server_remaining", (int, NULL)),
    )
    if reason:
        return reason
    if doc["spent"] < 0:
        return f"'spent' is {doc['spent']}, a count cannot be negative"
    return _day(doc["day"], "'day'")


def write_state_file(path: Path, obj: Any, private: bool = True) -> None:
    """`obj` as the JSON state file `path`, written as the versions before the database wrote them."""
    atomic_write_bytes(path, json.dumps(obj, indent=1, sort_keys=True, default=str).encode(), private=private)


# --------------------------------------------------------------------------------- reading one

STATE_RECOVERY = (
    "Restore the file from a backup if you have one; otherwise move it away (`mv <file> <file>.bad`) "
    "and run again, which starts this state afresh (see README, 'State files of an earlier version')."
)


class StateFileError(RuntimeError):
    """A state file exists but cannot be used. The run stops: guessing (an empty state) would
    re-spend quota or fetch complete days again, silently."""

    def __init__(self, path: Path, reason: str, how_to_recover: str = STATE_RECOVERY):
        self.path = Path(path)
        self.reason = reason
        self.how_to_recover = how_to_recover
        super().__init__(f"state file {self.path} is unusable: {reason}. The run stopped. {how_to_recover}")


_JSON_NAMES = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number"}


def json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return _JSON_NAMES.get(type(value), type(value).__name__)


def read_state(
    path: Path,
    expect: type = dict,
    check: Callable[[Any], str | None] | None = None,
    how_to_recover: str = STATE_RECOVERY,
) -> Any:
    """The JSON document in state file `path`, or None when there is no such file.

    Anything else that keeps it from being used raises StateFileError naming the file, what is wrong
    and how to recover: it cannot be read, it is not JSON, its top level is not `expect`, or
    `check(doc)` returns a reason (a wrongly shaped document)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise StateFileError(path, f"cannot be read ({e.strerror or e})", how_to_recover) from None
    try:
        doc = json.loads(data)
    except UnicodeDecodeError:
        raise StateFileError(path, "is not text (not UTF-8), so not JSON", how_to_recover) from None
    except json.JSONDecodeError as e:
        where = f"{e.msg}: line {e.lineno} column {e.colno}"
        raise StateFileError(
            path, "is empty" if not data.strip() else f"is not valid JSON ({where})", how_to_recover
        ) from None
    if not isinstance(doc, expect):
        want = _JSON_NAMES.get(expect, expect.__name__)
        raise StateFileError(path, f"holds {json_kind(doc)} where {want} belongs", how_to_recover)
    if check is not None:
        reason = check(doc)
        if reason:
            raise StateFileError(path, f"is wrongly shaped: {reason}", how_to_recover)
    return doc
