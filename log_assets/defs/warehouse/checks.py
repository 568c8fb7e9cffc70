"""Asset checks on the warehouse, read from the published snapshot (no lock, no pool needed)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import dagster as dg
import duckdb

from log_assets.catalog import APERTURE, CATALOG, FORCEPOINT
from log_assets.defs.resources import LogAssetsHome
from log_assets.defs.scope import DEFAULT_SCOPE, Scope
from log_assets.defs.warehouse.assets import warehouse_specs
from log_assets.paths import Home
from log_assets.warehouse import checks, connect_readonly
from log_assets.warehouse.checks import Outcome
from log_assets.warehouse.derive import DERIVED, EVENTS, ActivityDaily, Incidents, LatestPerKey
from log_assets.warehouse.layout import TableRef
from log_assets.warehouse.sources import Source, cataloged_sources, lake_sources

# Newest event per source older than this: a warning (a source can be quiet; the pipeline may be stuck).
FRESHNESS_LAG = timedelta(hours=36)

Check = Callable[[duckdb.DuckDBPyConnection, Home, datetime], Outcome]


# The checks that need a table or a vendor bound to them (partial keeps them a Check).
def _unique(ref: TableRef, key: tuple[str, ...], c: duckdb.DuckDBPyConnection, h: Home, n: datetime) -> Outcome:
    return checks.unique_key(c, ref, key)


def _matches_lake(source: Source, c: duckdb.DuckDBPyConnection, h: Home, n: datetime) -> Outcome:
    return checks.matches_lake(c, h, source)


def _no_future_events(ref: TableRef, c: duckdb.DuckDBPyConnection, h: Home, n: datetime) -> Outcome:
    return checks.no_future_events(c, ref, n)


def _fresh(vendor: str, lag: timedelta, c: duckdb.DuckDBPyConnection, h: Home, n: datetime) -> Outcome:
    return checks.fresh(c, vendor, n, lag)


def _all(outcomes: list[Outcome], what: str) -> Outcome:
    """One outcome for the uncataloged tables together."""
    failed = [o for o in outcomes if not o.passed]
    if not outcomes:
        return Outcome(True, f"no uncataloged log type: nothing to check for {what}")
    return Outcome(
        not failed,
        "; ".join(o.description for o in (failed or outcomes)),
        {"tables": len(outcomes), "failed": len(failed)},
    )


def build_warehouse_checks(
    catalog: dict = CATALOG,
    freshness_lag: timedelta = FRESHNESS_LAG,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    scope: Scope = DEFAULT_SCOPE,
) -> dg.AssetChecksDefinition:
    ws = warehouse_specs(catalog, scope=scope)
    table_key, uncataloged_key = ws.key, ws.uncataloged
    plan: dict[dg.AssetCheckKey, tuple[Check, dg.AssetCheckSeverity]] = {}
    specs: list[dg.AssetCheckSpec] = []

    def add(
        asset: dg.AssetKey,
        name: str,
        description: str,
        check: Check,
        severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
    ) -> None:
        specs.append(dg.AssetCheckSpec(name, asset=asset, description=description))
        plan[dg.AssetCheckKey(asset, name)] = (check, severity)

    for s in cataloged_sources(catalog):
        key = table_key(s.ref)
        add(key, "event_id_unique", "One row per event_id.", partial(_unique, s.ref, ("event_id",)))
        add(
            key,
            "matches_lake",
            "Rows equal the lake's distinct events for the days loaded last.",
            partial(_matches_lake, s),
        )
        add(
            key,
            "no_future_events",
            f"No event time later than now + {checks.FUTURE_SKEW}.",
            partial(_no_future_events, s.ref),
        )

    def uncataloged(check):
        return lambda c, h, n: _all([check(c, h, n, s) for s in lake_sources(h, catalog)], "them")

    add(
        uncataloged_key,
        "event_id_unique",
        "One row per event_id in each uncataloged table.",
        uncataloged(lambda c, h, n, s: checks.unique_key(c, s.ref)),
    )
    add(
        uncataloged_key,
        "matches_lake",
        "Each uncataloged table equals its lake's distinct events.",
        uncataloged(lambda c, h, n, s: checks.matches_lake(c, h, s)),
    )
    add(
        uncataloged_key,
        "no_future_events",
        f"No event time later than now + {checks.FUTURE_SKEW}.",
        uncataloged(lambda c, h, n, s: checks.no_future_events(c, s.ref, n)),
    )

    for d in DERIVED:
        key = table_key(d.ref)
        if isinstance(d, LatestPerKey):
            add(
                key,
                f"{d.key}_unique",
                f"One row per {d.key}.",
                partial(_unique, d.ref, (d.key,)),
            )
        elif isinstance(d, Incidents):
            add(
                key,
                "incident_unique",
                "One row per (vendor, log_type, incident_id).",
                partial(_unique, d.ref, ("vendor", "log_type", "incident_id")),
            )
        elif isinstance(d, ActivityDaily):
            add(
                key,
                "matches_events",
                "Its event counts add up to analytics.events.",
                lambda c, h, n: checks.activity_matches_events(c),
            )

    events = table_key(EVENTS)
    add(
        events,
        "matches_per_type_tables",
        "One row per row of the per-type tables.",
        lambda c, h, n: checks.events_match_tables(c),
    )
    for vendor in sorted({lt.vendor for lt in catalog.values()}, key=(FORCEPOINT, APERTURE).index):
        add(
            events,
            f"{vendor}_fresh",
            f"The newest {vendor} event is less than {freshness_lag} old.",
            partial(_fresh, vendor, freshness_lag),
            dg.AssetCheckSeverity.WARN,
        )

    home_key = scope.home_key

    @dg.multi_asset_check(
        name=scope.name("warehouse_checks"), specs=specs, can_subset=True, required_resource_keys={home_key}
    )
    def warehouse_checks(context: dg.AssetCheckExecutionContext):
        home: LogAssetsHome = getattr(context.resources, home_key)
        h = home.get()
        try:
            conn = connect_readonly(h)
        except FileNotFoundError as e:
            for key in context.selected_asset_check_keys:
                yield dg.AssetCheckResult(
                    asset_key=key.asset_key, check_name=key.name, passed=False, description=str(e)
                )
            return
        now = clock()
        try:
            for key in sorted(context.selected_asset_check_keys, key=lambda k: k.to_user_string()):
                check, severity = plan[key]
                o = check(conn, h, now)
                yield dg.AssetCheckResult(
                    asset_key=key.asset_key,
                    check_name=key.name,
                    passed=o.passed,
                    description=o.description,
                    metadata=o.metadata,
                    severity=severity,
                )
        finally:
            conn.close()

    return warehouse_checks
