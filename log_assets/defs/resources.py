"""Resources shared by every domain, and how a resource is bound to one tenant.

A named tenant's resources are instances of a subclass made for it (`for_tenant`), which carries the
tenant's settings as class attributes: the definitions fix them, and no run config can change them
(Dagster rebuilds a resource from its config fields when a run starts; class attributes are not
config). The default tenant's resources are the plain classes, with today's config and behaviour.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar, TypeVar

import dagster as dg
from pydantic import Field

from log_assets import http
from log_assets.paths import Home
from log_assets.tenant import DEFAULT_TENANT, Tenant

R = TypeVar("R")
V = TypeVar("V", bound="VendorApiResource")


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


# --------------------------------------------------------------------------- plain http, both vendors


def _yes(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")


def insecure_http_decision(
    tenant: Tenant, fixed: bool | None, asked: bool, variable: str, error: type[Exception]
) -> bool:
    """Whether plain http to a non-loopback host is allowed (to loopback it always is): the
    definitions' `allow_insecure_http` (`fixed`), else for the default tenant `$variable`=1. `asked`
    (the run config's `allow_insecure_http: true`) without that is refused with `error`."""
    if fixed is not None or not tenant.is_default:
        allowed = bool(fixed)
        source = f"the allow_insecure_http of {tenant.describe()} in its definitions"
    else:
        allowed = _yes(os.environ.get(variable, ""))
        source = f"{variable}=1"
    if asked and not allowed:
        where = variable if fixed is None and tenant.is_default else source
        raise error(
            f"allow_insecure_http is set in the resource config but {where} is not: plain "
            f"http is a deployment setting, allowed only by {source}; nothing was sent"
        )
    return allowed


def check_plain_http(
    tenant: Tenant, fixed: bool | None, vendor: str, url: str, allowed: bool, error: type[Exception]
) -> None:
    """Where the definitions decide about plain http, a refusal names their setting (the client's
    own names the default tenant's variable)."""
    if allowed or (fixed is None and tenant.is_default):
        return
    try:
        http.check_url(
            url,
            f"the {vendor} api_url of {tenant.describe()}",
            False,
            f"allow_insecure_http: true in the {vendor} settings of {tenant.describe()} (its definitions)",
        )
    except http.InsecureUrlError as e:
        raise error(str(e)) from None


# --------------------------------------------------------------------------- both vendors' API resources


def insecure_http_field(variable: str) -> Any:
    """The `allow_insecure_http` config field of a vendor whose deployment allows it by `$variable`."""
    return Field(
        default=False,
        description=f"Plain http:// to a non-loopback host: allowed only by env {variable}=1; "
        "true here without it is refused",
    )


def ca_bundle_field(variable: str) -> Any:
    """The `ca_bundle` config field of a vendor whose default tenant may set it by `$variable`."""
    return Field(default=None, description=f"CA bundle path for TLS verification; env {variable}")


class VendorApiResource(dg.ConfigurableResource):
    """What both vendors' API resources share: `trust_env`, the tenant and its access settings fixed
    by the definitions (class attributes, never run config; `for_tenant`), and the plain-http
    decision. A subclass names its vendor, the settings' class (`access`, its default), the variable
    that allows plain http for the default tenant, and the error its refusals raise."""

    trust_env: bool = Field(
        default=False,
        description="Use proxy variables (HTTPS_PROXY, ...) and ~/.netrc from the environment",
    )
    allow_insecure_http: bool = False  # each subclass declares it with its variable (insecure_http_field)

    vendor: ClassVar[str]
    insecure_http_env: ClassVar[str]
    config_error: ClassVar[type[Exception]]
    tenant: ClassVar[Tenant] = DEFAULT_TENANT
    access: ClassVar[Any]

    @classmethod
    def for_tenant(cls: type[V], tenant: Tenant, access: Any) -> V:
        """The resource of `tenant` with its vendor settings `access`: the plain class for the default
        tenant with default settings, else an instance of a subclass carrying them (`tenant_class`)."""
        if tenant.is_default and access == type(access)():
            return cls()
        return tenant_class(cls, tenant, access=access)()

    def _check_plain_http(self, url: str, allowed: bool) -> None:
        cls = type(self)
        check_plain_http(cls.tenant, cls.access.allow_insecure_http, cls.vendor, url, allowed, cls.config_error)

    def insecure_http_allowed(self) -> bool:
        """Whether plain http to a non-loopback host is allowed (`insecure_http_decision`)."""
        cls = type(self)
        return insecure_http_decision(
            cls.tenant,
            cls.access.allow_insecure_http,
            self.allow_insecure_http,
            cls.insecure_http_env,
            cls.config_error,
        )
