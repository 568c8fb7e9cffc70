"""The normalized tables on records shaped like real tenants' (api-facts.md, "Fields seen in real records").

A small hand-made lake: values arrive as real records send them (comma lists, JSON arrays in strings,
`"[]"` and `""` for nothing, firstname + lastname instead of user), and incidents whose records
arrive out of order.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from log_assets.paths import Home
from log_assets.warehouse import connect_readonly, sync
from tests.warehouse.lakegen import event, ts, write

# Under xdist the module's tests run on one worker (its group), not necessarily one after another:
# its fixture is session-scoped so that another module's test in between does not make it again.
pytestmark = [pytest.mark.xdist_group("warehouse.test_real_shapes")]

FP, AP = "forcepoint", "aperture"
D = date(2026, 4, 1)

# Forcepoint access: the person as an upper-case e-mail; action and activity comma lists; a DLP
# record with nothing in filename / url but an email subject.
ACCESS = event(
    FP,
    "access",
    "ACC1",
    "2026-04-01 09:00",
    transactionid="ACC1 [01 Apr 2026 09:00:00]",
    user="Upper Case",
    email="Upper@Case.com",
    ipaddress="10.9.0.1",
    application="Google Drive",
    action="Alert, Blocked, DLP, Notify",
    activity="Cloudstorage, Downloaded, Web",
    url="https://drive.google.com/file/d/1",
    filename="",
    emailsubject="",
    dlppattern="",
    location='["Guest"]',
    usergroup="['355160', 'All Users']",
    details="User challenged with Multi-Factor Authentication.",
    riskscore="high",  # a field the catalog does not know (schema evolution)
)
ACCESS_DLP = event(
    FP,
    "access",
    "ACC2",
    "2026-04-01 09:30",
    transactionid="ACC2 [2026-04-01 09:30:00]",
    user="Upper Case",
    email="Upper@Case.com",
    application="Gmail",
    action="Alert",
    activity="Email",
    url="",
    filename="[]",
    emailsubject="Q1 cards",
    dlppattern="PCI (card number)",
)
# Aperture: the same person, user as a lower-case e-mail address.
ACTIVITY = event(
    AP,
    "activity_monitoring",
    "AM9",
    "2026-04-01 10:00",
    user="upper@case.com",
    source_ip="10.9.0.2",
    action="download",
    cloud_app_instance="Box",
    item_name="",
    target_name="report.pdf",
    severity=1.0,
)
# swgweb: no user field; the person is firstname + lastname.
SWGWEB = event(
    FP,
    "swgweb",
    "SW1",
    "2026-04-01 11:00",
    setransactionid="SW1",
    firstname="Jane",
    lastname="Doe",
    email="jane.doe@corp.example",
    ipaddress="10.9.0.3",
    application="Web Browsing",
    action="Allowed",
    requestmethod="get",
    requestdomain="Casino.Example",
    uri="/play",
    url="https://casino.example/play?x=1",
    webcategories='["WR:Gambling"]',
    bgcategories='["Gambling"]',
    customcategories="[]",
    usergroup="['355160', 'All Users']",
    bgcloudscore="7.00",
    webreputation="80.00",
    uploadedbytes="31466",
    size="120",
)
# swgwebdlp: filename and activity "[]", two patterns, application empty, action tobitglass.
DLP = event(
    FP,
    "swgwebdlp",
    "SD1",
    "2026-04-01 12:00",
    transactionid="SD1",
    firstname="Jane",
    lastname="Doe",
    email="jane.doe@corp.example",
    ipaddress="10.9.0.3",
    application="",
    action="tobitglass",
    activity="[]",
    filename="[]",
    dlppattern='["PCI", "SSN"]',
    keyword="[]",
    threatindicator="[]",
    requestdomain="upload.example.com",
    uri="/api",
    url="",
    webcategories="[]",
    bgcategories='["File Sharing"]',
)
DLP_FILE = event(
    FP,
    "swgwebdlp",
    "SD2",
    "2026-04-01 12:30",
    transactionid="SD2",
    email="jane.doe@corp.example",
    firstname="Jane",
    lastname="",
    action="Blocked",
    filename='["cards.csv"]',
    dlppattern='["PCI"]',
    url="https://upload.example.com/api/put",
)
HEALTH = event(
    FP,
    "healthproxy",
    "HP1",
    "2026-04-01 13:00",
    transactionid="HP1",
    activity="Server4xx",
    user="Upper Case",
    email="Upper@Case.com",
    application="Salesforce",
    requestmethod="POST",
    responsecode=404,
    url="https://acme.my.salesforce.com/services",
    ipaddress="10.9.0.1",
)


def incident(eid, time, incident_id, policy, severity=2.0):
    return event(
        AP,
        "incident",
        eid,
        time,
        incident_id=incident_id,
        severity=severity,
        exposure="PUBLIC",
        datetime_edited=time.replace(" ", "T") + ":00Z ",
        item_owner="Upper Case",
        item_owner_email="upper@case.com",
        cloud_app_instance="Box",
        item_name="plan.docx",
        policy_rule_name=policy,
    )


def remediation(eid, time, incident_id):
    return event(
        AP,
        "remediation",
        eid,
        time,
        incident_id=incident_id,
        action_taken="Remove Public Links",
        action_taken_by="Aperture",
        policy_rule_name="",
        item_name="plan.docx",
        cloud_app_instance="Box",
    )


# inc-early: its remediation arrives first (09:00), the incident records later (10:00 and 11:00,
# with two different policy rules). inc-late: incident 10:00, remediated 12:30. inc-orphan: only a
# remediation.
INCIDENTS = [
    incident("I1", "2026-04-01 10:00", "inc-early", "Rule A"),
    incident("I2", "2026-04-01 11:00", "inc-early", "Rule B", 4.0),
    incident("I3", "2026-04-01 10:00", "inc-late", "Rule A"),
]
REMEDIATIONS = [
    remediation("R1", "2026-04-01 09:00", "inc-early"),
    remediation("R2", "2026-04-01 12:30", "inc-late"),
    remediation("R3", "2026-04-01 08:00", "inc-orphan"),
]


@pytest.fixture(scope="session")
def wh(tmp_path_factory):
    home = Home.from_env(tmp_path_factory.mktemp("real_shapes"))
    for rows in ([ACCESS, ACCESS_DLP], [ACTIVITY], [SWGWEB], [DLP, DLP_FILE], [HEALTH], INCIDENTS, REMEDIATIONS):
        write(home, rows)
    sync(home)
    conn = connect_readonly(home)
    yield conn
    conn.close()


def one(conn, query, *params):
    found = conn.execute(query, list(params)).fetchall()
    assert len(found) == 1, found
    return found[0]


def text_columns(conn, table):
    return [
        name
        for name, type_ in conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            table.split("."),
        ).fetchall()
        if type_ == "VARCHAR" and name != "raw"
    ]


def test_remediation_before_its_incident_does_not_move_first_seen(wh):
    first_seen, remediated_at, ttr, status = one(
        wh,
        "SELECT first_seen, remediated_at, time_to_remediate, status FROM analytics.incidents "
        "WHERE incident_id = 'inc-early'",
    )
    assert first_seen == ts("2026-04-01 10:00")  # the first incident record, not the 09:00 remediation
    assert remediated_at == ts("2026-04-01 09:00")
    assert ttr is None  # remediated before it was first seen: the incident's start is unknown
    assert status == "remediated"


def test_time_to_remediate_is_never_negative(wh):
    assert one(wh, "SELECT time_to_remediate FROM analytics.incidents WHERE incident_id = 'inc-late'") == (
        timedelta(hours=2, minutes=30),
    )
    # Seen only in a remediation: first_seen is that record, time to remediate unknown.
    assert one(
        wh,
        "SELECT log_type, first_seen, time_to_remediate FROM analytics.incidents WHERE incident_id = 'inc-orphan'",
    ) == ("remediation", ts("2026-04-01 08:00"), None)
    assert one(wh, "SELECT count(*) FROM analytics.incidents WHERE time_to_remediate < INTERVAL 0 SECOND") == (0,)


def test_every_policy_name_of_an_incident_is_kept(wh):
    assert one(
        wh, "SELECT policy_names, policy, severity FROM analytics.incidents WHERE incident_id = 'inc-early'"
    ) == (["Rule A", "Rule B"], "Rule A, Rule B", 4.0)
    # A remediation with an empty policy_rule_name adds none.
    assert one(wh, "SELECT policy_names FROM analytics.incidents WHERE incident_id = 'inc-late'") == (["Rule A"],)


def test_user_key_is_one_person_across_vendors(wh):
    keys = wh.execute(
        "SELECT DISTINCT user_key FROM analytics.events WHERE event_id IN ('ACC1', 'AM9', 'HP1', 'I1')"
    ).fetchall()
    assert keys == [("upper@case.com",)]
    # The Aperture user is an e-mail address: it is the user_email too.
    assert one(wh, "SELECT user_name, user_email FROM analytics.events WHERE event_id = 'AM9'") == (
        "upper@case.com",
        "upper@case.com",
    )
    key = one(wh, "SELECT user_key FROM analytics.incidents WHERE incident_id = 'inc-early'")
    assert key == ("upper@case.com",)
    vendors = wh.execute(
        "SELECT DISTINCT vendor FROM analytics.activity_daily WHERE user_key = 'upper@case.com' ORDER BY 1"
    ).fetchall()
    assert vendors == [("aperture",), ("forcepoint",)]


def test_swgweb_user_name_is_firstname_lastname(wh):
    assert one(wh, "SELECT user_name, user_email, user_key FROM analytics.events WHERE event_id = 'SW1'") == (
        "Jane Doe",
        "jane.doe@corp.example",
        "jane.doe@corp.example",
    )
    # An empty lastname leaves the first name alone (no trailing space).
    assert one(wh, "SELECT user_name FROM analytics.events WHERE event_id = 'SD2'") == ("Jane",)


def test_object_name_is_never_empty(wh):
    assert one(
        wh, "SELECT count(*) FROM analytics.events WHERE trim(object_name) IN ('', '[]', 'None', 'null')"
    ) == (0,)
    assert one(
        wh, "SELECT count(*) FROM analytics.incidents WHERE trim(object_name) IN ('', '[]', 'None', 'null')"
    ) == (0,)
    objects = dict(wh.execute("SELECT event_id, object_name FROM analytics.events").fetchall())
    assert objects["ACC1"] == "https://drive.google.com/file/d/1"  # filename '' and emailsubject '' skipped
    assert objects["ACC2"] == "Q1 cards"  # filename '[]', url ''
    assert objects["AM9"] == "report.pdf"  # item_name '': target_name
    assert objects["SW1"] == "https://casino.example/play?x=1"
    assert objects["SD1"] == "upload.example.com/api"  # filename '[]' and url '': domain + uri
    assert objects["SD2"] == "cards.csv"  # the first of the filename list


@pytest.mark.parametrize("table", ["analytics.events", "analytics.incidents", "analytics.activity_daily"])
def test_no_empty_text_in_normalized_columns(wh, table):
    for column in text_columns(wh, table):
        n = one(wh, f"SELECT count(*) FROM {table} WHERE trim(\"{column}\") IN ('', '[]', 'None', 'null')")
        assert n == (0,), f"{table}.{column}"


def test_lists_become_text_and_disposition_reads_them(wh):
    assert one(wh, "SELECT action, activity_name, disposition FROM analytics.events WHERE event_id = 'ACC1'") == (
        "Alert, Blocked, DLP, Notify",
        "Cloudstorage, Downloaded, Web",
        "blocked",  # blocked wins over alerted
    )
    dispositions = dict(wh.execute("SELECT event_id, disposition FROM analytics.events").fetchall())
    assert dispositions["ACC2"] == "alerted"
    assert dispositions["SW1"] == "allowed"
    assert dispositions["SD1"] == "other"  # tobitglass
    assert dispositions["SD2"] == "blocked"
    assert dispositions["AM9"] == "other"  # Aperture activity: what the user did
    assert dispositions["I1"] is None  # no action


def test_web_columns(wh):
    assert one(
        wh,
        "SELECT url, domain, category, http_method, bytes_out, bytes_in, event_class FROM analytics.events "
        "WHERE event_id = 'SW1'",
    ) == ("https://casino.example/play?x=1", "casino.example", "WR:Gambling", "GET", 31466, 120, "activity")
    # Without webcategories, bgcategories; the domain of an access record is its url's host.
    assert one(wh, "SELECT category, url FROM analytics.events WHERE event_id = 'SD1'") == ("File Sharing", None)
    assert one(wh, "SELECT domain, event_class, src_ip FROM analytics.events WHERE event_id = 'ACC1'") == (
        "drive.google.com",
        "activity",
        "10.9.0.1",
    )
    assert one(wh, "SELECT event_class FROM analytics.events WHERE event_id = 'ACC2'") == ("dlp",)


def test_health_telemetry_is_its_own_class(wh):
    assert one(
        wh,
        "SELECT event_class, activity_name, http_method, response_code, object_name, domain, user_key "
        "FROM analytics.events WHERE event_id = 'HP1'",
    ) == (
        "health",
        "Server4xx",
        "POST",
        404,
        "https://acme.my.salesforce.com/services",
        "acme.my.salesforce.com",
        "upper@case.com",
    )


def test_severity_where_the_source_has_one(wh):
    severities = dict(wh.execute("SELECT event_id, severity FROM analytics.events").fetchall())
    assert severities["AM9"] == 1.0 and severities["I2"] == 4.0
    assert all(severities[e] is None for e in ("ACC1", "SW1", "SD1", "HP1"))  # Forcepoint: no severity


def test_forcepoint_dlp_hits_carry_patterns_object_and_domain(wh):
    got = wh.execute(
        "SELECT incident_id, policy_names, policy, object_name, domain, severity, user_name, app_name, status "
        "FROM analytics.incidents WHERE vendor = 'forcepoint' ORDER BY incident_id"
    ).fetchall()
    assert got == [
        (
            "ACC2",
            ["PCI (card number)"],
            "PCI (card number)",
            "Q1 cards",
            None,
            None,
            "Upper Case",
            "Gmail",
            "detected",
        ),
        (
            "SD1",
            ["PCI", "SSN"],
            "PCI, SSN",
            "upload.example.com/api",
            "upload.example.com",
            None,
            "Jane Doe",
            None,
            "detected",
        ),
        (
            "SD2",
            ["PCI"],
            "PCI",
            "cards.csv",
            "upload.example.com",  # the host of the url
            None,
            "Jane",
            None,
            "detected",
        ),
    ]
    # ACC1 has dlppattern '': no incident.


def test_tables_doc_reports_a_field_the_catalog_does_not_know(wh):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "docs"))
    import build_tables_md

    text, missing, uncataloged = build_tables_md.build_report(wh)
    assert uncataloged == ["forcepoint.access.riskscore"]
    assert not [m for m in missing if "riskscore" in m]
    assert "| `riskscore` | VARCHAR | *Seen in data, not in the catalog*" in text
    # Columns the catalog marks as seen but undocumented, or documented but not seen, carry a note.
    access = text[text.index("### forcepoint.access") :]
    details = next(line for line in access.splitlines() if line.startswith("| `details` |"))
    assert build_tables_md.SEEN_NOT_DOCUMENTED.strip() in details
    responsecode = next(line for line in access.splitlines() if line.startswith("| `responsecode` |"))
    assert build_tables_md.DOCUMENTED_NOT_SEEN.strip() in responsecode
