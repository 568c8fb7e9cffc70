"""`LogAssetsComponent`: one tenant of log-assets as a Dagster component.

One YAML document is one tenant; several documents in one defs.yaml are several tenants::

    type: log_assets.LogAssetsComponent
    attributes:
      tenant: acme
      forcepoint:
        token_env: ACME_FORCEPOINT_API_TOKEN
        log_types: [access, admin]
    ---
    type: log_assets.LogAssetsComponent
    attributes:
      tenant: beta
      aperture:
        client_id_env: BETA_APERTURE_CLIENT_ID
        client_secret_env: BETA_APERTURE_CLIENT_SECRET
        allow_insecure_http: false
      s3:
        access_key_id_env: BETA_AWS_ACCESS_KEY_ID
        secret_access_key_env: BETA_AWS_SECRET_ACCESS_KEY

The attributes are `log_assets.build_defs`'s settings (docs/INTERFACE.md): a vendor omitted has no
assets; a `*_env` attribute names a variable, read when a run starts (`alerts_webhook_env`: the
variable of the URL new alerts are posted to, read at each tick of its sensor). `detections`
(default true) adds the `detections/...` assets after the warehouse; `rules_folder` names a folder
of the tenant's own rule files and its suppressions.yaml. To change the asset specs, subclass the
component and override `get_translator`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import dagster as dg
from pydantic import field_validator

from log_assets.defs.translator import LogAssetsTranslator
from log_assets.factory import build_defs


def _day_text(value: Any) -> Any:
    """YAML reads an unquoted day (2026-01-01) as a date: the attribute takes it as its text."""
    return value.isoformat() if isinstance(value, date) else value


class ForcepointModel(dg.Model, dg.Resolvable):
    """A tenant's Forcepoint ONE SSE Log Export API."""

    api_url: str | None = None
    token_env: str | None = None
    username_env: str | None = None
    password_env: str | None = None
    log_types: list[str] | None = None
    daily_budget: int | None = None
    reserve: int | None = None
    cv: str | None = None
    response_format: str | None = None
    ca_bundle: str | None = None
    allow_insecure_http: bool | None = None
    partitions_start: str | None = None  # YYYY-MM-DD
    open_day_cron: str | None = None
    close_day_cron: str | None = None

    _day = field_validator("partitions_start", mode="before")(lambda v: _day_text(v))


class ApertureModel(dg.Model, dg.Resolvable):
    """A tenant's Palo Alto Data Security (Aperture) Log Events API."""

    api_url: str | None = None
    client_id_env: str | None = None
    client_secret_env: str | None = None
    log_types: list[str] | None = None
    ca_bundle: str | None = None
    allow_insecure_http: bool | None = None
    partitions_start: str | None = None  # YYYY-MM-DD
    drain_max_age_minutes: float | None = None

    _day = field_validator("partitions_start", mode="before")(lambda v: _day_text(v))


class S3Model(dg.Model, dg.Resolvable):
    """How the tenant's `s3://` storage root is reached; the credentials are variables' NAMES
    (unset: the standard AWS_* variables)."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key_id_env: str | None = None
    secret_access_key_env: str | None = None
    session_token_env: str | None = None


class LogAssetsScaffolder(dg.Scaffolder):
    """`dg scaffold defs log_assets.LogAssetsComponent <path>`: a tenant named after the folder (when
    the name can be one), with Forcepoint and Aperture credentials named after it."""

    def scaffold(self, request: dg.ScaffoldRequest) -> None:
        import re

        name = re.sub(r"[^a-z0-9_]", "_", request.target_path.name.lower())
        tenant = name if re.match(r"^[a-z][a-z0-9_]{0,31}$", name) else "tenant1"
        up = tenant.upper()
        dg.scaffold_component(
            request,
            {
                "tenant": tenant,
                "forcepoint": {"token_env": f"{up}_FORCEPOINT_API_TOKEN"},
                "aperture": {
                    "client_id_env": f"{up}_APERTURE_CLIENT_ID",
                    "client_secret_env": f"{up}_APERTURE_CLIENT_SECRET",
                },
                "warehouse": True,
                "automation": True,
            },
        )


@dg.scaffold_with(LogAssetsScaffolder)
class LogAssetsComponent(dg.Component, dg.Model, dg.Resolvable):
    """One tenant of log-assets: Forcepoint and Aperture logs as daily-partitioned Iceberg assets, with
    a DuckDB warehouse on top (see log_assets.build_defs)."""

    tenant: str | None = None
    home: str | None = None
    database_url_env: str | None = None
    storage_url: str | None = None
    forcepoint: ForcepointModel | None = None
    aperture: ApertureModel | None = None
    s3: S3Model | None = None
    warehouse: bool = True
    detections: bool = True  # the detections/... assets (needs the warehouse)
    rules_folder: str | None = None  # the tenant's own rule files and suppressions.yaml
    automation: bool = True
    alerts_webhook_env: str | None = None  # the variable of the alert webhook's URL (see build_defs)

    def get_translator(self) -> LogAssetsTranslator:
        return LogAssetsTranslator()

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        settings: dict[str, Any] = {}
        if self.database_url_env is not None:
            settings["database_url_env"] = self.database_url_env
        if self.alerts_webhook_env is not None:
            settings["alerts_webhook_env"] = self.alerts_webhook_env
        return build_defs(
            tenant=self.tenant,
            home=self.home,
            storage_url=self.storage_url,
            forcepoint=self.forcepoint.model_dump(exclude_none=True) if self.forcepoint else None,
            aperture=self.aperture.model_dump(exclude_none=True) if self.aperture else None,
            s3=self.s3.model_dump(exclude_none=True) if self.s3 else None,
            warehouse=self.warehouse,
            detections=self.detections,
            rules_folder=self.rules_folder,
            automation=self.automation,
            translator=self.get_translator(),
            **settings,
        )
