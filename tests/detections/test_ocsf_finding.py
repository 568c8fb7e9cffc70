"""ocsf.detection_finding: the alerts as OCSF 1.8.0 Detection Finding (2004) events."""

from __future__ import annotations

import json
from datetime import timedelta

from log_assets.detections.runner import run
from log_assets.ocsf.validate import row_to_event, validate_event
from log_assets.paths import Home
from log_assets.warehouse import connect_readonly, sync
from tests.detections.scenario_lake import write_by_day
from tests.detections.test_engine import T0, failed_logins

# What class 2004 (and its base, finding) require in OCSF 1.8.0, and what it recommends that we give.
REQUIRED = {
    "activity_id",
    "category_uid",
    "class_uid",
    "type_uid",
    "severity_id",
    "time",
    "metadata",
    "finding_info",
}


def findings(home: Home) -> list[dict]:
    """The findings as OCSF events, each validated against the vendored 1.8.0 schema of class 2004."""
    with connect_readonly(home) as con:
        rows = con.sql("SELECT * FROM ocsf.detection_finding").to_arrow_table().to_pylist()
        alerts = con.sql("SELECT alert_id, first_seen, event_count FROM detections.alerts").fetchall()
    assert len(rows) == len(alerts)
    events = [row_to_event(r) for r in rows]
    for event in events:
        assert validate_event(event) == [], event
    return [json.loads(json.dumps(e, default=str)) for e in events]


def test_alerts_as_detection_findings(tmp_path):
    home = Home.from_env(tmp_path / "home")
    write_by_day(home, failed_logins(T0, 10, timedelta(seconds=30)))
    sync(home)
    run(home)
    [f] = findings(home)
    assert set(f) >= REQUIRED
    assert (f["class_uid"], f["category_uid"], f["activity_id"], f["type_uid"]) == (2004, 2, 1, 200401)
    assert (f["severity_id"], f["status_id"], f["count"], f["is_alert"]) == (3, 1, 10, True)
    assert f["metadata"]["version"] == "1.8.0" and f["metadata"]["product"]["vendor_name"]
    info = f["finding_info"]
    assert info["analytic"] == {
        "uid": "forcepoint_multiple_failed_logins",
        "name": "Multiple failed logins",
        "type_id": 1,
        "type": "Rule",
    }
    assert info["attacks"] == [{"technique": {"uid": "T1110"}}]
    assert info["uid"] == f["metadata"]["uid"] and info["first_seen_time"] == int(T0.timestamp() * 1000)

    # a late event updates the alert: the finding's activity is Update
    write_by_day(home, failed_logins(T0 - timedelta(minutes=1), 1, timedelta(0), "late"), part="p1")
    sync(home)
    run(home)
    [g] = findings(home)
    assert (g["activity_id"], g["type_uid"], g["count"]) == (2, 200402, 11)
    assert g["finding_info"]["uid"] == info["uid"]


def test_the_days_whose_findings_changed_are_in_the_change_log(tmp_path):
    from log_assets.detections.engine import detect
    from log_assets.detections.rules import load_rules
    from log_assets.warehouse.writer import open_writer

    home = Home.from_env(tmp_path / "home")
    write_by_day(home, failed_logins(T0, 10, timedelta(seconds=30)))
    sync(home)

    def logged(w) -> list:
        q = "SELECT DISTINCT event_day FROM _warehouse.changes WHERE table_name = 'ocsf.detection_finding'"
        return [r[0] for r in w.conn.execute(q).fetchall()]

    with open_writer(home) as w:
        detect(w, load_rules())
        assert logged(w) == [T0.date()]
        w.conn.execute("DELETE FROM _warehouse.changes WHERE table_name = 'ocsf.detection_finding'")
        detect(w, load_rules())  # nothing changed: nothing logged
        assert logged(w) == []
