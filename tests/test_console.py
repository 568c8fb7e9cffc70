"""The run-failure line does not repeat the step's error (log_assets/defs/console.py), in process."""

import logging

import dagster as dg

from log_assets.defs import console


def test_run_failure_points_at_the_step_error_instead_of_repeating_it(capsys):
    console.install()
    console.install()  # idempotent: one class, not a chain of them
    names = [c.__name__ for c in logging.getLoggerClass().__mro__]
    assert names.count("FailureOnceLogger") == 1

    message = " ".join(["the", "one", "message"])  # not a literal: the stack trace quotes the source line

    @dg.asset
    def breaks():
        raise dg.Failure(description=message)

    @dg.asset
    def works():
        return 1

    capsys.readouterr()
    result = dg.materialize([breaks, works], raise_on_error=False)
    assert not result.success
    lines = capsys.readouterr().err.splitlines()
    text = "\n".join(lines)
    assert text.count(message) == 1, text[-2000:]
    step = text.index("STEP_FAILURE")
    assert step < text.index(message)
    run = next(line for line in lines if "RUN_FAILURE" in line)
    assert "printed above, with the step" in run
    assert text.count("Stack Trace:") == 1
    # other records are untouched
    assert any("STEP_SUCCESS" in line for line in lines)
    # what Dagster stores keeps the whole event (the UI shows it structured)
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    assert failure.event_specific_data.error is not None
