"""Parsing Aperture response bodies into lake rows.

The API has no event id and bodies are not always valid JSON (api-facts.md), so:
- `event_id` is the sha256 of the event's canonical JSON: byte-identical repeats merge, different
  events never do;
- a body that cannot be read as JSON is rejected as a whole (the caller quarantines it byte for byte);
- inside a good body, an event without a usable `log_type` or `timestamp` is rejected on its own and
  the rest of the body still lands;
- a value that is not valid UTF-8 (raw invalid bytes, or a lone surrogate escape like `"\\ud800"`)
  costs neither its body nor its event: the body is read all the same (`jsonsafe.loads_lenient`) and
  the event LANDS, as Forcepoint's records do (log_assets/jsonsafe.py has the rule): its columns hold
  the value made valid (U+FFFD), `raw` the exact original (lone surrogates as `\\uXXXX` escapes), and
  `event_id` is computed from the original, so two events differing only there stay two. The values
  so repaired are counted (`ParsedBody.repaired`, with the values that did not fit their column).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from log_assets import jsonsafe
from log_assets.catalog import APERTURE
from log_assets.jsonsafe import MAX_DEPTH, depth

TIME_FIELD = "timestamp"
LOG_TYPE_FIELD = "log_type"

# log_type becomes a folder name: keep it to a safe, predictable alphabet.
_UNSAFE = re.compile(r"[^a-z0-9_]+")

_ISO = re.compile(
    r"""^(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})
        (?:[Tt\ ]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d+))?)?)?
        \s*(?P<tz>[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$""",
    re.VERBOSE,
)


class BodyError(ValueError):
    """The body as a whole cannot be read: it is quarantined byte for byte."""


@dataclass(frozen=True)
class ParsedEvent:
    log_type: str
    event_time: datetime
    event_id: str
    raw: str
    fields: dict
    repaired: int = 0  # values that were not valid UTF-8, made valid in `fields` (raw keeps them)

    @property
    def day(self) -> str:
        return self.event_time.date().isoformat()


@dataclass(frozen=True)
class RejectedEvent:
    index: int
    reason: str
    raw: str


@dataclass
class ParsedBody:
    events: list[ParsedEvent] = field(default_factory=list)
    rejected: list[RejectedEvent] = field(default_factory=list)

    @property
    def repaired(self) -> int:
        """Values of the landing events that were not valid UTF-8 (see the module's docstring)."""
        return sum(e.repaired for e in self.events)


def load_events(body: bytes) -> list:
    """The events of a response body, or BodyError.

    Accepts the bulk shape `{"events": [...]}`, a bare event (the single-event endpoint) and a bare
    list. `{"events": []}` and `{"events": null}` are empty.
    """
    try:
        try:
            doc = json.loads(body, parse_constant=jsonsafe.reject_constant)
        except UnicodeDecodeError:  # an invalid byte inside a string: that event's value is repaired
            doc = jsonsafe.loads_lenient(body)
    except RecursionError:
        # Nested beyond Python's recursion limit: orjson reads up to 1024 levels (and, like the line
        # above, refuses NaN); the deep event is then quarantined alone, the others land.
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as e:
            raise BodyError(f"not valid JSON: {e}") from None
    except ValueError as e:
        raise BodyError(f"not valid JSON: {e}") from None
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        if "events" in doc:
            events = doc["events"]
            if events is None:
                return []
            if isinstance(events, list):
                return events
            raise BodyError(f"'events' is a {type(events).__name__}, not a list")
        if LOG_TYPE_FIELD in doc:
            return [doc]
        raise BodyError("JSON object without 'events' or 'log_type'")
    raise BodyError(f"JSON {type(doc).__name__} where an object was expected")


def canonical_json(event: Any) -> str:
    """Key-sorted, compact, ASCII-escaped: one text per distinct event, whatever the key order."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def event_id(event: Any) -> str:
    return hashlib.sha256(canonical_json(event).encode("ascii")).hexdigest()


def _raw_json(event: Any) -> tuple[str, bool]:
    """(text, True) or, when the event holds lone surrogates (from `\\ud800`-style escapes or invalid
    bytes), the text with those written as `\\uXXXX` escapes and False."""
    text, invalid = jsonsafe.utf8_json(event)
    return text, not invalid


# A log type name is a folder and a table name: at most this long, starting with a letter.
MAX_NAME = 64


def normalize_log_type(value: Any) -> str | None:
    """A folder- and table-safe log type name, or None when there is none (the event is quarantined).

    Case and stray spaces do not matter (`Incident ` is `incident`). A name that had to change further
    (characters replaced, a leading digit, too long) ends with a hash of what was received, so that two
    different received names never share a folder and the same name always gets the same one."""
    if not isinstance(value, str):
        return None
    received = value.strip().lower()
    name = _UNSAFE.sub("_", received).strip("_")
    if not name:
        if not any(c.isalnum() for c in received):
            return None  # nothing that names anything ("", "///")
        name = "type"  # letters outside a-z only ("ééé"): named by its hash below
    if name == received and name[0].isalpha() and len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(received.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    if not name[0].isalpha():
        name = f"type_{name}"
    return f"{name[: MAX_NAME - len(digest) - 1].rstrip('_')}_{digest}"


def parse_timestamp(value: Any) -> datetime | None:
    """Lenient ISO 8601 (`Z`, offsets, any fraction length, trailing spaces, no zone = UTC) or epoch
    seconds/milliseconds. Returns an aware UTC datetime, or None when it cannot be read."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return _from_epoch(value)
    if not isinstance(value, str):
        return None
    s = value.strip()
    if s.isdigit():
        return _from_epoch(int(s))
    m = _ISO.match(s)
    if not m:
        return None
    try:
        frac = (m["frac"] or "0")[:6].ljust(6, "0")
        dt = datetime(
            int(m["y"]),
            int(m["mo"]),
            int(m["d"]),
            int(m["h"] or 0),
            int(m["mi"] or 0),
            int(m["s"] or 0),
            int(frac),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    tz = m["tz"]
    if tz and tz[0] in "+-":
        digits = tz[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        if offset >= timedelta(hours=24):
            return None
        try:
            dt = dt - offset if tz[0] == "+" else dt + offset
        except OverflowError:
            return None
    return dt


def _from_epoch(value: float) -> datetime | None:
    if not math.isfinite(value) or value < 0:
        return None
    if value > 1e14:  # microseconds
        value /= 1e6
    elif value > 1e11:  # milliseconds
        value /= 1e3
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


# Event times the lake accepts (a UTC day folder), as for Forcepoint.
_FIRST_DAY = datetime(1970, 1, 1, tzinfo=UTC)
_PAST_LAST_DAY = datetime(2200, 1, 1, tzinfo=UTC)


def parse_event(index: int, event: Any) -> ParsedEvent | RejectedEvent:
    if depth(event) > MAX_DEPTH:
        return RejectedEvent(index, f"event nested more than {MAX_DEPTH} levels deep", jsonsafe.dumps(event))
    raw, utf8_clean = _raw_json(event)
    if not isinstance(event, dict):
        return RejectedEvent(index, f"event is a JSON {type(event).__name__}, not an object", raw)
    name = normalize_log_type(event.get(LOG_TYPE_FIELD))
    if name is None:
        return RejectedEvent(index, "missing or unusable log_type", raw)
    if event.get(TIME_FIELD) is None:
        return RejectedEvent(index, "missing timestamp", raw)
    when = parse_timestamp(event[TIME_FIELD])
    if when is None:
        return RejectedEvent(index, f"unparseable timestamp {str(event[TIME_FIELD])[:64]!r}", raw)
    if not _FIRST_DAY <= when < _PAST_LAST_DAY:
        return RejectedEvent(index, f"timestamp out of range {str(event[TIME_FIELD])[:64]!r}", raw)
    # Typed columns must be valid UTF-8; `raw` keeps the escaped original.
    fields, repaired = (event, 0) if utf8_clean else jsonsafe.valid(event)
    return ParsedEvent(name, when, event_id(event), raw, fields, repaired)


def parse_body(body: bytes) -> ParsedBody:
    """Parse one response body. Raises BodyError when the body as a whole is unreadable."""
    out = ParsedBody()
    for i, event in enumerate(load_events(body)):
        parsed = parse_event(i, event)
        if isinstance(parsed, ParsedEvent):
            out.events.append(parsed)
        else:
            out.rejected.append(parsed)
    return out


def lake_row(event: ParsedEvent, ingested_at: datetime) -> dict:
    """A row in the shape `log_assets.lake.schema.build_table` expects."""
    return {
        "event_id": event.event_id,
        "event_time": event.event_time,
        "vendor": APERTURE,
        "log_type": event.log_type,
        "raw": event.raw,
        "ingested_at": ingested_at,
        "fields": _trimmed_time(event.fields),
    }


def _trimmed_time(fields: dict) -> dict:
    # `timestamp` arrives with a trailing space now and then ("...:55Z "): its column holds the text
    # trimmed (raw keeps it as received).
    ts = fields.get(TIME_FIELD)
    if isinstance(ts, str) and ts != ts.strip():
        return {**fields, TIME_FIELD: ts.strip()}
    return fields
