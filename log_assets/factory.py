"""`build_defs`: one tenant's Dagster definitions (see docs/INTERFACE.md, "The package in a user's
Dagster project").

    defs = dg.Definitions.merge(
        log_assets.build_defs(tenant="acme", forcepoint={"token_env": "ACME_FORCEPOINT_API_TOKEN"}),
        log_assets.build_defs(tenant="beta", aperture={}),
        my_own_defs,
    )

The default tenant (`tenant` omitted) is today's code location: keys `forcepoint/<type>`, jobs
`forcepoint_fetch`, ..., resources `home`, `forcepoint`, `aperture`, `warehouse_duckdb`, and the
variables documented in INTERFACE.md. A named tenant `acme` gets keys `acme/forcepoint/<type>`, groups
`acme_forcepoint`, ..., jobs, schedules, sensors, ops and pools `acme__<name>`, and resources
`acme__home`, `acme__forcepoint`, ...: nothing collides with another tenant's or a project's own.

Secrets are named, never given: `token_env`, `username_env`, `password_env`, `client_id_env`,
`client_secret_env`, `database_url_env` and `s3`'s `access_key_id_env`, `secret_access_key_env`,
`session_token_env` name environment variables that are read when a run starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import dagster as dg

from log_assets import http
from log_assets.catalog import APERTURE, APERTURE_TYPES, CATALOG, FORCEPOINT, FORCEPOINT_TYPES
from log_assets.tenant import (
    DATABASE_URL_ENV,
    ApertureAccess,
    ForcepointAccess,
    S3Access,
    Tenant,
    TenantConfigError,
    check_name,
    own_variable,
)


class _Default:
    def __repr__(self) -> str:
        return "<the tenant's default>"


DEFAULT: Any = _Default()
"""The default of a setting: for the default tenant, today's environment variables; for a named one,
variables named after it (`ACME_FORCEPOINT_API_TOKEN`, ...) or nothing (`database_url_env`)."""

ForcepointSettings = ForcepointAccess | Mapping[str, Any] | None
ApertureSettings = ApertureAccess | Mapping[str, Any] | None
S3Options = S3Access | Mapping[str, Any] | None
AccessT = TypeVar("AccessT", ForcepointAccess | None, ApertureAccess | None)
# The deployment settings given as values (the default tenant's environment variables of the same
# meaning are FORCEPOINT_DAILY_BUDGET, ..., APERTURE_CA_BUNDLE, ...).
FORCEPOINT_VALUES = (
    "daily_budget",
    "reserve",
    "cv",
    "response_format",
    "ca_bundle",
    "allow_insecure_http",
    "partitions_start",
    "open_day_cron",
    "close_day_cron",
)
APERTURE_VALUES = ("ca_bundle", "allow_insecure_http", "partitions_start", "drain_max_age_minutes")
S3_SETTINGS = ("endpoint_url", "region", "access_key_id_env", "secret_access_key_env", "session_token_env")


def _value(key: str, value: Any) -> Any:
    """A setting as the Tenant keeps it: a day (YAML gives an unquoted one as a date) as YYYY-MM-DD."""
    return value.isoformat() if key == "partitions_start" and hasattr(value, "isoformat") else value


def _log_types(vendor: str, given: Iterable[str] | None, known: Mapping[str, Any]) -> tuple[str, ...] | None:
    if given is None:
        return None
    if isinstance(given, str):
        given = [given]
    chosen = tuple(dict.fromkeys(given))
    unknown = [t for t in chosen if t not in known]
    if unknown or not chosen:
        raise TenantConfigError(
            f"{vendor}.log_types: {', '.join(map(repr, unknown)) or 'an empty list'} "
            f"{'is not a known log type' if unknown else 'names none'}; choose among {', '.join(known)} "
            "(or omit log_types for all of them)"
        )
    return chosen


def _check_url(vendor: str, url: str | None) -> None:
    if url is None:
        return
    if vendor == "aperture":
        from log_assets.aperture.client import ApertureError, resolve_api_url

        try:
            resolve_api_url(url)
        except ApertureError:
            raise TenantConfigError(
                f"aperture.api_url (host {http.host_of(url)}) is neither a URL nor a region preset"
            ) from None
    elif not url.strip().startswith(("http://", "https://")):
        raise TenantConfigError(f"{vendor}.api_url (host {http.host_of(url)}) is not an http(s) URL")


def _known_settings(vendor: str, settings: Mapping[str, Any], *known: Iterable[str]) -> dict[str, Any]:
    """The vendor's keyword settings as a dict; TenantConfigError naming any that is not `known`."""
    s = dict(settings)
    unknown = set(s).difference(*known)
    if unknown:
        raise TenantConfigError(f"{vendor}: unknown setting(s) {', '.join(sorted(unknown))}")
    return s


def _checked(vendor: str, access: AccessT, types: Mapping[str, Any]) -> AccessT:
    """`access` (None: none) once its URL and log types are checked."""
    if access is not None:
        _check_url(vendor, access.api_url)
        _log_types(vendor, access.log_types, types)
    return access


def forcepoint_access(name: str | None, settings: ForcepointSettings) -> ForcepointAccess | None:
    """ForcepointAccess from keyword settings. Unnamed variables: with `token_env` alone only the token
    is read, with `username_env`/`password_env` alone only those; with none, the tenant's own
    (FORCEPOINT_API_TOKEN, ... for the default tenant, ACME_FORCEPOINT_API_TOKEN, ... for `acme`)."""
    if settings is None or isinstance(settings, ForcepointAccess):
        return _checked(FORCEPOINT, settings, FORCEPOINT_TYPES)
    s = _known_settings(
        FORCEPOINT,
        settings,
        {"api_url", "token_env", "username_env", "password_env", "log_types"},
        FORCEPOINT_VALUES,
    )
    named = {k: s.get(k) for k in ("token_env", "username_env", "password_env")}
    if not any(named.values()):
        named = {
            "token_env": own_variable(name, "FORCEPOINT_API_TOKEN"),
            "username_env": own_variable(name, "FORCEPOINT_USERNAME"),
            "password_env": own_variable(name, "FORCEPOINT_PASSWORD"),
        }
    elif bool(named["username_env"]) != bool(named["password_env"]):
        raise TenantConfigError("forcepoint: give username_env and password_env together (or token_env)")
    access = ForcepointAccess(
        api_url=s.get("api_url"),
        log_types=_log_types(FORCEPOINT, s.get("log_types"), FORCEPOINT_TYPES),
        **named,
        **{k: _value(k, s[k]) for k in FORCEPOINT_VALUES if s.get(k) is not None},
    )
    return _checked(FORCEPOINT, access, FORCEPOINT_TYPES)


def aperture_access(name: str | None, settings: ApertureSettings) -> ApertureAccess | None:
    """ApertureAccess from keyword settings; unnamed variables are the tenant's own (APERTURE_CLIENT_ID,
    ... for the default tenant, ACME_APERTURE_CLIENT_ID, ... for `acme`)."""
    if settings is None or isinstance(settings, ApertureAccess):
        return _checked(APERTURE, settings, APERTURE_TYPES)
    s = _known_settings(
        APERTURE, settings, {"api_url", "client_id_env", "client_secret_env", "log_types"}, APERTURE_VALUES
    )
    access = ApertureAccess(
        api_url=s.get("api_url"),
        client_id_env=s.get("client_id_env") or own_variable(name, "APERTURE_CLIENT_ID"),
        client_secret_env=s.get("client_secret_env") or own_variable(name, "APERTURE_CLIENT_SECRET"),
        log_types=_log_types(APERTURE, s.get("log_types"), APERTURE_TYPES),
        **{k: _value(k, s[k]) for k in APERTURE_VALUES if s.get(k) is not None},
    )
    return _checked(APERTURE, access, APERTURE_TYPES)


def s3_access(settings: S3Options) -> S3Access:
    """S3Access from keyword settings (None or empty: the standard AWS_* variables)."""
    if isinstance(settings, S3Access):
        return settings
    s = _known_settings("s3", settings or {}, S3_SETTINGS)
    access = S3Access(**{k: v for k, v in s.items() if v is not None})
    if access.endpoint_url is not None and not access.endpoint_url.strip().startswith(("http://", "https://")):
        raise TenantConfigError(
            f"s3.endpoint_url (host {http.host_of(access.endpoint_url)}) is not an http(s) URL"
        )
    return access


def make_tenant(
    tenant: str | None = None,
    *,
    home: str | None = None,
    database_url_env: str | None = DEFAULT,
    storage_url: str | None = None,
    forcepoint: ForcepointSettings = DEFAULT,
    aperture: ApertureSettings = DEFAULT,
    s3: S3Options = None,
) -> Tenant:
    """A Tenant from keyword settings (the defaults: see DEFAULT)."""
    name = check_name(tenant)
    if database_url_env is DEFAULT:
        database_url_env = DATABASE_URL_ENV if name is None else None
    return Tenant(
        name=name,
        home=home,
        database_url_env=database_url_env,
        storage_url=storage_url,
        forcepoint=forcepoint_access(name, {} if forcepoint is DEFAULT else forcepoint),
        aperture=aperture_access(name, {} if aperture is DEFAULT else aperture),
        s3=s3_access(s3),
    )


def build_defs(
    *,
    tenant: str | Tenant | None = None,
    home: str | None = None,
    database_url_env: str | None = DEFAULT,
    storage_url: str | None = None,
    forcepoint: ForcepointSettings = DEFAULT,
    aperture: ApertureSettings = DEFAULT,
    s3: S3Options = None,
    warehouse: bool = True,
    detections: bool = True,
    rules_folder: str | None = None,
    automation: bool = True,
    translator: Any = None,
    alerts_webhook_env: str | None = DEFAULT,
) -> dg.Definitions:
    """One tenant's definitions: `tenant` a name (with the other settings as keywords) or a Tenant.

    `forcepoint` / `aperture`: settings (a ForcepointAccess / ApertureAccess, or a mapping of
    `api_url`, `token_env` | `username_env` + `password_env` / `client_id_env` + `client_secret_env`,
    `log_types`, and the deployment settings `daily_budget`, `reserve`, `cv`, `response_format`,
    `ca_bundle`, `allow_insecure_http` / `ca_bundle`, `allow_insecure_http`), None for no assets of
    that vendor, omitted for the tenant's defaults (every log type, the tenant's own variables). A
    deployment setting left unset is, for the default tenant, its environment variable
    (FORCEPOINT_DAILY_BUDGET, ...) then the default; for a named tenant the default alone.
    `allow_insecure_http: true` allows plain http to a non-loopback host (loopback always is).
    `s3`: how an `s3://` storage root is reached (an S3Access, or a mapping of `endpoint_url`,
    `region`, `access_key_id_env` + `secret_access_key_env`, `session_token_env`); unset: the
    standard AWS_* variables. `warehouse`: the DuckDB warehouse of the tenant's lake.
    `detections`: the detection rules' assets after the warehouse (`detections/...`); `rules_folder`:
    a folder of the user's own rule files and suppressions.yaml (unset: for the default tenant
    LOG_ASSETS_DETECTIONS_RULES, read when a run starts; for a named tenant none).
    `automation`: its schedules and sensors. `translator`: a LogAssetsTranslator for asset specs.
    `alerts_webhook_env`: the variable holding the URL new alerts are posted to (a sensor, with
    `automation`); omitted: LOG_ASSETS_ALERT_WEBHOOK_URL (ACME_LOG_ASSETS_ALERT_WEBHOOK_URL for
    `acme`) when it is set; None: no webhook.
    """
    from log_assets.defs import maintenance
    from log_assets.defs.aperture import definitions as aperture_domain
    from log_assets.defs.forcepoint import definitions as forcepoint_domain
    from log_assets.defs.resources import LogAssetsHome
    from log_assets.defs.scope import Scope
    from log_assets.defs.translator import LogAssetsTranslator

    if isinstance(tenant, Tenant):
        given = {"home": home, "storage_url": storage_url, "s3": s3}
        extra = [k for k, v in given.items() if v is not None] + [
            k
            for k, v in (
                ("database_url_env", database_url_env),
                ("forcepoint", forcepoint),
                ("aperture", aperture),
            )
            if v is not DEFAULT
        ]
        if extra:
            raise TypeError(
                f"build_defs: give a Tenant or its settings, not both (also given: {', '.join(extra)})"
            )
        t = tenant
        forcepoint_access(t.name, t.forcepoint)  # the same checks as for keyword settings
        aperture_access(t.name, t.aperture)
    else:
        t = make_tenant(
            tenant,
            home=home,
            database_url_env=database_url_env,
            storage_url=storage_url,
            forcepoint=forcepoint,
            aperture=aperture,
            s3=s3,
        )
    scope = Scope(t, translator if translator is not None else LogAssetsTranslator())
    parts = [dg.Definitions(resources={scope.home_key: LogAssetsHome.for_tenant(t)})]
    catalog: dict = {}
    sources: dict[tuple[str, str], dg.AssetKey] = {}
    followed: list[dg.AssetKey] = []
    if t.forcepoint is not None:
        from log_assets.defs.forcepoint.assets import asset_spec

        parts.append(forcepoint_domain.build_defs(scope, t.forcepoint, automation))
        for name, lt in FORCEPOINT_TYPES.items():
            if t.forcepoint.log_types is None or name in t.forcepoint.log_types:
                sources[(lt.vendor, name)] = asset_spec(lt, scope).key
    if t.aperture is not None:
        from log_assets.defs.aperture.assets import landing_keys

        parts.append(aperture_domain.build_defs(scope, t.aperture, automation))
        keys = landing_keys(scope, t.aperture.log_types)
        sources.update({("aperture", name): key for name, key in keys.by_type.items()})
        followed = [keys.other]
    if warehouse and sources:
        from log_assets.defs.warehouse import definitions as warehouse_domain

        catalog = {k: lt for k, lt in CATALOG.items() if k in sources}
        followers = []
        if detections:
            from log_assets.defs.detections import definitions as detections_domain

            found = detections_domain.build_defs(
                scope, catalog, lambda lt: sources[(lt.vendor, lt.name)], rules_folder
            )
            followers = [a for a in found.assets or [] if isinstance(a, dg.AssetsDefinition)]
            parts.append(found)
        parts.append(
            warehouse_domain.build_defs(
                catalog,
                lambda lt: sources[(lt.vendor, lt.name)],
                scope,
                [*sources.values(), *followed],
                automation,
                followers,
            )
        )
    parts.append(maintenance.build_defs(scope, automation))
    if automation and alerts_webhook_env is not None:
        from log_assets.defs import alerts

        parts.append(alerts.build_defs(scope, None if alerts_webhook_env is DEFAULT else alerts_webhook_env))
    return dg.Definitions.merge(*parts)
