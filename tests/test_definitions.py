"""The code location loads, and offers what INTERFACE.md promises."""

import dagster as dg

from log_assets.catalog import APERTURE_TYPES, FORCEPOINT_TYPES


def test_definitions_load_and_validate():
    from log_assets.definitions import defs

    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    for name in FORCEPOINT_TYPES:
        assert f"forcepoint/{name}" in keys
    assert len(FORCEPOINT_TYPES) == 10


def test_forcepoint_assets_are_daily_single_run():
    from log_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    for name in FORCEPOINT_TYPES:
        node = graph.get(dg.AssetKey(["forcepoint", name]))
        assert isinstance(node.partitions_def, dg.DailyPartitionsDefinition)
        assert node.partitions_def.timezone == "UTC"
        assert node.backfill_policy == dg.BackfillPolicy.single_run()


def test_catalog_covers_every_documented_type():
    assert set(FORCEPOINT_TYPES) == {
        "access", "admin", "cloudaudit", "cloudsummary", "swgweb", "swgwebdlp",
        "healthproxy", "healthapi", "healthsystem", "ztna",
    }
    assert set(APERTURE_TYPES) == {"activity_monitoring", "incident", "remediation", "policy_violation", "admin_audit"}
