"""The webhook sensor is in a tenant's definitions only when its webhook variable is configured."""

from __future__ import annotations

import pytest

import log_assets
from log_assets.alerts.pending import LOOKBACK, Alert, Cursor, CursorError
from log_assets.component import LogAssetsComponent
from log_assets.tenant import TenantConfigError
from tests.alerts.fixtures import alert, t

URL = "https://hooks.slack.com/services/T0SECRET/B0SECRET/xoxSecretWebhookPath"


def sensors(defs) -> list[str]:
    return sorted(s.name for s in defs.sensors or [])


def webhook_sensors(defs) -> list[str]:
    return [n for n in sensors(defs) if "alerts_webhook" in n]


def build(**kw):
    return log_assets.build_defs(forcepoint=None, aperture=None, **kw)


def test_added_only_when_the_tenants_variable_is_set(monkeypatch, tmp_path):
    monkeypatch.delenv("LOG_ASSETS_ALERT_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("ACME_LOG_ASSETS_ALERT_WEBHOOK_URL", raising=False)
    assert webhook_sensors(build()) == []
    assert webhook_sensors(build(tenant="acme", home=str(tmp_path))) == []
    monkeypatch.setenv("LOG_ASSETS_ALERT_WEBHOOK_URL", URL)
    assert webhook_sensors(build()) == ["alerts_webhook_sensor"]
    assert webhook_sensors(build(tenant="acme", home=str(tmp_path))) == []  # not the default tenant's
    monkeypatch.setenv("ACME_LOG_ASSETS_ALERT_WEBHOOK_URL", URL)
    defs = build(tenant="acme", home=str(tmp_path))
    assert webhook_sensors(defs) == ["acme__alerts_webhook_sensor"]
    # The URL is read at each tick, never put into the definitions.
    assert URL not in repr(defs.resolve_sensor_def("acme__alerts_webhook_sensor").description)
    assert webhook_sensors(build(alerts_webhook_env=None)) == []
    assert webhook_sensors(build(automation=False)) == []


def test_a_named_variable_adds_it_and_a_value_is_refused(monkeypatch, tmp_path):
    monkeypatch.delenv("ACME_HOOK", raising=False)
    defs = build(tenant="acme", home=str(tmp_path), alerts_webhook_env="ACME_HOOK")  # read at each tick
    assert webhook_sensors(defs) == ["acme__alerts_webhook_sensor"]
    with pytest.raises(TenantConfigError, match="alerts_webhook_env must name an environment variable") as e:
        build(tenant="acme", home=str(tmp_path), alerts_webhook_env=URL)
    assert "SECRET" not in str(e.value)


def test_the_component_attribute_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("ACME_HOOK", URL)
    c = LogAssetsComponent.resolve_from_yaml(f"tenant: acme\nhome: {tmp_path}\nalerts_webhook_env: ACME_HOOK\n")
    defs = c.build_defs(None)  # type: ignore[arg-type]
    sensor = defs.resolve_sensor_def("acme__alerts_webhook_sensor")
    assert "$ACME_HOOK" in (sensor.description or "") and URL not in (sensor.description or "")


def test_the_cursor_keeps_a_day_of_ids_and_a_broken_one_is_a_clear_error():
    c = Cursor().after_sending([])
    assert c == Cursor() and Cursor.load(c.dump()) == c

    def a(i: str, created: str) -> Alert:
        r = alert(i, created)
        return Alert(i, r["rule_id"], r["entity"], r["first_seen"], r["last_seen"], 1, "low", r["created_at"])

    c = Cursor().after_sending([a("old", "2026-12-01 00:00"), a("mid", "2026-12-01 12:00")])
    c = c.after_sending([a("new", "2026-12-02 06:00")])
    assert c.newest == t("2026-12-02 06:00") and sorted(c.sent) == ["mid", "new"]
    assert all(t_ > c.newest - LOOKBACK for t_ in c.sent.values())
    assert Cursor.load(c.dump()) == c
    for broken in ("{", '{"version": 7}', '{"version": 1, "newest": "yesterday"}', "[]"):
        with pytest.raises(CursorError, match="cannot be read.*nothing was sent.*Reset the sensor's cursor"):
            Cursor.load(broken)
