"""Asset checks on detections.alerts, read from the published snapshot (no lock, no pool needed)."""

import dagster as dg

from log_assets.defs.resources import LogAssetsHome
from log_assets.defs.scope import Scope
from log_assets.warehouse import connect_readonly

# name -> (description, SQL counting the rows that break it)
CHECKS = {
    "alert_id_unique": (
        "One row per alert_id.",
        "SELECT count(*) - count(DISTINCT alert_id) FROM detections.alerts",
    ),
    "one_alert_per_window": (
        "No two alerts of one rule and entity share a dedup window (a re-run or a late event updates the "
        "first, never adds a second).",
        "SELECT count(*) FROM detections.alerts a JOIN detections.alerts b ON a.rule_id = b.rule_id "
        "AND a.entity = b.entity AND a.alert_id < b.alert_id "
        "AND a.window_start < b.window_end AND b.window_start < a.window_end",
    ),
}


def build_detection_checks(scope: Scope, alerts_key: dg.AssetKey) -> dg.AssetChecksDefinition:
    home_key = scope.home_key

    @dg.multi_asset_check(
        specs=[dg.AssetCheckSpec(name, asset=alerts_key, description=text) for name, (text, _) in CHECKS.items()],
        name=scope.name("detections_checks"),
        required_resource_keys={home_key},
        can_subset=True,
    )
    def detections_checks(context: dg.AssetCheckExecutionContext):
        home: LogAssetsHome = getattr(context.resources, home_key)
        with connect_readonly(home.get()) as conn:
            for key in context.selected_asset_check_keys:
                bad = conn.execute(CHECKS[key.name][1]).fetchall()[0][0]
                yield dg.AssetCheckResult(
                    asset_key=alerts_key,
                    check_name=key.name,
                    passed=bad == 0,
                    metadata={"offending_rows": bad},
                    description=CHECKS[key.name][0],
                )

    return detections_checks
