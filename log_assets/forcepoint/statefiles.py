"""The shapes of the Forcepoint state files that versions before the pipeline's database wrote,
checked when they are imported into it (log_assets.state.migrate, with `fsutil.read_state(path,
check=..., how_to_recover=...)`).

A file that does not have its shape stops the run with the file's name and how to recover: treating
it as empty would forget which days are complete (and fetch them again) or re-spend the day's quota.

- `state/forcepoint/<type>.json` (the walk, see ingest.py): `days`, `walk`, `tail`, `version`;
- `state/quota/forcepoint/<type>.json` (the request counter, see quota.py): `day`, `spent`,
  `server_remaining`.
"""

from __future__ import annotations

import re
from typing import Any

from log_assets.fsutil import json_kind

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
