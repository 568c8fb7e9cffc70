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
