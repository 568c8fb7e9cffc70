"""Aperture checks: is the drain keeping up, and can we get a token (without reading events)."""

import os
import warnings
from datetime import timedelta

import dagster as dg
import requests

from log_assets.aperture.client import ApertureError
from log_assets.defs.aperture.assets import SPOOL_KEY
from log_assets.defs.aperture.resources import ApertureApi
from log_assets.defs.scope import APERTURE as RESOURCE

MAX_DRAIN_AGE_ENV = "APERTURE_DRAIN_MAX_AGE_MINUTES"
# Unread events expire at the source after about an hour: a gap this long is an early warning.
DEFAULT_MAX_DRAIN_AGE_MINUTES = 30.0


def max_drain_age_minutes(is_default_tenant: bool, given: float | None = None) -> float:
    """The tenant's own setting; else, for the default tenant, APERTURE_DRAIN_MAX_AGE_MINUTES; else 30."""
    if given is not None:
        return float(given)
    return float(
        (os.environ.get(MAX_DRAIN_AGE_ENV) if is_default_tenant else None) or DEFAULT_MAX_DRAIN_AGE_MINUTES
    )


def build_drain_freshness_checks(
    spool_key: dg.AssetKey, max_age_minutes: float | None = None
) -> list[dg.AssetChecksDefinition]:
    # A check (plus the sensor in sensors.py) rather than a FreshnessPolicy: the policy needs the
    # instance's freshness daemon, which the shipped dagster.yaml does not enable.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*build_last_update_freshness_checks.*superseded")
        return list(
            dg.build_last_update_freshness_checks(
                assets=[spool_key],
                lower_bound_delta=timedelta(
                    minutes=max_age_minutes if max_age_minutes is not None else max_drain_age_minutes(True)
                ),
                severity=dg.AssetCheckSeverity.WARN,
            )
        )


def build_token_check(spool_key: dg.AssetKey, aperture_key: str = RESOURCE) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=spool_key,
        name="api_token",
        description="Connectivity: asks the token endpoint for a token and nothing else (reading events would "
        "pop them).",
        required_resource_keys={aperture_key},
    )
    def aperture_token_check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        aperture: ApertureApi = getattr(context.resources, aperture_key)
        try:
            client = aperture.client()
            info = client.token_info()
        except ApertureError as e:
            raise dg.Failure(description=str(e)) from None
        except requests.RequestException as e:
            raise dg.Failure(
                description=f"cannot reach the Aperture API at {aperture.resolved_url()}: {type(e).__name__}: {e}"
            ) from None
        context.log.info(f"token issued by {info['api_url']} (expires_in={info['expires_in']})")
        return dg.AssetCheckResult(
            passed=True,
            metadata={
                "api_url": info["api_url"],
                "token_type": info["token_type"],
                "scope": info["scope"],
                "expires_in": dg.MetadataValue.float(info["expires_in"])
                if info["expires_in"] is not None
                else dg.MetadataValue.null(),
            },
        )

    return aperture_token_check


# The default tenant's.
drain_freshness_checks = build_drain_freshness_checks(SPOOL_KEY)
aperture_token_check = build_token_check(SPOOL_KEY)
