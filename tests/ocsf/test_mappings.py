"""Each log type's OCSF mapping on records shaped like real tenants' (api-facts.md, "Fields seen in real
records"): values as the APIs send them (comma lists, JSON arrays in strings, numbers in strings, `""`,
`"[]"` and `"None"` for nothing), one small lake of all 15 log types synced into the warehouse.

Every row of every `ocsf.*` table is validated against the vendored OCSF 1.8.0 schema; the key fields
of each class are checked one by one.
"""

from __future__ import annotations

import pytest

from log_assets.ocsf.validate import row_to_event, validate_event
from log_assets.paths import Home
from log_assets.warehouse import connect_readonly, sync
from log_assets.warehouse.ocsftables import OCSF_CLASSES
from tests.warehouse.lakegen import event, write

pytestmark = [pytest.mark.xdist_group("ocsf.test_mappings")]

FP, AP = "forcepoint", "aperture"
HDR = "<110>1 2026-04-01T{t}.754000Z api.bitglass.com NILVALUE NILVALUE access"

SWGWEB = event(
    FP,
    "swgweb",
    "SWG1",
    "2026-04-01 08:00",
    setransactionid="SWG1",
    syslogheader=HDR.format(t="08:00:00"),
    email="Zoe.Fischer@acme.example",
    firstname="Zoë",
    lastname="Fischer",
    ipaddress="10.23.101.79",
    application="Web Browsing",
    action="Blocked",
    useragent="Mozilla/5.0",
    url="https://www.gamble.example/bet?x=1",
    requestdomain="www.gamble.example",
    requestmethod="GET",
    requestport="443",
    protocol="HTTPS",
    arguments="x=1",
    uri="/bet",
    referrer="https://search.example/",
    destinationip="203.0.113.7",
    usergroup="['355160', 'All Users']",
    webcategories='["WR:Gambling"]',
    bgcategories='["Gambling"]',
    customcategories="[]",
    webcategoryclass='["Risky"]',
    bgcloudscore="7.00",
    webreputation="80.00",
    lat="30.2672",
    long="-97.7431",
    city="Austin",
    region="Texas",
    countrycode="US",
    country="United States",
    size="781994",
    uploadedbytes="31466",
    responsecode=None,
    deviceguid="DD7EE64C-2F95-5F24-943B-FB41D0668ADF",
    indexedtime="2026-04-01 08:01:00",
)
# `time` as the API sends it (lakegen's `event` takes the parsed time as its own argument).
SWGWEB["fields"]["time"] = "01 Apr 2026 08:00:00"
ZTNA = event(
    FP,
    "ztna",
    "ZT1",
    "2026-04-01 08:05",
    transactionid="ZT1 [01 Apr 2026 08:05:00]",
    user="Alice Nguyen",
    email="alice@acme.example",
    ipaddress="10.20.0.10",
    application="HR Portal",
    action="Blocked",
    activity="Denied",
    protocol="rdp",
    requestport="3389",
    gatewayip="34.82.11.200",
    connectorname="dc1-connector-a",
    location="San Jose||California||CA||US",
    usergroup="['All Users']",
    uploadedbytes="1373445",
    size="19999585",
)
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
    action="Alert, Blocked, Notify",
    activity="Cloudstorage, Downloaded, Web",
    url="https://drive.google.com/file/d/1",
    filename="budget.xlsx",
    dlppattern="",
    location='["Guest"]',
    usergroup="['355160', 'All Users']",
    details="User challenged with Multi-Factor Authentication.",
)
ACCESS_LOGIN = event(
    FP,
    "access",
    "ACC2",
    "2026-04-01 09:10",
    transactionid="ACC2 [2026-04-01 09:10:00]",
    user="Upper Case",
    email="Upper@Case.com",
    ipaddress="10.9.0.1",
    application="Salesforce",
    action="Allowed",
    activity="Login",
    url="https://acme.my.salesforce.com/",
    dlppattern="[]",
)
ACCESS_DLP = event(
    FP,
    "access",
    "ACC3",
    "2026-04-01 09:30",
    transactionid="ACC3 [2026-04-01 09:30:00]",
    user="Upper Case",
    email="Upper@Case.com",
    ipaddress="not an address",
    application="Gmail",
    action="Alert, DLP, Notify",
    activity="Email",
    url="",
    filename="[]",
    emailsubject="Q1 cards",
    dlppattern="PCI (card number)",
)
ACCESS_MAIL = event(
    FP,
    "access",
    "ACC4",
    "2026-04-01 09:40",
    transactionid="ACC4 [2026-04-01 09:40:00]",
    user="Upper Case",
    email="Upper@Case.com",
    application="Gmail",
    action="Allowed",
    activity="Email",
    url="https://mail.google.com/mail/u/0/",
    emailto="x@acme.example",
    dlppattern="None",
)
ADMIN = event(
    FP,
    "admin",
    "ADM1",
    "2026-04-01 10:00",
    transactionid="ADM1 [01 Apr 2026 10:00:00]",
    user="Tom Baker",
    email="tom@acme.example",
    ipaddress="10.24.203.67",
    application="Forcepoint ONE SSE",
    action="Allowed",
    activity="Policy Change",
    request="PUT /admin/policies/1042",
    url="/admin/policies/1042",
    details="Admin changed saml_issuer_id in the SSO config for tom@acme.example",
)
ADMIN_LOGIN = event(
    FP,
    "admin",
    "ADM2",
    "2026-04-01 10:05",
    transactionid="ADM2 [01 Apr 2026 10:05:00]",
    user="Tom Baker",
    email="tom@acme.example",
    ipaddress="10.24.203.67",
    application="Forcepoint ONE SSE",
    action="Blocked",
    activity="Login",
    request="POST /admin/login",
    url="/admin/login",
)
CLOUDAUDIT_HIT = event(
    FP,
    "cloudaudit",
    "CA1",
    "2026-04-01 11:00",
    action="DLPScan",
    activity="Upload",
    actor="carol@acme.example",
    actoripaddress="198.51.100.4",
    application="Box",
    fileid="F1",
    filename="cards.csv",
    owner="carol@acme.example",
    patterns="US Social Security Number",
    size="4094498",
    createdtime="23 Oct 2026 20:18:44",
    modifiedtime="01 Apr 2026 10:59:00",
    folder="/Personal",
    status="Private",
)
CLOUDAUDIT_SCAN = event(
    FP,
    "cloudaudit",
    "CA2",
    "2026-04-01 11:05",
    action="Scan",
    activity="Create copy",
    application="Box",
    fileid="F2",
    filename="notes.txt",
    owner="dave@acme.example",
    patterns="",
    size="12",
)
CLOUDSUMMARY = event(
    FP,
    "cloudsummary",
    "CS1",
    "2026-04-01 12:00",
    application="SharePoint",
    fileid="F3",
    filename="payroll.xlsx",
    owner="david@acme.example",
    status="Internal, Shared, DLP",
    size="36334901",
    patterns="Credit Card Number",
    classifylabels="Confidential",
    sharedwith="david@acme.example, maya@acme.example",
)
SWGWEBDLP = event(
    FP,
    "swgwebdlp",
    "DLP1",
    "2026-04-01 13:00",
    transactionid="DLP1 [2026-04-01 13:00:00]",
    email="alice@acme.example",
    firstname="Alice",
    lastname="Nguyen",
    ipaddress="10.20.0.10",
    application="",
    action="tobitglass",
    url="https://pastebin.com/x",
    requestdomain="pastebin.com",
    requestmethod="POST",
    requestport="80",
    activity='["Upload"]',
    dlppattern='["Source Code (private key)"]',
    filename='["key.pem"]',
    keyword="[]",
    threatindicator="[]",
    docsha256="764f997d9007aae32073ad49bc98448305e7b68941a84c72b66721350f191b85",
    docextension="pem",
)
HEALTHSYSTEM = event(
    FP,
    "healthsystem",
    "H1",
    "2026-04-01 14:00",
    transactionid="H1 [01 Apr 2026 14:00:00]",
    application="Forcepoint ONE SSE",
    activity="Bitglass4xx, RestAPI",
    responsecode="429",
    requestmethod="GET",
    url="https://portal.bitglass.com/api/bitglassapi/logs/v1/",
    user="Victor Chen",
    email="victor@acme.example",
)
HEALTHPROXY = event(
    FP,
    "healthproxy",
    "H2",
    "2026-04-01 14:05",
    transactionid="H2 [01 Apr 2026 14:05:00]",
    activity="Server5xx",
    responsecode=502,
    requestmethod="POST",
    url="https://acme.sharepoint.com/x",
)
HEALTHAPI = event(
    FP,
    "healthapi",
    "H3",
    "2026-04-01 14:10",
    transactionid="H3 [01 Apr 2026 14:10:00]",
    activity="Server4xx",
    responsecode=404,
    application="OneDrive",
    fileid="4271caad9468ba75fc827",
    filename="report.txt",
)
ACTIVITY = event(
    AP,
    "activity_monitoring",
    "AM1",
    "2026-04-01 15:00",
    user="upper@case.com",
    source_ip="10.9.0.2",
    action="download",
    cloud_app_instance="Box",
    item_type="File",
    item_name="",
    target_name="report.pdf",
    location="São Paulo, Brazil",
    severity=1.0,
)
ACTIVITY_LOGIN = event(
    AP,
    "activity_monitoring",
    "AM2",
    "2026-04-01 15:05",
    user="Frank Okafor",
    source_ip=None,
    action="login",
    cloud_app_instance="Salesforce",
    item_type="User",
    item_name="Frank Okafor",
    severity=2,
)
ACTIVITY_USER = event(
    AP,
    "activity_monitoring",
    "AM3",
    "2026-04-01 15:10",
    user="admin@acme.example",
    source_ip="10.20.185.25",
    action="edit",
    cloud_app_instance="Salesforce",
    item_type="User",
    item_name="Frank Okafor",
    severity=1,
)
INCIDENT = event(
    AP,
    "incident",
    "IN1",
    "2026-04-01 16:00",
    incident_id="inc-1",
    asset_id="asset-9",
    item_name="offer letter.docx",
    item_type="File",
    item_owner="Isabel Álvarez",
    item_owner_email="isabel@acme.example",
    item_sha256="79689db9b478b1eec2ec04bcdcb6026cb06231690b47ba5609eacfddb3340491",
    item_size="3907738",
    policy_rule_name="US SSN",
    severity=4.0,
    exposure="PUBLIC",
    cloud_app_instance="Office 365 8",
    timestamp="2026-04-01T16:00:00.217Z ",
    serial=None,
)
VIOLATION = event(
    AP,
    "policy_violation",
    "PV1",
    "2026-04-01 16:05",
    incident_id="inc-1",
    asset_id="asset-9",
    item_name="offer letter.docx",
    item_type="file",
    policy_rule_name="US SSN",
    action_taken="EmailOwner",
    severity="3",
)
REMEDIATION = event(
    AP,
    "remediation",
    "RM1",
    "2026-04-01 16:10",
    incident_id="inc-1",
    asset_id="asset-9",
    item_name="offer letter.docx",
    item_type="File",
    item_owner_email="isabel@acme.example",
    action_taken="Admin Quarantine",
    action_taken_by="Frank Okafor",
)
ADMIN_AUDIT = event(
    AP,
    "admin_audit",
    "AA1",
    "2026-04-01 17:00",
    admin_id="noah@acme.example",
    admin_role="admin",
    ip="203.0.113.24",
    event_type="settings",
    item_type="apps",
    item_name="Office 365 8",
    field="instance",
    action="delete",
    resource_value_old="Office 365 8",
    resource_value_new="",
)
ADMIN_AUDIT_SIGN_IN = event(
    AP,
    "admin_audit",
    "AA2",
    "2026-04-01 17:05",
    admin_id="noah@acme.example",
    ip="2001:db8::1",
    event_type="login",
    item_type="user",
    action="sign_in",
)

LAKE = [
    [SWGWEB],
    [ZTNA],
    [ACCESS, ACCESS_LOGIN, ACCESS_DLP, ACCESS_MAIL],
    [ADMIN, ADMIN_LOGIN],
    [CLOUDAUDIT_HIT, CLOUDAUDIT_SCAN],
    [CLOUDSUMMARY],
    [SWGWEBDLP],
    [HEALTHSYSTEM],
    [HEALTHPROXY],
    [HEALTHAPI],
    [ACTIVITY, ACTIVITY_LOGIN, ACTIVITY_USER],
    [INCIDENT],
    [VIOLATION],
    [REMEDIATION],
    [ADMIN_AUDIT, ADMIN_AUDIT_SIGN_IN],
]


@pytest.fixture(scope="session")
def ocsf_rows(tmp_path_factory) -> dict[str, dict]:
    """metadata.uid (the source event_id) -> the OCSF event of it, with its table as `_table`."""
    home = Home.from_env(tmp_path_factory.mktemp("ocsf_shapes"))
    for rows in LAKE:
        write(home, rows)
    sync(home)
    conn = connect_readonly(home)
    out: dict[str, dict] = {}
    try:
        for name in OCSF_CLASSES:
            cur = conn.execute(f"SELECT * FROM ocsf.{name}")
            cols = [d[0] for d in cur.description]
            for values in cur.fetchall():
                row = dict(zip(cols, values, strict=True))
                assert row["event_day"].isoformat() == "2026-04-01"
                ev = row_to_event(row)
                assert ev["metadata"]["uid"] not in out, f"{ev['metadata']['uid']} in two OCSF tables"
                out[ev["metadata"]["uid"]] = {**ev, "_table": name}
    finally:
        conn.close()
    return out


def of(rows: dict, uid: str, table: str) -> dict:
    ev = dict(rows[uid])
    assert ev.pop("_table") == table
    errors = validate_event(ev)
    assert not errors, errors
    return ev


def test_every_record_is_one_valid_row(ocsf_rows):
    sent = {r["event_id"] for rows in LAKE for r in rows}
    assert set(ocsf_rows) == sent
    for uid, ev in ocsf_rows.items():
        ev = {k: v for k, v in ev.items() if k != "_table"}
        assert validate_event(ev) == [], uid
        assert ev["metadata"]["version"] == "1.8.0"
        assert ev["type_uid"] == ev["class_uid"] * 100 + ev["activity_id"]


def test_swgweb_is_http_activity(ocsf_rows):
    ev = of(ocsf_rows, "SWG1", "http_activity")
    assert (ev["class_uid"], ev["category_uid"], ev["activity_id"], ev["type_uid"]) == (4002, 4, 3, 400203)
    assert ev["time"] == 1775030400000  # 2026-04-01 08:00 UTC, epoch milliseconds
    # the names beside the ids are the schema's captions
    assert (ev["class_name"], ev["category_name"], ev["activity_name"], ev["type_name"], ev["severity"]) == (
        "HTTP Activity",
        "Network Activity",
        "Get",
        "HTTP Activity: Get",
        "Informational",
    )
    assert ev["metadata"]["product"] == {"name": "Forcepoint ONE SSE", "vendor_name": "Forcepoint"}
    assert ev["metadata"]["log_name"] == "swgweb"
    assert ev["metadata"]["original_time"] == "01 Apr 2026 08:00:00"
    assert ev["status_id"] == 2 and ev["status_detail"] == "Blocked"
    req = ev["http_request"]
    assert req["http_method"] == "GET"
    assert req["url"]["url_string"] == "https://www.gamble.example/bet?x=1"
    assert req["url"]["port"] == 443 and req["url"]["categories"] == ["WR:Gambling", "Gambling"]
    assert ev["src_endpoint"]["ip"] == "10.23.101.79"
    assert ev["src_endpoint"]["owner"] == {
        "name": "Zoë Fischer",
        "email_addr": "Zoe.Fischer@acme.example",
        "type_id": 1,
    }
    assert ev["src_endpoint"]["location"]["country"] == "US" and ev["src_endpoint"]["location"]["lat"] == 30.2672
    assert ev["dst_endpoint"] == {"ip": "203.0.113.7", "hostname": "www.gamble.example", "port": 443}
    assert ev["traffic"] == {"bytes_out": 31466, "bytes_in": 781994}
    assert "http_response" not in ev  # responsecode null
    assert ev["unmapped"]["usergroup"] == "355160, All Users" and ev["unmapped"]["bgcloudscore"] == "7.0"
    assert {"name": "src_endpoint.ip", "type_id": 2, "value": "10.23.101.79"} in ev["observables"]


def test_ztna_is_network_activity(ocsf_rows):
    ev = of(ocsf_rows, "ZT1", "network_activity")
    assert (ev["class_uid"], ev["activity_id"], ev["activity_name"]) == (4001, 5, "Refuse")
    assert ev["app_protocol_name"] == "rdp" and ev["status_id"] == 2
    assert ev["dst_endpoint"] == {"name": "HR Portal", "port": 3389}
    assert ev["proxy"] == {"ip": "34.82.11.200"}
    assert ev["src_endpoint"]["location"] == {"city": "San Jose", "region": "California", "country": "US"}
    assert ev["unmapped"]["connectorname"] == "dc1-connector-a"


def test_access_is_web_resources_activity(ocsf_rows):
    ev = of(ocsf_rows, "ACC1", "web_resources_activity")
    assert (ev["class_uid"], ev["activity_id"]) == (6001, 7)  # Downloaded -> Export
    assert ev["web_resources"] == [
        {"name": "budget.xlsx", "type": "file", "url_string": "https://drive.google.com/file/d/1"}
    ]
    assert ev["status_id"] == 2 and ev["status_detail"] == "Alert, Blocked, Notify"
    assert ev["message"] == "User challenged with Multi-Factor Authentication."
    assert ev["src_endpoint"]["owner"]["email_addr"] == "Upper@Case.com"
    assert ev["dst_endpoint"]["hostname"] == "drive.google.com"
    assert ev["unmapped"]["location"] == '["Guest"]'
    assert (ev["activity_name"], ev["type_name"]) == ("Export", "Web Resources Activity: Export")
    mail = of(ocsf_rows, "ACC4", "web_resources_activity")  # no OCSF activity: 99 Other, the source's word
    assert (mail["activity_id"], mail["activity_name"], mail["type_name"]) == (
        99,
        "Email",
        "Web Resources Activity: Other",
    )
    assert mail["unmapped"]["emailto"] == "x@acme.example"


def test_logins_are_authentication(ocsf_rows):
    access = of(ocsf_rows, "ACC2", "authentication")
    assert (access["class_uid"], access["activity_id"], access["status_id"]) == (3002, 1, 1)
    assert access["user"]["name"] == "Upper Case" and access["service"] == {"name": "Salesforce"}
    admin = of(ocsf_rows, "ADM2", "authentication")
    assert (admin["activity_id"], admin["status_id"], admin["user"]["type_id"]) == (1, 2, 2)
    assert admin["http_request"]["http_method"] == "POST"
    aperture = of(ocsf_rows, "AM2", "authentication")
    assert aperture["user"] == {"name": "Frank Okafor", "type_id": 1}
    assert "src_endpoint" not in aperture  # no source_ip
    assert aperture["severity_id"] == 2
    sign_in = of(ocsf_rows, "AA2", "authentication")
    assert (
        sign_in["src_endpoint"] == {"ip": "2001:db8::1"} and sign_in["user"]["email_addr"] == "noah@acme.example"
    )
    assert sign_in["metadata"]["product"] == {
        "name": "Data Security (Aperture)",
        "vendor_name": "Palo Alto Networks",
    }


def test_dlp_hits_and_incidents_are_data_security_findings(ocsf_rows):
    swg = of(ocsf_rows, "DLP1", "data_security_finding")
    assert (swg["class_uid"], swg["category_uid"], swg["activity_id"]) == (2006, 2, 1)
    assert (
        swg["finding_info"]["uid"] == "DLP1" and swg["finding_info"]["title"] == "DLP: Source Code (private key)"
    )
    assert swg["data_security"]["detection_system_id"] == 5 and swg["data_security"]["category_id"] == 4
    assert swg["file"]["name"] == "key.pem"
    assert swg["file"]["hashes"] == [
        {"algorithm_id": 3, "value": "764f997d9007aae32073ad49bc98448305e7b68941a84c72b66721350f191b85"}
    ]
    access = of(ocsf_rows, "ACC3", "data_security_finding")
    assert access["data_security"]["detection_pattern"] == "PCI (card number)"
    assert access["data_security"]["category_id"] == 3
    assert "file" not in access  # filename "[]"
    assert "ip" not in access.get("src_endpoint", {})  # "not an address" is no ip_t
    assert access["unmapped"]["emailsubject"] == "Q1 cards"
    audit = of(ocsf_rows, "CA1", "data_security_finding")
    assert audit["data_security"]["data_lifecycle_state_id"] == 1 and audit["data_security"]["category_id"] == 1
    assert audit["file"]["uid"] == "F1" and audit["file"]["size"] == 4094498
    incident = of(ocsf_rows, "IN1", "data_security_finding")
    assert incident["finding_info"]["uid"] == "inc-1" and incident["metadata"]["correlation_uid"] == "inc-1"
    assert incident["severity_id"] == 4 and incident["file"]["owner"]["email_addr"] == "isabel@acme.example"
    assert incident["metadata"]["original_time"] == "2026-04-01T16:00:00.217Z"
    assert incident["unmapped"]["exposure"] == "PUBLIC"
    violation = of(ocsf_rows, "PV1", "data_security_finding")
    assert violation["severity_id"] == 3 and violation["finding_info"]["types"] == ["Policy Violation"]
    assert violation["metadata"]["correlation_uid"] == "inc-1"


def test_file_activity_is_file_hosting(ocsf_rows):
    ev = of(ocsf_rows, "AM1", "file_hosting")
    assert (ev["class_uid"], ev["activity_id"]) == (6006, 2)
    assert ev["actor"]["user"] == {"name": "upper@case.com", "email_addr": "upper@case.com", "type_id": 1}
    assert ev["file"] == {"name": "report.pdf", "type_id": 1, "type": "File"}  # item_name "" -> target_name
    assert ev["src_endpoint"] == {"ip": "10.9.0.2", "location": {"city": "São Paulo"}}
    scan = of(ocsf_rows, "CA2", "file_hosting")
    assert (scan["activity_id"], scan["activity_name"], scan["unmapped"]["activity"]) == (6, "Copy", "Create copy")
    assert scan["src_endpoint"] == {"svc_name": "Box"}  # no actor IP: the cloud app the API scan read
    assert scan["actor"]["user"]["email_addr"] == "dave@acme.example"


def test_admin_changes_are_entity_management(ocsf_rows):
    fp = of(ocsf_rows, "ADM1", "entity_management")
    assert (fp["class_uid"], fp["activity_id"]) == (3004, 3)
    assert fp["entity"] == {"name": "/admin/policies/1042", "type": "Policy", "type_id": 5}
    assert fp["src_endpoint"]["owner"]["type_id"] == 2
    ap = of(ocsf_rows, "AA1", "entity_management")
    assert ap["activity_id"] == 4
    assert ap["entity"]["data"] == {"field": "instance", "old_value": "Office 365 8"}
    user_item = of(ocsf_rows, "AM3", "entity_management")
    assert user_item["entity"]["type_id"] == 2 and user_item["entity"]["name"] == "Frank Okafor"


def test_remediation_is_file_remediation_activity(ocsf_rows):
    ev = of(ocsf_rows, "RM1", "file_remediation_activity")
    assert (ev["class_uid"], ev["category_uid"], ev["activity_id"]) == (7002, 7, 1)  # quarantine -> Isolate
    assert ev["command_uid"] == "RM1" and ev["remediation"] == {"desc": "Admin Quarantine"}
    assert ev["file"]["uid"] == "asset-9" and ev["metadata"]["correlation_uid"] == "inc-1"
    assert ev["unmapped"]["action_taken_by"] == "Frank Okafor"


def test_cloudsummary_is_cloud_resources_inventory_info(ocsf_rows):
    ev = of(ocsf_rows, "CS1", "cloud_resources_inventory_info")
    assert (ev["class_uid"], ev["category_uid"], ev["activity_id"]) == (5023, 5, 1)
    (resource,) = ev["resources"]
    assert (resource["uid"], resource["name"], resource["type"]) == ("F3", "payroll.xlsx", "file")
    assert resource["labels"] == ["Internal", "Shared", "DLP", "Confidential"]
    assert resource["data"]["size"] == 36334901 and resource["data"]["patterns"] == "Credit Card Number"


def test_health_is_application_error(ocsf_rows):
    ev = of(ocsf_rows, "H1", "application_error")
    assert (ev["class_uid"], ev["activity_id"], ev["status_id"], ev["status_code"]) == (6008, 1, 2, "429")
    assert ev["message"].startswith("Bitglass4xx, RestAPI 429 GET")
    assert ev["unmapped"]["user"] == "Victor Chen"
    assert of(ocsf_rows, "H2", "application_error")["status_code"] == "502"
    assert of(ocsf_rows, "H3", "application_error")["unmapped"]["fileid"] == "4271caad9468ba75fc827"
