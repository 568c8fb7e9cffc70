"""Each table's meaning, on the lake of conftest.py, against answers worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from log_assets.paths import Home
from log_assets.warehouse import connect_readonly, sync
from tests.warehouse.conftest import write_lake
from tests.warehouse.lakegen import ts

# Under xdist the module's tests run on one worker (its group), not necessarily one after another:
# its fixture is session-scoped so that another module's test in between does not make it again.
pytestmark = [pytest.mark.xdist_group("warehouse.test_tables")]

D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)

# Distinct events per table: access A1-A6 (A1 twice on D1, A6 on D1 and D2) = 6; cloudsummary C1-C3
# (C1 twice) = 3; the rest as written.
COUNTS = {
    "forcepoint.access": 6,
    "forcepoint.cloudsummary": 3,
    "forcepoint.cloudaudit": 2,
    "forcepoint.swgweb": 3,
    "forcepoint.swgwebdlp": 2,
    "forcepoint.admin": 0,
    "forcepoint.healthproxy": 0,
    "forcepoint.healthapi": 0,
    "forcepoint.healthsystem": 0,
    "forcepoint.ztna": 0,
    "aperture.incident": 3,
    "aperture.policy_violation": 1,
    "aperture.remediation": 1,
    "aperture.activity_monitoring": 2,
    "aperture.admin_audit": 0,
    "aperture.dlp_scan": 1,
}


@pytest.fixture(scope="session")
def wh(tmp_path_factory):
    home = Home.from_env(tmp_path_factory.mktemp("tables"))
    write_lake(home)
    sync(home)
    conn = connect_readonly(home)
    yield conn
    conn.close()


def rows(conn, query, *params):
    return conn.execute(query, list(params)).fetchall()


def test_per_type_tables_keep_one_row_per_event(wh):
    for table, n in COUNTS.items():
        assert rows(wh, f"SELECT count(*), count(DISTINCT event_id) FROM {table}") == [(n, n)], table
    # A1 came twice: the later delivery is kept. A6 came on two days: the earlier copy is kept.
    assert rows(wh, "SELECT ingested_at FROM forcepoint.access WHERE event_id = 'A1'") == [
        (ts("2026-03-02 06:00"),)
    ]
    assert rows(wh, "SELECT event_day, event_time FROM forcepoint.access WHERE event_id = 'A6'") == [
        (D1, ts("2026-03-01 23:59:59"))
    ]
    assert rows(wh, "SELECT event_day, count(*) FROM forcepoint.access GROUP BY 1 ORDER BY 1") == [
        (D1, 5),
        (D2, 1),
    ]
    # Typed columns come through, strings coerced to numbers by the lake.
    assert rows(wh, "SELECT uploadedbytes, size FROM forcepoint.swgweb WHERE event_id = 'W3'") == [(25, 5)]


def test_loads_record_lake_rows_and_kept_rows(wh):
    assert rows(
        wh,
        "SELECT event_day, lake_files, lake_rows, rows FROM _warehouse.loads "
        "WHERE table_name = 'forcepoint.access' ORDER BY 1",
    ) == [(D1, 2, 6, 5), (D2, 1, 2, 1)]


def test_cloudsummary_current_is_the_latest_status_per_file(wh):
    assert rows(
        wh, "SELECT fileid, status, event_id, event_day FROM forcepoint.cloudsummary_current ORDER BY 1"
    ) == [
        ("F1", ["Private"], "F1-c3", D2),  # status is a list (real records send "Internal, Shared, DLP")
        ("F2", ["Private"], "F2-c2", D1),
    ]


def test_incident_current_is_the_last_edit(wh):
    assert rows(
        wh, "SELECT incident_id, event_id, severity, exposure FROM aperture.incident_current ORDER BY 1"
    ) == [
        ("inc-1", "IN2", 4.0, "public"),
        ("inc-2", "IN3", 1.0, "external"),
    ]


def test_events_is_every_row_of_every_per_type_table(wh):
    assert rows(wh, "SELECT count(*) FROM analytics.events") == [(sum(COUNTS.values()),)]  # 24
    assert rows(wh, "SELECT log_type, count(*) FROM analytics.events GROUP BY 1 ORDER BY 1") == sorted(
        (t.split(".")[1], n) for t, n in COUNTS.items() if n
    )
    assert [c[0] for c in wh.execute("DESCRIBE analytics.events").fetchall()] == [
        "event_time",
        "event_day",
        "vendor",
        "log_type",
        "event_class",
        "user_name",
        "user_email",
        "user_key",
        "src_ip",
        "app_name",
        "action",
        "activity_name",
        "disposition",
        "object_name",
        "url",
        "domain",
        "category",
        "http_method",
        "response_code",
        "severity",
        "bytes_out",
        "bytes_in",
        "event_id",
        "raw",
    ]
    columns = (
        "event_time, event_day, vendor, log_type, user_name, user_email, src_ip, app_name, action, activity_name, "
        "object_name, severity, bytes_out, bytes_in"
    )
    one = lambda eid: rows(wh, f"SELECT {columns} FROM analytics.events WHERE event_id = ?", eid)  # noqa: E731
    assert one("W1") == [
        (
            ts("2026-03-01 14:00"),
            D1,
            "forcepoint",
            "swgweb",
            "alice",
            "alice@x",
            "10.0.0.1",
            "Dropbox",
            "Allowed",
            "POST",
            "/up",
            None,
            100,
            10,
        )
    ]
    assert one("A5") == [
        (
            ts("2026-03-02 09:00"),
            D2,
            "forcepoint",
            "access",
            "carol",
            "carol@x",
            "10.0.0.9",
            "Gmail",
            "Allowed",
            "Email",
            "cards",
            None,
            None,
            None,
        )
    ]
    assert one("CA1") == [] and one("F1-a1") == [
        (
            ts("2026-03-01 10:30"),
            D1,
            "forcepoint",
            "cloudaudit",
            "dave",
            "dave@x",
            "10.0.0.4",
            "GDrive",
            "Quarantined",
            None,
            "plan.docx",
            None,
            None,
            None,
        )
    ]
    assert one("IN2") == [
        (
            ts("2026-03-02 14:00"),
            D2,
            "aperture",
            "incident",
            "Erin",
            "erin@x",
            None,
            "Office 365",
            None,
            None,
            "payroll.xlsx",
            4.0,
            None,
            None,
        )
    ]
    assert one("AM1") == [
        (
            ts("2026-03-01 10:00"),
            D1,
            "aperture",
            "activity_monitoring",
            "John Smith",
            None,
            "10.1.1.1",
            "My Cloud App",
            "delete",
            "delete",
            "My File",
            None,
            None,
            None,
        )
    ]
    # A log type the catalog does not know is in its own table and in events, read from raw.
    assert one("DS1") == [
        (
            ts("2026-03-01 12:00"),
            D1,
            "aperture",
            "dlp_scan",
            "zoe",
            None,
            None,
            "Slack",
            "scan",
            None,
            None,
            None,
            None,
            None,
        )
    ]
    assert rows(wh, "SELECT raw FROM analytics.events WHERE event_id = 'DS1'") == rows(
        wh, "SELECT raw FROM aperture.dlp_scan WHERE event_id = 'DS1'"
    )


INCIDENT_COLUMNS = (
    "vendor, log_type, incident_id, event_day, first_seen, last_seen, last_edited, severity, status, "
    "user_name, user_email, app_name, object_name, policy, action, exposure, violations, "
    "remediation_action, remediated_by, remediated_at, time_to_remediate, event_id"
)


def test_incidents(wh):
    got = rows(wh, f"SELECT {INCIDENT_COLUMNS} FROM analytics.incidents ORDER BY vendor, first_seen")
    assert got == [
        # inc-1: violation PV1 at D1 08:30 (first seen), incident IN1 D1 09:00 edited as IN2 D2 14:00 (last edit),
        # remediated by R1 at D3 09:00 (last seen): 2 days 00:30 after first seen.
        (
            "aperture",
            "incident",
            "inc-1",
            D1,
            ts("2026-03-01 08:30"),
            ts("2026-03-03 09:00"),
            ts("2026-03-02 14:00"),
            4.0,
            "remediated",
            "Erin",
            "erin@x",
            "Office 365",
            "payroll.xlsx",
            "PII",
            "Alerted Admin",
            "public",
            1,
            "quarantine",
            "Aperture",
            ts("2026-03-03 09:00"),
            timedelta(days=2, minutes=30),
            "IN2",
        ),
        (
            "aperture",
            "incident",
            "inc-2",
            D2,
            ts("2026-03-02 10:00"),
            ts("2026-03-02 10:00"),
            ts("2026-03-02 10:00"),
            1.0,
            "open",
            "Finn",
            "finn@x",
            "Box",
            "main.java",
            "Source code",
            None,
            "external",
            0,
            None,
            None,
            None,
            None,
            "IN3",
        ),
        # DLP hits: A1 (access, SSN), CA1 (cloudaudit), S1 (swgwebdlp: its dlpaction), S2 (empty dlpaction:
        # the action), A5 (access, PCI). A2 ('' pattern), A3 ('[]') and CA2 ('') are not incidents.
        (
            "forcepoint",
            "access",
            "A1",
            D1,
            ts("2026-03-01 10:00"),
            ts("2026-03-01 10:00"),
            None,
            None,
            "detected",
            "alice",
            "alice@x",
            "Box",
            "a.txt",
            "SSN",
            "Allowed",
            None,
            None,
            None,
            None,
            None,
            None,
            "A1",
        ),
        (
            "forcepoint",
            "cloudaudit",
            "F1-a1",
            D1,
            ts("2026-03-01 10:30"),
            ts("2026-03-01 10:30"),
            None,
            None,
            "detected",
            "dave",
            "dave@x",
            "GDrive",
            "plan.docx",
            "Sensitive Keywords (confidential)",
            "Quarantined",
            None,
            None,
            None,
            None,
            None,
            None,
            "F1-a1",
        ),
        (
            "forcepoint",
            "swgwebdlp",
            "S1",
            D1,
            ts("2026-03-01 17:00"),
            ts("2026-03-01 17:00"),
            None,
            None,
            "detected",
            "bob",
            "bob@x",
            "Dropbox",
            "cards.csv",
            "PCI",
            "Block",
            None,
            None,
            None,
            None,
            None,
            None,
            "S1",
        ),
        (
            "forcepoint",
            "swgwebdlp",
            "S2",
            D2,
            ts("2026-03-02 08:00"),
            ts("2026-03-02 08:00"),
            None,
            None,
            "detected",
            "bob",
            "bob@x",
            "Dropbox",
            "https://dropbox/u",
            "SSN",
            "Allowed",
            None,
            None,
            None,
            None,
            None,
            None,
            "S2",
        ),
        (
            "forcepoint",
            "access",
            "A5",
            D2,
            ts("2026-03-02 09:00"),
            ts("2026-03-02 09:00"),
            None,
            None,
            "detected",
            "carol",
            "carol@x",
            "Gmail",
            "cards",
            "PCI",
            "Allowed",
            None,
            None,
            None,
            None,
            None,
            None,
            "A5",
        ),
    ]


# Every (day, vendor, user_key, app, action) group (with its user_name, user_email), from the rows in
# conftest.py:
# events, bytes out, bytes in, distinct source IPs.
ACTIVITY = [
    (D1, "aperture", "erin@x", "Erin", "erin@x", "Office 365", "Alerted Admin", 1, None, None, 0),  # PV1
    (D1, "aperture", "erin@x", "Erin", "erin@x", "Office 365", None, 1, None, None, 0),  # IN1
    (D1, "aperture", "john smith", "John Smith", None, "My Cloud App", "delete", 2, None, None, 2),  # AM1, AM2
    (D1, "aperture", "zoe", "zoe", None, "Slack", "scan", 1, None, None, 0),  # DS1
    (D1, "forcepoint", "alice@x", "alice", "alice@x", "Box", "Allowed", 3, None, None, 2),  # A1, A2, A4
    (D1, "forcepoint", "alice@x", "alice", "alice@x", "Dropbox", "Allowed", 3, 175, 15, 2),  # W1-W3
    (D1, "forcepoint", "bob@x", "bob", "bob@x", "Box", "Blocked", 1, None, None, 1),  # A3
    (D1, "forcepoint", "bob@x", "bob", "bob@x", "Dropbox", "Blocked", 1, 500, 0, 1),  # S1
    (D1, "forcepoint", "dave@x", "dave", "dave@x", "Box", "Allowed", 1, None, None, 1),  # A6
    (D1, "forcepoint", "dave@x", "dave", "dave@x", "GDrive", "Allowed", 1, None, None, 1),  # CA2
    (D1, "forcepoint", "dave@x", "dave", "dave@x", "GDrive", "Quarantined", 1, None, None, 1),  # CA1
    (D1, "forcepoint", "erin@x", "erin", "erin@x", "GDrive", "Alert", 1, None, None, 0),  # C1
    (D1, "forcepoint", "frank@x", "frank", "frank@x", "GDrive", "Allowed", 1, None, None, 0),  # C2
    (D2, "aperture", "erin@x", "Erin", "erin@x", "Office 365", None, 1, None, None, 0),  # IN2
    (D2, "aperture", "finn@x", "Finn", "finn@x", "Box", None, 1, None, None, 0),  # IN3
    (D2, "forcepoint", "bob@x", "bob", "bob@x", "Dropbox", "Allowed", 1, None, None, 1),  # S2
    (D2, "forcepoint", "carol@x", "carol", "carol@x", "Gmail", "Allowed", 1, None, None, 1),  # A5
    (D2, "forcepoint", "erin@x", "erin", "erin@x", "GDrive", "Allowed", 1, None, None, 0),  # C3
    (D3, "aperture", "erin@x", "Erin", "erin@x", "Office 365", "quarantine", 1, None, None, 0),  # R1
]


def test_activity_daily(wh):
    got = rows(wh, "SELECT * FROM analytics.activity_daily ORDER BY ALL")
    assert got == sorted(ACTIVITY, key=lambda r: tuple((v is None, v) for v in r))
    assert sum(r[7] for r in ACTIVITY) == sum(COUNTS.values())
