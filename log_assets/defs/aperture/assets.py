"""Aperture assets: `aperture/spool` (the drain) and `aperture/<log_type>` (daily lake partitions).

The spool asset is what the `aperture_drain` job materializes: each materialization is one drain of
the vendor queue into the durable spool, so its history is the drain history (and its freshness
check is the "last successful drain" alarm). The log type assets are deliberately not declared
downstream of it: every minute's drain would otherwise mark every day partition as stale.

`build_aperture_assets(scope, log_types)` builds them for one tenant; the module's `aperture_spool`
and `aperture_landing` are the default tenant's. A tenant that takes only some log types still
lands every event the drain reads (the queue holds every type): the others go to other_log_types.
"""

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import dagster as dg
import requests
from pydantic import Field

from log_assets.aperture.client import ApertureError
from log_assets.aperture.drain import DEFAULT_BUDGET_SECONDS, DEFAULT_READERS, DrainError, DrainReport, drain
from log_assets.aperture.spool import Spool
from log_assets.catalog import APERTURE, APERTURE_TYPES, LogType
from log_assets.defs.aperture.partitions import aperture_daily_partitions
from log_assets.defs.aperture.resources import ApertureApi
from log_assets.defs.lake_checks import lake_check_results, lake_check_specs
from log_assets.defs.resources import LogAssetsHome
from log_assets.defs.scope import APERTURE as RESOURCE
from log_assets.defs.scope import DEFAULT_SCOPE, Scope
from log_assets.defs.translator import LOG_TYPE, OTHER_LOG_TYPES, SPOOL, asset_arguments
from log_assets.storage import StorageError

if TYPE_CHECKING:  # loaded by the steps that land, not at definitions import
    from log_assets.aperture.land import LandReport
    from log_assets.lake.lake import Lake


class DrainConfig(dg.Config):
    budget_seconds: float = Field(
        default=DEFAULT_BUDGET_SECONDS,
        description="Stop starting new reads after this many seconds (a read in flight always completes).",
    )
    readers: int = Field(default=DEFAULT_READERS, description="Concurrent readers, one HTTP session each.")


def _ts(value: datetime | None):
    return dg.MetadataValue.timestamp(value) if value is not None else dg.MetadataValue.null()


def drain_metadata(report: DrainReport, spool: Spool) -> dict:
    s = report.sort
    age = report.oldest_event_age_seconds
    return {
        "events_read": report.events_read,
        "events_sorted": s.events,
        "bodies_read": report.bodies_read,
        "bytes_read": report.bytes_read,
        "bodies_quarantined": s.bodies_quarantined + report.bodies_truncated,
        "bodies_truncated": report.bodies_truncated,
        "bodies_partly_quarantined": s.bodies_partly_quarantined,
        "events_quarantined": s.events_quarantined,
        "bodies_recovered": report.bodies_recovered,
        "empty_reads": report.empty_reads,
        "read_errors": report.read_errors,
        "coercion_failures": s.coercion_failures,
        "oldest_event_age_seconds": dg.MetadataValue.float(age) if age is not None else dg.MetadataValue.null(),
        "oldest_event": _ts(s.oldest_event),
        "newest_event": _ts(s.newest_event),
        "partitions_touched": dg.MetadataValue.json(
            {f"{t}/{d}": n for (t, d), n in sorted(s.per_partition.items())}
        ),
        "stop_reason": report.stop_reason,
        "readers": report.readers,
        "tokens_issued": report.tokens_issued,
        "elapsed_seconds": report.elapsed_seconds,
        "spool": dg.MetadataValue.path(spool.describe()),
    }


SPOOL_DESCRIPTION = (
    "Durable spool of Aperture response bodies. Materializing it drains the vendor queue (reads are "
    "destructive): every body is stored in the spool (spool/aperture/ under LOG_ASSETS_STORAGE_URL, "
    "by default $LOG_ASSETS_HOME) before it is parsed or the next read is made, then sorted into "
    "per-day inbox files for the aperture/<log_type> partitions; "
    "unparseable bodies go byte for byte to quarantine/aperture/."
)


def build_spool_asset(scope: Scope = DEFAULT_SCOPE) -> dg.AssetsDefinition:
    spec = scope.spec(APERTURE, SPOOL, "spool", SPOOL_DESCRIPTION)
    home_key, aperture_key = scope.home_key, scope.resource_key(RESOURCE)

    @dg.asset(**asset_arguments(spec), required_resource_keys={home_key, aperture_key})
    def aperture_spool(context: dg.AssetExecutionContext, config: DrainConfig) -> dg.MaterializeResult:
        home: LogAssetsHome = getattr(context.resources, home_key)
        aperture: ApertureApi = getattr(context.resources, aperture_key)
        with Spool(home.get()) as spool:
            return _drain(context, config, aperture, spool)

    return aperture_spool


def _drain(
    context: dg.AssetExecutionContext, config: DrainConfig, aperture: ApertureApi, spool: Spool
) -> dg.MaterializeResult:
    from log_assets.ops.audit import AuditTrail
    from log_assets.state.errors import StateError  # the database layer: loaded by the run only

    audit: AuditTrail | None = None
    try:
        # The state database first (the ingest audit's; a database of another home is refused here,
        # before anything is popped), then the credentials: nothing is sent without them.
        audit = AuditTrail(spool.state(), logger=context.log, deferred=True)  # written once a body is spooled
        client = aperture.client(audit)
        report = drain(
            client, spool, budget_seconds=config.budget_seconds, readers=config.readers, log=context.log
        )
    except DrainError as e:
        raise dg.Failure(
            description=str(e), metadata={**drain_metadata(e.report, spool), **_audited(audit)}
        ) from None
    except (ApertureError, StorageError, StateError) as e:
        raise dg.Failure(description=str(e), metadata=_audited(audit)) from None
    except requests.RequestException as e:
        raise dg.Failure(
            description=f"cannot reach the Aperture API at {aperture.resolved_url()}: {type(e).__name__}: {e}",
            metadata=_audited(audit),
        ) from None
    context.log.info(
        f"drained {report.events_read} events in {report.bodies_read} bodies ({report.stop_reason}); "
        f"quarantined {report.sort.bodies_quarantined + report.bodies_truncated} bodies"
    )
    return dg.MaterializeResult(metadata={**drain_metadata(report, spool), **_audited(audit)})


def _audited(audit) -> dict:
    if audit is None:
        return {}
    audit.flush()  # what the drain left (a token request before any read)
    return audit.metadata()


def land_metadata(reports: list["LandReport"], spool: Spool) -> dict:
    return {**land_figures(reports), "quarantined_bodies_total": len(spool.quarantined_bodies())}


def land_figures(reports: list["LandReport"]) -> dict:
    """What `reports` landed: of the whole run, or (a partition's own metadata) of one day."""
    firsts = [r.first_event for r in reports if r.first_event]
    lasts = [r.last_event for r in reports if r.last_event]
    per_day: dict[str, int] = {}
    for r in reports:
        per_day[r.day] = per_day.get(r.day, 0) + r.landed
    return {
        "events_landed": sum(r.landed for r in reports),
        "duplicates_merged": sum(r.duplicates for r in reports),
        "inbox_files": sum(r.inbox_files for r in reports),
        "rows": sum(r.rows for r in reports),
        "files": sum(r.files for r in reports),
        "compacted": sum(1 for r in reports if r.compacted),
        "coercion_failures": sum(r.coercion_failures for r in reports),
        "new_fields": ", ".join(sorted({f for r in reports for f in r.new_fields})) or "-",
        # Fields that could not be columns (their values are in raw only), each with the reason.
        "fields_kept_in_raw": "; ".join(sorted({f for r in reports for f in r.fields_kept_in_raw})) or "-",
        "events_landed_per_day": dg.MetadataValue.json({d: n for d, n in per_day.items() if n}),
        "log_types": dg.MetadataValue.json(sorted({r.log_type for r in reports})),
        "first_event": _ts(min(firsts) if firsts else None),
        "last_event": _ts(max(lasts) if lasts else None),
    }


def _land_days(
    context: dg.AssetExecutionContext, spool: Spool, lake: "Lake", names: Callable[[Spool, str], Iterable[str]]
) -> list["LandReport"]:
    from log_assets.aperture.land import land_day

    reports = []
    for day in context.partition_keys:
        for name in names(spool, day):
            r = land_day(spool, name, day, lake=lake)
            if r.landed or r.duplicates:
                context.log.info(f"{name} {day}: landed {r.landed}, merged {r.duplicates} duplicates")
            reports.append(r)
    return reports


def _other_types(known: Collection[str]) -> Callable[[Spool, str], list[str]]:
    """The spooled log types of a day that have no asset of their own (`known`: those that do)."""
    return lambda spool, day: sorted(t for t, d in spool.pending_partitions() if d == day and t not in known)


def _only_type(name: str) -> Callable[[Spool, str], list[str]]:
    return lambda _spool, _day: [name]


def _log_type_spec(lt: LogType, scope: Scope) -> dg.AssetSpec:
    return scope.spec(
        APERTURE,
        LOG_TYPE,
        lt.name,
        f"{lt.description} Lake: the Iceberg table aperture.{lt.name}, one row per distinct event "
        "(event_id = sha256 of its canonical JSON), partitioned by the UTC day of `timestamp`. "
        "Materializing a day merges the events the drain spooled for it.",
        log_type=lt,
    )


def _other_types_spec(scope: Scope) -> dg.AssetSpec:
    return scope.spec(
        APERTURE,
        OTHER_LOG_TYPES,
        "other_log_types",
        "Events of log types the catalog does not know yet (or that this tenant's definitions do not "
        "name), kept (common columns + raw) in their own Iceberg tables, aperture.<log_type>, never dropped.",
    )


@dataclass(frozen=True)
class LandingKeys:
    """The keys of one tenant's landing assets: a log type's own, or other_log_types for the rest."""

    by_type: dict[str, dg.AssetKey]
    other: dg.AssetKey

    def of(self, log_type: str) -> dg.AssetKey:
        return self.by_type.get(log_type, self.other)

    @property
    def all(self) -> list[dg.AssetKey]:
        return [*self.by_type.values(), self.other]


def landing_keys(scope: Scope = DEFAULT_SCOPE, log_types: Iterable[str] | None = None) -> LandingKeys:
    chosen = APERTURE_TYPES if log_types is None else set(log_types)
    return LandingKeys(
        {name: _log_type_spec(lt, scope).key for name, lt in APERTURE_TYPES.items() if name in chosen},
        _other_types_spec(scope).key,
    )


def build_landing_asset(
    scope: Scope = DEFAULT_SCOPE,
    log_types: Iterable[str] | None = None,
    partitions: dg.PartitionsDefinition = aperture_daily_partitions,
) -> dg.AssetsDefinition:
    chosen = APERTURE_TYPES if log_types is None else set(log_types)
    specs = {name: _log_type_spec(lt, scope) for name, lt in APERTURE_TYPES.items() if name in chosen}
    other = _other_types_spec(scope)
    names: dict[dg.AssetKey, Callable[[Spool, str], Iterable[str]]] = {
        spec.key: _only_type(name) for name, spec in specs.items()
    }
    names[other.key] = _other_types(set(specs))
    home_key = scope.home_key

    # One subsettable multi-asset rather than one asset per type: a landing run for several types is
    # then one step (one process) instead of one per type, which matters at a run every minute.
    @dg.multi_asset(
        name=scope.name("aperture_landing"),
        specs=[*specs.values(), other],
        check_specs=[spec for key in names for spec in lake_check_specs(key)],
        can_subset=True,
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        required_resource_keys={home_key},
    )
    def aperture_landing(context: dg.AssetExecutionContext):
        h = getattr(context.resources, home_key).get()
        from log_assets.lake.lake import Lake  # here, not at import: the step that lands loads it

        with Spool(h) as spool, Lake.for_home(h, storage=spool.storage) as lake:
            yield from _land_selected(context, spool, lake, names)

    return aperture_landing


def _land_selected(
    context: dg.AssetExecutionContext,
    spool: Spool,
    lake: "Lake",
    names_of: dict[dg.AssetKey, Callable[[Spool, str], Iterable[str]]],
):
    for key in sorted(context.selected_asset_keys, key=lambda k: k.path):
        reports = _land_days(context, spool, lake, names_of[key])
        by_day: dict[str, list] = {day: [] for day in context.partition_keys}
        for r in reports:
            by_day.setdefault(r.day, []).append(r)
        # A multi-day run materializes every day it covers, each with its own figures (the run's
        # totals stay under the names that only the run has, e.g. events_landed_per_day).
        for day, day_reports in by_day.items():
            figures = land_figures(day_reports)
            del figures["events_landed_per_day"]  # the run's: every day it landed
            context.add_asset_metadata(
                {**figures, "dagster/row_count": sum(r.rows for r in day_reports)},
                asset_key=key,
                partition_key=day,
            )
        checks = lake_check_results(
            context,
            key,
            lake,
            {day: [(APERTURE, r.log_type) for r in rs] for day, rs in by_day.items()},
            {day: sum(r.rows for r in rs) for day, rs in by_day.items()},
        )
        yield dg.MaterializeResult(asset_key=key, metadata=land_metadata(reports, spool), check_results=checks)


# The default tenant's, every log type.
aperture_spool = build_spool_asset()
aperture_landing = build_landing_asset()
SPOOL_KEY = aperture_spool.key
DEFAULT_LANDING_KEYS = landing_keys()
OTHER_TYPES_KEY = DEFAULT_LANDING_KEYS.other
LOG_TYPE_KEYS = list(DEFAULT_LANDING_KEYS.by_type.values())
LANDING_KEYS = DEFAULT_LANDING_KEYS.all
