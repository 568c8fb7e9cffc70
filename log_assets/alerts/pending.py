"""Which alerts of `detections.alerts` are due to be posted, and the cursor that says what was.

Once-only semantics (docs/INTERFACE.md, "Alerts to a webhook"):

- an alert is posted once, when it is first seen with `status` `new`; `suppressed` ones are not;
- an alert the detections update later (a late event: larger `event_count`, later `updated_at`, the
  same `alert_id`) is not posted again: the message names the `alert_id`, whose row stays current;
- alerts are posted in `(created_at, alert_id)` order and the cursor records only what was sent, so a
  failure leaves the failed alert and everything after it due, and a restart sends nothing twice.

The cursor holds the newest `created_at` posted and the ids posted within `LOOKBACK` before it: an
alert published late (a detections run that took long to publish) or one that turned from suppressed
to new within that time is still posted, and the cursor stays bounded by a day of alerts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import duckdb

TABLE = "detections.alerts"
RULES = "detections.rules"
LOOKBACK = timedelta(hours=24)
CURSOR_VERSION = 1


class CursorError(ValueError):
    """A stored cursor that cannot be read; the message says how to recover."""


@dataclass(frozen=True)
class Alert:
    alert_id: str
    rule_id: str
    entity: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    event_count: int | None
    severity: str | None
    created_at: datetime
    title: str | None = None


@dataclass(frozen=True)
class Cursor:
    """The newest `created_at` posted, and the alerts posted within LOOKBACK of it (id -> created_at)."""

    newest: datetime | None = None
    sent: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def load(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        try:
            data = json.loads(text)
            if data.get("version") != CURSOR_VERSION:
                raise ValueError(f"version {data.get('version')!r}, expected {CURSOR_VERSION}")
            newest = datetime.fromisoformat(data["newest"]) if data.get("newest") else None
            sent = {str(k): datetime.fromisoformat(v) for k, v in data.get("sent", {}).items()}
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            raise CursorError(
                f"the stored cursor cannot be read ({type(e).__name__}: {str(e)[:120]}); nothing was sent. "
                "Reset the sensor's cursor to post every alert of status new again (the newest alerts "
                "first appear twice in the channel), or set it to "
                + json.dumps({"version": CURSOR_VERSION, "newest": "<ISO time>", "sent": {}})
                + " to post only alerts created after that time"
            ) from None
        if any(t.tzinfo is None for t in [*sent.values(), *([newest] if newest else [])]):
            raise CursorError("the stored cursor holds a time without a time zone; nothing was sent")
        return cls(newest, sent)

    def dump(self) -> str:
        return json.dumps(
            {
                "version": CURSOR_VERSION,
                "newest": self.newest.isoformat() if self.newest else None,
                "sent": {k: v.isoformat() for k, v in sorted(self.sent.items())},
            },
            separators=(",", ":"),
        )

    def after_sending(self, alerts: Iterable[Alert]) -> Cursor:
        """The cursor once `alerts` were posted: the newest time moves up, ids older than LOOKBACK
        before it are forgotten (no query reaches back that far again)."""
        sent = dict(self.sent)
        newest = self.newest
        for a in alerts:
            sent[a.alert_id] = a.created_at
            newest = a.created_at if newest is None or a.created_at > newest else newest
        if newest is not None:
            sent = {k: t for k, t in sent.items() if t > newest - LOOKBACK}
        return replace(self, newest=newest, sent=sent)


def _has(conn: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".")
    return bool(
        conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
            "AND table_schema = $schema AND table_name = $name",
            {"schema": schema, "name": name},
        ).fetchone()[0]  # type: ignore[index]
    )


def missing_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The detections tables the sensor needs that the warehouse does not have yet."""
    return [t for t in (TABLE,) if not _has(conn, t)]


def due(conn: duckdb.DuckDBPyConnection, cursor: Cursor) -> list[Alert]:
    """The alerts of status `new` not posted yet, oldest first (created_at, then alert_id)."""
    titles = _has(conn, RULES)
    join = f"LEFT JOIN (SELECT DISTINCT ON (rule_id) rule_id, title FROM {RULES}) r USING (rule_id)"
    rows = conn.execute(
        f"""
        SELECT a.alert_id, a.rule_id, a.entity, a.first_seen, a.last_seen, a.event_count,
               CAST(a.severity AS VARCHAR), a.created_at,
               {"r.title" if titles else "CAST(NULL AS VARCHAR)"}
        FROM {TABLE} a
        {join if titles else ""}
        WHERE a.status = 'new' AND a.alert_id IS NOT NULL AND a.created_at IS NOT NULL
          AND ($since IS NULL OR a.created_at > $since)
        ORDER BY a.created_at, a.alert_id
        """,
        {"since": cursor.newest - LOOKBACK if cursor.newest else None},
    ).fetchall()
    out: dict[str, Alert] = {}
    for r in rows:
        alert = Alert(*r)
        if alert.alert_id not in cursor.sent:
            out.setdefault(alert.alert_id, alert)  # one message per alert_id, whatever the table holds
    return list(out.values())
