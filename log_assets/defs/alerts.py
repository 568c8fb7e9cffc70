"""The alert webhook sensor: each new alert of `detections.alerts` posted once to a webhook.

Added to a tenant's definitions only when its webhook variable is configured (see
`log_assets.factory.build_defs`, `alerts_webhook_env`). The URL is read from that variable at every
tick, never put into the definitions. What is posted and when: `log_assets.alerts.pending`.
"""

from __future__ import annotations

import os

import dagster as dg

from log_assets import http
from log_assets.alerts.deliver import post_round
from log_assets.alerts.pending import Cursor
from log_assets.alerts.webhook import Webhook, WebhookError
from log_assets.defs.resources import LogAssetsHome
from log_assets.defs.scope import Scope
from log_assets.paths import Home
from log_assets.tenant import check_env_name, own_variable

WEBHOOK_ENV = "LOG_ASSETS_ALERT_WEBHOOK_URL"
SENSOR = "alerts_webhook_sensor"


def default_webhook_env(tenant_name: str | None) -> str:
    """The variable a tenant's webhook URL is read from unless named: LOG_ASSETS_ALERT_WEBHOOK_URL,
    ACME_LOG_ASSETS_ALERT_WEBHOOK_URL for tenant `acme`."""
    return own_variable(tenant_name, WEBHOOK_ENV)


def _webhook_url(variable: str) -> str:
    try:
        url = http.secret_from_env(os.environ, variable)
    except http.CredentialError as e:
        raise WebhookError(f"{e}; nothing was sent") from None
    if url is None:
        raise WebhookError(
            f"${variable} (the alert webhook URL) is not set in the environment of the code location; "
            "nothing was sent: set it where the Dagster daemon loads the definitions"
        )
    return url


def build_alerts_webhook_sensor(scope: Scope, variable: str) -> dg.SensorDefinition:
    home_key = scope.home_key

    @dg.sensor(
        name=scope.name(SENSOR),
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Posts each new alert of detections.alerts once to the webhook in ${variable} "
        "(a Slack-compatible JSON body); suppressed alerts and later updates of a posted one are not posted.",
        required_resource_keys={home_key},
    )
    def alerts_webhook_sensor(context: dg.SensorEvaluationContext, **resources: object):
        # Dagster passes a sensor's required resources as keyword arguments named by their keys.
        resource = resources[home_key]
        assert isinstance(resource, LogAssetsHome)
        home = Home.from_env(resource.root, type(resource).tenant)  # read only: no claim on the home
        cursor = Cursor.load(context.cursor)
        with Webhook(_webhook_url(variable), variable) as webhook:
            done = post_round(home, cursor, webhook)
        summary = done.summary()
        if done.failure is not None and not done.sent:
            # Nothing sent this tick: the tick fails (red in the UI) and the cursor stays where it was.
            raise WebhookError(summary, done.failure.status) from None
        if done.sent:
            context.update_cursor(done.cursor.dump())
            context.log.info(summary)
        if done.failure is not None:
            # Some were sent: the cursor must record them, which a failed tick would not store.
            context.log.error(summary)
        return dg.SkipReason(summary)

    return alerts_webhook_sensor


def build_defs(scope: Scope, variable: str | None = None) -> dg.Definitions:
    """The tenant's webhook sensor: with `variable` named, always (its URL is read at each tick); with
    none, when the tenant's own variable (default_webhook_env) is set where the definitions load."""
    if variable is None:
        variable = default_webhook_env(scope.tenant.name)
        if not os.environ.get(variable, "").strip():
            return dg.Definitions()
    check_env_name("alerts_webhook_env", variable)
    return dg.Definitions(sensors=[build_alerts_webhook_sensor(scope, variable)])
