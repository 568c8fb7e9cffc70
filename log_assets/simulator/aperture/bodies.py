"""Answer bodies of the log event reads, including the not-quite-JSON the vendor sometimes sends."""

from __future__ import annotations

import json
import random

# The defects seen in the vendor's own example payloads.
DEFECTS = ("missing_comma", "trailing_comma", "stray_asterisk")


def event_text(event: dict) -> str:
    return json.dumps(event)


def bulk_body(texts: list[str]) -> str:
    return '{"events": [' + ", ".join(texts) + "]}"


def broken_event_text(event: dict, defect: str, r: random.Random) -> str:
    """The event's JSON with one defect; never valid JSON."""
    items = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in event.items()]
    if defect == "missing_comma" and len(items) > 1:
        i = r.randrange(len(items) - 1)
        return "{" + ", ".join(items[:i]) + (", " if i else "") + items[i] + " " + ", ".join(items[i + 1 :]) + "}"
    if defect == "stray_asterisk":
        i = r.randrange(len(items))
        items[i] = "*" + items[i]
        return "{" + ", ".join(items) + "}"
    return "{" + ", ".join(items) + ",}"


def body(texts: list[str], bulk: bool) -> str:
    return bulk_body(texts) if bulk else texts[0]


def broken_body(events: list[dict], texts: list[str], bulk: bool, r: random.Random) -> tuple[str, str]:
    """A body in which one event is written with a defect; returns (body, defect)."""
    defect = r.choice(DEFECTS)
    i = r.randrange(len(events))
    texts = list(texts)
    texts[i] = broken_event_text(events[i], defect, r)
    return body(texts, bulk), defect
