"""Forcepoint pages -> Arrow by compiled code (numpy, Arrow's CSV reader and compute kernels).

The walk's fast path. It reads the pages real tenants send — every record an object with the same
keys in the same order, its values strings (or numbers and nulls: those columns are typed the
careful way) — and gives exactly the rows, values, `raw` bytes, rejections and coercion counts of
the careful path (`parse.parse_records` + `build_table`). What it cannot prove it reads the same
way (an object or an array among the values, keys that differ between records, a record to
quarantine, quoting Python's csv module might read otherwise, JSON text that is not what orjson
writes) makes it return None: the page is then read the careful way, where a record that cannot
land is quarantined with its text.

JSON: the records' text — the answer's own bytes when they are what orjson writes for the records
(`read_json_body`: no whitespace, no escapes orjson would not write, ...), else the records written
by orjson once (which `raw` is anyway) — is located by numpy: the unescaped quotes give every key
and value, checked against the exact shape `{"k":"v",...}`, and each column is an Arrow view of
those bytes. The few values holding an escape are decoded by orjson. CSV: Arrow's CSV reader,
after a check that the page's quoting reads the same in Python's csv module; `raw` is assembled
from the values by Arrow's string kernels, byte for byte what orjson writes for the record.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from log_assets.catalog import FORCEPOINT, LIST, LOCATION, STRING, TIMESTAMP, LogType
from log_assets.forcepoint.csvpage import parse_csv
from log_assets.forcepoint.pagetable import PageTable
from log_assets.lake.colnames import with_kept_in_raw
from log_assets.lake.schema import (
    STRING_LIST,
    UTC_TS,
    Coercer,
    arrow_schema,
    column_array,
    empty_as_null,
    known_columns,
    location_parts,
    new_column_names,
    parse_distinct,
    parse_list,
    part_columns,
    text_column,
    typed_fields,
)
from log_assets.lake.times import MAX_US, MIN_US, parse_time_us

QUOTE, BACKSLASH = 34, 92
_PAD = np.zeros(12, np.uint8)
_VIEW = np.dtype([("size", "<i4"), ("head", "V12")])
# Per length 0..12: the bits of a view's two 64-bit words that hold its size and its inline bytes.
_KEEP = np.array(
    [
        [
            int.from_bytes(b"\xff" * min(8, 4 + n) + b"\x00" * (8 - min(8, 4 + n)), "little"),
            int.from_bytes(b"\xff" * max(0, n - 4) + b"\x00" * (8 - max(0, n - 4)), "little"),
        ]
        for n in range(13)
    ],
    np.uint64,
)


def _views(src: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Arrow string views of src[starts[i]:starts[i] + lens[i]]: the size and the first 12 bytes
    (inline for a short value, zero-padded; the prefix of a long one, whose buffer and offset the
    caller fills in)."""
    padded = np.concatenate([src, _PAD])
    windows = np.ndarray((len(padded) - 11,), dtype="V12", buffer=padded, strides=(1,))
    views = np.empty(len(starts), _VIEW)
    views["size"] = lens
    views["head"] = windows[starts]
    words = views.view("<u8").reshape(-1, 2)
    keep = np.take(_KEEP, np.minimum(lens, 12), axis=0)  # (fancy indexing is ten times slower)
    words &= keep
    return views


# --------------------------------------------------------------------------------- records


class CsvRecords(Sequence):
    """The records of a CSV page that Arrow's reader has read: its length is known at once; the
    records as dicts are made (by the careful reader) only if something asks for them."""

    def __init__(self, text: str, table: pa.Table):
        self.text = text
        self.table = table  # every column a string column, named by the header
        self._records: list[dict] | None = None

    def __len__(self) -> int:
        return self.table.num_rows

    def _list(self) -> list[dict]:
        if self._records is None:
            self._records = parse_csv(self.text)[0]
        return self._records

    def __getitem__(self, i):
        return self._list()[i]

    def __iter__(self) -> Iterator[dict]:
        return iter(self._list())

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None  # type: ignore[assignment]


# ------------------------------------------------------------------------------------- CSV


def read_csv(text: str) -> CsvRecords | None:
    """A CSV page read by Arrow, or None where Python's csv module might read it otherwise (the
    careful reader then decides, bad rows and all)."""
    if not text or "\x00" in text:
        return None
    try:
        data = text.encode()
    except UnicodeEncodeError:  # a lone surrogate (an invalid byte in the page): the careful reader repairs it
        return None
    a = np.frombuffer(data, np.uint8)
    # A carriage return only before a line feed (Python and Arrow end a line at a lone one differently).
    cr = np.flatnonzero(a == 13)
    if len(cr) and (cr[-1] + 1 >= len(a) or not (a[cr + 1] == 10).all()):
        return None
    q = np.flatnonzero(a == QUOTE)
    if not _plain_quoting(a, q):
        return None
    # The header ends at the first line feed outside quotes.
    nl = np.flatnonzero(a == 10)
    outside = nl[np.searchsorted(q, nl) % 2 == 0]
    if len(outside) == 0:
        return None
    end = int(outside[0])
    import csv

    header = next(csv.reader(io.StringIO(data[:end].decode(), newline="")), [])
    if (
        not header
        or len(set(header)) != len(header)
        or any(h != h.strip() or h.startswith("\ufeff") for h in header)
    ):
        return None
    import pyarrow.csv as pcsv

    try:
        table = pcsv.read_csv(
            io.BytesIO(data[end + 1 :]),
            read_options=pcsv.ReadOptions(column_names=header, use_threads=False, block_size=len(data) + 1),
            parse_options=pcsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pcsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a row of another width, ...: the careful reader
        return None
    if table.num_rows == 0:
        return None
    return CsvRecords(text, table.combine_chunks())


def _plain_quoting(a: np.ndarray, q: np.ndarray) -> bool:
    """Every quote opens a field (after a comma, a line end or the start), closes it (before one of
    those or the end) or doubles another inside it: the quoting both readers take alike. A quote
    inside an unquoted field, text after a closing quote, an unclosed field: no."""
    if len(q) == 0:
        return True
    if len(q) % 2:
        return False
    opening, closing = q[0::2], q[1::2]
    before = a[np.maximum(opening - 1, 0)]
    ok_open = (opening == 0) | (before == 44) | (before == 10) | (before == 13)
    # An "opening" quote right after a "closing" one is the second of a doubled pair.
    pair = np.zeros(len(opening), bool)
    pair[1:] = opening[1:] == closing[:-1] + 1
    if not (ok_open | pair).all():
        return False
    after_pos = closing + 1
    after = a[np.minimum(after_pos, len(a) - 1)]
    ok_close = (after_pos >= len(a)) | (after == 44) | (after == 10) | (after == 13) | (after == QUOTE)
    if not ok_close.all():
        return False
    # A closing quote followed by a quote must be the first of a doubled pair (the next opening).
    followed = after == QUOTE
    followed &= after_pos < len(a)
    if followed.any():
        nxt = np.zeros(len(closing), bool)
        nxt[:-1] = opening[1:] == closing[:-1] + 1
        if not (nxt | ~followed).all():
            return False
    return True


# Characters JSON text must escape, and how orjson writes each (what `raw` holds).
_SHORT_ESCAPES = (
    ("\\", "\\\\"),
    ('"', '\\"'),
    ("\n", "\\n"),
    ("\r", "\\r"),
    ("\t", "\\t"),
    ("\b", "\\b"),
    ("\f", "\\f"),
)
_NEEDS_ESCAPE = r'["\\\x00-\x1f]'
_OTHER_CONTROL = [chr(c) for c in range(32) if chr(c) not in "\n\r\t\b\f"]


def _json_string_body(col: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Which values need an escape (a quote, a backslash, a control character), and those values as
    orjson writes them between the quotes of a JSON string."""
    _, data = _text_buffers(col)
    needs = _values_holding(col, (data == QUOTE) | (data == BACKSLASH) | (data < 32))
    sub = col.filter(pa.array(needs))
    for plain, escaped in _SHORT_ESCAPES:
        sub = pc.replace_substring(sub, plain, escaped)
    if pc.any(pc.match_substring_regex(sub, r"[\x00-\x1f]")).as_py():
        for ch in _OTHER_CONTROL:
            sub = pc.replace_substring(sub, ch, f"\\u{ord(ch):04x}")
    return needs, sub


def _csv_raw(table: pa.Table, values: pa.Array) -> pa.Array:
    """Each row as orjson writes the record {header: value, ...}. `values`: the table's columns one
    after the other, in one array."""
    n, k = table.num_rows, table.num_columns
    needs, escaped = _json_string_body(values)
    glue = [
        ("{" if i == 0 else '",') + orjson.dumps(name).decode() + ':"' for i, name in enumerate(table.column_names)
    ]
    pieces = pa.concat_arrays([values, escaped, pa.array(glue + ['"}'], pa.string())])
    at = np.arange(n * k, dtype=np.int64)
    at[needs] = n * k + np.arange(len(escaped))
    base = n * k + len(escaped)
    # Row i: glue 0, value (0, i), glue 1, value (1, i), ..., '"}'.
    idx = np.empty((n, 2 * k + 1), np.int64)
    idx[:, 0 : 2 * k : 2] = base + np.arange(k)
    idx[:, 1 : 2 * k : 2] = at.reshape(k, n).T
    idx[:, 2 * k] = base + k
    parts = pieces.take(pa.array(idx.reshape(-1)))
    offsets = pa.array(np.arange(0, n * (2 * k + 1) + 1, 2 * k + 1, dtype=np.int32))
    return pc.binary_join(pa.ListArray.from_arrays(offsets, parts), "")


# ------------------------------------------------------------------------------------ JSON


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


class _Located:
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


def _locate(
    buf: bytes,
    a: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    keys: list[str] | None,
    q: np.ndarray | None = None,
):
    """The records' values located (see _Located), or None when the text is not of that shape (an
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
    return _Located(buf, a, keys, starts, ends, np.where(is_str, kc + 3, kc + 2), vend, is_str)


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


def _string_columns(loc: _Located, cols: np.ndarray, check: bool) -> pa.Array:
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
    return _view_array(src, starts, lens, buffers, len(buf))


def _view_array(src: np.ndarray, starts: np.ndarray, lens: np.ndarray, buffers: list, first_len: int) -> pa.Array:
    """src[starts[i]:starts[i] + lens[i]] as one string array (src: buffers[0], then buffers[1] at first_len)."""
    views = _views(src, starts, lens)
    long = np.flatnonzero(lens > 12)
    if len(long):
        loc = starts[long]
        where = np.zeros(len(long), np.int32)
        if len(buffers) > 1:
            in_extra = loc >= first_len
            where[in_extra] = 1
            loc = np.where(in_extra, loc - first_len, loc)
        words = views.view("<i4").reshape(-1, 4)
        words[long, 2] = where
        words[long, 3] = loc
    arr = pa.Array.from_buffers(
        pa.string_view(), len(starts), [None, pa.py_buffer(views.view(np.uint8)), *buffers]
    )
    return arr.cast(pa.string())


def _scalars(loc: _Located, j: int, check: bool) -> list:
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


def _columns(
    loc: _Located, check: bool, records: Sequence | None = None
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


# ----------------------------------------------------------------------------------- times

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_CODES = np.array([(ord(m[0]) << 16) | (ord(m[1]) << 8) | ord(m[2]) for m in _MONTHS], np.int64)
_MONTH_ORDER = np.argsort(_MONTH_CODES)
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.int64)


_DIGITS = [0, 1, 7, 8, 9, 10, 12, 13, 15, 16, 18, 19]


def _fixed_times(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds of the values in the API's own form and which those are: exactly
    `DD Mon YYYY HH:MM:SS` (day 01-31, an English month abbreviation, year 1000-9999, hour 00-23,
    minute 00-59, second 00-60 as parse_time_us reads them) of a date that exists. Any other text
    is left to parse_time_us."""
    n = len(texts)
    out = np.zeros(n, np.int64)
    ok = np.zeros(n, bool)
    if texts.null_count:
        texts = pc.fill_null(texts, "")
    offs, data = _text_buffers(texts)
    sel = np.flatnonzero(np.diff(offs) == 20)
    if len(sel) == 0:
        return out, ok
    mat = data[offs[sel][:, None] + np.arange(20)].astype(np.int64)
    digits = mat[:, _DIGITS] - 48
    code = (mat[:, 3] << 16) | (mat[:, 4] << 8) | mat[:, 5]
    slot = np.minimum(np.searchsorted(_MONTH_CODES[_MONTH_ORDER], code), 11)
    shape = (
        ((digits >= 0) & (digits <= 9)).all(axis=1)
        & (mat[:, 2] == 32)
        & (mat[:, 6] == 32)
        & (mat[:, 11] == 32)
        & (mat[:, 14] == 58)
        & (mat[:, 17] == 58)
        & (_MONTH_CODES[_MONTH_ORDER][slot] == code)
    )
    digits = np.where(shape[:, None], digits, 0)
    day = digits[:, 0] * 10 + digits[:, 1]
    year = ((digits[:, 2] * 10 + digits[:, 3]) * 10 + digits[:, 4]) * 10 + digits[:, 5]
    hour, minute, sec = (
        digits[:, 6] * 10 + digits[:, 7],
        digits[:, 8] * 10 + digits[:, 9],
        digits[:, 10] * 10 + digits[:, 11],
    )
    month = _MONTH_ORDER[slot] + 1
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    dim = _DAYS_IN_MONTH[month - 1] + ((month == 2) & leap)
    valid = shape & (day >= 1) & (day <= dim) & (year >= 1000) & (hour <= 23) & (minute <= 59) & (sec <= 60)
    # Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    out[sel] = np.where(valid, ((days * 86400) + hour * 3600 + minute * 60 + sec) * 1_000_000, 0)
    ok[sel] = valid
    return out, ok


def _text_buffers(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A string array's offsets (n + 1) and its data bytes."""
    offs = np.frombuffer(text.buffers()[1], np.int32)[text.offset : text.offset + len(text) + 1]
    data_buf = text.buffers()[2]
    data = np.frombuffer(data_buf, np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    if len(data) == 0:
        data = np.zeros(1, np.uint8)
    return offs, data


def _values_holding(text: pa.Array, byte_mask: np.ndarray) -> np.ndarray:
    """Which values of a string array hold a byte that byte_mask (over its data) marks."""
    offs, _ = _text_buffers(text)
    hit = np.zeros(len(text), bool)
    pos = np.flatnonzero(byte_mask[offs[0] : offs[-1]]) + offs[0]
    if len(pos):
        hit[np.searchsorted(offs, pos, side="right") - 1] = True
    return hit


def _same_data(part: pa.Array, whole: pa.Array) -> bool:
    a, b = part.buffers()[1], whole.buffers()[1]
    return a is not None and b is not None and a.address == b.address


def blank_as_null(text: pa.Array) -> pa.Array:
    """`schema.empty_as_null` of a string array, with Arrow's kernels run only on the values that
    could be blank (short, or starting or ending with whitespace or a non-ASCII character)."""
    if text.null_count or len(text) == 0:
        return empty_as_null(text)
    offs, data = _text_buffers(text)
    lens = np.diff(offs)
    first = data[np.minimum(offs[:-1], len(data) - 1)]
    last = data[np.maximum(offs[1:] - 1, 0)]
    maybe = np.flatnonzero((lens <= 4) | (first <= 32) | (first >= 128) | (last <= 32) | (last >= 128))
    if len(maybe) == 0:
        return text
    sub = empty_as_null(text.take(pa.array(maybe)))
    if sub.null_count == 0:
        return text
    blank = np.zeros(len(text), bool)
    blank[maybe[np.asarray(sub.is_null())]] = True
    return pc.if_else(pa.array(blank), pa.scalar(None, pa.string()), text)


def _times(texts: pa.Array, parse: Callable) -> tuple[np.ndarray, np.ndarray]:
    """`parse` of every value (microseconds or None) as (values, present): the API's own form in
    numpy, anything else by `parse`, once per distinct text."""
    values, present = _fixed_times(texts)
    rest = np.flatnonzero(~present)
    if len(rest):
        enc = texts.take(pa.array(rest)).dictionary_encode()
        parsed = [parse(v) for v in enc.dictionary.to_pylist()]
        got = np.array([0 if v is None else v for v in parsed], np.int64)
        ok = np.array([v is not None for v in parsed], bool)
        idx = np.asarray(enc.indices.fill_null(-1))
        if (idx < 0).any():  # a null value: what parse makes of None
            none = parse(None)
            got, ok = np.append(got, 0 if none is None else none), np.append(ok, none is not None)
        values[rest] = np.where(ok[idx], got[idx], values[rest])
        present[rest] = ok[idx]
    return values, present


def _map_distinct(col: pa.Array, fn: Callable, type_: pa.DataType) -> pa.Array:
    """fn of every value, computed once per distinct value."""
    enc = col.dictionary_encode()
    mapped = pa.array([fn(v) for v in enc.dictionary.to_pylist()] + [fn(None)], type=type_)
    return mapped.take(pc.fill_null(enc.indices, len(enc.dictionary)))


# ----------------------------------------------------------------------------------- pages


def parse_json_records(lt: LogType, records, ingested_us: int, ids, coercer: Coercer):
    """A JSON page's records -> PageTable, or None (see the module's docstring). `records`: the
    page as read from its body (JsonRecords), or dicts (their text is then written by orjson)."""
    if isinstance(records, JsonRecords):
        loc = records.located
        columns, big = records.columns
        return _page_table(lt, columns, _raw_views(loc), loc.n, ingested_us, ids, coercer, records._list, big)
    n = len(records)
    if n == 0 or type(records) is not list or not all(type(r) is dict for r in records):
        return None
    keys = list(records[0])
    if not keys or not all(list(r) == keys for r in records):
        return None
    if any(('"' in k or "\\" in k or not k.isprintable()) for k in keys):
        return None
    try:
        raws = [orjson.dumps(r) for r in records]
    except TypeError:
        return None
    buf = b"".join(raws)
    lens = np.fromiter(map(len, raws), np.int64, n)
    ends = np.cumsum(lens)
    starts = ends - lens
    loc = _locate(buf, np.frombuffer(buf, np.uint8), starts, ends, keys)
    if loc is None:
        return None
    offsets = np.zeros(n + 1, np.int32)
    offsets[1:] = ends
    raw = pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(buf)])
    columns, big = _columns(loc, False, records)
    return _page_table(lt, columns, raw, n, ingested_us, ids, coercer, lambda: records, big)


def _raw_views(loc: _Located) -> pa.Array:
    lens = (loc.ends - loc.starts).astype(np.int64)
    return _view_array(loc.a, loc.starts.astype(np.int64), lens, [pa.py_buffer(loc.buf)], len(loc.buf))


class JsonRecords(Sequence):
    """The records of a JSON page read from its body's text (`read_json_body`): its length is known
    at once; the records as dicts are decoded (by orjson, the careful way) only if something asks."""

    def __init__(self, body: bytes, located: _Located, columns: tuple):
        self.body = body
        self.located = located
        self.columns = columns  # every key's column, and the array they are slices of (see _columns)
        self._records: list | None = None

    def __len__(self) -> int:
        return self.located.n

    def _list(self) -> list:
        if self._records is None:
            self._records = orjson.loads(self.body)["response"]["data"]
        return self._records

    def __getitem__(self, i):
        return self._list()[i]

    def __iter__(self) -> Iterator:
        return iter(self._list())

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None  # type: ignore[assignment]


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
    loc = _locate(region, a, starts, ends, None, q)
    if loc is None:
        return None
    try:
        columns = _columns(loc, check=True)  # every value readable, every escape and number as orjson writes it
    except (orjson.JSONDecodeError, NotCanonical):
        return None
    return doc, JsonRecords(body, loc, columns)


def parse_csv_records(lt: LogType, records: CsvRecords, ingested_us: int, ids, coercer: Coercer):
    """A CSV page read by Arrow -> PageTable, or None (see the module's docstring)."""
    table = records.table
    n = table.num_rows
    big = pa.concat_arrays([c.combine_chunks() for c in table.columns])
    columns: dict[str, pa.Array | list] = {name: big.slice(i * n, n) for i, name in enumerate(table.column_names)}
    return _page_table(
        lt, columns, _csv_raw(table, big), n, ingested_us, ids, coercer, lambda: table.to_pylist(), big
    )


def _page_table(
    lt: LogType,
    columns: dict[str, pa.Array | list],
    raw: pa.Array,
    n: int,
    ingested_us: int,
    ids,
    coercer: Coercer,
    as_dicts: Callable[[], list],
    big: pa.Array | None = None,
):
    """The page's table from its columns (Arrow string arrays, slices of `big`, or Python values)."""
    # Every record lands, or the careful path decides which are quarantined and why.
    tcol = columns.get(lt.time_field)
    if not isinstance(tcol, pa.Array):
        return None
    times, present = _times(tcol, parse_time_us)
    if not present.all() or not ((times >= MIN_US) & (times < MAX_US)).all():
        return None
    eids = None
    if lt.key_fields:
        first = columns.get(lt.key_fields[0])
        if isinstance(first, pa.Array) and pc.all(pc.greater(pc.binary_length(first), 0)).as_py():
            eids = first
    if eids is None:
        got = [ids(r) for r in as_dicts()]
        if None in got:
            return None
        eids = pa.array(got, pa.string())
    before = coercer.failures
    blanked = blank_as_null(big) if big is not None else None

    def blank(col: pa.Array) -> pa.Array:
        # The column's slice of the blanked array (the same positions as its slice of `big`).
        if blanked is None or big is None or not _same_data(col, big):
            return blank_as_null(col)
        return blanked.slice(col.offset - big.offset, len(col))

    out: dict[str, pa.Array] = {
        "event_id": eids,
        "event_time": pa.array(times, pa.int64()).cast(UTC_TS),
        "vendor": pa.repeat(pa.scalar(FORCEPOINT), n),
        "log_type": pa.repeat(pa.scalar(lt.name), n),
        "raw": raw,
        "ingested_at": pa.array(np.full(n, ingested_us, np.int64)).cast(UTC_TS),
    }
    for f in typed_fields(lt):
        col = columns.get(f.name)
        if col is None:
            out[f.name] = pa.nulls(n, arrow_schema(lt).field(f.name).type)
            for name in part_columns(f):
                out[name] = pa.nulls(n, pa.string())
            continue
        if isinstance(col, list):  # not all text: the careful column
            out[f.name] = column_array(col, f.type, coercer)
            if f.type == LOCATION:
                parts = parse_distinct(col, location_parts)
                for i, name in enumerate(part_columns(f)):
                    out[name] = pa.array([p[i] for p in parts], type=pa.string())
            continue
        if f.type == LIST:
            out[f.name] = _map_distinct(col, parse_list, STRING_LIST)
        elif f.type == TIMESTAMP:
            values, ok = _times(col, lambda v: coercer(v, TIMESTAMP))
            out[f.name] = pa.array(values, pa.int64(), mask=~ok).cast(UTC_TS)
        else:
            out[f.name] = text_column(col, f.type, coercer, blank(col))
        if f.type == LOCATION:
            parts = _map_distinct(col, location_parts, pa.list_(pa.string()))
            for i, name in enumerate(part_columns(f)):
                out[name] = pc.list_element(parts, i)
    schema = arrow_schema(lt)
    table = pa.Table.from_arrays([out[f.name] for f in schema], schema=schema)
    known = known_columns(lt)
    usable, kept = new_column_names(lt, (k for k in columns if k not in known))
    for name in usable:
        col = columns[name]
        new = column_array(col, STRING, coercer) if isinstance(col, list) else blank(col)
        table = table.append_column(pa.field(name, pa.string()), new)
    return PageTable(with_kept_in_raw(table, kept), [], coercer.failures - before)
