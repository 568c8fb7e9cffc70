"""Asset specs from one overridable place, as dagster-dlt's and dagster-sling's translators do.

Every asset of log-assets gets its key, group, description, kinds, tags and metadata from
`LogAssetsTranslator.get_asset_spec(data)`. Subclass it and pass an instance to
`log_assets.build_defs(translator=...)` (or `LogAssetsComponent`'s `translator`) to change them::

    class MyTranslator(LogAssetsTranslator):
        def get_asset_spec(self, data):
            spec = super().get_asset_spec(data)
            return spec.replace_attributes(owners=["team:secops"])

What the pipeline itself decides is not the translator's: partitions, backfill policies, checks and a
warehouse table's dependencies (they follow the keys the translator gives the sources).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from log_assets.catalog import LogType
from log_assets.tenant import Tenant

# What an asset is (LogAssetData.kind).
LOG_TYPE = "log_type"  # forcepoint/<type>, aperture/<type>
SPOOL = "spool"  # aperture/spool
OTHER_LOG_TYPES = "other_log_types"  # aperture/other_log_types
TABLE = "table"  # warehouse/<schema>_<table>, warehouse/uncataloged, detections/<table>


@dataclass(frozen=True)
class LogAssetData:
    """What an asset is about: given to `LogAssetsTranslator.get_asset_spec`."""

    tenant: Tenant
    domain: str  # "forcepoint", "aperture" or "warehouse"
    kind: str  # LOG_TYPE, SPOOL, OTHER_LOG_TYPES or TABLE
    name: str  # the log type, "spool", "other_log_types", or the warehouse table's asset name
    description: str
    log_type: LogType | None = None
    table: str | None = None  # a warehouse table's `schema.table`
    extra_metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> list[str]:
        """The key without the tenant's prefix: `forcepoint/access`, `warehouse/analytics_events`."""
        return [self.domain, self.name]


def asset_arguments(spec: dg.AssetSpec) -> dict[str, Any]:
    """The arguments of `@dg.asset` an AssetSpec gives (the decorator takes no spec)."""
    return {
        "key": spec.key,
        "group_name": spec.group_name,
        "kinds": set(spec.kinds),
        "description": spec.description,
        "metadata": spec.metadata,
        "tags": spec.tags,
        "owners": spec.owners,
    }


class LogAssetsTranslator:
    """The default asset specs (see the module's docstring)."""

    def get_asset_spec(self, data: LogAssetData) -> dg.AssetSpec:
        return dg.AssetSpec(
            key=self.get_asset_key(data),
            group_name=self.get_group_name(data),
            description=data.description,
            kinds=self.get_kinds(data),
            metadata=self.get_metadata(data),
            tags=self.get_tags(data),
        )

    def get_asset_key(self, data: LogAssetData) -> dg.AssetKey:
        return dg.AssetKey([*data.tenant.key_prefix, *data.path])

    def get_group_name(self, data: LogAssetData) -> str:
        return data.domain if data.tenant.is_default else f"{data.tenant.name}_{data.domain}"

    def get_kinds(self, data: LogAssetData) -> set[str]:
        if data.domain in ("warehouse", "detections"):
            return {"duckdb"}
        return {"python"} if data.kind == SPOOL else {"iceberg"}

    def get_tags(self, data: LogAssetData) -> dict[str, str]:
        return {"vendor": data.domain} if data.domain == "forcepoint" else {}

    def get_metadata(self, data: LogAssetData) -> dict[str, Any]:
        """The metadata of each domain's asset specs, built here alone."""
        meta: dict[str, Any] = {}
        lt = data.log_type
        if data.domain == "forcepoint" and lt is not None:
            meta["dedup_key"] = (
                " / ".join(lt.key_fields) or f"hash of identifying fields (prefixed by {lt.key_prefix_field})"
            )
        elif data.domain == "aperture" and lt is not None:
            from log_assets.aperture.spool import log_type_entry
            from log_assets.lake.schema import arrow_schema

            meta["dagster/column_schema"] = dg.TableSchema(
                columns=[dg.TableColumn(f.name, str(f.type)) for f in arrow_schema(log_type_entry(lt.name))]
            )
        elif data.domain in ("warehouse", "detections") and data.table is not None:
            meta["dagster/table_name"] = data.table
        return {**meta, **data.extra_metadata}
