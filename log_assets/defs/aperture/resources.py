"""Aperture resource: how patient to be with the API. Never holds a credential; where the API is
(and whether plain http is allowed) is read from the environment only: a run config cannot send
the deployment's credentials elsewhere."""

import os

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
    resolve_api_url,
)


def _bool(s: str) -> bool:
    return s.strip().lower() in ("1", "true", "yes", "on")


class ApertureApi(dg.ConfigurableResource):
    """Palo Alto Networks Data Security (Aperture) Log Events API.

    The client id and secret are read from $APERTURE_CLIENT_ID / $APERTURE_CLIENT_SECRET when a run
    needs them, so they never appear in run config, metadata or the UI; the API URL from
    $APERTURE_API_URL and the plain-http override from $APERTURE_ALLOW_INSECURE_HTTP, likewise.
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
    ca_bundle: str | None = Field(
        default=None, description="CA bundle path for TLS verification; env APERTURE_CA_BUNDLE"
    )
    allow_insecure_http: bool = Field(
        default=False,
        description=f"Plain http:// to a non-loopback host: allowed only by env {ENV_ALLOW_INSECURE_HTTP}=1; "
        "true here without it is refused",
    )
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
    trust_env: bool = Field(
        default=False,
        description="Use proxy variables (HTTPS_PROXY, ...) and ~/.netrc from the environment",
    )

    def resolved_url(self) -> str:
        """The API URL of the deployment ($APERTURE_API_URL, a preset or the US host); for messages
        it never raises (an unusable value is returned as is)."""
        raw = os.environ.get(ENV_URL)
        try:
            return resolve_api_url(raw)
        except ApertureError:
            return (raw or "").strip()

    def deployment_url(self) -> str:
        url = resolve_api_url(os.environ.get(ENV_URL))
        if self.api_url is not None:
            try:
                mine = resolve_api_url(self.api_url)
            except ApertureError:
                mine = None
            if mine != url:
                raise ApertureError(
                    f"api_url in the resource config (host {http.host_of(mine or self.api_url)}) differs from "
                    f"{ENV_URL} (host {http.host_of(url)}): the API URL is a deployment setting, read from "
                    f"{ENV_URL} only, so that no run can send this deployment's credentials elsewhere; nothing "
                    "was sent"
                )
        return url

    def insecure_http_allowed(self) -> bool:
        allowed = _bool(os.environ.get(ENV_ALLOW_INSECURE_HTTP, ""))
        if self.allow_insecure_http and not allowed:
            raise ApertureError(
                f"allow_insecure_http is set in the resource config but {ENV_ALLOW_INSECURE_HTTP} is not: plain "
                f"http is a deployment setting, allowed only by {ENV_ALLOW_INSECURE_HTTP}=1; nothing was sent"
            )
        return allowed

    def client(self) -> ApertureClient:
        """A client with credentials from the environment; raises naming the missing variable."""
        url = self.deployment_url()
        allow_insecure_http = self.insecure_http_allowed()
        return ApertureClient.from_env(
            url,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries=self.retries,
            verify=self.ca_bundle or os.environ.get("APERTURE_CA_BUNDLE") or True,
            allow_insecure_http=allow_insecure_http,
            max_response_bytes=self.max_response_bytes,
            request_deadline=self.request_deadline,
            retry_after_max=self.retry_after_max,
            trust_env=self.trust_env,
            logger=dg.get_dagster_logger("aperture"),
        )
