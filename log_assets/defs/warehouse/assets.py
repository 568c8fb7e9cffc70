"""`warehouse/...` assets: one per DuckDB table, all written by one op (a single writer by design).

The assets are not partitioned: a run loads exactly the lake days whose files changed since they
were loaded (whoever changed them: a partition run, a backfill, the Aperture drain), so
`dagster asset materialize --select 'key:warehouse/*'` needs no partition, and a backfill of the
sources is followed by one warehouse run that loads all its days.

`build_warehouse_assets(catalog, upstream, scope)` builds them for one tenant: its keys, group, pool
(`acme__duckdb_warehouse`: one writer per tenant, tenants do not wait on each other) and resources.
"""

from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from log_assets.catalog import APERTURE, CATALOG, LogType
from log_assets.defs.resources import LogAssetsHome
from log_assets.defs.scope import DEFAULT_SCOPE, WAREHOUSE_DUCKDB, Scope
from log_assets.defs.translator import TABLE
from log_assets.defs.warehouse.resources import WarehouseDuckDB
from log_assets.lake.limits import MAX_NEW_COLUMNS
from log_assets.warehouse.derive import EVENTS
from log_assets.warehouse.derived import DERIVED
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


def _name(ref: TableRef) -> str:
    return f"{ref.schema}_{ref.name}"


@dataclass(frozen=True)
class WarehouseSpecs:
    """One tenant's warehouse assets: their specs in dependency order and the key of each table."""

    specs: list[dg.AssetSpec]
    keys: dict[str, dg.AssetKey]  # by `schema_table`, and "uncataloged"

    def key(self, ref: TableRef) -> dg.AssetKey:
        return self.keys[_name(ref)]

    def of_source(self, source) -> dg.AssetKey:
        """The asset that loads a per-type table: its own, or (a log type the tenant's definitions do
        not name, or one the catalog does not know) warehouse/uncataloged."""
        return self.keys.get(_name(source.ref), self.uncataloged) if source.cataloged else self.uncataloged

    @property
    def uncataloged(self) -> dg.AssetKey:
        return self.keys[UNCATALOGED.path[-1]]


def warehouse_specs(
    catalog: dict = CATALOG,
    upstream: Callable[[LogType], dg.AssetKey] = upstream_key,
    scope: Scope = DEFAULT_SCOPE,
) -> WarehouseSpecs:
    sources = cataloged_sources(catalog)
    own: dict[str, dg.AssetSpec] = {}
    # What each table is loaded or derived from: a source's key, or the name of another table here
    # (its key is known once every table has its spec).
    deps: dict[str, list[dg.AssetKey | str]] = {}

    def add(name: str, description: str, table: TableRef | None, upstream_of: list[dg.AssetKey | str]) -> None:
        own[name] = scope.spec(GROUP, TABLE, name, description, table=table.key if table else None)
        deps[name] = upstream_of

    for s in sources:
        add(_name(s.ref), f"{s.ref.key}: {s.lt.description} One row per event_id.", s.ref, [upstream(s.lt)])
    uncataloged = UNCATALOGED.path[-1]
    add(
        uncataloged,
        "Log types found in the lake that the catalog does not know: one table each (common columns "
        "and raw), e.g. aperture.<new_type>, included in analytics.events.",
        None,
        [upstream(s.lt) for s in sources if s.lt.vendor == APERTURE],
    )
    add(
        _name(EVENTS),
        "analytics.events: every event of both vendors in one shape (OCSF-style names); a view with "
        "one row per row of the per-type tables.",
        EVENTS,
        [*(_name(s.ref) for s in sources), uncataloged],
    )
    for d in DERIVED:
        add(_name(d.ref), f"{d.ref.key}: {(d.__doc__ or '').strip()}", d.ref, [_name(r) for r in d.reads])
    return WarehouseSpecs(
        [
            # A table of a log type the tenant's definitions do not name has no asset: not a dependency.
            spec.replace_attributes(
                deps=[
                    own[d].key if isinstance(d, str) else d
                    for d in deps[name]
                    if d in own or not isinstance(d, str)
                ]
            )
            for name, spec in own.items()
        ],
        {name: spec.key for name, spec in own.items()},
    )


def build_warehouse_assets(
    catalog: dict = CATALOG,
    upstream: Callable[[LogType], dg.AssetKey] = upstream_key,
    scope: Scope = DEFAULT_SCOPE,
) -> dg.AssetsDefinition:
    ws = warehouse_specs(catalog, upstream, scope)
    sources = cataloged_sources(catalog)
    specs = ws.specs
    uncataloged_key = ws.uncataloged
    tables = {
        **{ws.key(s.ref): s.ref for s in sources},
        ws.key(EVENTS): EVENTS,
        **{ws.key(d.ref): d.ref for d in DERIVED},
    }
    home_key, duckdb_key = scope.home_key, scope.resource_key(WAREHOUSE_DUCKDB)

    @dg.multi_asset(
        name=scope.name("warehouse"),
        specs=specs,
        can_subset=True,
        pool=scope.name(POOL),
        required_resource_keys={home_key, duckdb_key},
    )
    def warehouse(context: dg.AssetExecutionContext, config: WarehouseConfig):
        home: LogAssetsHome = getattr(context.resources, home_key)
        warehouse_duckdb: WarehouseDuckDB = getattr(context.resources, duckdb_key)
        selected = context.selected_asset_keys
        h = home.get()
        if config.full_rebuild:
            result = warehouse_duckdb.rebuild(h, context.log)
            loads, refreshed = result["loads"], result["derived"]
        with warehouse_duckdb.writer(h, context.log) as w:
            if not config.full_rebuild:
                loads = w.sync([s for s in w.sources() if ws.of_source(s) in selected])
                refreshed = w.refresh(ref.key for key, ref in tables.items() if key in selected)
                w.publish()
            counts = {key: w.row_count(ref) for key, ref in tables.items() if key in selected}
            uncataloged = {s.ref.key: w.row_count(s.ref) for s in w.sources() if not s.cataloged}

        for key in (spec.key for spec in specs if spec.key in selected):  # in dependency order
            if key == uncataloged_key:
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
            **refresh.figures,  # e.g. identities' ambiguous_names: one name seen with two e-mails
        }
    return {}
