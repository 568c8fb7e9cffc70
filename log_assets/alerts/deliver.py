"""One round of posting: the due alerts of a warehouse, oldest first, until one fails or the round's
limit is reached; the cursor after it records exactly what was sent."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from log_assets.alerts.pending import Alert, Cursor, due, missing_tables
from log_assets.alerts.webhook import Webhook, WebhookError, message
from log_assets.paths import Home
from log_assets.warehouse.reader import connect_readonly

# A backlog (the first tick over a warehouse of old alerts) drains over several ticks rather than
# flooding the channel or the receiver's rate limit (Slack: about one message a second).
MAX_PER_ROUND = 20


@dataclass
class Round:
    """What one round did. `waiting`: why nothing could be read (no warehouse, no alerts table yet)."""

    cursor: Cursor
    sent: list[Alert] = field(default_factory=list)
    left: int = 0
    failure: WebhookError | None = None
    failed: Alert | None = None
    waiting: str | None = None

    def summary(self) -> str:
        if self.waiting:
            return self.waiting
        parts = [f"posted {len(self.sent)} new alert(s)"]
        if self.sent:
            parts[0] += f" ({', '.join(a.alert_id for a in self.sent[:5])}{', ...' if len(self.sent) > 5 else ''})"
        if self.failure is not None and self.failed is not None:
            parts.append(f"alert {self.failed.alert_id} failed: {self.failure}")
        if self.left:
            parts.append(f"{self.left} more wait for the next tick")
        return "; ".join(parts)


def due_alerts(home: Home | Path | str, cursor: Cursor) -> tuple[list[Alert], str | None]:
    """The due alerts of the home's published warehouse, or none and why none can be read yet."""
    try:
        conn = connect_readonly(home)
    except FileNotFoundError as e:
        return [], f"nothing to post yet: {e}"
    with closing(conn):
        missing = missing_tables(conn)
        if missing:
            return [], (
                f"nothing to post yet: the warehouse has no {', '.join(missing)} (materialize the "
                "detections/* assets after the warehouse)"
            )
        return due(conn, cursor), None


def post_round(home: Home | Path | str, cursor: Cursor, webhook: Webhook, limit: int | None = None) -> Round:
    """Post the due alerts (at most `limit`, default MAX_PER_ROUND) until one fails."""
    limit = MAX_PER_ROUND if limit is None else limit
    alerts, waiting = due_alerts(home, cursor)
    result = Round(cursor, waiting=waiting, left=max(0, len(alerts) - limit))
    for alert in alerts[:limit]:
        try:
            webhook.post(message(alert))
        except WebhookError as e:
            result.failure, result.failed = e, alert
            result.left = len(alerts) - len(result.sent) - 1
            break
        result.sent.append(alert)
    result.cursor = cursor.after_sending(result.sent)
    return result
