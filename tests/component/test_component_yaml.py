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
