"""The pipeline state in one database (`LOG_ASSETS_DATABASE_URL`; default a SQLite file in the home):
walk state and day completeness, quota counters, and the one-walk-per-log-type lock. No Dagster here.

    store = StateStore.open(home.root)
    with store.lock("forcepoint/access", wait=3600):
        state = store.load_walk("forcepoint/access")
        store.charge("forcepoint/access", "2026-11-20", limit=300)
        store.save_walk(state)
"""

from log_assets.state.db import DATABASE_URL_ENV, Database, RetryPolicy, database_url, redact_url
from log_assets.state.documents import DayRecord, QuotaCounter, Tail, Walk, WalkCounters, WalkState
from log_assets.state.errors import (
    DatabaseConfigError,
    DatabaseFileCorrupt,
    DatabaseUnavailable,
    HomeMismatch,
    LakeMetadataMissing,
    LockHeld,
    LockLost,
    QuotaRefused,
    SchemaMismatch,
    StaleState,
    StateCorrupt,
    StateDatabaseError,
    StateError,
)
from log_assets.state.locks import HeldLock
from log_assets.state.store import StateStore, stream_name

__all__ = [
    "DATABASE_URL_ENV",
    "Database",
    "DatabaseConfigError",
    "DatabaseFileCorrupt",
    "DatabaseUnavailable",
    "DayRecord",
    "HeldLock",
    "HomeMismatch",
    "LakeMetadataMissing",
    "LockHeld",
    "LockLost",
    "QuotaCounter",
    "QuotaRefused",
    "RetryPolicy",
    "SchemaMismatch",
    "StaleState",
    "StateCorrupt",
    "StateDatabaseError",
    "StateError",
    "StateStore",
    "Tail",
    "Walk",
    "WalkCounters",
    "WalkState",
    "database_url",
    "redact_url",
    "stream_name",
]
