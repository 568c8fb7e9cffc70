"""A parsed page as a table: what both parsers (`native.py`, `parse.py`) hand back."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa


@dataclass
class PageTable:
    table: pa.Table  # the lake schema of the log type; one row per readable record
    rejected: list = field(default_factory=list)  # (raw_text, reason)
    coercion_failures: int = 0  # values that did not fit their column (NULL there, kept in raw)
