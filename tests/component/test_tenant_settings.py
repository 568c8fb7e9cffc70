"""Every setting the environment gives the default tenant has a per-tenant attribute of the same
meaning: a named tenant's Forcepoint budget, reserve, cv, response format, CA bundle and plain-http
permission, its Aperture CA bundle and plain-http permission, and its S3 endpoint, region and
credentials come from its definitions, never from the default tenant's FORCEPOINT_*, APERTURE_* or
AWS_* variables; the default tenant still reads those variables."""

from __future__ import annotations

import dagster as dg
import pytest

import log_assets
from log_assets.aperture.client import ApertureError
from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.component import LogAssetsComponent
from log_assets.defs.forcepoint.resources import ForcepointResource
from log_assets.forcepoint.client import ConfigError
from log_assets.state.home import open_state
from log_assets.storage import Storage
from log_assets.tenant import TenantConfigError

pytestmark = [pytest.mark.xdist_group("component.test_tenant_settings")]

LT = FORCEPOINT_TYPES["admin"]
# What the default tenant's environment says: a named tenant that read it would show these.
DEFAULTS_ENV = {
    "FORCEPOINT_DAILY_BUDGET": "2",
    "FORCEPOINT_BUDGET_RESERVE": "1",
    "FORCEPOINT_CV": "9.9.9",
    "FORCEPOINT_RESPONSE_FORMAT": "csv",
    "FORCEPOINT_CA_BUNDLE": "/default-tenant/forcepoint-ca.pem",
    "FORCEPOINT_ALLOW_INSECURE_HTTP": "1",
    "APERTURE_CA_BUNDLE": "/default-tenant/aperture-ca.pem",
    "APERTURE_ALLOW_INSECURE_HTTP": "1",
}
CREDENTIALS = {
    "FORCEPOINT_API_TOKEN": "fp-default-token",
    "ACME_TOKEN": "fp-acme-token",
    "BETA_TOKEN": "fp-beta-token",
    "APERTURE_CLIENT_ID": "ap-default-id",
    "APERTURE_CLIENT_SECRET": "ap-default-secret",
    "ACME_AP_ID": "ap-acme-id",
    "ACME_AP_SECRET": "ap-acme-secret",
    "BETA_APERTURE_CLIENT_ID": "ap-beta-id",
    "BETA_APERTURE_CLIENT_SECRET": "ap-beta-secret",
}


@pytest.fixture
def environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LOG_ASSETS_HOME", str(tmp_path / "data"))
    for k in ("FORCEPOINT_API_URL", "APERTURE_API_URL", "LOG_ASSETS_STORAGE_URL", "LOG_ASSETS_DATABASE_URL"):
        monkeypatch.delenv(k, raising=False)
    for k, v in {**DEFAULTS_ENV, **CREDENTIALS}.items():
        monkeypatch.setenv(k, v)


def _acme() -> dg.Definitions:
    return log_assets.build_defs(
        tenant="acme",
        forcepoint={
            "api_url": "http://forcepoint.acme.internal/api/",
            "token_env": "ACME_TOKEN",
            "daily_budget": 5,
            "reserve": 2,
            "cv": "1.2.0",
            "response_format": "json",
            "ca_bundle": "/acme/forcepoint-ca.pem",
            "allow_insecure_http": True,
        },
        aperture={
            "client_id_env": "ACME_AP_ID",
            "client_secret_env": "ACME_AP_SECRET",
            "ca_bundle": "/acme/aperture-ca.pem",
        },
    )


def _budget(resource, home_resource) -> tuple[int, int]:
    with open_state(home_resource.get(), log_types=[LT.name]) as store:
        budget = resource.budget(store, LT)
        return budget.limit, budget.reserve


def _client(resource, home_resource) -> tuple[str, str, bool | str, str]:
    """What the resource's client is built with when a run starts: (cv, format, verify, url)."""
    with (
        open_state(home_resource.get(), log_types=[LT.name]) as store,
        resource.client(resource.budget(store, LT)) as client,
    ):
        return client.cv, client.response_format, client.session.verify, client.url


def test_a_named_tenants_vendor_settings_come_from_its_definitions_not_the_default_tenants_variables(
    environment,
):
    acme = _acme()
    fp, ap = acme.resources["acme__forcepoint"], acme.resources["acme__aperture"]
    # Dagster rebuilds a resource from its run config when a run starts: the definitions' values stay.
    for resource in (fp, type(fp)()):
        assert _budget(resource, acme.resources["acme__home"]) == (5, 2)  # not FORCEPOINT_DAILY_BUDGET=2
        # plain http to acme's host: acme's decision, made in its definitions
        assert _client(resource, acme.resources["acme__home"]) == (
            "1.2.0",
            "json",
            "/acme/forcepoint-ca.pem",
            "http://forcepoint.acme.internal/api/",
        )
    assert ap.client().verify == "/acme/aperture-ca.pem"

    # A named tenant that sets nothing gets the package's defaults, never the default tenant's variables.
    beta = log_assets.build_defs(tenant="beta", forcepoint={"token_env": "BETA_TOKEN"})
    fp, ap = beta.resources["beta__forcepoint"], beta.resources["beta__aperture"]
    assert _budget(fp, beta.resources["beta__home"]) == (300, 0)
    assert _client(fp, beta.resources["beta__home"])[:3] == ("1.1.5", "json", True)
    assert ap.client().verify is True
    assert not fp.insecure_http_allowed() and not ap.insecure_http_allowed()
    with pytest.raises(ConfigError, match="tenant 'beta'"):
        type(fp)(allow_insecure_http=True).insecure_http_allowed()  # run config cannot allow it either
    plain = log_assets.build_defs(
        tenant="beta", forcepoint={"api_url": "http://forcepoint.beta.internal/", "token_env": "BETA_TOKEN"}
    )
    with pytest.raises(ConfigError, match="allow_insecure_http: true in the forcepoint settings of tenant 'beta'"):
        _client(plain.resources["beta__forcepoint"], beta.resources["beta__home"])
    loopback = log_assets.build_defs(
        tenant="beta", forcepoint={"api_url": "http://127.0.0.1:9/api/", "token_env": "BETA_TOKEN"}
    )
    # loopback http is always allowed
    assert (
        _client(loopback.resources["beta__forcepoint"], beta.resources["beta__home"])[3]
        == "http://127.0.0.1:9/api/"
    )
    ap_plain = log_assets.build_defs(
        tenant="beta", forcepoint=None, aperture={"api_url": "http://ap.beta.internal"}
    )
    with pytest.raises(ApertureError, match="aperture settings of tenant 'beta'"):
        ap_plain.resources["beta__aperture"].client()


def test_the_default_tenant_still_reads_its_variables(environment):
    defs = log_assets.build_defs()
    fp, ap = defs.resources["forcepoint"], defs.resources["aperture"]
    assert type(fp) is ForcepointResource  # today's class and config
    assert _budget(fp, defs.resources["home"]) == (2, 1)
    assert _client(fp, defs.resources["home"])[:3] == ("9.9.9", "csv", "/default-tenant/forcepoint-ca.pem")
    assert fp.insecure_http_allowed() and ap.insecure_http_allowed()
    assert ap.client().verify == "/default-tenant/aperture-ca.pem"
    # The run config still comes first, as it did.
    assert _budget(type(fp)(daily_budget=9), defs.resources["home"]) == (9, 1)


def test_bad_values_are_refused_when_the_definitions_are_built():
    with pytest.raises(TenantConfigError, match="daily_budget must be a whole number of at least 1"):
        log_assets.build_defs(tenant="acme", forcepoint={"daily_budget": 0})
    with pytest.raises(TenantConfigError, match="reserve 5 must be below its daily_budget 5"):
        log_assets.build_defs(tenant="acme", forcepoint={"daily_budget": 5, "reserve": 5})
    with pytest.raises(TenantConfigError, match="response_format 'xml'"):
        log_assets.build_defs(tenant="acme", forcepoint={"response_format": "xml"})
    with pytest.raises(TenantConfigError, match="unknown setting"):
        log_assets.build_defs(tenant="acme", aperture={"daily_budget": 3})
    with pytest.raises(TenantConfigError, match="together"):
        log_assets.build_defs(tenant="acme", s3={"access_key_id_env": "ACME_AWS_KEY"})
    with pytest.raises(TenantConfigError, match="must name an environment variable"):
        log_assets.build_defs(
            tenant="acme", s3={"access_key_id_env": "AKIA/secret value", "secret_access_key_env": "X"}
        )


def test_the_components_yaml_gives_the_settings_with_templates_resolved(monkeypatch, environment):
    monkeypatch.setenv("ACME_BUDGET", "5")
    monkeypatch.setenv("ACME_S3_ENDPOINT", "http://127.0.0.1:9")
    c = LogAssetsComponent.resolve_from_yaml(
        """
tenant: acme
forcepoint:
  token_env: ACME_TOKEN
  daily_budget: "{{ env.ACME_BUDGET }}"
  ca_bundle: /acme/forcepoint-ca.pem
aperture:
  client_id_env: ACME_AP_ID
  client_secret_env: ACME_AP_SECRET
  allow_insecure_http: true
s3:
  endpoint_url: "{{ env.ACME_S3_ENDPOINT }}"
  region: eu-west-1
  access_key_id_env: ACME_AWS_KEY
  secret_access_key_env: ACME_AWS_SECRET
"""
    )
    defs = c.build_defs(None)  # type: ignore[arg-type]
    fp, ap = defs.resources["acme__forcepoint"], defs.resources["acme__aperture"]
    assert _budget(fp, defs.resources["acme__home"]) == (5, 0)
    assert type(ap).access.allow_insecure_http is True and ap.insecure_http_allowed()
    s3 = type(defs.resources["acme__home"]).tenant.s3
    assert (s3.endpoint_url, s3.region, s3.access_key_id_env) == (
        "http://127.0.0.1:9",
        "eu-west-1",
        "ACME_AWS_KEY",
    )


# ------------------------------------------------------------------------------------------ S3

ACME_KEY, ACME_SECRET = "acme-access-key-4411", "acme-secret-key-9a7e"


def _acme_on_s3(s3server, bucket: str) -> dg.Definitions:
    return log_assets.build_defs(
        tenant="acme",
        storage_url=f"s3://{bucket}/acme",
        s3={
            "endpoint_url": s3server.endpoint,
            "region": "us-east-1",
            "access_key_id_env": "ACME_AWS_KEY",
            "secret_access_key_env": "ACME_AWS_SECRET",
        },
        forcepoint={"token_env": "ACME_TOKEN"},
    )


def _recorded_credentials(s3server) -> set[str]:
    """The access key ids of the requests moto recorded (from their Authorization header)."""
    keys = set()
    for entry in s3server.recorded():
        auth = entry["headers"].get("Authorization", "")
        if "Credential=" in auth:
            keys.add(auth.split("Credential=", 1)[1].split("/", 1)[0])
    return keys


@pytest.mark.slow
def test_a_named_tenants_s3_credentials_come_from_the_variables_it_names(s3, environment, monkeypatch):
    bucket = s3.create_bucket()
    # The standard variables hold another deployment's store and credentials.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "default-tenant-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "default-tenant-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "default-tenant-session")
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    monkeypatch.delenv("ACME_AWS_KEY", raising=False)
    monkeypatch.delenv("ACME_AWS_SECRET", raising=False)
    defs = _acme_on_s3(s3, bucket)
    home = defs.resources["acme__home"].get()

    # Not set: refused, naming acme's variables, before anything is sent.
    with pytest.raises(ValueError, match="ACME_AWS_KEY and ACME_AWS_SECRET .*tenant 'acme'"):
        Storage.for_home(home)

    monkeypatch.setenv("ACME_AWS_KEY", ACME_KEY)
    monkeypatch.setenv("ACME_AWS_SECRET", ACME_SECRET)
    storage = Storage.for_home(home)
    assert storage.s3 is not None and storage.s3.region == "us-east-1"
    assert storage.s3.session_token is None  # the default tenant's session token is not acme's
    assert "ACME_AWS_KEY" in repr(storage.s3) and ACME_KEY not in repr(storage.s3)
    props = storage.iceberg_properties()  # what the lake's pyiceberg FileIO is given
    assert (props["s3.endpoint"], props["s3.access-key-id"]) == (s3.endpoint, ACME_KEY)
    with s3.recording() as requests:
        storage.write_bytes("probe/acme.txt", b"acme's")
        assert storage.read_bytes("probe/acme.txt") == b"acme's"
    assert requests and _recorded_credentials(s3) == {ACME_KEY}

    # The default tenant still reads the standard variables.
    monkeypatch.setenv("LOG_ASSETS_STORAGE_URL", f"s3://{bucket}/default")
    default = Storage.for_home(log_assets.build_defs().resources["home"].get())
    assert default.s3 is not None
    assert (default.s3.endpoint, default.s3.access_key_id, default.s3.region) == (
        "http://127.0.0.1:9",
        "default-tenant-key",
        "ap-south-1",
    )
    assert default.s3.session_token == "default-tenant-session"


def test_no_s3_secret_reaches_the_definitions(environment, monkeypatch):
    """What the UI and `dg list defs` show is the repository's snapshot: the variables' names are in
    it, their values never."""
    from dagster._core.remote_representation.external_data import RepositorySnap
    from dagster_shared.serdes import serialize_value

    monkeypatch.setenv("ACME_AWS_KEY", ACME_KEY)
    monkeypatch.setenv("ACME_AWS_SECRET", ACME_SECRET)

    class Endpoint:
        endpoint = "http://127.0.0.1:9"

    defs = dg.Definitions.merge(_acme_on_s3(Endpoint, "lake"), log_assets.build_defs())
    text = serialize_value(RepositorySnap.from_def(defs.get_repository_def()))
    text += repr({k: (type(r).__dict__, r) for k, r in defs.resources.items()})
    assert "ACME_AWS_KEY" in repr(type(defs.resources["acme__home"]).tenant)  # the name is kept
    assert ACME_KEY not in text and ACME_SECRET not in text


# ----------------------------------------------------------------- a run against the simulator


@pytest.mark.e2e
@pytest.mark.slow
def test_the_default_tenants_budget_variable_does_not_limit_a_named_tenants_run(
    simulator, environment, tmp_path, monkeypatch
):
    """FORCEPOINT_DAILY_BUDGET=1 would stop a walk after one request; acme's own `daily_budget` lets
    its run fetch the whole day, spending more than one request."""
    from datetime import UTC, datetime, timedelta

    monkeypatch.setenv("FORCEPOINT_DAILY_BUDGET", "1")
    monkeypatch.setenv("FORCEPOINT_BUDGET_RESERVE", "0")
    monkeypatch.delenv("FORCEPOINT_CA_BUNDLE")
    day = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    sim = simulator(
        seed=7,
        days=2,
        forcepoint_events_per_day=40,
        page_size=10,
        quota=100_000,
        aperture_backlog_per_type=0,
        env=False,
    )
    monkeypatch.setenv("ACME_TOKEN", sim.env()["FORCEPOINT_API_TOKEN"])
    defs = log_assets.build_defs(
        tenant="acme",
        home=str(tmp_path / "acme"),
        forcepoint={
            "api_url": sim.forcepoint_url,
            "token_env": "ACME_TOKEN",
            "log_types": [LT.name],
            "daily_budget": 50,
        },
        aperture=None,
        warehouse=False,
    )
    asset = next(a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition))
    result = dg.materialize([asset], resources=defs.resources, partition_key=day)
    assert result.success
    meta = {
        k: v.value
        for k, v in result.asset_materializations_for_node("acme__forcepoint__admin")[-1].metadata.items()
    }
    want = sum(1 for _ in sim.forcepoint.distinct_events(LT.name, day=day, cv="1.1.5"))
    assert want > 10 and meta["rows"] == want
    assert sim.forcepoint.requests(LT.name) > 1
