"""JSON for hostile records: how deep a value nests, and JSON text for any depth.

A record nested far deeper than any real one (a thousand levels) must be quarantined with its text
kept, not crash its page: orjson writes at most 254 levels and the standard library recurses until
Python's recursion limit. Both functions here walk the value with an explicit stack.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

# Real records nest a handful of levels (cloudaudit `copies`: a list of objects). Deeper is hostile.
MAX_DEPTH = 64

_encode_str = json.encoder.encode_basestring  # the standard library's own string escaping (C)
_encode_ascii = json.encoder.encode_basestring_ascii


def depth(value, limit: int = MAX_DEPTH) -> int:
    """How deep `value` nests (a scalar is 0, `[1]` is 1), counting no further than limit + 1."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        v, d = stack.pop()
        children: Iterable
        if isinstance(v, dict):
            children = v.values()
        elif isinstance(v, list):
            children = v
        else:
            continue
        d += 1
        if d > deepest:
            deepest = d
            if deepest > limit:
                return deepest
        stack.extend((c, d) for c in children)
    return deepest


def dumps(value, ensure_ascii: bool = False) -> str:
    """Compact JSON text of `value` at any depth (what `json.dumps(separators=(",", ":"))` writes)."""
    enc = _encode_ascii if ensure_ascii else _encode_str
    out: list[str] = []
    # The stack holds values to write and literal text (closing brackets, commas) as str markers.
    stack: list = [("v", value)]
    while stack:
        kind, v = stack.pop()
        if kind == "t":
            out.append(v)
        elif isinstance(v, dict):
            out.append("{")
            items = list(v.items())
            stack.append(("t", "}"))
            for i in range(len(items) - 1, -1, -1):
                k, item = items[i]
                stack.append(("v", item))
                stack.append(("t", ("," if i else "") + enc(str(k)) + ":"))
        elif isinstance(v, (list, tuple)):
            out.append("[")
            stack.append(("t", "]"))
            for i in range(len(v) - 1, -1, -1):
                stack.append(("v", v[i]))
                if i:
                    stack.append(("t", ","))
        else:
            out.append(enc(v) if isinstance(v, str) else json.dumps(v))
    return "".join(out)


def json_text(value) -> str:
    """A value received in JSON, not a string, as JSON text: `true`, `false`, numbers as JSON writes
    them (`1.5`, `1e+20`), objects and arrays compact; never Python's `True` (`str(True)`)."""
    if isinstance(value, dict | list | tuple):
        return dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    return str(value)
