"""`detections/...` assets: the rules, the alerts and the suppressions, written by one op after the
warehouse (in its pool: the engine writes the warehouse's build file under its lock).

Each run's metadata shows what it found: new alerts per rule, the newest of them as a table,
alerts updated, candidates skipped for want of an entity, rules evaluated in full.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import dagster as dg

from log_assets.defs.resources import LogAssetsHome
from log_assets.defs.scope import DEFAULT_SCOPE, WAREHOUSE_DUCKDB, Scope
from log_assets.defs.translator import TABLE
from log_assets.defs.warehouse.assets import POOL
from log_assets.defs.warehouse.resources import WarehouseDuckDB

GROUP = "detections"
RULES, ALERTS, SUPPRESSIONS = "rules", "alerts", "suppressions"
DESCRIPTIONS = {
    RULES: "detections.rules: every rule (built in, Sigma, the user's folder) with its severity, ATT&CK "
    "techniques and whether it is enabled.",
    ALERTS: "detections.alerts: one row per rule, entity and dedup window; a re-run or a late event updates "
    "it, never adds a second.",
    SUPPRESSIONS: "detections.suppressions: (rule, entity, until) pairs that mark alerts suppressed without "
    "deleting them (suppressions.yaml in the rules folder).",
}


def detection_specs(scope: Scope, deps: Sequence[dg.AssetKey]) -> dict[str, dg.AssetSpec]:
    specs = {
        name: scope.spec(GROUP, TABLE, name, text, table=f"detections.{name}")
        for name, text in DESCRIPTIONS.items()
    }
    specs[RULES] = specs[RULES].replace_attributes(deps=list(deps))
    specs[SUPPRESSIONS] = specs[SUPPRESSIONS].replace_attributes(deps=[specs[RULES].key])
    specs[ALERTS] = specs[ALERTS].replace_attributes(deps=[*deps, specs[RULES].key, specs[SUPPRESSIONS].key])
    return specs


def newest_table(alerts) -> dg.MetadataValue:
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn(n, t)
            for n, t in (
                ("rule_id", "string"),
                ("entity", "string"),
                ("severity", "string"),
                ("first_seen", "string"),
                ("last_seen", "string"),
                ("event_count", "int"),
                ("status", "string"),
                ("alert_id", "string"),
            )
        ]
    )
    records = [
        dg.TableRecord(
            {
                "rule_id": a.rule_id,
                "entity": a.entity,
                "severity": a.severity,
                "first_seen": a.first_seen.astimezone(UTC).isoformat(),
                "last_seen": a.last_seen.astimezone(UTC).isoformat(),
                "event_count": a.event_count,
                "status": a.status,
                "alert_id": a.alert_id,
            }
        )
        for a in alerts
    ]
    return dg.MetadataValue.table(records, schema)


def alert_metadata(report) -> dict:
    return {
        "new_alerts": sum(report.new_alerts.values()),
        "new_alerts_by_rule": dg.MetadataValue.json(dict(sorted(report.new_alerts.items()))),
        "newest_alerts": newest_table(report.newest),
        "updated_alerts": sum(report.updated_alerts.values()),
        "updated_alerts_by_rule": dg.MetadataValue.json(dict(sorted(report.updated_alerts.items()))),
        "candidates_without_entity": sum(report.without_entity.values()),
        "candidates_without_entity_by_rule": dg.MetadataValue.json(dict(sorted(report.without_entity.items()))),
        "suppressed_alerts": report.suppressed,
        "changed_days": report.days,
        "rules_evaluated_in_full": dg.MetadataValue.json(report.full),
        "dagster/row_count": report.alerts,
    }


def build_detection_assets(
    scope: Scope = DEFAULT_SCOPE,
    deps: Sequence[dg.AssetKey] = (),
    rules_folder: str | None = None,
) -> dg.AssetsDefinition:
    """`rules_folder`: the user's rules (and suppressions.yaml); None: for the default tenant
    LOG_ASSETS_DETECTIONS_RULES when a run starts, for a named tenant none."""
    specs = detection_specs(scope, deps)
    home_key, duckdb_key = scope.home_key, scope.resource_key(WAREHOUSE_DUCKDB)
    default_tenant = scope.tenant.is_default

    @dg.multi_asset(
        name=scope.name("detections"),
        specs=list(specs.values()),
        pool=scope.name(POOL),
        required_resource_keys={home_key, duckdb_key},
    )
    def detections(context: dg.AssetExecutionContext):
        from log_assets.detections.engine import detect
        from log_assets.detections.rules import load_rules
        from log_assets.detections.runner import rules_folder_from_env

        home: LogAssetsHome = getattr(context.resources, home_key)
        warehouse_duckdb: WarehouseDuckDB = getattr(context.resources, duckdb_key)
        folder = rules_folder or (rules_folder_from_env() if default_tenant else None)
        ruleset = load_rules(folder)  # a bad file fails here, naming it, before anything is written
        with warehouse_duckdb.writer(home.get(), context.log) as w:
            report = detect(w, ruleset, datetime.now(UTC))
            w.publish()
        enabled = len(ruleset.enabled)
        yield dg.MaterializeResult(
            asset_key=specs[RULES].key,
            metadata={
                "dagster/row_count": len(ruleset.rules),
                "enabled": enabled,
                "disabled": len(ruleset.rules) - enabled,
                "rules_folder": folder or "-",
                "builtin_replaced": dg.MetadataValue.json(ruleset.replaced),
            },
        )
        yield dg.MaterializeResult(
            asset_key=specs[SUPPRESSIONS].key,
            metadata={"dagster/row_count": len(ruleset.suppressions), "suppressed_alerts": report.suppressed},
        )
        yield dg.MaterializeResult(asset_key=specs[ALERTS].key, metadata=alert_metadata(report))

    return detections
