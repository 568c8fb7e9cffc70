"""`warehouse/...` assets: one per DuckDB table, all written by one op (a single writer by design).

The assets are not partitioned: a run loads exactly the lake days whose files changed since they
were loaded (whoever changed them: a partition run, a backfill, the Aperture drain), so
`dagster asset materialize --select 'key:warehouse/*'` needs no partition, and a backfill of the
sources is followed by one warehouse run that loads all its days.
"""

from collections.abc import Callable

import dagster as dg

from log_assets.catalog import APERTURE, CATALOG, LogType
from log_assets.defs.resources import LogAssetsHome
from log_assets.defs.warehouse.resources import WarehouseDuckDB
from log_assets.lake.limits import MAX_NEW_COLUMNS
from log_assets.warehouse.derive import DERIVED, EVENTS
from log_assets.warehouse.layout import TableRef
from log_assets.warehouse.sources import cataloged_sources

GROUP = "warehouse"
POOL = "duckdb_warehouse"  # limit 1 in dagster.yaml: one DuckDB writer at a time
UNCATALOGED = dg.AssetKey([GROUP, "uncataloged"])
# Names of new fields past the bound on new columns reported per table (their count is whole).
NAMES_REPORTED = MAX_NEW_COLUMNS


def table_key(ref: TableRef) -> dg.AssetKey:
    return dg.AssetKey([GROUP, f"{ref.schema}_{ref.name}"])


def upstream_key(lt: LogType) -> dg.AssetKey:
    """The lake asset a per-type table is loaded from (`forcepoint/access`, `aperture/incident`, …)."""
    return dg.AssetKey(lt.asset_key)


class WarehouseConfig(dg.Config):
    full_rebuild: bool = False
    """Build everything again from the whole lake instead of loading what changed."""


def build_warehouse_assets(
    catalog: dict = CATALOG, upstream: Callable[[LogType], dg.AssetKey] = upstream_key
) -> dg.AssetsDefinition:
    sources = cataloged_sources(catalog)
    source_keys = [table_key(s.ref) for s in sources]

    def spec(key, deps, description, table: TableRef | None = None) -> dg.AssetSpec:
        meta = {"dagster/table_name": table.key} if table else {}
        return dg.AssetSpec(
            key, deps=deps, group_name=GROUP, kinds={"duckdb"}, description=description, metadata=meta
        )

    specs = [
        spec(table_key(s.ref), [upstream(s.lt)], f"{s.ref.key}: {s.lt.description} One row per event_id.", s.ref)
        for s in sources
    ]
    specs.append(
        spec(
            UNCATALOGED,
            [upstream(s.lt) for s in sources if s.lt.vendor == APERTURE],
            "Log types found in the lake that the catalog does not know: one table each (common columns "
            "and raw), e.g. aperture.<new_type>, included in analytics.events.",
        )
    )
    specs.append(
        spec(
            table_key(EVENTS),
            [*source_keys, UNCATALOGED],
            "analytics.events: every event of both vendors in one shape (OCSF-style names); a view with "
            "one row per row of the per-type tables.",
            EVENTS,
        )
    )
    specs += [
        spec(table_key(d.ref), [table_key(r) for r in d.reads], f"{d.ref.key}: {(d.__doc__ or '').strip()}", d.ref)
        for d in DERIVED
    ]
    tables = {
        **{table_key(s.ref): s.ref for s in sources},
        table_key(EVENTS): EVENTS,
        **{table_key(d.ref): d.ref for d in DERIVED},
    }

    @dg.multi_asset(name="warehouse", specs=specs, can_subset=True, pool=POOL)
    def warehouse(
        context: dg.AssetExecutionContext,
        config: WarehouseConfig,
        home: LogAssetsHome,
        warehouse_duckdb: WarehouseDuckDB,
    ):
        selected = context.selected_asset_keys
        h = home.get()
        if config.full_rebuild:
            result = warehouse_duckdb.rebuild(h, context.log)
            loads, refreshed = result["loads"], result["derived"]
        with warehouse_duckdb.writer(h, context.log) as w:
            if not config.full_rebuild:
                loads = w.sync(
                    [s for s in w.sources() if (table_key(s.ref) if s.cataloged else UNCATALOGED) in selected]
                )
                refreshed = w.refresh(ref.key for key, ref in tables.items() if key in selected)
                w.publish()
            counts = {key: w.row_count(ref) for key, ref in tables.items() if key in selected}
            uncataloged = {s.ref.key: w.row_count(s.ref) for s in w.sources() if not s.cataloged}

        for key in (spec.key for spec in specs if spec.key in selected):  # in dependency order
            if key == UNCATALOGED:
                meta = {
                    "tables": dg.MetadataValue.json(uncataloged),
                    "dagster/row_count": sum(uncataloged.values()),
                    "days_loaded": dg.MetadataValue.json(
                        {t: len(loads[t].days) for t in uncataloged if t in loads}
                    ),
                    **_new_columns([loads[t] for t in uncataloged if t in loads]),
                }
            else:
                meta = {
                    "dagster/row_count": counts[key],
                    **_work_done(loads.get(tables[key].key), refreshed.get(tables[key].key)),
                }
            yield dg.MaterializeResult(asset_key=key, metadata=meta)

    return warehouse


def _new_columns(loads: list) -> dict:
    """New fields that became columns, and those past the bound on them (their values are in raw):
    counted, and the latter named (the first NAMES_REPORTED of each table)."""
    beyond = {r.table: r.new_columns_beyond_limit for r in loads if r.new_columns_beyond_limit}
    meta: dict = {
        "new_columns": sum(len(r.new_columns) for r in loads),
        "new_fields_beyond_limit": sum(len(names) for names in beyond.values()),
    }
    if beyond:
        meta["new_fields_beyond_limit_names"] = dg.MetadataValue.json(
            {t: names[:NAMES_REPORTED] for t, names in beyond.items()}
        )
    return meta


def _work_done(load, refresh) -> dict:
    if load is not None:
        return {
            "days_loaded": len(load.days),
            "first_day": min(load.days, default="-"),
            "last_day": max(load.days, default="-"),
            "lake_rows": load.lake_rows,
            "rows_for_those_days": load.rows,
            "duplicates_dropped": load.duplicates,
            **_new_columns([load]),
        }
    if refresh is not None:
        return {
            "refresh": "full" if refresh.full else "incremental",
            "keys_recomputed": refresh.keys,
            "days_recomputed": refresh.days,
        }
    return {}
