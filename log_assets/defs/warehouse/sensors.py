"""The warehouse follows its sources: a run of `warehouse_update` after new lake materializations.

A sensor rather than declarative automation: the warehouse assets are unpartitioned and their
sources are daily-partitioned with many never-materialized days, which eager conditions read as
"dependencies missing" and so never fire. The sensor needs no such reading: it compares the
newest materialization of any source asset with the one the last requested run covered.
"""

import dagster as dg

from log_assets.catalog import CATALOG
from log_assets.defs.aperture.assets import OTHER_TYPES_KEY
from log_assets.defs.runs import run_in_progress

UPDATE_JOB = "warehouse_update"
SOURCE_KEYS = [dg.AssetKey([vendor, name]) for vendor, name in CATALOG] + [OTHER_TYPES_KEY]


def newest_source_storage_id(instance: dg.DagsterInstance) -> int:
    newest = 0
    for record in instance.get_asset_records(SOURCE_KEYS):  # one query for every source asset
        last = record.asset_entry.last_materialization_record
        if last is not None and last.storage_id > newest:
            newest = last.storage_id
    return newest


@dg.sensor(
    name="warehouse_after_sources_sensor",
    job_name=UPDATE_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests a warehouse_update run when any forcepoint/* or aperture/* partition was materialized "
    "since the last one.",
)
def warehouse_after_sources_sensor(context: dg.SensorEvaluationContext):
    newest = newest_source_storage_id(context.instance)
    covered = int(context.cursor or 0)
    if newest <= covered:
        return dg.SkipReason("no source materialization since the last warehouse update")
    if run_in_progress(context.instance, UPDATE_JOB):
        return dg.SkipReason("a warehouse update is in progress; the next tick picks up what it misses")
    context.update_cursor(str(newest))
    return dg.RunRequest(run_key=f"sources-{newest}")
