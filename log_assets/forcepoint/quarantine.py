"""What a walk received but cannot land, kept for a person to look at, on the storage root
(`LOG_ASSETS_STORAGE_URL`, by default the home): `quarantine/forcepoint/<type>/<walk id>-p<page>.*`
(owner-only when local: they hold raw log records). Messages name each object by its URL
(`Storage.uri`), and `written` lists those of this run."""

from __future__ import annotations

import json
import logging

from log_assets.storage import Storage


class Quarantine:
    """`prefix`: the log type's key prefix on `storage` (`quarantine/forcepoint/<type>`)."""

    def __init__(self, storage: Storage, prefix: str, log_type: str, log: logging.Logger):
        self.storage = storage
        self.prefix = prefix.strip("/")
        self.log_type = log_type
        self.log = log
        self.written: list[str] = []  # the URLs of what this run quarantined

    def _put(self, key: str, data: bytes, listed: bool = True) -> str:
        self.storage.write_bytes(key, data, private=True)
        uri = self.storage.uri(key)
        if listed:
            self.written.append(uri)
        return uri

    def records(self, walk_id: str, page_no: int, rejected: list) -> None:
        """Records of a page that do not read (`rejected`: (raw, reason) pairs), one JSON line each."""
        lines = "".join(
            json.dumps({"reason": why, "raw": raw}, ensure_ascii=False) + "\n" for raw, why in rejected
        )
        uri = self._put(f"{self.prefix}/{walk_id}-p{page_no:07d}.rejects.jsonl", lines.encode())
        self.log.warning(
            "forcepoint/%s: %d record(s) quarantined to %s (first: %s)",
            self.log_type,
            len(rejected),
            uri,
            rejected[0][1],
        )

    def body(self, walk_id: str, page_no: int, body: bytes, why: str) -> None:
        """An answer that is not a page at all, and why."""
        base = f"{self.prefix}/{walk_id}-p{page_no:07d}"
        uri = self._put(f"{base}.body", body)
        self._put(f"{base}.why.txt", why.encode(), listed=False)  # beside the body
        self.log.error("forcepoint/%s: unreadable page quarantined to %s: %s", self.log_type, uri, why)
