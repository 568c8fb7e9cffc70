"""A JSON page's records located in the body's text by numpy (`read_json_body`): the unescaped quotes
give every key and value, checked against the exact shape `{"k":"v",...}` real pages have, and each
column is an Arrow view of those bytes; the few values holding an escape are decoded by orjson. Text
that is not what orjson writes (whitespace, other escapes) or not of that shape gives None: the careful
decoder then reads it. Part of the native page path (`native.py`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import orjson
import pyarrow as pa

from log_assets.forcepoint.arrowtext import BACKSLASH, QUOTE, view_array
from log_assets.forcepoint.lazyrecords import LazyRecords


def _unescaped_quotes(a: np.ndarray) -> np.ndarray:
    """Positions of the quotes that are not escaped (an odd run of backslashes before one escapes it)."""
    q = np.flatnonzero(a == QUOTE)
    if len(q) == 0:
        return q
    if not (a == BACKSLASH).any():
        return q
    prev = np.maximum(q - 1, 0)
    maybe = np.flatnonzero((a[prev] == BACKSLASH) & (q > 0))
    if len(maybe) == 0:
        return q
    escaped = np.zeros(len(q), bool)
    run = np.ones(len(maybe), np.int64)
    pos = q[maybe] - 2
    live = np.arange(len(maybe))
    while len(live):
        more = (pos[live] >= 0) & (a[np.maximum(pos[live], 0)] == BACKSLASH)
        run[live[more]] += 1
        pos[live[more]] -= 1
        live = live[more]
    escaped[maybe] = run % 2 == 1
    return q[~escaped]


_SCALAR_START = np.zeros(256, bool)
_SCALAR_START[list(b"-0123456789tfn")] = True


class Located:
    """The values of a page's records, found in the text that holds them: record i is
    buf[starts[i]:ends[i]], `{"k":v,...}` with the same keys in every record; each value is a string
    or a scalar (a number, true, false, null), its bytes at [vstart, vend) (a string's without its
    quotes), `is_str` telling which (each n x len(keys))."""

    def __init__(self, buf: bytes, a: np.ndarray, keys: list[str], starts, ends, vstart, vend, is_str):
        self.buf, self.a, self.keys = buf, a, keys
        self.starts, self.ends = starts, ends
        self.vstart, self.vend, self.is_str = vstart, vend, is_str

    @property
    def n(self) -> int:
        return len(self.starts)


def locate(
    buf: bytes,
    a: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    keys: list[str] | None,
    q: np.ndarray | None = None,
):
    """The records' values located (see Located), or None when the text is not of that shape (an
    object or an array among the values, keys that differ, ...). `keys`: the records' keys when
    known (text orjson wrote from dicts); else they are read from the first record and every
    record's key bytes must be the same."""
    n = len(starts)
    if n == 0 or not ((a[starts] == 123) & (a[ends - 1] == 125)).all():
        return None
    if q is None:
        q = _unescaped_quotes(a)
    if len(q) == 0:
        return None
    after = a[np.minimum(q + 1, len(a) - 1)]
    kci_all = np.flatnonzero(after == 58)  # the quotes that close a key
    if len(kci_all) % n:
        return None
    nkeys = len(kci_all) // n
    if nkeys == 0 or (keys is not None and nkeys != len(keys)):
        return None
    kci = kci_all.reshape(n, nkeys)
    if not (kci[:, 0] >= 1).all() or not (q[kci[:, 0] - 1] == starts + 1).all():
        return None
    kc = q[kci]
    ko = q[kci - 1]
    first = a[kc + 2]
    is_str = first == QUOTE
    # The quotes after each key, up to the next key (or the record's end): two for a string, none for a scalar.
    upto = np.empty((n, nkeys), np.int64)
    upto[:, :-1] = kci[:, 1:] - 1
    upto[:, -1] = np.searchsorted(q, ends - 1)
    between = upto - kci - 1
    if not np.where(is_str, between == 2, (between == 0) & _SCALAR_START[first]).all():
        return None
    # Where each value ends: its closing quote, or the comma (or brace) after a scalar.
    stop = np.empty((n, nkeys), np.int64)
    stop[:, :-1] = ko[:, 1:] - 1
    stop[:, -1] = ends - 1
    close = q[np.minimum(kci + 2, len(q) - 1)]
    vend = np.where(is_str, close, stop)
    if not (np.where(is_str, close + 1, stop) == stop).all():
        return None
    if nkeys > 1 and not (a[stop[:, :-1]] == 44).all():
        return None
    if keys is None:
        keys = _same_keys(buf, a, ko, kc)
        if keys is None:
            return None
    return Located(buf, a, keys, starts, ends, np.where(is_str, kc + 3, kc + 2), vend, is_str)


def _same_keys(buf: bytes, a: np.ndarray, ko: np.ndarray, kc: np.ndarray) -> list[str] | None:
    """The keys of the first record, if every record has the same key bytes (no escapes, no repeats)."""
    first = [buf[s + 1 : e] for s, e in zip(ko[0].tolist(), kc[0].tolist(), strict=True)]
    if any(b"\\" in k for k in first):
        return None
    lens = kc - ko - 1
    if not (lens == lens[0]).all():
        return None
    # Keys of one length compared together: every record's bytes at each key's place, at once.
    by_len: dict[int, list[int]] = {}
    for j, key in enumerate(first):
        if key:
            by_len.setdefault(len(key), []).append(j)
    for size, js in by_len.items():
        windows = np.ndarray((len(a) - size + 1,), dtype=f"V{size}", buffer=a, strides=(1,))
        expected = np.frombuffer(b"".join(first[j] for j in js), dtype=f"V{size}")
        if not (windows[ko[:, js] + 1] == expected).all():
            return None
    try:
        keys = [k.decode() for k in first]
    except UnicodeDecodeError:
        return None
    if len(set(keys)) != len(keys) or any(not k.isprintable() for k in keys):
        return None
    return keys


class NotCanonical(ValueError):
    """Text that is valid JSON but not what orjson writes for the value it holds."""


def _string_columns(loc: Located, cols: np.ndarray, check: bool) -> pa.Array:
    """The string values of the columns `cols`, one array (column after column), JSON escapes
    decoded. `check`: each escaped value's text must be what orjson writes for it (else NotCanonical)."""
    n = loc.n
    buf, a = loc.buf, loc.a
    starts = loc.vstart[:, cols].T.reshape(-1).astype(np.int64)  # column-major: each column contiguous
    lens = loc.vend[:, cols].T.reshape(-1).astype(np.int64) - starts
    buffers = [pa.py_buffer(buf)]
    src = a
    # Values holding an escape: decoded together (one JSON array of them) into a second buffer.
    if b"\\" in buf:
        bs = np.flatnonzero(a == BACKSLASH)
        rm_starts = loc.vstart[:, cols].reshape(-1)  # row-major: increasing
        rm_ends = loc.vend[:, cols].reshape(-1)
        which = np.searchsorted(rm_starts, bs, side="right") - 1
        at = np.maximum(which, 0)
        hit = np.unique(which[(which >= 0) & (bs < rm_ends[at])])
        if len(hit):
            rows, cs = np.divmod(hit, len(cols))
            escaped = cs * n + rows  # their places in the column-major order
            texts = (
                b"["
                + b",".join(
                    buf[s - 1 : e + 1] for s, e in zip(rm_starts[hit].tolist(), rm_ends[hit].tolist(), strict=True)
                )
                + b"]"
            )
            values = orjson.loads(texts)
            if check and orjson.dumps(values) != texts:
                raise NotCanonical("escapes orjson does not write")
            decoded = [v.encode() for v in values]
            extra = b"".join(decoded)
            dlens = np.fromiter(map(len, decoded), np.int64, len(decoded))
            dstarts = np.zeros(len(decoded), np.int64)
            np.cumsum(dlens[:-1], out=dstarts[1:])
            src = np.concatenate([a, np.frombuffer(extra, np.uint8)])
            starts[escaped] = dstarts + len(buf)
            lens[escaped] = dlens
            buffers.append(pa.py_buffer(extra))
    return view_array(src, starts, lens, buffers, len(buf))


def _scalars(loc: Located, j: int, check: bool) -> list:
    """Column j's values as Python objects, read from their text (strings and scalars alike)."""
    buf = loc.buf
    out = []
    for s, e, text in zip(
        loc.vstart[:, j].tolist(), loc.vend[:, j].tolist(), loc.is_str[:, j].tolist(), strict=True
    ):
        token = buf[s - 1 : e + 1] if text else buf[s:e]
        value = orjson.loads(token)
        if check and orjson.dumps(value) != token:
            raise NotCanonical(f"a value orjson writes otherwise: {token[:60]!r}")
        out.append(value)
    return out


def record_columns(
    loc: Located, check: bool, records: Sequence | None = None
) -> tuple[dict[str, pa.Array | list], pa.Array | None]:
    """Every key's column: a slice of one Arrow string array (also returned) where every value is a
    string, else the Python values."""
    text = loc.is_str.all(axis=0)
    cols = np.flatnonzero(text)
    out: dict[str, pa.Array | list] = {}
    big = None
    if len(cols):
        big = _string_columns(loc, cols, check)
        for i, j in enumerate(cols.tolist()):
            out[loc.keys[j]] = big.slice(i * loc.n, loc.n)
    for j in np.flatnonzero(~text).tolist():
        key = loc.keys[j]
        out[key] = [r[key] for r in records] if records is not None else _scalars(loc, j, check)
    return out, big


def raw_views(loc: Located) -> pa.Array:
    lens = (loc.ends - loc.starts).astype(np.int64)
    return view_array(loc.a, loc.starts.astype(np.int64), lens, [pa.py_buffer(loc.buf)], len(loc.buf))


class JsonRecords(LazyRecords):
    """The records of a JSON page read from its body's text (`read_json_body`): its length is known
    at once; the records as dicts are decoded (by orjson, the careful way) only if something asks."""

    def __init__(self, body: bytes, located: Located, columns: tuple):
        self.body = body
        self.located = located
        self.columns = columns  # every key's column, and the array they are slices of (see record_columns)

    def __len__(self) -> int:
        return self.located.n

    def _decode(self) -> list:
        return orjson.loads(self.body)["response"]["data"]


# The page's data, last in the envelope as the API writes it: `"data":[` ... `]}}`.
_DATA_OPEN = re.compile(rb'"data"[ \t\r\n]*:[ \t\r\n]*\[')
_DATA_CLOSE = re.compile(rb"\][ \t\r\n]*\}[ \t\r\n]*\}[ \t\r\n]*\Z")


def read_json_body(body: bytes) -> tuple[dict, JsonRecords] | None:
    """A JSON page's envelope (with `data` empty) and its records read from the body's text, or
    None where the text is not the canonical JSON orjson writes (whitespace, other escapes), not of
    the shape real pages have, or not valid: the careful decoder then reads (or refuses) it.

    Every record's text is then byte for byte what orjson writes for the record it holds: `raw`
    is that text, as the careful path would write it."""
    close = _DATA_CLOSE.search(body, max(0, len(body) - 64))
    if close is None:
        return None
    opened = _DATA_OPEN.search(body, 0, min(len(body), 4096))
    if opened is None or opened.end() > close.start():
        return None
    ds, de = opened.end(), close.start()  # the records: body[ds:de]
    try:
        doc = orjson.loads(body[:ds] + body[de:])
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, dict):
        return None
    response = doc.get("response")
    if not isinstance(response, dict) or response.get("data") != [] or type(response.get("data")) is not list:
        return None
    if ds == de:
        return None  # an empty page: nothing to gain
    region = body[ds:de]
    a = np.frombuffer(region, np.uint8)
    if (a < 32).any():  # whitespace between tokens, or a raw control character (invalid inside a string)
        return None
    try:
        pa.array([region], pa.binary()).cast(pa.string())  # valid UTF-8
    except pa.ArrowInvalid:
        return None
    # Records end at `}` followed by `,{` outside strings, and at the end.
    q = _unescaped_quotes(a)
    cand = np.flatnonzero(a[:-2] == 125)
    cand = cand[(a[cand + 1] == 44) & (a[cand + 2] == 123)]
    cand = cand[np.searchsorted(q, cand) % 2 == 0]
    ends = np.append(cand + 1, len(a)).astype(np.int64)
    starts = np.zeros(len(ends), np.int64)
    starts[1:] = cand + 2
    loc = locate(region, a, starts, ends, None, q)
    if loc is None:
        return None
    try:
        columns = record_columns(
            loc, check=True
        )  # every value readable, every escape and number as orjson writes it
    except (orjson.JSONDecodeError, NotCanonical):
        return None
    return doc, JsonRecords(body, loc, columns)
