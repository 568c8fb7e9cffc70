"""The Component's attributes as dg resolves them from YAML: templates reach the nested vendor blocks."""

from log_assets.component import LogAssetsComponent


def test_env_templates_resolve_in_the_vendor_blocks(monkeypatch):
    monkeypatch.setenv("ACME_FP_URL", "http://127.0.0.1:9/api/bitglassapi/logs/v1/")
    monkeypatch.delenv("ACME_AP_URL", raising=False)
    c = LogAssetsComponent.resolve_from_yaml(
        """
tenant: acme
forcepoint:
  api_url: "{{ env.ACME_FP_URL }}"
  token_env: ACME_FORCEPOINT_API_TOKEN
aperture:
  api_url: "{{ env('ACME_AP_URL', 'eu') }}"
  client_id_env: ACME_APERTURE_CLIENT_ID
  client_secret_env: ACME_APERTURE_CLIENT_SECRET
"""
    )
    assert c.forcepoint is not None and c.aperture is not None
    assert c.forcepoint.api_url == "http://127.0.0.1:9/api/bitglassapi/logs/v1/"
    assert c.forcepoint.token_env == "ACME_FORCEPOINT_API_TOKEN"  # a name, left as written
    assert c.aperture.api_url == "eu"


def test_a_template_in_a_variables_name_is_refused_without_showing_the_secret(monkeypatch):
    import pytest

    from log_assets.tenant import TenantConfigError

    monkeypatch.setenv("ACME_FORCEPOINT_API_TOKEN", "Zq8sK2pLx9TOKENVALUE")
    monkeypatch.delenv("Zq8sK2pLx9TOKENVALUE", raising=False)
    c = LogAssetsComponent.resolve_from_yaml(
        """
tenant: acme
forcepoint:
  token_env: "{{ env.ACME_FORCEPOINT_API_TOKEN }}"
"""
    )
    with pytest.raises(TenantConfigError) as refused:
        c.build_defs(None)  # type: ignore[arg-type]
    message = str(refused.value)
    assert "ACME_FORCEPOINT_API_TOKEN" in message and "Zq8sK2pLx9TOKENVALUE" not in message


def test_reserved_tenant_names_are_refused():
    import pytest

    import log_assets
    from log_assets.tenant import TenantConfigError

    for name in ("true", "default"):
        with pytest.raises(TenantConfigError, match="reserved"):
            log_assets.build_defs(tenant=name)


def test_the_default_tenant_keeps_its_own_home_and_storage_when_given(tmp_path):
    import log_assets

    defs = log_assets.build_defs(home=str(tmp_path / "h"), storage_url=str(tmp_path / "s"), aperture=None)
    home = defs.resources["home"].get()
    assert home.root == (tmp_path / "h").resolve()
    assert home.tenant.storage_url == str(tmp_path / "s") and home.tenant.name is None


def test_the_commands_tenant_options_give_the_tenant_its_definitions_give():
    import argparse

    from log_assets.tenant import S3Access, Tenant, add_tenant_arguments, tenant_from_args

    parser = argparse.ArgumentParser()
    add_tenant_arguments(parser)
    args = ["--tenant", "acme", "--storage-url", "s3://lake/acme"]
    args += ["--s3-access-key-id-env", "ACME_AWS_KEY", "--s3-secret-access-key-env", "ACME_AWS_SECRET"]
    tenant = tenant_from_args(parser.parse_args(args))
    assert tenant == Tenant(
        "acme",
        database_url_env=None,
        storage_url="s3://lake/acme",
        s3=S3Access(access_key_id_env="ACME_AWS_KEY", secret_access_key_env="ACME_AWS_SECRET"),
    )
    # the options a message suggests give the same tenant back
    again = tenant_from_args(parser.parse_args(tenant.command_options().split()))
    assert again == tenant
    assert tenant_from_args(parser.parse_args([])) == Tenant()


def test_a_tenants_partitions_and_schedules_are_its_own(monkeypatch):
    """A named tenant's partitions start and schedules come from its definitions, never from the
    default tenant's LOG_ASSETS_START_DATE / APERTURE_PARTITIONS_START / FORCEPOINT_*_CRON."""
    import dagster as dg

    monkeypatch.setenv("LOG_ASSETS_START_DATE", "2020-01-01")
    monkeypatch.setenv("APERTURE_PARTITIONS_START", "2020-01-01")
    monkeypatch.setenv("FORCEPOINT_OPEN_DAY_CRON", "0 * * * *")
    c = LogAssetsComponent.resolve_from_yaml(
        """
tenant: acme
forcepoint:
  log_types: [access]
  partitions_start: 2026-06-01
  open_day_cron: "*/15 * * * *"
aperture:
  partitions_start: "2026-07-01"
warehouse: false
"""
    )
    defs = c.build_defs(None)  # type: ignore[arg-type]
    graph = defs.resolve_asset_graph()
    fp = graph.get(dg.AssetKey(["acme", "forcepoint", "access"])).partitions_def
    ap = graph.get(dg.AssetKey(["acme", "aperture", "incident"])).partitions_def
    assert fp.get_first_partition_key() == "2026-06-01"
    assert ap.get_first_partition_key() == "2026-07-01"
    schedules = {s.name: s.cron_schedule for s in defs.schedules or []}
    assert schedules["acme__forcepoint_open_day_schedule"] == "*/15 * * * *"
    assert schedules["acme__forcepoint_close_day_schedule"] == "30 0 * * *"  # the package's, not the variable's

    # a tenant that sets none: the package's defaults, not the default tenant's variables
    import log_assets

    beta = log_assets.build_defs(tenant="beta", warehouse=False).resolve_asset_graph()
    assert beta.get(dg.AssetKey(["beta", "forcepoint", "access"])).partitions_def.get_first_partition_key() == (
        "2025-01-01"
    )


def test_a_named_tenant_given_as_a_tenant_object_never_reads_the_default_tenants_credentials():
    from log_assets.tenant import Tenant

    acme = Tenant("acme")
    assert acme.forcepoint is not None and acme.aperture is not None
    assert (acme.forcepoint.token_env, acme.forcepoint.username_env, acme.forcepoint.password_env) == (
        "ACME_FORCEPOINT_API_TOKEN",
        "ACME_FORCEPOINT_USERNAME",
        "ACME_FORCEPOINT_PASSWORD",
    )
    assert (acme.aperture.client_id_env, acme.aperture.client_secret_env) == (
        "ACME_APERTURE_CLIENT_ID",
        "ACME_APERTURE_CLIENT_SECRET",
    )
    assert Tenant().forcepoint.token_env == "FORCEPOINT_API_TOKEN"  # type: ignore[union-attr]


def test_a_yes_no_setting_given_as_text_is_refused():
    import pytest

    import log_assets
    from log_assets.tenant import TenantConfigError

    with pytest.raises(TenantConfigError, match="allow_insecure_http 'false': true or false"):
        log_assets.build_defs(tenant="acme", forcepoint={"allow_insecure_http": "false"})


def test_a_tenant_with_its_own_s3_credentials_does_not_take_the_standard_endpoint(monkeypatch):
    from log_assets.storage import S3Settings
    from log_assets.tenant import S3Access

    env = {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_REGION": "eu-west-3",
        "ACME_KEY": "k",
        "ACME_SECRET": "s",
    }
    own = S3Settings.from_env(env, S3Access(access_key_id_env="ACME_KEY", secret_access_key_env="ACME_SECRET"))
    assert own.endpoint is None and own.region == "us-east-1"
    standard = S3Settings.from_env(env, S3Access())
    assert standard.endpoint == "http://127.0.0.1:9" and standard.region == "eu-west-3"


def test_the_demo_never_runs_a_tenant_with_real_settings(tmp_path, monkeypatch):
    import pytest

    from log_assets.paths import Home, HomeKindError
    from log_assets.tenant import Tenant

    monkeypatch.setenv("LOG_ASSETS_DEMO", "1")
    monkeypatch.setenv("LOG_ASSETS_DEMO_HOME", str(tmp_path / "demo"))
    with pytest.raises(HomeKindError, match="storage_url"):
        Home.from_env(tenant=Tenant("acme", database_url_env=None, storage_url="s3://real/acme"))


def test_a_tenants_drain_age_warning_is_its_own(monkeypatch):
    import log_assets

    monkeypatch.setenv("APERTURE_DRAIN_MAX_AGE_MINUTES", "5")

    def seconds(defs) -> float:
        (found,) = [
            spec.metadata["dagster/freshness_params"].data["lower_bound_delta_seconds"]
            for checks in defs.asset_checks or []
            for spec in checks.check_specs
            if spec.name == "freshness_check"
        ]
        return found

    settings = dict(forcepoint=None, warehouse=False)
    assert (
        seconds(log_assets.build_defs(tenant="acme", aperture={"drain_max_age_minutes": 45}, **settings)) == 2700
    )
    assert seconds(log_assets.build_defs(tenant="beta", **settings)) == 1800  # not the default tenant's 5
    assert seconds(log_assets.build_defs(**settings)) == 300  # the default tenant: its variable


def test_a_storage_failure_names_the_tenants_own_s3_settings():
    from log_assets.storage import Storage
    from log_assets.tenant import S3Access

    env = {"ACME_KEY": "AKIAEXAMPLEKEY", "ACME_SECRET": "s3cr3t-value", "AWS_ACCESS_KEY_ID": "other"}
    access = S3Access(
        endpoint_url="http://127.0.0.1:9", access_key_id_env="ACME_KEY", secret_access_key_env="ACME_SECRET"
    )
    acme = Storage.from_url("s3://lake/acme", env, access=access, owner="tenant 'acme'")
    message = str(acme.error("reading", "lake/x", OSError("refused")))
    assert "ACME_KEY / ACME_SECRET" in message and "tenant 'acme'" in message and "127.0.0.1:9" in message
    assert "AWS_ACCESS_KEY_ID" not in message and "s3cr3t-value" not in message
    standard = Storage.from_url("s3://lake/default", {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION" in str(
        standard.error("reading", "k", OSError("x"))
    )
