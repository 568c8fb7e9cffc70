"""Arrow string arrays at the byte level, for the native page path (`native.py`): views of a
buffer's slices as one string array, the offsets and bytes of an array, which values hold a byte,
blank values as nulls and a function of each distinct value, in numpy and Arrow's kernels."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from log_assets.lake.schema import empty_as_null

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


def view_array(src: np.ndarray, starts: np.ndarray, lens: np.ndarray, buffers: list, first_len: int) -> pa.Array:
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


def text_buffers(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A string array's offsets (n + 1) and its data bytes."""
    offs = np.frombuffer(text.buffers()[1], np.int32)[text.offset : text.offset + len(text) + 1]
    data_buf = text.buffers()[2]
    data = np.frombuffer(data_buf, np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    if len(data) == 0:
        data = np.zeros(1, np.uint8)
    return offs, data


def values_holding(text: pa.Array, byte_mask: np.ndarray) -> np.ndarray:
    """Which values of a string array hold a byte that byte_mask (over its data) marks."""
    offs, _ = text_buffers(text)
    hit = np.zeros(len(text), bool)
    pos = np.flatnonzero(byte_mask[offs[0] : offs[-1]]) + offs[0]
    if len(pos):
        hit[np.searchsorted(offs, pos, side="right") - 1] = True
    return hit


def same_data(part: pa.Array, whole: pa.Array) -> bool:
    a, b = part.buffers()[1], whole.buffers()[1]
    return a is not None and b is not None and a.address == b.address


def blank_as_null(text: pa.Array) -> pa.Array:
    """`schema.empty_as_null` of a string array, with Arrow's kernels run only on the values that
    could be blank (short, or starting or ending with whitespace or a non-ASCII character)."""
    if text.null_count or len(text) == 0:
        return empty_as_null(text)
    offs, data = text_buffers(text)
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


def map_distinct(col: pa.Array, fn: Callable, type_: pa.DataType) -> pa.Array:
    """fn of every value, computed once per distinct value."""
    enc = col.dictionary_encode()
    mapped = pa.array([fn(v) for v in enc.dictionary.to_pylist()] + [fn(None)], type=type_)
    return mapped.take(pc.fill_null(enc.indices, len(enc.dictionary)))
