"""Aperture resource: how patient to be with the API. Never holds a credential; where the API is
(and whether plain http is allowed) is read from the environment only: a run config cannot send
the deployment's credentials elsewhere. A named tenant's resource (`for_tenant`) reads the variables
its tenant names and sends them only to the API URL its definitions fix."""

from __future__ import annotations

import os
from typing import ClassVar

import dagster as dg
from pydantic import Field

from log_assets import http
from log_assets.aperture.client import (
    CONNECT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_REQUEST_DEADLINE,
    DEFAULT_RETRY_AFTER_MAX,
    ENV_ALLOW_INSECURE_HTTP,
    ENV_URL,
    READ_TIMEOUT,
    ApertureClient,
    ApertureError,
    Credentials,
    resolve_api_url,
)
from log_assets.defs.resources import VendorApiResource, ca_bundle_field, insecure_http_field
from log_assets.ops.audit import AuditHook
from log_assets.tenant import ApertureAccess


class ApertureApi(VendorApiResource):
    """Palo Alto Networks Data Security (Aperture) Log Events API.

    The client id and secret are read from $APERTURE_CLIENT_ID / $APERTURE_CLIENT_SECRET when a run
    needs them, so they never appear in run config, metadata or the UI; the API URL from
    $APERTURE_API_URL and the plain-http override from $APERTURE_ALLOW_INSECURE_HTTP, likewise.
    A resource made by the definitions (`for_tenant`) takes `ca_bundle` and `allow_insecure_http`
    from its tenant's ApertureAccess where set, in place of the variables; a named tenant's never
    reads the APERTURE_* variables.
    """

    api_url: str | None = Field(
        default=None,
        description=f"Read from env {ENV_URL} only (region preset us, eu, apac, uk, in1, au1, uk2, jp1 or host "
        "URL; default the US host); a value set here must resolve to the same URL, else the run is refused",
    )
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = Field(
        default=READ_TIMEOUT, description="Seconds; must stay above the server's 20 s long poll."
    )
    retries: int = Field(default=4, description="Transport retries (connection errors, 429, 5xx) per request.")
    ca_bundle: str | None = ca_bundle_field("APERTURE_CA_BUNDLE")
    allow_insecure_http: bool = insecure_http_field(ENV_ALLOW_INSECURE_HTTP)
    max_response_bytes: int = Field(
        default=DEFAULT_MAX_RESPONSE_BYTES,
        description="Largest body read (bytes, decoded); the start of a larger one is kept in quarantine",
    )
    request_deadline: float = Field(
        default=DEFAULT_REQUEST_DEADLINE,
        description="Seconds one request may take in total (long poll, retries and the whole body included)",
    )
    retry_after_max: float = Field(
        default=DEFAULT_RETRY_AFTER_MAX,
        description="Longest Retry-After waited for (seconds); a longer one fails the drain, saying when to retry",
    )

    # Fixed by the definitions (for_tenant), never by run config: the tenant, and where its API is and
    # which variables hold its client credentials (the default tenant's: APERTURE_* as documented above).
    access: ClassVar[ApertureAccess] = ApertureAccess()
    vendor: ClassVar[str] = "aperture"
    insecure_http_env: ClassVar[str] = ENV_ALLOW_INSECURE_HTTP
    config_error: ClassVar[type[Exception]] = ApertureError

    def credentials(self) -> Credentials:
        """The client credentials from the variables the tenant names; raises naming the one missing."""
        a = type(self).access
        return Credentials.from_env(client_id_env=a.client_id_env, client_secret_env=a.client_secret_env)

    def _url_setting(self) -> tuple[str | None, str]:
        """The URL setting in force and where it comes from: the definitions (a named tenant's, or
        an `api_url` given to them), else for the default tenant $APERTURE_API_URL."""
        fixed, tenant = type(self).access.api_url, type(self).tenant
        if fixed or not tenant.is_default:
            return fixed, f"the definitions of {tenant.describe()}"
        return os.environ.get(ENV_URL), ENV_URL

    def resolved_url(self) -> str:
        """The API URL of the deployment ($APERTURE_API_URL or the definitions', a preset or the US
        host); for messages it never raises (an unusable value is returned as is)."""
        raw, _ = self._url_setting()
        try:
            return resolve_api_url(raw)
        except ApertureError:
            return (raw or "").strip()

    def deployment_url(self) -> str:
        raw, source = self._url_setting()
        url = resolve_api_url(raw)
        if self.api_url is not None:
            try:
                mine = resolve_api_url(self.api_url)
            except ApertureError:
                mine = None
            if mine != url:
                raise ApertureError(
                    f"api_url in the resource config (host {http.host_of(mine or self.api_url)}) differs from "
                    f"{source} (host {http.host_of(url)}): the API URL is a deployment setting, read from "
                    f"{source} only, so that no run can send this deployment's credentials elsewhere; nothing "
                    "was sent"
                )
        return url

    def verify(self) -> bool | str:
        """TLS verification: the run config's `ca_bundle`, else the definitions' (the tenant's), else
        for the default tenant $APERTURE_CA_BUNDLE, else the system's CAs (True)."""
        fixed, tenant = type(self).access.ca_bundle, type(self).tenant
        if self.ca_bundle or fixed:
            return self.ca_bundle or fixed or True
        return (os.environ.get("APERTURE_CA_BUNDLE") if tenant.is_default else None) or True

    def client(self, audit: AuditHook | None = None) -> ApertureClient:
        """A client with credentials from the environment; raises naming the missing variable. Each
        request it sends is handed to `audit` (the ingest audit, log_assets/ops/audit.py)."""
        url = self.deployment_url()
        allow_insecure_http = self.insecure_http_allowed()
        self._check_plain_http(url, allow_insecure_http)
        a = type(self).access
        return ApertureClient.from_env(
            url,
            client_id_env=a.client_id_env,
            client_secret_env=a.client_secret_env,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries=self.retries,
            verify=self.verify(),
            allow_insecure_http=allow_insecure_http,
            max_response_bytes=self.max_response_bytes,
            request_deadline=self.request_deadline,
            retry_after_max=self.retry_after_max,
            trust_env=self.trust_env,
            logger=dg.get_dagster_logger("aperture"),
            audit=audit,
        )
