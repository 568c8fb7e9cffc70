"""build_defs: several tenants and a project's own definitions in one code location."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

import log_assets
from log_assets.defs.aperture.resources import ApertureApi
from log_assets.defs.forcepoint.resources import ForcepointResource
from log_assets.defs.resources import LogAssetsHome
from log_assets.forcepoint.client import ConfigError
from log_assets.tenant import Tenant, TenantConfigError


def _acme(**kw) -> dg.Definitions:
    return log_assets.build_defs(
        tenant="acme",
        forcepoint={"token_env": "ACME_FORCEPOINT_API_TOKEN", "log_types": ["access", "admin"]},
        aperture={"client_id_env": "ACME_APERTURE_CLIENT_ID", "client_secret_env": "ACME_APERTURE_CLIENT_SECRET"},
        **kw,
    )


def _beta(**kw) -> dg.Definitions:
    return log_assets.build_defs(tenant="beta", forcepoint=None, aperture={"log_types": ["incident"]}, **kw)


class UsersHome(dg.ConfigurableResource):
    """A project's own resource that happens to be called `home`."""

    path: str = "/srv/mine"


@dg.asset
def users_own_asset(home: UsersHome) -> None:
    return None


USERS_OWN = dg.Definitions(assets=[users_own_asset], resources={"home": UsersHome()})


@pytest.fixture(scope="module")
def merged() -> dg.Definitions:
    defs = dg.Definitions.merge(_acme(), _beta(), USERS_OWN)
    dg.Definitions.validate_loadable(defs)
    return defs


def _keys(defs: dg.Definitions) -> set[str]:
    return {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}


def test_two_tenants_and_the_users_own_definitions_merge_without_a_collision(merged):
    keys = _keys(merged)
    assert {
        "acme/forcepoint/access",
        "acme/forcepoint/admin",
        "acme/aperture/spool",
        "acme/aperture/incident",
    } <= keys
    assert "acme/forcepoint/ztna" not in keys  # only the log types chosen
    assert {"beta/aperture/spool", "beta/aperture/incident", "beta/aperture/other_log_types"} <= keys
    assert not any(k.startswith("beta/forcepoint") for k in keys)
    assert "acme/warehouse/forcepoint_access" in keys and "beta/warehouse/aperture_incident" in keys
    assert "users_own_asset" in keys
    assert not any(k.startswith(("forcepoint/", "aperture/", "warehouse/")) for k in keys)  # no default tenant

    jobs = {j.name for j in merged.resolve_all_job_defs() if not j.name.startswith("__")}
    assert {
        "acme__forcepoint_fetch",
        "acme__aperture_drain",
        "beta__aperture_drain",
        "beta__warehouse_update",
    } <= jobs
    assert all(n.startswith(("acme__", "beta__")) for n in jobs)
    schedules = {s.name for s in merged.schedules}
    sensors = {s.name for s in merged.sensors}
    assert "acme__forcepoint_open_day_schedule" in schedules and "beta__aperture_drain_schedule" in schedules
    assert {
        "acme__aperture_inbox_sensor",
        "beta__aperture_inbox_sensor",
        "beta__warehouse_after_sources_sensor",
    } <= sensors

    resources = merged.resources
    assert isinstance(resources["home"], UsersHome)  # the project's own, untouched
    assert type(resources["acme__home"]).tenant == Tenant(
        "acme",
        database_url_env=None,
        forcepoint=type(resources["acme__forcepoint"]).access,
        aperture=type(resources["acme__aperture"]).access,
    )
    assert isinstance(resources["acme__forcepoint"], ForcepointResource)
    assert isinstance(resources["beta__aperture"], ApertureApi)
    assert "beta__forcepoint" not in resources
    assert {"acme__warehouse_duckdb", "beta__warehouse_duckdb"} <= set(resources)

    graph = merged.resolve_asset_graph()
    assert graph.get(dg.AssetKey(["acme", "forcepoint", "access"])).group_name == "acme_forcepoint"
    assert graph.get(dg.AssetKey(["beta", "aperture", "incident"])).group_name == "beta_aperture"
    # the warehouse of a tenant reads that tenant's sources only
    deps = {
        k.to_user_string() for k in graph.get(dg.AssetKey(["acme", "warehouse", "forcepoint_access"])).parent_keys
    }
    assert deps == {"acme/forcepoint/access"}


def test_a_tenants_runs_never_wait_on_anothers(merged):
    drain = {t: merged.resolve_job_def(f"{t}__aperture_drain") for t in ("acme", "beta")}
    # one tag key, limited per unique value by the instance: a value per tenant
    assert drain["acme"].tags["log_assets/aperture_drain"] == "acme"
    assert drain["beta"].tags["log_assets/aperture_drain"] == "beta"
    pools = {
        t: merged.resolve_job_def(f"{t}__warehouse_update").graph.node_dict[f"{t}__warehouse"].definition.pool
        for t in ("acme", "beta")
    }
    assert pools == {"acme": "acme__duckdb_warehouse", "beta": "beta__duckdb_warehouse"}


def test_the_default_call_keeps_todays_names():
    from log_assets.definitions import defs

    assert {"home", "forcepoint", "aperture", "warehouse_duckdb"} == set(defs.resources)
    assert type(defs.resources["forcepoint"]) is ForcepointResource
    assert type(defs.resources["home"]) is LogAssetsHome
    assert "forcepoint/access" in _keys(defs)
    assert defs.resolve_job_def("aperture_drain").tags["log_assets/aperture_drain"] == "true"


def test_a_schedule_checks_its_own_tenants_variables(monkeypatch, dagster_instance):
    from dagster._core.test_utils import create_run_for_test

    for k in ("FORCEPOINT_API_TOKEN", "FORCEPOINT_USERNAME", "FORCEPOINT_PASSWORD", "ACME_FORCEPOINT_API_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("FORCEPOINT_API_TOKEN", "the default tenant's")  # not acme's
    defs = dg.Definitions.merge(_acme(), _beta())
    schedules = {s.name: s for s in defs.schedules}
    open_day = schedules["acme__forcepoint_open_day_schedule"]
    when = datetime(2026, 11, 22, 0, 30, tzinfo=UTC)
    with dg.build_schedule_context(instance=dagster_instance, scheduled_execution_time=when) as ctx:
        out = open_day(ctx)
    assert isinstance(out, dg.SkipReason) and "ACME_FORCEPOINT_API_TOKEN" in out.skip_message
    assert "FORCEPOINT_API_TOKEN (" not in out.skip_message.replace("ACME_FORCEPOINT_API_TOKEN", "")
    monkeypatch.setenv("ACME_FORCEPOINT_API_TOKEN", "acme's")
    with dg.build_schedule_context(instance=dagster_instance, scheduled_execution_time=when) as ctx:
        assert isinstance(open_day(ctx), dg.RunRequest)

    beta_drain = schedules["beta__aperture_drain_schedule"]
    monkeypatch.setenv("APERTURE_CLIENT_ID", "x")
    monkeypatch.setenv("APERTURE_CLIENT_SECRET", "y")
    with dg.build_schedule_context(instance=dagster_instance) as ctx:
        out = beta_drain(ctx)
    assert isinstance(out, dg.SkipReason) and "BETA_APERTURE_CLIENT_ID" in out.skip_message
    monkeypatch.setenv("BETA_APERTURE_CLIENT_ID", "x")
    monkeypatch.setenv("BETA_APERTURE_CLIENT_SECRET", "y")
    # acme's drain in progress does not hold beta's back; beta's own does
    create_run_for_test(dagster_instance, job_name="acme__aperture_drain", status=dg.DagsterRunStatus.STARTED)
    with dg.build_schedule_context(instance=dagster_instance) as ctx:
        assert isinstance(beta_drain(ctx), dg.RunRequest)
    create_run_for_test(dagster_instance, job_name="beta__aperture_drain", status=dg.DagsterRunStatus.STARTED)
    with dg.build_schedule_context(instance=dagster_instance) as ctx:
        out = beta_drain(ctx)
    assert isinstance(out, dg.SkipReason) and "in progress" in out.skip_message


def test_a_named_tenants_api_url_is_the_definitions_not_the_environment_nor_run_config(monkeypatch):
    monkeypatch.setenv("FORCEPOINT_API_URL", "https://default-tenant.example")
    monkeypatch.setenv("APERTURE_API_URL", "eu")
    defs = log_assets.build_defs(
        tenant="acme",
        forcepoint={"api_url": "https://acme.example/api/", "token_env": "ACME_TOKEN"},
        aperture={"api_url": "uk"},
    )
    fp, ap = defs.resources["acme__forcepoint"], defs.resources["acme__aperture"]
    assert fp.deployment_url() == "https://acme.example/api/"
    assert (
        ap.deployment_url() == "https://api.aperture-uk.paloaltonetworks.com"
    )  # the preset, not $APERTURE_API_URL
    # Dagster rebuilds a resource from its config when a run starts: the tenant's settings stay
    rebuilt = type(fp)(api_url="https://elsewhere.example")
    with pytest.raises(ConfigError, match="tenant 'acme'"):
        rebuilt.deployment_url()
    assert type(rebuilt).access.token_env == "ACME_TOKEN"
    # a named tenant without api_url: the vendor's default, never the default tenant's variable
    plain = log_assets.build_defs(tenant="beta", aperture=None)
    assert "default-tenant" not in plain.resources["beta__forcepoint"].deployment_url()
    assert type(plain.resources["beta__forcepoint"]).access.token_env == "BETA_FORCEPOINT_API_TOKEN"


def test_bad_settings_are_refused_clearly():
    with pytest.raises(TenantConfigError, match="'acess' is not a known log type.*access"):
        log_assets.build_defs(tenant="acme", forcepoint={"log_types": ["acess"]})
    with pytest.raises(TenantConfigError, match="must name an environment variable"):
        log_assets.build_defs(tenant="acme", forcepoint={"token_env": "abc def secret!"})
    with pytest.raises(TenantConfigError, match="tenant name"):
        log_assets.build_defs(tenant="Acme Corp")
    with pytest.raises(TenantConfigError, match="username_env and password_env together"):
        log_assets.build_defs(tenant="acme", forcepoint={"username_env": "U"})
    with pytest.raises(TypeError, match="not both"):
        log_assets.build_defs(tenant=Tenant("acme"), home="/x")


def test_a_translator_changes_the_specs_and_the_rest_follows():
    class Owned(log_assets.LogAssetsTranslator):
        def get_asset_spec(self, data):
            spec = super().get_asset_spec(data)
            return spec.replace_attributes(key=spec.key.with_prefix("raw"), owners=["team:secops"])

    defs = log_assets.build_defs(tenant="acme", aperture={"log_types": ["incident"]}, translator=Owned())
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    node = graph.get(dg.AssetKey(["raw", "acme", "forcepoint", "access"]))
    assert node.owners == ["team:secops"]
    wh = graph.get(dg.AssetKey(["raw", "acme", "warehouse", "forcepoint_access"]))
    assert {k.to_user_string() for k in wh.parent_keys} == {"raw/acme/forcepoint/access"}


SECRETS = {
    "FORCEPOINT_API_TOKEN": "fp-default-secret-9f3c",
    "ACME_FORCEPOINT_API_TOKEN": "fp-acme-secret-7d21",
    "ACME_APERTURE_CLIENT_ID": "ap-acme-id-5e88",
    "ACME_APERTURE_CLIENT_SECRET": "ap-acme-secret-1b47",
    "BETA_APERTURE_CLIENT_SECRET": "ap-beta-secret-c0d3",
    "ACME_DB_URL": "postgresql://acme:db-pass-66aa@db.example/acme",
}


def test_no_secret_value_reaches_the_definitions(monkeypatch):
    """What the UI and `dg list defs` show is the repository's snapshot: the variables' names may be
    in it, their values never (they are read when a run starts)."""
    from dagster._core.remote_representation.external_data import RepositorySnap
    from dagster_shared.serdes import serialize_value

    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    defs = dg.Definitions.merge(log_assets.build_defs(), _acme(database_url_env="ACME_DB_URL"), _beta())
    text = serialize_value(RepositorySnap.from_def(defs.get_repository_def()))
    text += repr({k: (type(r).__dict__, r) for k, r in defs.resources.items()})
    assert "ACME_FORCEPOINT_API_TOKEN" in repr(type(defs.resources["acme__forcepoint"]).access)  # the name is kept
    leaked = [name for name, value in SECRETS.items() if value in text or value.split("@")[0] in text]
    assert not leaked
