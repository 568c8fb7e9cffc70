"""Posting an alert to a webhook: a Slack-compatible JSON body, urllib3 retries, no URL in any message.

The URL is a secret (a Slack incoming webhook's path is its credential): it comes from the environment
and no message, log line or error holds it, nor any part of its path or query; errors name the
variable that holds it and the host.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests

from log_assets import http
from log_assets.alerts.pending import Alert

log = logging.getLogger(__name__)

# 5xx and 429 are retried (429 and 503 after their Retry-After, capped); a connection refused is
# retried too. A read that failed is not: the receiver may have posted the message already.
RETRIES = 3
RETRY_STATUSES = (429, 500, 502, 503, 504)
BACKOFF_SECONDS = 0.5
RETRY_AFTER_MAX = 30
TIMEOUT = (5.0, 20.0)
# Slack's limit on a section block's text; the plain `text` stays well under its 40,000.
BLOCK_TEXT_MAX = 3000


class WebhookError(Exception):
    """The receiver did not take an alert; the message names the variable and host, never the URL."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def _slack_escape(text: str) -> str:
    """Slack reads `<...>` as links and mentions and `&` as an entity: a value shows as it is."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _time(t) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S UTC") if t is not None else "?"


def message(alert: Alert) -> dict:
    """The JSON body for one alert: `text` (what every Slack-compatible receiver shows, and the
    notification) and `blocks` (Slack's richer layout of the same)."""
    rule = _slack_escape(alert.title or alert.rule_id)
    entity = _slack_escape(alert.entity or "(no entity)")
    severity = _slack_escape(alert.severity or "?")
    events = f"{alert.event_count} event(s)" if alert.event_count is not None else "events"
    span = f"{_time(alert.first_seen)} to {_time(alert.last_seen)}"
    text = f"[{severity}] {rule}: {entity}, {events} from {span} (alert {_slack_escape(alert.alert_id)})"
    detail = (
        f"*{rule}* ({severity})\n*Entity:* {entity}\n*Events:* {events}, {span}\n"
        f"*Rule:* `{_slack_escape(alert.rule_id)}`  *Alert:* `{_slack_escape(alert.alert_id)}`"
    )
    return {
        "text": text[: BLOCK_TEXT_MAX * 4],
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": detail[:BLOCK_TEXT_MAX]}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "log-assets: SELECT * FROM detections.alerts "
                        f"WHERE alert_id = '{_slack_escape(alert.alert_id.replace(chr(39), chr(39) * 2))}'"[
                            :BLOCK_TEXT_MAX
                        ],
                    }
                ],
            },
        ],
    }


# urllib3 logs the request path at DEBUG (each request, each retry): the path is the secret here.
URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.connection")


class _Redact(logging.Filter):
    def __init__(self, secrets: http.Secrets):
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        redacted = self.secrets.redact(text)
        if redacted != text:
            record.msg, record.args = redacted, None
        return True


class Webhook:
    """One receiver: `post` sends a body, retrying what is worth retrying, and raises WebhookError
    (with the HTTP status when there was an answer) when it was not taken."""

    def __init__(self, url: str, variable: str):
        self.variable = variable
        self.secrets = http.Secrets()
        self.secrets.add(url)
        parts = urlsplit(url)
        for secret in (parts.path, parts.query, f"{parts.path}?{parts.query}"):
            if secret.strip("/?"):
                self.secrets.add(secret)
        try:  # plain http only to loopback: the URL is a credential
            self.url = http.check_url(url, f"${variable}", override="none: use an https URL")
        except http.InsecureUrlError as e:
            raise WebhookError(f"{self.secrets.redact(str(e))}; nothing was sent") from None
        self.host = http.host_of(url)
        retry = http.BoundedRetry(
            total=RETRIES,
            connect=RETRIES,
            read=0,
            status=RETRIES,
            other=0,
            allowed_methods=frozenset({"POST"}),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=BACKOFF_SECONDS,
            respect_retry_after_header=True,
            raise_on_status=False,
            raise_on_redirect=False,
            redirect=0,
            retry_after_max=RETRY_AFTER_MAX,
        )
        retry.configure(f"alert webhook ({variable}, host {self.host})", log, self.secrets)
        self.session = http.new_session(retry)
        self._filter = _Redact(self.secrets)
        for name in URLLIB3_LOGGERS:
            logging.getLogger(name).addFilter(self._filter)

    def __enter__(self) -> Webhook:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()
        for name in URLLIB3_LOGGERS:
            logging.getLogger(name).removeFilter(self._filter)

    def _where(self) -> str:
        return f"the alert webhook (${self.variable}, host {self.host})"

    def post(self, body: Mapping) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            resp = self.session.post(
                self.url,
                data=data,
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=TIMEOUT,
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException as e:
            raise WebhookError(f"{self._where()} could not be reached: {self.secrets.describe(e)}") from None
        with resp:
            if 200 <= resp.status_code < 300:
                return
            answer = self.secrets.redact(http.read_error_body(resp).decode("utf-8", "replace").strip())[:200]
        status = resp.status_code
        if status in RETRY_STATUSES:
            hint = f"still failing after {RETRIES} retries; it is tried again on the next tick"
        elif 300 <= status < 400:
            hint = "a redirect is not followed: set the receiver's final URL in the variable"
        else:
            hint = (
                "not retried: a 4xx means the receiver refuses the URL or the body (a revoked or mistyped "
                f"webhook URL: set ${self.variable} again); it is tried again on the next tick"
            )
        raise WebhookError(
            f"{self._where()} answered HTTP {status}{f' ({answer})' if answer else ''}; {hint}", status
        )
