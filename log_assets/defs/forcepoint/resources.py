"""The Forcepoint resource: settings in config; credentials, the API URL and the plain-http
override only from the environment or the definitions (deployment settings a run config cannot
change). A named tenant's resource (`for_tenant`) reads the variables its tenant names and sends
them only to the API URL its definitions fix."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, ClassVar

import dagster as dg
from pydantic import Field

from log_assets import http
from log_assets.catalog import LogType
from log_assets.defs.resources import VendorApiResource, ca_bundle_field, insecure_http_field
from log_assets.forcepoint.client import (
    DEFAULT_CV,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_REQUEST_DEADLINE,
    DEFAULT_RETRY_AFTER_MAX,
    DEFAULT_URL,
    ENV_ALLOW_INSECURE_HTTP,
    ENV_URL,
    ConfigError,
    Credentials,
    ForcepointClient,
)
from log_assets.forcepoint.quota import API_DAILY_LIMIT, DatabaseQuotaBudget
from log_assets.ops.audit import AuditHook
from log_assets.tenant import ForcepointAccess

if TYPE_CHECKING:  # the database layer is loaded by the run, not when Dagster loads the definitions
    from log_assets.state.store import StateStore


def _env(name: str, value, default, cast=str):
    if value is not None:
        return value
    raw = os.environ.get(name)
    return cast(raw) if raw not in (None, "") else default


class ForcepointResource(VendorApiResource):
    """Forcepoint ONE SSE Log Export API access.

    Credentials are never config: FORCEPOINT_API_TOKEN, or FORCEPOINT_USERNAME and
    FORCEPOINT_PASSWORD, are read from the environment when a run starts. So are the API URL
    (FORCEPOINT_API_URL) and the plain-http override (FORCEPOINT_ALLOW_INSECURE_HTTP): where the
    credentials may go is the deployment's decision, not a run's. Other unset settings fall back to
    environment variables (named in each description), then to the defaults.

    A resource made by the definitions (`for_tenant`) takes each of these from its tenant's
    ForcepointAccess where set, in place of the variable; a named tenant's never reads the
    FORCEPOINT_* variables (its unset settings are the defaults).
    """

    api_url: str | None = Field(
        default=None,
        description=f"Read from env {ENV_URL} only (default {DEFAULT_URL}); a value set here must equal it, "
        "else the run is refused (a run config cannot send the credentials to another host)",
    )
    cv: str | None = Field(
        default=None,
        description="Collector version sent as `cv` (raised per type to its minimum); env FORCEPOINT_CV; "
        f"default {DEFAULT_CV}",
    )
    response_format: str | None = Field(
        default=None, description="json or csv; env FORCEPOINT_RESPONSE_FORMAT; default json"
    )
    method: str = Field(default="GET", description="GET (what real collectors use) or POST")
    daily_budget: int | None = Field(
        default=None,
        description="Requests per log type per UTC day this pipeline may spend; env FORCEPOINT_DAILY_BUDGET; "
        f"default {API_DAILY_LIMIT}",
    )
    reserve: int | None = Field(
        default=None,
        description="Requests per type per day left for other tools; env FORCEPOINT_BUDGET_RESERVE; default 0",
    )
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    retries: int = Field(default=4, description="Bounded retries for 5xx and dropped connections (with backoff)")
    backoff: float = Field(default=1.0, description="urllib3 backoff factor in seconds")
    ca_bundle: str | None = ca_bundle_field("FORCEPOINT_CA_BUNDLE")
    allow_insecure_http: bool = insecure_http_field(ENV_ALLOW_INSECURE_HTTP)
    max_response_bytes: int = Field(
        default=DEFAULT_MAX_RESPONSE_BYTES,
        description="Largest answer read (bytes, decoded); a larger one fails the run, position saved",
    )
    request_deadline: float = Field(
        default=DEFAULT_REQUEST_DEADLINE,
        description="Seconds one request may take in total (retries and the whole body included)",
    )
    retry_after_max: float = Field(
        default=DEFAULT_RETRY_AFTER_MAX,
        description="Longest Retry-After waited for (seconds); a longer one fails the run, position saved",
    )
    close_grace_minutes: int = Field(
        default=15, description="A caught-up day is complete only this long after it ends (late records)"
    )
    # Fixed by the definitions (for_tenant), never by run config: the tenant, and where its API is and
    # which variables hold its credentials (the default tenant's: FORCEPOINT_* as documented above).
    access: ClassVar[ForcepointAccess] = ForcepointAccess()
    vendor: ClassVar[str] = "forcepoint"
    insecure_http_env: ClassVar[str] = ENV_ALLOW_INSECURE_HTTP
    config_error: ClassVar[type[Exception]] = ConfigError

    def credentials(self) -> Credentials:
        """The credentials from the variables the tenant names; raises ConfigError naming them (never
        a value) when they are not set."""
        a = type(self).access
        return Credentials.from_env(
            token_env=a.token_env, username_env=a.username_env, password_env=a.password_env
        )

    def _setting(self, config, fixed, env_name: str, default, cast=str):
        """A setting: the run config's value, else the definitions' (the tenant's `access`), else for
        the default tenant its environment variable, else the default. A named tenant never reads the
        default tenant's variable."""
        if config is not None:
            return config
        if fixed is not None:
            return fixed
        if type(self).tenant.is_default:
            return _env(env_name, None, default, cast)
        return default

    def budget(self, store: StateStore, lt: LogType) -> DatabaseQuotaBudget:
        """The log type's daily request budget, counted in the pipeline state `store`
        (log_assets.state.home.open_state)."""
        a = type(self).access
        return DatabaseQuotaBudget(
            store,
            lt.name,
            limit=self._setting(
                self.daily_budget, a.daily_budget, "FORCEPOINT_DAILY_BUDGET", API_DAILY_LIMIT, int
            ),
            reserve=self._setting(self.reserve, a.reserve, "FORCEPOINT_BUDGET_RESERVE", 0, int),
        )

    def deployment_url(self) -> str:
        """The URL the definitions fix (a named tenant's `api_url`, else the vendor's default), or for
        the default tenant $FORCEPOINT_API_URL (or the default); a different `api_url` in config is refused."""
        fixed, tenant = type(self).access.api_url, type(self).tenant
        if fixed or not tenant.is_default:
            url, source = (fixed or DEFAULT_URL).strip(), f"the definitions of {tenant.describe()}"
        else:
            url, source = (os.environ.get(ENV_URL) or "").strip() or DEFAULT_URL, ENV_URL
        if self.api_url is not None and self.api_url.strip().rstrip("/") != url.rstrip("/"):
            raise ConfigError(
                f"api_url in the resource config (host {http.host_of(self.api_url.strip())}) differs from "
                f"{source} (host {http.host_of(url)}): the API URL is a deployment setting, read from "
                f"{source} only, so that no run can send this deployment's credentials elsewhere; nothing sent"
            )
        return url

    def client(self, budget: DatabaseQuotaBudget, audit: AuditHook | None = None) -> ForcepointClient:
        url = self.deployment_url()
        allow_insecure_http = self.insecure_http_allowed()
        self._check_plain_http(url, allow_insecure_http)
        credentials = self.credentials()  # raises, naming the variable, before anything is sent
        a = type(self).access
        return ForcepointClient(
            url,
            credentials,
            cv=self._setting(self.cv, a.cv, "FORCEPOINT_CV", DEFAULT_CV),
            response_format=self._setting(
                self.response_format, a.response_format, "FORCEPOINT_RESPONSE_FORMAT", "json"
            ).lower(),
            method=self.method,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries=self.retries,
            backoff=self.backoff,
            verify=self._setting(self.ca_bundle, a.ca_bundle, "FORCEPOINT_CA_BUNDLE", True),
            allow_insecure_http=allow_insecure_http,
            charge=budget.charge,
            observe=budget.observe,
            max_response_bytes=self.max_response_bytes,
            request_deadline=self.request_deadline,
            retry_after_max=self.retry_after_max,
            trust_env=self.trust_env,
            logger=dg.get_dagster_logger("forcepoint"),
            audit=audit,
        )
