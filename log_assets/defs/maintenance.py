"""The lake's upkeep: the `lake_maintenance` job, scheduled daily.

For every lake table it compacts days written as many small files (each Aperture landing and each
re-merged Forcepoint day adds one), expires the snapshots older than the retention period (default
7 days: the lake can be read as of any moment within it, for forensics, see README), and removes
the files no kept snapshot needs: replaced data files, old metadata, and the data files of writes
that were interrupted before their commit. Writers go on meanwhile: a day compacted under a merge
makes that merge's commit refused and merged again, and an unreferenced file is removed only once
it is older than the retention (and at least a day: a write in progress has not committed its files).

`build_defs(scope)` builds one tenant's job and schedule (its own lake, its own run-in-progress check).
"""

from datetime import timedelta

import dagster as dg
from pydantic import Field

from log_assets.defs.resources import LogAssetsHome
from log_assets.defs.runs import request_unless_running, running_schedule
from log_assets.defs.scope import DEFAULT_SCOPE, Scope
from log_assets.lake.limits import COMPACT_OVER_FILES

DEFAULT_RETENTION_DAYS = 7


class MaintenanceConfig(dg.Config):
    retention_days: float = Field(
        default=DEFAULT_RETENTION_DAYS,
        ge=1,
        description="Snapshots younger than this stay readable (time travel); older ones are expired.",
    )
    compact_over_files: int = Field(
        default=COMPACT_OVER_FILES, ge=2, description="A day of more data files than this is rewritten as one."
    )


def maintain(context: dg.OpExecutionContext, config: MaintenanceConfig, home: LogAssetsHome) -> dg.Output:
    from log_assets.lake.damage import LakeDamaged, damaged_files
    from log_assets.lake.lake import Lake  # here, not at import: only this step needs pyiceberg

    with Lake.for_home(home.get()) as lake:
        reports = lake.maintain(timedelta(days=config.retention_days), compact_over=config.compact_over_files)
        # Maintenance reads no data file but the days it compacts: a file cut off or gone would pass
        # unnoticed. One listing per table, compared with the sizes the manifests record.
        damaged = [d for v, t in lake.tables() for d in damaged_files(lake, v, t)]
    for r in reports:
        context.log.info(
            f"{r.table}: {r.expired_snapshots} snapshot(s) expired, {r.kept_snapshots} kept"
            + (f" (readable as of {r.oldest_kept.isoformat(timespec='seconds')})" if r.oldest_kept else "")
            + f", {r.deleted_files} file(s) removed ({r.deleted_bytes:,} bytes)"
            + (f", compacted {', '.join(map(str, r.compacted_days))}" if r.compacted_days else "")
        )
    oldest = [r.oldest_kept for r in reports if r.oldest_kept is not None]
    metadata = {
        "tables": len(reports),
        "snapshots_expired": sum(r.expired_snapshots for r in reports),
        "snapshots_kept": sum(r.kept_snapshots for r in reports),
        "files_removed": sum(r.deleted_files for r in reports),
        "bytes_removed": sum(r.deleted_bytes for r in reports),
        "days_compacted": sum(len(r.compacted_days) for r in reports),
        "readable_as_of": (dg.MetadataValue.timestamp(min(oldest)) if oldest else dg.MetadataValue.null()),
        "retention_days": float(config.retention_days),
        "per_table": dg.MetadataValue.json(
            {
                r.table: {
                    "expired": r.expired_snapshots,
                    "kept": r.kept_snapshots,
                    "files_removed": r.deleted_files,
                    "compacted": [d.isoformat() for d in r.compacted_days],
                }
                for r in reports
            }
        ),
        "damaged_files": len(damaged),
    }
    if damaged:
        for d in damaged:
            context.log.error(d.describe())
        raise dg.Failure(
            description=str(LakeDamaged(damaged, "lake maintenance done, but the lake is damaged")),
            metadata={
                **metadata,
                "damaged": dg.MetadataValue.json([d.describe() for d in damaged]),
            },
        )
    return dg.Output(None, metadata=metadata)


def build_job_and_schedule(scope: Scope = DEFAULT_SCOPE) -> tuple[dg.JobDefinition, dg.ScheduleDefinition]:
    home_key = scope.home_key

    @dg.op(
        name=scope.name("maintain_lake"),
        description="Compact days of many files, expire old snapshots, remove files no snapshot needs.",
        required_resource_keys={home_key},
    )
    def lake_maintenance_op(context: dg.OpExecutionContext, config: MaintenanceConfig):
        return maintain(context, config, getattr(context.resources, home_key))

    @dg.job(name=scope.name("lake_maintenance"), description=__doc__.splitlines()[0])
    def lake_maintenance_job():
        lake_maintenance_op()

    @running_schedule(scope.name("lake_maintenance_schedule"), "17 3 * * *", lake_maintenance_job)
    def lake_maintenance_schedule(context: dg.ScheduleEvaluationContext):
        return request_unless_running(context.instance, lake_maintenance_job.name, "maintenance")

    return lake_maintenance_job, lake_maintenance_schedule


def build_defs(scope: Scope = DEFAULT_SCOPE, automation: bool = True) -> dg.Definitions:
    job, schedule = build_job_and_schedule(scope)
    return dg.Definitions(jobs=[job], schedules=[schedule] if automation else [])


# The default tenant's.
lake_maintenance_job, lake_maintenance_schedule = build_job_and_schedule()
defs = dg.Definitions(jobs=[lake_maintenance_job], schedules=[lake_maintenance_schedule])
