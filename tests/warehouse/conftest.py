"""A small lake with known answers (worked out by hand in the tests' comments).

Days D1 = 2026-03-01, D2 = 2026-03-02, D3 = 2026-03-03. Deliberate repeats: an event delivered in
two files of one day (A1, C1, IN1), an event on two days (A6: 23:59:59 on D1 and 00:00:01 on D2, the
earlier copy is kept), one fileid with two statuses (F1: Public on D1, Private on D2), one Aperture
incident edited twice with a violation and a remediation (inc-1), DLP hits in access, cloudaudit
and swgwebdlp.
"""

from __future__ import annotations

import pytest

from log_assets.paths import Home
from tests.warehouse.lakegen import event, write

FP, AP = "forcepoint", "aperture"


def access(eid, time, user, ip, app, action, ingested=None, **f):
    return event(
        FP,
        "access",
        eid,
        time,
        ingested,
        user=user,
        email=f"{user}@x",
        ipaddress=ip,
        application=app,
        action=action,
        **f,
    )


A1 = access(
    "A1",
    "2026-03-01 10:00",
    "alice",
    "10.0.0.1",
    "Box",
    "Allowed",
    activity="Upload",
    filename="a.txt",
    dlppattern="SSN",
)
A1_AGAIN = access(
    "A1",
    "2026-03-01 10:00",
    "alice",
    "10.0.0.1",
    "Box",
    "Allowed",
    "2026-03-02 06:00",
    activity="Upload",
    filename="a.txt",
    dlppattern="SSN",
)
A2 = access(
    "A2",
    "2026-03-01 11:00",
    "alice",
    "10.0.0.2",
    "Box",
    "Allowed",
    activity="Download",
    url="https://box/x",
    dlppattern="",
)
A3 = access("A3", "2026-03-01 12:00", "bob", "10.0.0.3", "Box", "Blocked", activity="Upload", dlppattern="[]")
A4 = access("A4", "2026-03-01 13:00", "alice", "10.0.0.1", "Box", "Allowed", activity="Upload")
A6_D1 = access("A6", "2026-03-01 23:59:59", "dave", "10.0.0.4", "Box", "Allowed")
A5 = access(
    "A5",
    "2026-03-02 09:00",
    "carol",
    "10.0.0.9",
    "Gmail",
    "Allowed",
    activity="Email",
    emailsubject="cards",
    dlppattern="PCI",
)
A6_D2 = access("A6", "2026-03-02 00:00:01", "dave", "10.0.0.4", "Box", "Allowed")


def cloudsummary(eid, time, fileid, status, user, action):
    return event(
        FP,
        "cloudsummary",
        eid,
        time,
        fileid=fileid,
        status=status,
        user=user,
        owner=f"{user}@x",
        application="GDrive",
        action=action,
        filename=f"{fileid}.doc",
    )


C1 = cloudsummary("F1-c1", "2026-03-01 08:00", "F1", "Public", "erin", "Alert")
C2 = cloudsummary("F2-c2", "2026-03-01 09:00", "F2", "Private", "frank", "Allowed")
C3 = cloudsummary("F1-c3", "2026-03-02 10:00", "F1", "Private", "erin", "Allowed")

CA1 = event(
    FP,
    "cloudaudit",
    "F1-a1",
    "2026-03-01 10:30",
    fileid="F1",
    user="dave",
    email="dave@x",
    application="GDrive",
    action="Quarantined",
    patterns="Sensitive Keywords (confidential)",
    filename="plan.docx",
    actoripaddress="10.0.0.4",
)
CA2 = event(
    FP,
    "cloudaudit",
    "F1-a2",
    "2026-03-01 10:45",
    fileid="F1",
    user="dave",
    email="dave@x",
    application="GDrive",
    action="Allowed",
    patterns="",
    filename="plan.docx",
    actoripaddress="10.0.0.4",
)


def swgweb(eid, time, ip, up, down):
    return event(
        FP,
        "swgweb",
        eid,
        time,
        setransactionid=eid,
        user="alice",
        email="alice@x",
        ipaddress=ip,
        application="Dropbox",
        action="Allowed",
        requestmethod="POST",
        url="/up",
        uploadedbytes=up,
        size=down,
    )


W1 = swgweb("W1", "2026-03-01 14:00", "10.0.0.1", 100, 10)
W2 = swgweb("W2", "2026-03-01 15:00", "10.0.0.2", 50, None)
W3 = swgweb("W3", "2026-03-01 16:00", "10.0.0.1", "25", "5")  # numbers as strings, as the API sends them

S1 = event(
    FP,
    "swgwebdlp",
    "S1",
    "2026-03-01 17:00",
    user="bob",
    email="bob@x",
    ipaddress="10.0.0.3",
    application="Dropbox",
    action="Blocked",
    dlpaction="Block",
    dlppattern="PCI",
    filename="cards.csv",
    uploadedbytes=500,
    size=0,
)
S2 = event(
    FP,
    "swgwebdlp",
    "S2",
    "2026-03-02 08:00",
    user="bob",
    email="bob@x",
    ipaddress="10.0.0.3",
    application="Dropbox",
    action="Allowed",
    dlpaction="",
    dlppattern="SSN",
    url="https://dropbox/u",
)


def incident(eid, time, incident_id, severity, exposure, edited, owner, app, item, policy):
    return event(
        AP,
        "incident",
        eid,
        time,
        incident_id=incident_id,
        severity=severity,
        exposure=exposure,
        datetime_edited=edited,
        item_owner=owner.title(),
        item_owner_email=f"{owner}@x",
        cloud_app_instance=app,
        item_name=item,
        policy_rule_name=policy,
        item_type="File",
    )


IN1 = incident(
    "IN1",
    "2026-03-01 09:00",
    "inc-1",
    2.0,
    "internal",
    "2026-03-01T09:00:00Z",
    "erin",
    "Office 365",
    "payroll.xlsx",
    "PII",
)
IN2 = incident(
    "IN2",
    "2026-03-02 14:00",
    "inc-1",
    4.0,
    "public",
    "2026-03-02T14:00:00Z ",
    "erin",
    "Office 365",
    "payroll.xlsx",
    "PII",
)
IN3 = incident(
    "IN3",
    "2026-03-02 10:00",
    "inc-2",
    1,
    "external",
    "2026-03-02T10:00:00Z",
    "finn",
    "Box",
    "main.java",
    "Source code",
)
PV1 = event(
    AP,
    "policy_violation",
    "PV1",
    "2026-03-01 08:30",
    incident_id="inc-1",
    severity=3.0,
    action_taken="Alerted Admin",
    action_taken_by="Aperture",
    policy_rule_name="PII",
    item_name="payroll.xlsx",
    item_owner="Erin",
    item_owner_email="erin@x",
    cloud_app_instance="Office 365",
)
R1 = event(
    AP,
    "remediation",
    "R1",
    "2026-03-03 09:00",
    incident_id="inc-1",
    action_taken="quarantine",
    action_taken_by="Aperture",
    policy_rule_name="PII",
    item_name="payroll.xlsx",
    item_owner="Erin",
    item_owner_email="erin@x",
    cloud_app_instance="Office 365",
)
AM1 = event(
    AP,
    "activity_monitoring",
    "AM1",
    "2026-03-01 10:00",
    user="John Smith",
    source_ip="10.1.1.1",
    action="delete",
    cloud_app_instance="My Cloud App",
    item_name="My File",
)
AM2 = event(
    AP,
    "activity_monitoring",
    "AM2",
    "2026-03-01 11:00",
    user="John Smith",
    source_ip="10.1.1.2",
    action="delete",
    cloud_app_instance="My Cloud App",
    item_name="My File",
)
DS1 = event(
    AP, "dlp_scan", "DS1", "2026-03-01 12:00", user="zoe", action="scan", cloud_app_instance="Slack"
)  # not in the catalog


def write_lake(home: Home) -> None:
    write(home, [A1, A2, A3], "p0")
    write(home, [A1_AGAIN, A4, A6_D1], "p1")
    write(home, [A5, A6_D2], "p0")
    write(home, [C1, C2], "p0")
    write(home, [C1], "p1")
    write(home, [C3], "p0")
    write(home, [CA1, CA2])
    write(home, [W1, W2, W3])
    write(home, [S1])
    write(home, [S2])
    write(home, [IN1], "p0")
    write(home, [IN1], "p1")  # a byte-identical repeat
    write(home, [IN2, IN3])
    write(home, [PV1])
    write(home, [R1])
    write(home, [AM1, AM2])
    write(home, [DS1])


@pytest.fixture
def home(tmp_path) -> Home:
    h = Home.from_env(tmp_path / "home")
    write_lake(h)
    return h
