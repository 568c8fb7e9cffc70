"""`forcepoint/<log_type>` assets, one per catalog entry, daily UTC partitions, single-run backfills.

`build_forcepoint_assets(scope, log_types)` builds them for one tenant (keys, group and resource keys
from the Scope); FORCEPOINT_ASSETS are the default tenant's, every type.
"""

import warnings
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

import dagster as dg

from log_assets.catalog import FORCEPOINT, FORCEPOINT_TYPES, LogType
from log_assets.defs.forcepoint.resources import ForcepointResource
from log_assets.defs.lake_checks import lake_check_results, lake_check_specs
from log_assets.defs.partitions import DAILY_PARTITIONS, START_ENV, tenant_partitions
from log_assets.defs.resources import LogAssetsHome
from log_assets.defs.scope import DEFAULT_SCOPE, Scope
from log_assets.defs.scope import FORCEPOINT as RESOURCE
from log_assets.defs.translator import LOG_TYPE, asset_arguments
from log_assets.forcepoint.client import ForcepointError

if TYPE_CHECKING:
    from log_assets.forcepoint.ingest import WalkReport


class FetchConfig(dg.Config):
    refetch: bool = False
    """Fetch complete days again and replace them in the lake (spends requests)."""


def report_metadata(report: "WalkReport") -> dict:
    days = report.days
    firsts = [d["first"] for d in days.values() if d["first"]]
    lasts = [d["last"] for d in days.values() if d["last"]]
    return {
        "events_per_day": dg.MetadataValue.json({d: v["events"] for d, v in days.items()}),
        "events_in_window": dg.MetadataValue.int(sum(v["events"] for v in days.values())),
        "complete_days": dg.MetadataValue.json(sorted(d for d, v in days.items() if v["complete"])),
        "open_days": dg.MetadataValue.json(sorted(d for d, v in days.items() if not v["complete"])),
        "pages": dg.MetadataValue.int(report.pages),
        "requests_spent": dg.MetadataValue.int(report.requests),  # by the walk, resumed runs included
        "requests_this_run": dg.MetadataValue.int(report.requests_this_run),
        "quota_left_today": dg.MetadataValue.int(report.quota_left if report.quota_left is not None else -1),
        "events_received": dg.MetadataValue.int(report.events_received),
        "rows_landed": dg.MetadataValue.int(report.rows_landed),
        "duplicates_seen": dg.MetadataValue.int(report.duplicates),
        "quarantined_records": dg.MetadataValue.int(report.quarantined),
        # Where this run put them (URLs on the storage root), for a person to look at.
        "quarantined_to": dg.MetadataValue.json(report.quarantine_paths),
        "values_not_typed": dg.MetadataValue.int(report.coercion_failures),
        "new_fields": dg.MetadataValue.text(", ".join(report.new_fields) or "-"),
        # Fields that could not be columns (a name that would collide, empty, too long, reserved):
        # their values are in raw only.
        "fields_kept_in_raw": dg.MetadataValue.text(_kept_in_raw(report)),
        "fields_kept_in_raw_count": dg.MetadataValue.int(report.fields_kept_in_raw_count),
        "outside_window": dg.MetadataValue.int(report.outside_window),
        # Dated after this machine's clock (plus an allowance): landed, but no evidence of the walk's position.
        "future_dated": dg.MetadataValue.int(report.future_dated),
        "late_events": dg.MetadataValue.int(report.late),  # for days already complete: merged in, deduplicated
        "first_event_time": dg.MetadataValue.text(min(firsts) if firsts else "-"),
        "last_event_time": dg.MetadataValue.text(max(lasts) if lasts else "-"),
        "started_from": dg.MetadataValue.text(report.started_from),
        "stopped_because": dg.MetadataValue.text(report.stopped_because),
    }


def _kept_in_raw(report: "WalkReport") -> str:
    """The fields kept in raw only, as named (a burst of names is cut, and counted)."""
    unlisted = report.fields_kept_in_raw_count - len(report.fields_kept_in_raw)
    return "; ".join(report.fields_kept_in_raw + ([f"and {unlisted} more"] if unlisted > 0 else [])) or "-"


def day_metadata(info: dict) -> dict:
    """One partition's own figures (they replace the run's where the names are the same)."""
    return {
        "rows": dg.MetadataValue.int(info["events"]),  # in the day's lake partition after the run
        "dagster/row_count": dg.MetadataValue.int(info["events"]),
        "day_complete": dg.MetadataValue.bool(bool(info["complete"])),
        "first_event_time": dg.MetadataValue.text(info["first"] or "-"),
        "last_event_time": dg.MetadataValue.text(info["last"] or "-"),
    }


def asset_spec(lt: LogType, scope: Scope = DEFAULT_SCOPE) -> dg.AssetSpec:
    return scope.spec(
        FORCEPOINT,
        LOG_TYPE,
        lt.name,
        f"{lt.description} Lake: the Iceberg table forcepoint.{lt.name}, one partition per event_day.",
        log_type=lt,
    )


def build_forcepoint_asset(
    lt: LogType, scope: Scope = DEFAULT_SCOPE, partitions: dg.PartitionsDefinition = DAILY_PARTITIONS
) -> dg.AssetsDefinition:
    spec = asset_spec(lt, scope)
    key = spec.key
    home_key, forcepoint_key = scope.home_key, scope.resource_key(RESOURCE)

    @dg.asset(
        **asset_arguments(spec),
        check_specs=lake_check_specs(key),
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        required_resource_keys={home_key, forcepoint_key},
    )
    def _fetch(context: dg.AssetExecutionContext, config: FetchConfig):
        forcepoint: ForcepointResource = getattr(context.resources, forcepoint_key)
        home: LogAssetsHome = getattr(context.resources, home_key)
        # Here, not at import: the walk (pyarrow's Parquet, the parser) and the state database
        # (SQLAlchemy) are loaded by the step that runs it.
        from log_assets.forcepoint.ingest import ForcepointIngest, WalkInterrupted
        from log_assets.ops.audit import AuditTrail
        from log_assets.state.home import open_state

        h = home.get()
        window = context.partition_time_window
        # The walk state and the request budget, in one StateStore closed when the run ends.
        with open_state(h, log_types=[lt.name], logger=context.log) as store:
            budget = forcepoint.budget(store, lt)
            audit = AuditTrail(store, quota_left=lambda: budget.last_left, logger=context.log)
            try:
                client = forcepoint.client(budget, audit)
            except ForcepointError as e:
                raise dg.Failure(description=str(e)) from None
            with (
                client,
                ForcepointIngest(
                    h,
                    lt,
                    client,
                    budget,
                    close_grace=timedelta(minutes=forcepoint.close_grace_minutes),
                    logger=context.log,
                ) as ingest,
            ):
                try:
                    report = ingest.run(window.start, window.end, refetch=config.refetch)
                except WalkInterrupted as e:
                    raise dg.Failure(
                        description=str(e.cause), metadata={**report_metadata(e.report), **audit.metadata()}
                    ) from None
                except ForcepointError as e:
                    raise dg.Failure(description=str(e), metadata=audit.metadata()) from None
                context.log.info(
                    "forcepoint/%s: %s; %d requests, %d pages, %d events in the window",
                    lt.name,
                    report.stopped_because,
                    report.requests,
                    report.pages,
                    sum(v["events"] for v in report.days.values()),
                )
                # A multi-day run (a single-run backfill) materializes every day it covers: each gets
                # the run's figures (requests, pages, …) and its own (rows, completeness, first and
                # last event).
                days = {day: report.days[day] for day in context.partition_keys if day in report.days}
                for day, info in days.items():
                    context.add_asset_metadata(day_metadata(info), partition_key=day)
                checks = lake_check_results(
                    context,
                    key,
                    ingest.lake,
                    {day: [(FORCEPOINT, lt.name)] for day in days},
                    {day: info["events"] for day, info in days.items()},
                )
        return dg.MaterializeResult(metadata={**report_metadata(report), **audit.metadata()}, check_results=checks)

    return _fetch


def build_forcepoint_assets(
    scope: Scope = DEFAULT_SCOPE, log_types: Iterable[str] | None = None, partitions_start: str | None = None
) -> list[dg.AssetsDefinition]:
    """The assets of the log types named (None: every one), in the catalog's order, partitioned from
    `partitions_start` (None: the tenant's default)."""
    chosen = FORCEPOINT_TYPES if log_types is None else set(log_types)
    partitions = tenant_partitions(DAILY_PARTITIONS, START_ENV, scope.tenant.is_default, partitions_start)
    with warnings.catch_warnings():
        # backfill_policy is marked beta in Dagster 1.x; single-run backfills are what this asset needs.
        warnings.simplefilter("ignore", dg.BetaWarning) if hasattr(dg, "BetaWarning") else None
        return [build_forcepoint_asset(lt, scope, partitions) for n, lt in FORCEPOINT_TYPES.items() if n in chosen]


FORCEPOINT_ASSETS = build_forcepoint_assets()
