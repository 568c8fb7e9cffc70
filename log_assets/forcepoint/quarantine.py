"""What a walk received but cannot land, kept for a person to look at: `$LOG_ASSETS_HOME/quarantine/
forcepoint/<type>/<walk id>-p<page>.*` (private files: they hold raw log records)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from log_assets.fsutil import atomic_write_bytes


class Quarantine:
    def __init__(self, root: Path, log_type: str, log: logging.Logger):
        self.root = root
        self.log_type = log_type
        self.log = log

    def records(self, walk_id: str, page_no: int, rejected: list) -> None:
        """Records of a page that do not read (`rejected`: (raw, reason) pairs), one JSON line each."""
        lines = "".join(
            json.dumps({"reason": why, "raw": raw}, ensure_ascii=False) + "\n" for raw, why in rejected
        )
        path = self.root / f"{walk_id}-p{page_no:07d}.rejects.jsonl"
        atomic_write_bytes(path, lines.encode(), private=True)
        self.log.warning(
            "forcepoint/%s: %d record(s) quarantined to %s (first: %s)",
            self.log_type,
            len(rejected),
            path,
            rejected[0][1],
        )

    def body(self, walk_id: str, page_no: int, body: bytes, why: str) -> None:
        """An answer that is not a page at all, and why."""
        base = self.root / f"{walk_id}-p{page_no:07d}"
        atomic_write_bytes(base.with_suffix(".body"), body, private=True)
        atomic_write_bytes(base.with_suffix(".why.txt"), why.encode(), private=True)
        self.log.error(
            "forcepoint/%s: unreadable page quarantined to %s: %s", self.log_type, base.with_suffix(".body"), why
        )
