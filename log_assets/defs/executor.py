"""The code location's executor: a run of one step executes it in the run's own process, a run of
several steps in child processes as Dagster's default executor does.

A scheduled or command-line run of one Forcepoint type or one Aperture drain is one step; with
Dagster's default (multiprocess) executor it pays a second interpreter that imports Dagster and the
package again, then tears it down (benchmarks/noop.py measures both). Runs of several steps (a
backfill of several assets, the warehouse's tables) keep their parallelism.

Run config chooses as with Dagster's default executor, and an explicit choice always wins:
`execution: {config: {in_process: {}}}` or `execution: {config: {multiprocess: {...}}}`. Without
`execution` config the number of steps the run executes decides.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:
    from dagster._core.events import DagsterEvent
    from dagster._core.execution.context.system import PlanOrchestrationContext
    from dagster._core.execution.plan.plan import ExecutionPlan
    from dagster._core.execution.retries import RetryMode

IN_PROCESS = "in_process"
MULTIPROCESS = "multiprocess"
MODES = {IN_PROCESS: dg.in_process_executor, MULTIPROCESS: dg.multiprocess_executor}
# A mode's config when run config names none: Dagster's defaults (retries enabled, the rest unset).
MODE_DEFAULTS: dict[str, object] = {"retries": {"enabled": {}}}


def chosen_mode(config: Mapping[str, object], step_count: int) -> str:
    """`in_process` or `multiprocess`: the one `config` names, else in-process for a single step."""
    for mode in MODES:
        if mode in config:
            return mode
    return IN_PROCESS if step_count <= 1 else MULTIPROCESS


class SingleStepInProcessExecutor(dg.Executor):
    """Delegates a run to Dagster's in-process or multiprocess executor once its plan is known."""

    def __init__(self, init_context: dg.InitExecutorContext):
        self.config = dict(init_context.executor_config or {})
        self.executors = {
            mode: _create(definition, init_context, self.config.get(mode, MODE_DEFAULTS))
            for mode, definition in MODES.items()
        }

    def executor_for(self, step_count: int) -> dg.Executor:
        return self.executors[chosen_mode(self.config, step_count)]

    @property
    def retries(self) -> RetryMode:
        return self.executors[chosen_mode(self.config, 2)].retries

    def execute(
        self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan
    ) -> Iterator[DagsterEvent]:
        return self.executor_for(len(execution_plan.step_keys_to_execute)).execute(plan_context, execution_plan)


def _create(definition: dg.ExecutorDefinition, init_context: dg.InitExecutorContext, config) -> dg.Executor:
    create = definition.executor_creation_fn
    assert create is not None
    return create(
        dg.InitExecutorContext(
            job=init_context.job, executor_def=definition, executor_config=config, instance=init_context.instance
        )
    )


def _requirements(config: Mapping[str, object]) -> Sequence[dg.ExecutorRequirement]:
    # What the multiprocess mode needs (a reconstructable job, a persistent instance) is checked unless
    # the run is configured in-process.
    return [] if IN_PROCESS in config else dg.multiple_process_executor_requirements()


@dg.executor(
    name="single_step_in_process_executor",
    config_schema=dg.Field(
        dg.Selector({mode: d.config_schema.as_field() for mode, d in MODES.items()}),
        is_required=False,
        description="Omitted: a run of one step executes in-process, a run of several in child processes.",
    ),
    requirements=_requirements,
)
def single_step_in_process_executor(init_context: dg.InitExecutorContext) -> dg.Executor:
    return SingleStepInProcessExecutor(init_context)
