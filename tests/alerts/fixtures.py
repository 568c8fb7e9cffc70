"""Helpers of the alert tests: a published warehouse with detections tables (as readers see them, built
the way log_assets/warehouse/publish.py builds warehouse.duckdb) and a loopback webhook receiver."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb

from log_assets.warehouse.sqlfiles import literal

ALERT_COLUMNS = {
    "alert_id": "VARCHAR",
    "rule_id": "VARCHAR",
    "entity": "VARCHAR",
    "first_seen": "TIMESTAMPTZ",
    "last_seen": "TIMESTAMPTZ",
    "event_count": "BIGINT",
    "severity": "VARCHAR",
    "event_refs": "VARCHAR[]",
    "status": "VARCHAR",
    "created_at": "TIMESTAMPTZ",
    "updated_at": "TIMESTAMPTZ",
}
RULES = [
    ("forcepoint_multiple_failed_logins", "Multiple failed logins", "10 failed logins in 10 minutes", "medium",
     ["T1110"], True, "built in"),
    ("forcepoint_new_admin", "New administrator", "A user was promoted to administrator", "high",
     ["T1098"], True, "built in"),
]  # fmt: skip


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def alert(
    alert_id: str,
    created: str,
    *,
    status: str = "new",
    rule_id: str = "forcepoint_multiple_failed_logins",
    entity: str = "alice@acme-corp.example",
    events: int = 10,
    updated: str | None = None,
) -> dict:
    return {
        "alert_id": alert_id,
        "rule_id": rule_id,
        "entity": entity,
        "first_seen": t(created).replace(minute=0),
        "last_seen": t(created),
        "event_count": events,
        "severity": "medium",
        "event_refs": [f"forcepoint/access/{alert_id}-{i}" for i in range(min(events, 3))],
        "status": status,
        "created_at": t(created),
        "updated_at": t(updated or created),
    }


def publish(home: Path, alerts: Iterable[dict] | None, rules: bool = True) -> None:
    """Publish `home`/warehouse.duckdb the way the warehouse does: a new file of views over Parquet data
    files (here written beside it), renamed into place; `analytics.events` always, the detections
    tables when `alerts` is not None."""
    data = home / "lake-files"
    data.mkdir(parents=True, exist_ok=True)
    tmp = home / f".warehouse-{uuid.uuid4().hex}.duckdb"
    con = duckdb.connect(str(tmp))
    con.execute("SET TimeZone = 'UTC'")
    try:
        for schema in ("analytics", "detections", "_warehouse"):
            con.execute(f"CREATE SCHEMA {schema}")
        con.execute("CREATE TABLE analytics.events (event_time TIMESTAMPTZ, user_key VARCHAR, event_id VARCHAR)")
        con.execute("CREATE TABLE _warehouse.loads (table_name VARCHAR, event_day DATE)")
        if alerts is not None:
            rows = list(alerts)
            defs = ", ".join(f"{c} {ty}" for c, ty in ALERT_COLUMNS.items())
            con.execute(f"CREATE TEMP TABLE a ({defs})")
            for r in rows:
                con.execute(f"INSERT INTO a VALUES ({', '.join('?' * len(ALERT_COLUMNS))})", list(r.values()))
            f = data / f"alerts-{uuid.uuid4().hex}.parquet"
            con.execute(f"COPY a TO {literal(str(f))} (FORMAT parquet)")
            con.execute(f"CREATE VIEW detections.alerts AS SELECT * FROM read_parquet([{literal(str(f))}])")
            if rules:
                con.execute(
                    "CREATE TABLE detections.rules (rule_id VARCHAR, title VARCHAR, description VARCHAR, "
                    "severity VARCHAR, mitre_techniques VARCHAR[], enabled BOOLEAN, source VARCHAR)"
                )
                con.executemany("INSERT INTO detections.rules VALUES (?, ?, ?, ?, ?, ?, ?)", RULES)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, home / "warehouse.duckdb")


class Receiver:
    """A webhook receiver on 127.0.0.1: records every request; answers the statuses queued in
    `answers` (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(
                    {"path": self.path, "type": self.headers.get("Content-Type"), "body": json.loads(body)}
                )
                status = receiver.answers.pop(0) if receiver.answers else 200
                answer = b"ok" if status == 200 else b"no_service" if status == 404 else b"internal error"
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.path = "/services/T0SECRET/B0SECRET/xoxSecretWebhookPath"
        self.url = f"http://127.0.0.1:{self.server.server_port}{self.path}"

    @property
    def posted(self) -> list[str]:
        """The alert ids of the requests, in order (from the body's text)."""
        return [r["body"]["text"].rsplit("(alert ", 1)[1].rstrip(")") for r in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
