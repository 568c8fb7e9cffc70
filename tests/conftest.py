"""Fixtures shared by every test package."""

import gc

import dagster as dg
import pytest


@pytest.fixture
def dagster_instance():
    """A persistent, temporary DagsterInstance (sqlite under a temp dir that is deleted afterwards).

    Entering a DagsterInstance installs its defs-state storage in a ContextVar that Dagster reads
    whenever a `Definitions` is turned into a repository (`get_job_def`, `get_repository_def`, ...);
    leaving it resets the ContextVar with a token. `build_schedule_context(instance=...)` does not
    keep this instance: it keeps a ref and, on first use of `context.instance`, enters a *second*
    instance (`DagsterInstance.from_ref`) into its own ExitStack, which is closed only when the
    context is used as `with build_schedule_context(...) as context:`. A context left open is
    closed by the garbage collector whenever it gets round to it: after this temp dir is gone,
    often during a later test, and its token reset then re-installs *this* instance's storage,
    so the next Definitions load opens `<deleted tmp>/history/runs.db` ("unable to open database
    file"). Tests should close their contexts; collecting here, while this instance is still
    open, makes any context they forgot unwind now, in order (LIFO), instead of in a later test.
    """
    with dg.instance_for_test() as instance:
        yield instance
        gc.collect()
