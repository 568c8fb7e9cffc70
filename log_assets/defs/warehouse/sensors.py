"""The warehouse follows its sources: a run of `warehouse_update` after new lake materializations.

A sensor rather than declarative automation: the warehouse assets are unpartitioned and their
sources are daily-partitioned with many never-materialized days, which eager conditions read as
"dependencies missing" and so never fire. The sensor needs no such reading: it compares the
newest materialization of any source asset with the one the last requested run covered.
"""

from collections.abc import Sequence

import dagster as dg

from log_assets.catalog import CATALOG
from log_assets.defs.aperture.assets import OTHER_TYPES_KEY
from log_assets.defs.runs import run_in_progress
from log_assets.defs.scope import DEFAULT_SCOPE, Scope

UPDATE_JOB = "warehouse_update"
SOURCE_KEYS = [dg.AssetKey([vendor, name]) for vendor, name in CATALOG] + [OTHER_TYPES_KEY]


def newest_source_storage_id(
    instance: dg.DagsterInstance, source_keys: Sequence[dg.AssetKey] = SOURCE_KEYS
) -> int:
    newest = 0
    for record in instance.get_asset_records(list(source_keys)):  # one query for every source asset
        last = record.asset_entry.last_materialization_record
        if last is not None and last.storage_id > newest:
            newest = last.storage_id
    return newest


def build_warehouse_sensor(scope: Scope, source_keys: Sequence[dg.AssetKey]) -> dg.SensorDefinition:
    """Requests the tenant's warehouse_update after its own sources' materializations."""
    update_job = scope.name(UPDATE_JOB)
    source_keys = list(source_keys)

    @dg.sensor(
        name=scope.name("warehouse_after_sources_sensor"),
        job_name=update_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Requests a warehouse_update run when any forcepoint/* or aperture/* partition was "
        "materialized since the last one.",
    )
    def warehouse_after_sources_sensor(context: dg.SensorEvaluationContext):
        newest = newest_source_storage_id(context.instance, source_keys)
        covered = int(context.cursor or 0)
        if newest <= covered:
            return dg.SkipReason("no source materialization since the last warehouse update")
        if run_in_progress(context.instance, update_job):
            return dg.SkipReason("a warehouse update is in progress; the next tick picks up what it misses")
        context.update_cursor(str(newest))
        return dg.RunRequest(run_key=f"sources-{newest}")

    return warehouse_after_sources_sensor


# The default tenant's.
warehouse_after_sources_sensor = build_warehouse_sensor(DEFAULT_SCOPE, SOURCE_KEYS)
