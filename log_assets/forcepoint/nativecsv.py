"""A CSV page read by Arrow's CSV reader (`read_csv`), and each row's `raw` text assembled from its
values by Arrow's string kernels (`csv_raw`), byte for byte what orjson writes for the record. Part of
the native page path (`native.py`): a page whose quoting Python's csv module might read otherwise is
left to the careful reader (None)."""

from __future__ import annotations

import io

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from log_assets.forcepoint.arrowtext import BACKSLASH, QUOTE, text_buffers, values_holding
from log_assets.forcepoint.csvpage import parse_csv
from log_assets.forcepoint.lazyrecords import LazyRecords


class CsvRecords(LazyRecords):
    """The records of a CSV page that Arrow's reader has read: its length is known at once; the
    records as dicts are made (by the careful reader) only if something asks for them."""

    def __init__(self, text: str, table: pa.Table):
        self.text = text
        self.table = table  # every column a string column, named by the header

    def __len__(self) -> int:
        return self.table.num_rows

    def _decode(self) -> list[dict]:
        return parse_csv(self.text)[0]


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
_OTHER_CONTROL = [chr(c) for c in range(32) if chr(c) not in "\n\r\t\b\f"]


def _json_string_body(col: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Which values need an escape (a quote, a backslash, a control character), and those values as
    orjson writes them between the quotes of a JSON string."""
    _, data = text_buffers(col)
    needs = values_holding(col, (data == QUOTE) | (data == BACKSLASH) | (data < 32))
    sub = col.filter(pa.array(needs))
    for plain, escaped in _SHORT_ESCAPES:
        sub = pc.replace_substring(sub, plain, escaped)
    if pc.any(pc.match_substring_regex(sub, r"[\x00-\x1f]")).as_py():
        for ch in _OTHER_CONTROL:
            sub = pc.replace_substring(sub, ch, f"\\u{ord(ch):04x}")
    return needs, sub


def csv_raw(table: pa.Table, values: pa.Array) -> pa.Array:
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
