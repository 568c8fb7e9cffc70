"""A failed run prints its error once.

Dagster's run-failure event carries a copy of the first failed step's error, so every console that
shows both events (the CLI, a run worker's output, the daemon's log) prints the same message and stack
trace twice, a few lines apart. Dagster builds its console loggers per run from
``logging.getLoggerClass()`` and offers no other hook for the run configs that do not name a logger
(``dagster asset materialize``, the UI's Materialize button), so the code location installs a logger
class that prints the run-failure line without the repeated error, pointing at the step's failure.

A step in its own process prints through Dagster's compute-log capture: a `tail -F` of the step's log
file that is stopped as soon as the step ends, so the step's last lines (its failure, the one place
the error is now printed) could be cut off on a busy machine. After printing a step's failure the
logger waits a moment (STEP_FAILURE_WAIT) for the tail to copy it; steps that succeed never wait.

Nothing else changes: every other record, and what Dagster stores in its event log (the UI shows the
structured events), is left as it is.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from dagster import DagsterEventType

# Long enough for `tail -F` (inotify, or a 1 s poll without it) to copy a step's failure to the console.
STEP_FAILURE_WAIT = 1.5


def _event_of(record: logging.LogRecord, kind: DagsterEventType) -> Any:
    """The Dagster event of kind `kind` a record carries, else None."""
    meta = getattr(record, "dagster_meta", None)
    event = meta.get("dagster_event") if isinstance(meta, dict) else None
    return event if event is not None and getattr(event, "event_type", None) == kind else None


def _is_step_failure(record: logging.LogRecord) -> bool:
    return _event_of(record, DagsterEventType.STEP_FAILURE) is not None


def _repeats_the_step_error(record: logging.LogRecord) -> bool:
    event = _event_of(record, DagsterEventType.RUN_FAILURE)
    if event is None:
        return False
    data = event.event_specific_data
    first = getattr(data, "first_step_failure_event", None)
    error = getattr(data, "error", None)
    if error is None or first is None:
        return False
    step_data = getattr(first, "event_specific_data", None)
    return getattr(step_data, "error", None) == error


def _trimmed(message: str) -> str:
    head = message.split("\n\n", 1)[0]
    return f"{head} The error is printed above, with the step that raised it."


def install() -> None:
    """Make loggers created from now on print a run failure without repeating its step's error.

    Idempotent; the class installed derives from the one in place, so another library's logger
    class keeps working.
    """
    base = logging.getLoggerClass()
    if getattr(base, "_log_assets_failure_once", False):
        return

    class FailureOnceLogger(base):  # type: ignore[valid-type,misc]
        _log_assets_failure_once = True

        def makeRecord(self, *args: Any, **kwargs: Any) -> logging.LogRecord:  # noqa: N802 (logging's name)
            record = super().makeRecord(*args, **kwargs)
            if _repeats_the_step_error(record) and isinstance(record.msg, str):
                record.msg = _trimmed(record.msg)
            return record

        def handle(self, record: logging.LogRecord) -> None:
            super().handle(record)
            if _is_step_failure(record):
                for h in self.handlers:
                    h.flush()
                time.sleep(STEP_FAILURE_WAIT)

    logging.setLoggerClass(FailureOnceLogger)
