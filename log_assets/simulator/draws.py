"""Deterministic per-event randomness, computed a column at a time.

Every value of a generated record comes from (seed, log type, event index) alone, so a record is
the same whichever page, startdate or day query produces it, and nothing per event has to be kept
in memory. Columns are drawn with numpy for a whole page at once; a generator must draw the same
columns in the same order for every batch (draw first, select afterwards).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

_U = np.uint64
_GOLDEN = _U(0x9E3779B97F4A7C15)
_COLUMN_STEP = 0xD1B54A32D192ED03


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser on a uint64 array (wrapping arithmetic is intended)."""
    z = x + _GOLDEN
    z = (z ^ (z >> _U(30))) * _U(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U(27))) * _U(0x94D049BB133111EB)
    return z ^ (z >> _U(31))


def stable_key(*parts: object) -> int:
    """A 64-bit key from names and numbers that is the same in every process (unlike hash())."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return (zlib.crc32(text) << 32) | zlib.adler32(text)


class Draws:
    """Independent pseudo-random columns for a batch of events."""

    def __init__(self, key: int, indices: np.ndarray | Sequence[int]):
        idx = np.asarray(indices, dtype=np.int64).astype(_U)
        with np.errstate(over="ignore"):
            self._base = splitmix64(idx * _GOLDEN ^ _U(key & 0xFFFFFFFFFFFFFFFF))
        self._column = 0
        self.n = len(idx)

    def raw(self) -> np.ndarray:
        """The next column of 64-bit values."""
        self._column += 1
        step = _U((self._column * _COLUMN_STEP) & 0xFFFFFFFFFFFFFFFF)
        with np.errstate(over="ignore"):
            return splitmix64(self._base + step)

    def raw_list(self) -> list[int]:
        return self.raw().tolist()

    def below(self, n: int) -> np.ndarray:
        """Integers in [0, n)."""
        return (self.raw() % _U(n)).astype(np.int64)

    def ints(self, lo: int, hi: int) -> list[int]:
        """Python ints in [lo, hi]."""
        return (self.below(hi - lo + 1) + lo).tolist()

    def unit(self) -> np.ndarray:
        """Floats in [0, 1)."""
        return (self.raw() >> _U(11)).astype(np.float64) * (1.0 / (1 << 53))

    def chance(self, p: float) -> list[bool]:
        return (self.unit() < p).tolist()

    def pick(self, pool: Sequence) -> list:
        idx = self.below(len(pool)).tolist()
        return [pool[i] for i in idx]

    def weighted_index(self, weights: Sequence[float]) -> np.ndarray:
        cum = np.cumsum(np.asarray(weights, dtype=np.float64))
        return np.searchsorted(cum / cum[-1], self.unit(), side="right").clip(0, len(cum) - 1)

    def pick_weighted(self, pool: Sequence, weights: Sequence[float]) -> list:
        idx = self.weighted_index(weights).tolist()
        return [pool[i] for i in idx]

    def hex(self, nchars: int) -> list[str]:
        """Lower-case hex strings of `nchars` characters (ids, hashes)."""
        words = (nchars + 15) // 16
        cols = [self.raw_list() for _ in range(words)]
        if words == 1:
            return [f"{a:016x}"[:nchars] for a in cols[0]]
        if words == 2:
            return [f"{a:016x}{b:016x}"[:nchars] for a, b in zip(*cols, strict=True)]
        fmt = "{:016x}" * words
        return [fmt.format(*ws)[:nchars] for ws in zip(*cols, strict=True)]


def choose(mask: Sequence[bool], yes: Sequence, no: Sequence) -> list:
    """Element-wise `yes if mask else no`."""
    return [a if m else b for m, a, b in zip(mask, yes, no, strict=True)]
