"""Bring the JSON state files of a home written before the database (`state/forcepoint/<type>.json`,
`state/quota/forcepoint/<type>.json`) into the database, once.

A file is imported only where the database knows nothing of its stream (no walk row, no day; no
counter for the file's day), then renamed `<name>.json.imported`: kept for reference, never read
again. Without this an upgraded home would fetch its complete days again and forget today's count.

A run does this by itself for its log type the first time it opens the state of such a home
(log_assets.legacy.import_old_state), and `python -m log_assets.migrate` does it for every log type
on demand. The import holds a lock of its own, so that runs starting at once import each file once: a
run waits for another's import and then finds its files imported.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.engine import Connection

from log_assets.fsutil import fsync_dir
from log_assets.legacy import IMPORTED_SUFFIX, state_files
from log_assets.legacy.statefiles import (
    QUOTA_RECOVERY,
    WALK_RECOVERY,
    StateFileError,
    check_quota_state,
    check_walk_state,
    read_state,
)
from log_assets.state import tables as t
from log_assets.state.documents import DocumentError, WalkState
from log_assets.state.store import StateStore, stream_name

IMPORT_LOCK = "log_assets state files import"
# How long an import waits for another process's (one takes milliseconds).
IMPORT_LOCK_WAIT = 300.0


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)  # the files brought in
    skipped: list[str] = field(default_factory=list)  # the database already had that state: left as is


def import_state_files(
    store: StateStore,
    state_dir: Path,
    vendor: str = "forcepoint",
    *,
    log_types: Collection[str] | None = None,
    wait: float = IMPORT_LOCK_WAIT,
) -> ImportReport:
    """Import the vendor's walk and quota files under `state_dir` (`$LOG_ASSETS_HOME/state`), of
    `log_types` only if given, holding the import lock (waiting up to `wait` seconds for another
    process's import). A file that cannot be used raises StateFileError naming it and how to recover,
    as reading it would; the files before it stay imported, it and those after it stay where they are."""
    with store.lock(IMPORT_LOCK, wait=wait):
        return _import(store, state_dir, vendor, log_types)


def _import(store: StateStore, state_dir: Path, vendor: str, log_types: Collection[str] | None) -> ImportReport:
    report = ImportReport()
    for path in state_files(state_dir, vendor, log_types, kinds=["walk"]):
        stream = stream_name(vendor, path.stem)
        doc = read_state(path, check=check_walk_state, how_to_recover=WALK_RECOVERY)
        if doc is None:
            continue  # gone since it was listed
        try:
            incoming = WalkState.from_file_doc(stream, doc)
        except DocumentError as e:  # what the file's shape check lets through but the types do not
            raise StateFileError(path, f"is wrongly shaped: {e}", WALK_RECOVERY) from None
        stored = store.load_walk(stream)
        if stored.version or stored.days:
            report.skipped.append(str(path))
            continue
        store.save_walk(incoming)
        _set_aside(path, report)
    for path in state_files(state_dir, vendor, log_types, kinds=["quota"]):
        doc = read_state(path, check=check_quota_state, how_to_recover=QUOTA_RECOVERY)
        if doc is None:
            continue
        key = stream_name(vendor, path.stem)
        if _import_counter(store, key, doc):
            _set_aside(path, report)
        else:
            report.skipped.append(str(path))
    return report


def _import_counter(store: StateStore, name: str, doc: dict) -> bool:
    day = date.fromisoformat(doc["day"])
    key = store.key(name)  # the tenant's own counter

    def insert(conn: Connection) -> bool:
        done = conn.execute(
            store.insert(t.quota)
            .values(
                key=key,
                day=day,
                spent=doc["spent"],
                server_remaining=doc.get("server_remaining"),
                updated_at=datetime.now(UTC),
            )
            .on_conflict_do_nothing(index_elements=[t.quota.c.key, t.quota.c.day])
        )
        return bool(done.rowcount)

    imported: bool = store.db.run(
        insert,
        doing=f"importing the request count of {key}",
        consequence="Nothing was imported; the state files are as they were: run again when the database is back.",
    )
    return imported


def _set_aside(path: Path, report: ImportReport) -> None:
    os.replace(path, path.with_name(path.name + IMPORTED_SUFFIX))
    fsync_dir(path.parent)
    report.imported.append(str(path))
