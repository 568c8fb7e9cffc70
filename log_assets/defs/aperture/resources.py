"""Aperture resource: where the API is and how patient to be with it. Never holds a credential."""

import os

import dagster as dg
from pydantic import Field

from log_assets.aperture.client import CONNECT_TIMEOUT, ENV_URL, READ_TIMEOUT, ApertureClient, resolve_api_url


class ApertureApi(dg.ConfigurableResource):
    """Palo Alto Networks Data Security (Aperture) Log Events API.

    The client id and secret are read from $APERTURE_CLIENT_ID / $APERTURE_CLIENT_SECRET when a run
    needs them, so they never appear in run config, metadata or the UI.
    """

    api_url: str | None = Field(
        default=None,
        description=f"Region preset (us, eu, apac, uk, in1, au1, uk2, jp1) or host URL; unset: ${ENV_URL}, else "
        "the US host.",
    )
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = Field(
        default=READ_TIMEOUT, description="Seconds; must stay above the server's 20 s long poll."
    )
    retries: int = Field(default=4, description="Transport retries (connection errors, 429, 5xx) per request.")
    ca_bundle: str | None = Field(
        default=None, description="CA bundle path for TLS verification; env APERTURE_CA_BUNDLE"
    )
    allow_insecure_http: bool = Field(default=False, description="Allow plain http:// to a non-loopback host")

    def resolved_url(self) -> str:
        return resolve_api_url(self.api_url or os.environ.get(ENV_URL))

    def client(self) -> ApertureClient:
        """A client with credentials from the environment; raises naming the missing variable."""
        return ApertureClient.from_env(
            self.resolved_url(),
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries=self.retries,
            verify=self.ca_bundle or os.environ.get("APERTURE_CA_BUNDLE") or True,
            allow_insecure_http=self.allow_insecure_http
            or os.environ.get("APERTURE_ALLOW_INSECURE_HTTP", "").strip().lower() in ("1", "true", "yes", "on"),
        )
