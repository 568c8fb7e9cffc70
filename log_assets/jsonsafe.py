"""JSON for hostile records: how deep a value nests, JSON text for any depth, and text that is not
valid Unicode.

A record nested far deeper than any real one (a thousand levels) must be quarantined with its text
kept, not crash its page: orjson writes at most 254 levels and the standard library recurses until
Python's recursion limit. `depth` and `dumps` walk the value with an explicit stack.

A value that is not valid UTF-8 must not stop its page either. Such a value reaches Python as a str
holding lone surrogates: from a `\\ud800`-style escape (valid JSON syntax), or from raw invalid bytes
decoded with `surrogateescape` (byte 0xNN becomes U+DCNN). Neither can go into a string column or a
file as UTF-8, so one value of one record would otherwise lose the whole page. The rule, the same for
Forcepoint and Aperture: the record LANDS; its typed columns hold the value made valid (each lone
surrogate replaced by U+FFFD, `valid`), and `raw` holds the exact original as JSON text whose lone
surrogates are written as `\\uXXXX` escapes (`escape_surrogates`): valid UTF-8 that `json.loads`
reads back to the very same str, and, for raw bytes, `.encode("utf-8", "surrogateescape")` of that
str gives back the bytes received. The values so repaired are counted with the values that did not
fit their column (metadata `values_not_typed` / `coercion_failures`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

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


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def has_surrogates(text: str) -> bool:
    """Whether `text` holds a lone surrogate (it cannot be written as UTF-8)."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def escape_surrogates(text: str) -> str:
    """`text` (JSON text, or any text to keep) with each lone surrogate written as its `\\uXXXX`
    escape: valid UTF-8; JSON text stays JSON that reads back to the same value."""
    if text.isascii():
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def utf8_json(value: Any) -> tuple[str, bool]:
    """`value` as compact JSON text that is valid UTF-8 (`escape_surrogates`), and whether it held a
    lone surrogate (a value that arrived as invalid UTF-8: its columns need `valid`)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    escaped = escape_surrogates(text)
    return escaped, len(escaped) != len(text)


def valid(value: Any) -> tuple[Any, int]:
    """`value` (a record: dicts, lists, scalars) with every lone surrogate in its strings and keys
    replaced by U+FFFD, and how many strings had to change. The value itself is not modified; parts
    without a surrogate are shared. Nests as deep as the caller has already allowed (MAX_DEPTH)."""
    if isinstance(value, str):
        if has_surrogates(value):
            return _SURROGATE.sub("\ufffd", value), 1
        return value, 0
    if isinstance(value, dict):
        changed = 0
        out = {}
        for k, v in value.items():
            k2, nk = valid(k) if isinstance(k, str) else (k, 0)
            v2, nv = valid(v)
            changed += nk + nv
            out[k2] = v2
        return (out, changed) if changed else (value, 0)
    if isinstance(value, list):
        changed = 0
        items = []
        for v in value:
            v2, nv = valid(v)
            changed += nv
            items.append(v2)
        return (items, changed) if changed else (value, 0)
    return value, 0


def text_id(text: str) -> str:
    """An id that is valid UTF-8: `text`, its lone surrogates written as `\\uXXXX` (not U+FFFD, so
    two ids differing only in an invalid byte stay two ids)."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def reject_constant(name: str):
    # NaN / Infinity are not JSON (orjson refuses them too); accepting them would put invalid JSON into `raw`.
    raise ValueError(f"non-JSON constant {name}")


def loads_lenient(body: bytes) -> Any:
    """JSON text whose strings may hold lone surrogate escapes or invalid UTF-8 bytes, which orjson
    refuses: read by the standard library, the invalid bytes decoded with `surrogateescape`. What is
    not JSON at all (a syntax error, NaN) raises ValueError; nesting beyond Python's recursion limit
    RecursionError."""
    return json.loads(body.decode("utf-8", "surrogateescape"), parse_constant=reject_constant)


def json_text(value) -> str:
    """A value received in JSON, not a string, as JSON text: `true`, `false`, numbers as JSON writes
    them (`1.5`, `1e+20`), objects and arrays compact; never Python's `True` (`str(True)`)."""
    if isinstance(value, dict | list | tuple):
        return dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    return str(value)
