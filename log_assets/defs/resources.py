"""Resources shared by every domain, and how a resource is bound to one tenant.

A named tenant's resources are instances of a subclass made for it (`for_tenant`), which carries the
tenant's settings as class attributes: the definitions fix them, and no run config can change them
(Dagster rebuilds a resource from its config fields when a run starts; class attributes are not
config). The default tenant's resources are the plain classes, with today's config and behaviour.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

import dagster as dg

from log_assets.paths import Home
from log_assets.tenant import DEFAULT_TENANT, Tenant

R = TypeVar("R")


def tenant_class(base: type[R], tenant: Tenant, **attributes: Any) -> type[R]:
    """A subclass of the resource class `base` for `tenant`, with `attributes` as class attributes
    (`tenant` among them); `base` itself for the default tenant with today's settings (its
    environment variables) when nothing else is given: a default tenant given its own home, database
    variable or storage root gets a subclass too, carrying them."""
    if tenant == DEFAULT_TENANT and not attributes:
        return base
    name = f"{base.__name__}_{tenant.name}" if tenant.name else base.__name__
    made: type[R] = type(
        name, (base,), {"__module__": base.__module__, "__qualname__": name, "tenant": tenant, **attributes}
    )
    return made


class LogAssetsHome(dg.ConfigurableResource):
    """Root of all data. Unset means $LOG_ASSETS_HOME, else ./data (read when a run starts; with
    LOG_ASSETS_DEMO=1, $LOG_ASSETS_DEMO_HOME, else ./data-demo). A real run refuses the demo's home.
    A named tenant's: its `home`, else $LOG_ASSETS_HOME/tenants/<tenant>."""

    root: str | None = None
    tenant: ClassVar[Tenant] = DEFAULT_TENANT  # fixed by the definitions (for_tenant), never run config

    @classmethod
    def for_tenant(cls, tenant: Tenant) -> LogAssetsHome:
        return tenant_class(cls, tenant)()

    def get(self) -> Home:
        return Home.for_run(self.root, tenant=type(self).tenant)
