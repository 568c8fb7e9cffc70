"""The Forcepoint resource: settings in config, credentials only from the environment."""

from __future__ import annotations

import os

import dagster as dg
from pydantic import Field

from log_assets.catalog import LogType
from log_assets.forcepoint.client import DEFAULT_CV, DEFAULT_URL, ENV_URL, Credentials, ForcepointClient
from log_assets.forcepoint.quota import API_DAILY_LIMIT, QuotaBudget
from log_assets.paths import Home


def _env(name: str, value, default, cast=str):
    if value is not None:
        return value
    raw = os.environ.get(name)
    return cast(raw) if raw not in (None, "") else default


def _bool(s: str) -> bool:
    return s.strip().lower() in ("1", "true", "yes", "on")


class ForcepointResource(dg.ConfigurableResource):
    """Forcepoint ONE SSE Log Export API access.

    Credentials are never config: FORCEPOINT_API_TOKEN, or FORCEPOINT_USERNAME and
    FORCEPOINT_PASSWORD, are read from the environment when a run starts. Unset settings fall back
    to environment variables (named in each description), then to the defaults.
    """

    api_url: str | None = Field(
        default=None, description=f"Logs endpoint URL; env {ENV_URL}; default {DEFAULT_URL}"
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
    ca_bundle: str | None = Field(
        default=None, description="CA bundle path for TLS verification; env FORCEPOINT_CA_BUNDLE"
    )
    allow_insecure_http: bool = Field(default=False, description="Allow plain http:// to a non-loopback host")
    close_grace_minutes: int = Field(
        default=15, description="A caught-up day is complete only this long after it ends (late records)"
    )

    def budget(self, home: Home, lt: LogType) -> QuotaBudget:
        return QuotaBudget(
            home.state / "quota" / "forcepoint" / f"{lt.name}.json",
            lt.name,
            limit=_env("FORCEPOINT_DAILY_BUDGET", self.daily_budget, API_DAILY_LIMIT, int),
            reserve=_env("FORCEPOINT_BUDGET_RESERVE", self.reserve, 0, int),
        )

    def client(self, budget: QuotaBudget) -> ForcepointClient:
        credentials = Credentials.from_env()  # raises, naming the variable, before anything is sent
        return ForcepointClient(
            _env(ENV_URL, self.api_url, DEFAULT_URL),
            credentials,
            cv=_env("FORCEPOINT_CV", self.cv, DEFAULT_CV),
            response_format=_env("FORCEPOINT_RESPONSE_FORMAT", self.response_format, "json").lower(),
            method=self.method,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries=self.retries,
            backoff=self.backoff,
            verify=_env("FORCEPOINT_CA_BUNDLE", self.ca_bundle, True),
            allow_insecure_http=self.allow_insecure_http
            or _bool(os.environ.get("FORCEPOINT_ALLOW_INSECURE_HTTP", "")),
            charge=budget.charge,
            observe=budget.observe,
        )
