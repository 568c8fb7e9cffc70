"""The alert webhook sensor against a loopback receiver: each new alert posted once, across restarts
(a new evaluation with the stored cursor), with retries on 5xx and a clear failure on 4xx."""

from __future__ import annotations

import logging
import shutil

import dagster as dg
import pytest

import log_assets
from log_assets.alerts import webhook as webhook_module
from log_assets.alerts.webhook import WebhookError
from tests.alerts.fixtures import alert, publish

VAR = "ACME_ALERT_HOOK"
SENSOR = "acme__alerts_webhook_sensor"


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setattr(webhook_module, "BACKOFF_SECONDS", 0.01)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Tenant `acme` with only its home and the webhook sensor (built once: the URL is read at each
    tick), and one Dagster instance for the module's evaluations."""
    home = tmp_path_factory.mktemp("acme")
    defs = log_assets.build_defs(
        tenant="acme", home=str(home), forcepoint=None, aperture=None, alerts_webhook_env=VAR
    )
    with dg.instance_for_test() as instance:
        yield home, defs, instance


@pytest.fixture
def tenant(built, receiver, monkeypatch):
    """The tenant's home, emptied, with the receiver's URL in $ACME_ALERT_HOOK."""
    home, defs, _ = built
    for f in home.iterdir():
        shutil.rmtree(f) if f.is_dir() else f.unlink()
    monkeypatch.setenv(VAR, receiver.url)
    return home, defs


class Tick:
    """Sensor evaluations as the daemon runs them: each a new context given the stored cursor, which
    is stored only when the evaluation did not fail."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance):
        self.sensor = defs.resolve_sensor_def(SENSOR)
        self.resources = {"acme__home": defs.resources["acme__home"]}
        self.instance = instance
        self.cursor: str | None = None

    def __call__(self) -> str:
        with dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources=self.resources
        ) as context:
            result = self.sensor(context)
            self.cursor = context.cursor
        assert isinstance(result, dg.SkipReason), result  # the sensor never requests runs
        return result.skip_message or ""


@pytest.fixture
def tick(tenant, built):
    return Tick(tenant[1], built[2])


def test_each_new_alert_is_posted_once_across_restarts_and_updates(tenant, tick, receiver):
    home, _ = tenant
    publish(
        home,
        [
            alert("a2", "2026-12-01 10:05"),
            alert("a1", "2026-12-01 10:00", rule_id="forcepoint_new_admin", entity="<!channel> & bob"),
            alert("s1", "2026-12-01 10:02", status="suppressed"),
        ],
    )
    assert "posted 2 new alert(s) (a1, a2)" in tick()
    assert receiver.posted == ["a1", "a2"]  # oldest first; the suppressed one is not posted
    first = receiver.requests[0]
    assert first["type"].startswith("application/json") and first["path"] == receiver.path
    body = first["body"]
    # Slack-compatible: `text`, and blocks; a value cannot mention the channel or break the markup.
    assert body["text"].startswith("[medium] New administrator: &lt;!channel&gt; &amp; bob, 10 event(s) from ")
    assert body["blocks"][0]["type"] == "section" and "*New administrator*" in body["blocks"][0]["text"]["text"]

    # A restart: a new evaluation with the stored cursor sends nothing.
    assert "posted 0 new alert(s)" in tick()
    assert len(receiver.requests) == 2

    # A late event updates a1 (same id, more events, later updated_at); a new alert arrives, and the
    # suppressed one is still suppressed.
    publish(
        home,
        [
            alert("a1", "2026-12-01 10:00", events=25, updated="2026-12-01 11:00"),
            alert("a2", "2026-12-01 10:05"),
            alert("s1", "2026-12-01 10:02", status="suppressed"),
            alert("a3", "2026-12-01 11:00"),
        ],
    )
    tick()
    tick()
    assert receiver.posted == ["a1", "a2", "a3"]


def test_an_alert_published_late_with_an_older_created_at_is_posted(tenant, tick, receiver):
    home, _ = tenant
    publish(home, [alert("a1", "2026-12-01 10:00"), alert("a3", "2026-12-01 12:00")])
    tick()
    # A detections run created a2 before a3 but published it after: within the cursor's lookback.
    publish(home, [alert(i, c) for i, c in [("a1", "2026-12-01 10:00"), ("a2", "2026-12-01 11:00"),
                                            ("a3", "2026-12-01 12:00")]])  # fmt: skip
    tick()
    assert receiver.posted == ["a1", "a3", "a2"]


def test_5xx_is_retried_and_the_alert_is_posted_once(tenant, tick, receiver):
    home, _ = tenant
    publish(home, [alert("a1", "2026-12-01 10:00")])
    receiver.answers = [503, 500]
    assert "posted 1 new alert(s) (a1)" in tick()
    assert receiver.posted == ["a1", "a1", "a1"]  # two answered 5xx, the third was taken
    tick()
    assert len(receiver.requests) == 3


def test_a_receiver_that_keeps_failing_fails_the_tick_and_keeps_the_alert_due(tenant, tick, receiver, caplog):
    home, _ = tenant
    publish(home, [alert("a1", "2026-12-01 10:00"), alert("a2", "2026-12-01 10:05")])
    receiver.answers = [500] * 4
    caplog.set_level(logging.DEBUG)
    with pytest.raises(WebhookError) as failed:
        tick()
    message = str(failed.value)
    assert failed.value.status == 500
    assert "alert a1 failed" in message and "answered HTTP 500" in message and f"${VAR}" in message
    assert "retries" in message and "next tick" in message
    assert len(receiver.requests) == 4 and tick.cursor is None  # 1 + 3 retries; nothing recorded
    # The URL, and no part of its path, is in any message or log line.
    for text in [message, caplog.text]:
        assert receiver.path not in text and "xoxSecretWebhookPath" not in text and "T0SECRET" not in text

    # The receiver is back: both are posted, a1 once more (it was never taken), nothing twice after.
    tick()
    tick()
    assert receiver.posted == ["a1"] * 4 + ["a1", "a2"]


def test_a_failure_after_some_were_sent_records_them_and_says_what_failed(tenant, tick, receiver):
    home, _ = tenant
    publish(
        home, [alert("a1", "2026-12-01 10:00"), alert("a2", "2026-12-01 10:05"), alert("a3", "2026-12-01 10:10")]
    )
    receiver.answers = [200, 404]
    reason = tick()
    assert "posted 1 new alert(s) (a1)" in reason
    assert "alert a2 failed" in reason and "answered HTTP 404 (no_service)" in reason
    assert "1 more wait for the next tick" in reason and receiver.path not in reason
    assert receiver.posted == ["a1", "a2"]  # a 4xx is not retried
    tick()
    assert receiver.posted == ["a1", "a2", "a2", "a3"]


def test_4xx_is_a_clear_failure_without_retries(tenant, tick, receiver):
    home, _ = tenant
    publish(home, [alert("a1", "2026-12-01 10:00")])
    receiver.answers = [403]
    with pytest.raises(WebhookError, match=rf"answered HTTP 403 .*not retried.*set \${VAR} again") as failed:
        tick()
    assert failed.value.status == 403 and len(receiver.requests) == 1
    assert receiver.path not in str(failed.value)


def test_an_unreachable_receiver_is_named_by_its_variable_and_host_only(tenant, tick, receiver, monkeypatch):
    home, _ = tenant
    publish(home, [alert("a1", "2026-12-01 10:00")])
    receiver.close()
    with pytest.raises(WebhookError, match=rf"\${VAR}, host 127\.0\.0\.1\) could not be reached") as failed:
        tick()
    assert receiver.path not in str(failed.value) and "xoxSecretWebhookPath" not in str(failed.value)
    assert tick.cursor is None


def test_nothing_to_post_before_the_warehouse_or_the_detections_exist(tenant, tick, receiver):
    home, _ = tenant
    assert "nothing to post yet: no warehouse at" in tick()
    publish(home, None)
    assert "the warehouse has no detections.alerts (materialize the detections/* assets" in tick()
    publish(home, [alert("a1", "2026-12-01 10:00")], rules=False)  # the rules table is not needed
    assert "posted 1 new alert(s) (a1)" in tick()
    assert receiver.requests[0]["body"]["text"].startswith("[medium] forcepoint_multiple_failed_logins: ")


def test_an_unset_variable_fails_the_tick_naming_it(tenant, tick, receiver, monkeypatch):
    home, _ = tenant
    publish(home, [alert("a1", "2026-12-01 10:00")])
    monkeypatch.delenv(VAR)
    with pytest.raises(WebhookError, match=rf"\${VAR} \(the alert webhook URL\) is not set"):
        tick()
    assert receiver.requests == []


def test_plain_http_to_another_host_is_refused_without_showing_the_url(tenant, tick, receiver, monkeypatch):
    home, _ = tenant
    publish(home, [alert("a1", "2026-12-01 10:00")])
    monkeypatch.setenv(VAR, "http://hooks.example.com/services/T0SECRET/B0SECRET/xoxSecretWebhookPath")
    with pytest.raises(WebhookError, match=r"refusing plain http:// to hooks\.example\.com") as failed:
        tick()
    assert "xoxSecretWebhookPath" not in str(failed.value) and "T0SECRET" not in str(failed.value)


def test_a_backlog_drains_over_several_ticks(tenant, tick, receiver, monkeypatch):
    from log_assets.alerts import deliver

    monkeypatch.setattr(deliver, "MAX_PER_ROUND", 2)
    home, _ = tenant
    publish(home, [alert(f"a{i}", f"2026-12-01 10:0{i}") for i in range(5)])
    assert "3 more wait for the next tick" in tick()
    tick()
    tick()
    assert receiver.posted == [f"a{i}" for i in range(5)]
    tick()
    assert len(receiver.requests) == 5
