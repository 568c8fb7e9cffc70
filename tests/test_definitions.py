"""The code location loads, and offers what INTERFACE.md promises."""

from datetime import UTC

import dagster as dg

from log_assets.catalog import APERTURE_TYPES, FORCEPOINT_TYPES


def test_definitions_load_and_validate():
    from log_assets.definitions import defs

    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    for name in FORCEPOINT_TYPES:
        assert f"forcepoint/{name}" in keys


def test_forcepoint_assets_are_daily_single_run():
    from log_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    for name in FORCEPOINT_TYPES:
        node = graph.get(dg.AssetKey(["forcepoint", name]))
        assert isinstance(node.partitions_def, dg.DailyPartitionsDefinition)
        assert node.partitions_def.timezone == "UTC"
        assert node.backfill_policy == dg.BackfillPolicy.single_run()


def test_catalog_covers_every_documented_type():
    # The types the vendors document (api-facts.md); the catalog may hold more (one entry adds one).
    assert set(FORCEPOINT_TYPES) >= {
        "access",
        "admin",
        "cloudaudit",
        "cloudsummary",
        "swgweb",
        "swgwebdlp",
        "healthproxy",
        "healthapi",
        "healthsystem",
        "ztna",
    }
    assert set(APERTURE_TYPES) >= {
        "activity_monitoring",
        "incident",
        "remediation",
        "policy_violation",
        "admin_audit",
    }


def test_forcepoint_schedules_pick_today_and_yesterday(monkeypatch):
    from datetime import datetime

    from log_assets.defs.forcepoint.schedules import forcepoint_close_day_schedule, forcepoint_open_day_schedule

    for k in ("FORCEPOINT_API_TOKEN", "FORCEPOINT_USERNAME", "FORCEPOINT_PASSWORD"):
        monkeypatch.delenv(k, raising=False)
    when = datetime(2026, 11, 22, 0, 30, tzinfo=UTC)
    ctx = dg.build_schedule_context(scheduled_execution_time=when)
    skipped = forcepoint_open_day_schedule(ctx)
    assert isinstance(skipped, dg.SkipReason) and "FORCEPOINT_API_TOKEN" in skipped.skip_message
    monkeypatch.setenv("FORCEPOINT_API_TOKEN", "t")
    assert (
        forcepoint_open_day_schedule(dg.build_schedule_context(scheduled_execution_time=when)).partition_key
        == "2026-11-22"
    )
    assert (
        forcepoint_close_day_schedule(dg.build_schedule_context(scheduled_execution_time=when)).partition_key
        == "2026-11-21"
    )


def test_warehouse_sensor_requests_a_run_only_after_new_source_data(dagster_instance):
    from log_assets.defs.warehouse.sensors import warehouse_after_sources_sensor

    instance = dagster_instance
    with dg.build_sensor_context(instance=instance) as ctx:
        assert isinstance(warehouse_after_sources_sensor(ctx), dg.SkipReason)
    instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key=["forcepoint", "access"], partition="2026-11-20")
    )
    with dg.build_sensor_context(instance=instance) as ctx:
        req = warehouse_after_sources_sensor(ctx)
        assert isinstance(req, dg.RunRequest)
    with dg.build_sensor_context(instance=instance, cursor=ctx.cursor) as again_ctx:
        assert isinstance(warehouse_after_sources_sensor(again_ctx), dg.SkipReason)


def test_loading_the_definitions_leaves_the_heavy_libraries_for_the_runs_that_use_them():
    # Every process of a run (the CLI, the run worker, each step) loads the code location; the lake's
    # Iceberg code (pyiceberg, SQLAlchemy, pandas through pyarrow.dataset) is imported by the steps
    # that open the lake, not by loading the definitions.
    import subprocess
    import sys

    probe = (
        "import sys, log_assets.definitions; "
        "print(' '.join(m for m in ('pyiceberg', 'sqlalchemy', 'pandas', 'pyarrow.dataset', "
        "'log_assets.lake.lake', 'log_assets.lake._pyiceberg', 'log_assets.warehouse.writer') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == []
