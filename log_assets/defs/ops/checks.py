"""Source health checks on `warehouse/ops_source_health`: is a source late, nearly out of requests,
missing days, or (Aperture) close to losing events? Read from the published table (no lock), judged
against `ops.health.Thresholds` (settings with defaults; see that class).

Each check fails for the sources whose figure crosses its threshold, naming them. Severity WARN,
apart from `drain_lag` past the events' expiry: ERROR (events may have expired unread)."""

from collections.abc import Callable
from datetime import UTC, datetime

import dagster as dg

from log_assets.catalog import CATALOG
from log_assets.defs.resources import LogAssetsHome
from log_assets.defs.scope import DEFAULT_SCOPE, Scope
from log_assets.defs.warehouse.assets import warehouse_specs
from log_assets.ops.health import ERROR, Problem, SourceHealth, Thresholds, assess
from log_assets.warehouse.opstables import SOURCE_HEALTH

CHECKS = {
    "newest_event_age": "The newest event of each source and log type is younger than max_event_age "
    "(LOG_ASSETS_HEALTH_MAX_EVENT_AGE_HOURS, default 36 h).",
    "requests_left_today": "Each Forcepoint log type has at least min_requests_left requests left today "
    "(LOG_ASSETS_HEALTH_MIN_REQUESTS_LEFT, default 30).",
    "gap_days": "No missing day in the last gap_window_days (LOG_ASSETS_HEALTH_GAP_WINDOW_DAYS, default 30): "
    "Forcepoint days not complete, Aperture days with the queue unread past the expiry.",
    "drain_lag": "Aperture's queue was found empty within drain_lag_warn "
    "(LOG_ASSETS_HEALTH_DRAIN_LAG_WARN_MINUTES, default 45 min; ERROR past "
    "LOG_ASSETS_HEALTH_DRAIN_EXPIRY_MINUTES, default 60 min: events expire).",
}


def judge(rows: list[dict], thresholds: Thresholds, now: datetime) -> dict[str, list[Problem]]:
    """The problems of the rows of ops.source_health as they stand at `now`, by check name."""
    found: dict[str, list[Problem]] = {name: [] for name in CHECKS}
    for row in rows:
        for p in assess(SourceHealth.from_row(row).at(now), thresholds):
            if p not in found[p.figure]:  # Aperture's queue figures: once, not once per log type
                found[p.figure].append(p)
    return found


def result(name: str, problems: list[Problem], rows: int, asset: dg.AssetKey) -> dg.AssetCheckResult:
    severity = (
        dg.AssetCheckSeverity.ERROR if any(p.severity == ERROR for p in problems) else dg.AssetCheckSeverity.WARN
    )
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=name,
        passed=not problems,
        severity=severity,
        description="; ".join(p.message for p in problems)
        or f"{rows} source(s) and log type(s): none past the threshold",
        metadata={"sources_measured": rows, "sources_past_threshold": len(problems)},
    )


def build_health_checks(
    catalog: dict = CATALOG,
    scope: Scope = DEFAULT_SCOPE,
    thresholds: Callable[[], Thresholds] = Thresholds.from_env,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dg.AssetChecksDefinition:
    asset = warehouse_specs(catalog, scope=scope).key(SOURCE_HEALTH)
    home_key = scope.home_key

    @dg.multi_asset_check(
        name=scope.name("source_health_checks"),
        specs=[dg.AssetCheckSpec(name, asset=asset, description=text) for name, text in CHECKS.items()],
        can_subset=True,
        required_resource_keys={home_key},
    )
    def source_health_checks(context: dg.AssetCheckExecutionContext):
        from log_assets.warehouse import connect_readonly

        home: LogAssetsHome = getattr(context.resources, home_key)
        selected = sorted(k.name for k in context.selected_asset_check_keys)
        try:
            conn = connect_readonly(home.get())
        except FileNotFoundError as e:
            for name in selected:
                yield dg.AssetCheckResult(asset_key=asset, check_name=name, passed=False, description=str(e))
            return
        try:
            cur = conn.execute(f"SELECT * FROM {SOURCE_HEALTH.sql}")
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        finally:
            conn.close()
        found = judge(rows, thresholds(), clock())
        for name in selected:
            yield result(name, found[name], len(rows), asset)

    return source_health_checks
