"""One tenant's definitions: the names, keys, resource keys and asset specs its builders use.

The default tenant's are today's (`forcepoint/access`, `forcepoint_fetch`, resource `home`); a named
tenant `acme`'s are `acme/forcepoint/access`, `acme__forcepoint_fetch`, resource `acme__home`, so that
several tenants and a project's own definitions merge into one code location without a collision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg

from log_assets.catalog import LogType
from log_assets.defs.translator import LogAssetData, LogAssetsTranslator
from log_assets.tenant import DEFAULT_TENANT, Tenant

# Resource keys (of the default tenant; a named tenant's are qualified: `acme__home`).
HOME = "home"
FORCEPOINT = "forcepoint"
APERTURE = "aperture"
WAREHOUSE_DUCKDB = "warehouse_duckdb"


@dataclass(frozen=True)
class Scope:
    tenant: Tenant = DEFAULT_TENANT
    translator: LogAssetsTranslator = field(default_factory=LogAssetsTranslator)

    def name(self, name: str) -> str:
        """A job, schedule, sensor, op or pool name: `acme__forcepoint_fetch`."""
        return self.tenant.qualified(name)

    def resource_key(self, key: str) -> str:
        return self.tenant.qualified(key)

    @property
    def home_key(self) -> str:
        return self.resource_key(HOME)

    def spec(
        self, domain: str, kind: str, name: str, description: str, log_type: LogType | None = None, **kw
    ) -> dg.AssetSpec:
        data = LogAssetData(self.tenant, domain, kind, name, description, log_type=log_type, **kw)
        return self.translator.get_asset_spec(data)


DEFAULT_SCOPE = Scope()
