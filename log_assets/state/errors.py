"""What can go wrong with the pipeline-state database, as exceptions a run can act on.

Every message names the database by its URL with the password masked, and never carries a secret
or the parameters of a statement (walk tokens are not secrets, but they do not belong in an error).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from log_assets.state.documents import QuotaCounter


class StateError(RuntimeError):
    """A problem with the pipeline state that stops the run; its saved position stands."""


class DatabaseConfigError(StateError):
    """LOG_ASSETS_DATABASE_URL cannot be used (not a URL, an unsupported database, ...)."""


class StateDatabaseError(StateError):
    """The database failed an operation (a driver error that is not a lost connection).

    `url` is the redacted URL; `reason` the driver's own words, redacted. Nothing of the failed
    operation was committed, unless `consequence` says it may have been (see DatabaseUnavailable)."""

    what = "failed"

    def __init__(self, url: str, doing: str, reason: str, attempts: int, seconds: float, consequence: str):
        self.url = url
        self.doing = doing
        self.reason = reason
        self.attempts = attempts
        tried = f" (tried {attempts} times over {seconds:.1f} s)" if attempts > 1 else ""
        super().__init__(
            f"the pipeline-state database {url} {self.what} while {doing}: {reason}{tried}. {consequence}"
        )


class DatabaseUnavailable(StateDatabaseError):
    """The database could not be reached, or the connection broke mid-transaction, and the bounded
    retries did not get through. Every operation is retried only where the retry can tell whether the
    first attempt committed (a quota charge carries a request id, a save a write id)."""

    what = "is unavailable"


class DatabaseFileCorrupt(StateError):
    """The SQLite file of the database is not a database any more (overwritten, truncated, damaged):
    running again does not help; it must be restored from its backup."""

    def __init__(self, path: str, reason: str, variable: str | None = "LOG_ASSETS_DATABASE_URL"):
        self.path = path
        self.reason = reason
        super().__init__(
            f"the pipeline-state database file {path} is damaged ({reason}): it is not a transient outage, and "
            "running again will not repair it. Nothing was fetched or changed. Restore the file from its backup "
            "(stop the runs, then replace the file and remove its -wal and -shm files beside it, unless the "
            f"backup holds them too), or point {variable or 'the database URL'} at the right database. Keep the "
            f"damaged file: `sqlite3 {path} .recover` may still read part of it."
        )


class HomeMismatch(StateError):
    """The database and the storage root are not the two halves of one home (binding.py): the run is
    refused before anything is fetched or written."""


class LakeMetadataMissing(StateError):
    """A lake table's current metadata file is gone from the storage root: found before a request is sent."""


class SchemaMismatch(StateError):
    """The state tables were made by a newer log-assets (or are not ours)."""


class StaleState(StateError):
    """A save based on a version of the state that another writer has replaced meanwhile."""

    def __init__(self, stream: str, expected: int, found: int | None):
        self.stream = stream
        self.expected = expected
        self.found = found
        now = "no longer exists" if found is None else f"is at version {found}"
        super().__init__(
            f"the state of {stream} was changed by another run while this one held version {expected} "
            f"(it {now}): nothing was saved. Only one walk per log type may run; this run stops so as "
            "not to overwrite the other's position. Run again: it resumes from the saved state."
        )


class StateCorrupt(StateError):
    """A state row exists but does not have its shape: the run stops rather than guess."""

    def __init__(self, table: str, key: str, reason: str, how_to_recover: str):
        self.table = table
        self.key = key
        self.reason = reason
        super().__init__(
            f"state row {key!r} in table {table} is unusable: {reason}. The run stopped. {how_to_recover}"
        )


class QuotaRefused(StateError):
    """The day's request budget is spent: nothing was counted, so nothing may be sent."""

    def __init__(self, counter: QuotaCounter, limit: int, reserve: int):
        self.counter = counter
        self.limit = limit
        self.reserve = reserve
        server = (
            f", server reports {counter.server_remaining} left" if counter.server_remaining is not None else ""
        )
        super().__init__(
            f"request budget for {counter.key} is spent for {counter.day} ({counter.spent} sent by this "
            f"pipeline, budget {limit} minus reserve {reserve}{server})"
        )


class LockHeld(StateError):
    """Another process (on this machine or another) holds the named lock."""

    def __init__(self, name: str, waited: float, holder: str | None):
        self.name = name
        self.waited = waited
        self.holder = holder
        by = f" ({holder})" if holder else ""
        gave_up = f"; gave up after waiting {waited:.1f} s" if waited > 0 else ""
        super().__init__(f"another run holds the lock for {name}{by}{gave_up}")


class LockLost(StateError):
    """The connection that held a lock is gone, so the lock may be taken by another run."""

    def __init__(self, name: str, url: str, reason: str):
        self.name = name
        super().__init__(
            f"the lock for {name} was lost: its connection to {url} broke ({reason}), so another run may "
            "now hold it. This run stops before writing more; its last saved position stands."
        )
