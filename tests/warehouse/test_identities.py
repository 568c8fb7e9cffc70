"""One person, one key; incidents worth reading. On records shaped like real tenants' (api-facts.md).

A person is seen by display name and e-mail in Forcepoint (access `user` + `email`, swgweb
`firstname` + `lastname` + `email`) and Aperture incidents (`item_owner` + `item_owner_email`),
and by display name alone in Aperture activity_monitoring (`user` is not always an address) and in
remediations without `item_owner_email`. The warehouse learns name -> e-mail from the records that
carry both, and keys the others on the e-mail: analytics.identities lists the people.
"""

from __future__ import annotations

import re
from contextlib import closing
from pathlib import Path

import pytest

from log_assets.paths import Home
from log_assets.warehouse import connect_readonly, rebuild, sync
from tests.warehouse.lakegen import event, write

pytestmark = [pytest.mark.xdist_group("warehouse.test_identities")]

FP, AP = "forcepoint", "aperture"
ALICE = "alice.nguyen@acme-corp.example"


def access(eid, time, user, email, **f):
    return event(
        FP,
        "access",
        eid,
        time,
        transactionid=f"{eid} [{time}]",
        user=user,
        email=email,
        ipaddress="10.1.0.1",
        application="Box",
        action="Allowed",
        activity="Cloudstorage, Uploaded, Web",
        url="https://app.box.com/f/1",
        filename="",
        emailsubject="",
        dlppattern="",
        **f,
    )


def swgweb(eid, time, first, last, email):
    return event(
        FP,
        "swgweb",
        eid,
        time,
        setransactionid=eid,
        firstname=first,
        lastname=last,
        email=email,
        ipaddress="10.1.0.2",
        application="Web Browsing",
        action="Allowed",
        requestmethod="GET",
        requestdomain="news.example",
        uri="/",
        url="https://news.example/",
        webcategories='["WR:News"]',
        bgcategories="[]",
        customcategories="[]",
    )


def activity(eid, time, user):
    return event(
        AP,
        "activity_monitoring",
        eid,
        time,
        user=user,
        source_ip="10.1.0.3",
        action="download",
        cloud_app_instance="Box",
        item_name="plan.docx",
        item_type="File",
        target_name=None,
        target_type="",
        severity=1,
    )


def incident(eid, time, incident_id, owner, owner_email):
    return event(
        AP,
        "incident",
        eid,
        time,
        incident_id=incident_id,
        severity=3.0,
        exposure="external",
        datetime_edited=time.replace(" ", "T") + ":00Z",
        item_owner=owner,
        item_owner_email=owner_email,
        cloud_app_instance="Box",
        item_name="plan.docx",
        policy_rule_name="Rule A",
    )


def remediation(eid, time, incident_id, owner):
    # Real remediation records often come without item_owner_email.
    return event(
        AP,
        "remediation",
        eid,
        time,
        incident_id=incident_id,
        action_taken="Remove Public Links",
        action_taken_by="Aperture",
        item_owner=owner,
        item_owner_email=None,
        policy_rule_name="",
        item_name="plan.docx",
        cloud_app_instance="Box",
    )


def dlp(eid, time, action, patterns, **extra):
    fields = {"keyword": "[]", "threatindicator": "[]", **extra}
    return event(
        FP,
        "swgwebdlp",
        eid,
        time,
        transactionid=eid,
        firstname="Alice",
        lastname="Nguyen",
        email=ALICE,
        ipaddress="10.1.0.2",
        application="",
        action=action,
        activity="[]",
        filename='["q1.xlsx"]',
        dlppattern=patterns,
        **fields,
        requestdomain="upload.example.com",
        uri="/put",
        url="",
        webcategories="[]",
        bgcategories='["File Sharing"]',
    )


# Alice: by name and e-mail in Forcepoint, by name alone in Aperture (activity, and a remediation
# of an incident whose incident record never arrived).
# Sam Lee: the name goes with two addresses (two people, or one with two mailboxes: not knowable),
# so his name-only Aperture records stay apart, on 'sam lee'.
DAY1 = {
    "access": [
        access("ACC1", "2026-05-01 09:00", "Alice Nguyen", "Alice.Nguyen@acme-corp.example"),
        access("ACC2", "2026-05-01 09:30", "Sam Lee", "sam.lee@acme-corp.example"),
    ],
    "swgweb": [swgweb("SW1", "2026-05-01 10:00", "Sam", "Lee", "sam.lee@other.example")],
    "activity": [
        activity("AM1", "2026-05-01 11:00", "Alice Nguyen"),
        activity("AM2", "2026-05-01 11:30", "Sam Lee"),
        activity("AM3", "2026-05-01 12:00", ALICE),
    ],
    "remediation": [remediation("R1", "2026-05-01 13:00", "inc-alice", "Alice Nguyen")],
    # DLP hits: allowed without a pattern (a scanned transfer: no incident), blocked without a
    # pattern, allowed with a pattern.
    "dlp": [
        dlp("SD1", "2026-05-01 14:00", "Allowed", "[]"),
        dlp("SD2", "2026-05-01 14:10", "Blocked", "[]"),
        dlp("SD3", "2026-05-01 14:20", "Allowed", '["PCI"]'),
    ],
}


def one(conn, query, *params):
    found = conn.execute(query, list(params)).fetchall()
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    home = Home.from_env(tmp_path_factory.mktemp("identities"))
    for rows in DAY1.values():
        write(home, rows)
    result = sync(home)
    with closing(connect_readonly(home)) as conn:
        yield conn, result


def test_a_person_seen_by_name_in_aperture_and_by_email_in_forcepoint_is_one_key(wh):
    conn, _ = wh
    keys = conn.execute(
        "SELECT event_id, user_key FROM analytics.events WHERE event_id IN ('ACC1', 'AM1', 'AM3', 'R1') ORDER BY 1"
    ).fetchall()
    assert keys == [("ACC1", ALICE), ("AM1", ALICE), ("AM3", ALICE), ("R1", ALICE)]
    # The record keeps what it carried: a name, no e-mail.
    assert one(conn, "SELECT user_name, user_email FROM analytics.events WHERE event_id = 'AM1'") == (
        "Alice Nguyen",
        None,
    )
    assert one(conn, "SELECT user_key FROM analytics.incidents WHERE incident_id = 'inc-alice'") == (ALICE,)
    assert conn.execute(
        "SELECT DISTINCT vendor FROM analytics.activity_daily WHERE user_key = ? ORDER BY 1", [ALICE]
    ).fetchall() == [("aperture",), ("forcepoint",)]
    assert one(conn, "SELECT count(*) FROM analytics.activity_daily WHERE user_key = 'alice nguyen'") == (0,)

    row = one(
        conn,
        "SELECT display_name, display_names, email, vendors, events, first_seen::VARCHAR, ambiguous_names "
        "FROM analytics.identities WHERE user_key = ?",
        ALICE,
    )
    # ACC1, AM1, AM3, R1 and the three DLP hits.
    assert row == (
        "Alice Nguyen",
        ["Alice Nguyen"],
        "Alice.Nguyen@acme-corp.example",
        ["aperture", "forcepoint"],
        7,
        "2026-05-01 09:00:00+00",
        [],
    )


def test_an_ambiguous_name_stays_apart_and_is_counted(wh):
    conn, result = wh
    assert one(conn, "SELECT user_key FROM analytics.events WHERE event_id = 'AM2'") == ("sam lee",)
    assert conn.execute(
        "SELECT user_key, ambiguous_names FROM analytics.identities WHERE user_key LIKE 'sam%' ORDER BY 1"
    ).fetchall() == [("sam.lee@acme-corp.example", ["Sam Lee"]), ("sam.lee@other.example", ["Sam Lee"])]
    # Neither address claims the name's records: they are no person of analytics.identities.
    assert one(conn, "SELECT count(*) FROM analytics.identities WHERE user_key = 'sam lee'") == (0,)
    assert result["derived"]["analytics.identities"].figures == {"ambiguous_names": 1}


def test_an_allowed_dlp_hit_without_a_policy_is_no_incident(wh):
    conn, _ = wh
    assert conn.execute(
        "SELECT incident_id, policy, action FROM analytics.incidents WHERE vendor = 'forcepoint' ORDER BY 1"
    ).fetchall() == [("SD2", None, "Blocked"), ("SD3", "PCI", "Allowed")]
    # It is still an event.
    assert one(conn, "SELECT event_class, disposition FROM analytics.events WHERE event_id = 'SD1'") == (
        "dlp",
        "allowed",
    )


def test_forcepoint_violations_are_what_the_tables_doc_says(wh):
    conn, _ = wh
    assert conn.execute(
        "SELECT DISTINCT violations FROM analytics.incidents WHERE vendor = 'forcepoint'"
    ).fetchall() == [(None,)]
    assert one(conn, "SELECT violations FROM analytics.incidents WHERE incident_id = 'inc-alice'") == (0,)
    doc = (Path(__file__).resolve().parents[2] / "docs" / "tables.md").read_text()
    incidents = doc[doc.index("### analytics.incidents") :]
    line = next(x for x in incidents.splitlines() if x.startswith("| `violations` |"))
    assert re.search(r"NULL for Forcepoint", line), line
    readme = (Path(__file__).resolve().parents[2] / "log_assets" / "warehouse" / "README.md").read_text()
    hits = " ".join(readme[readme.index("**analytics.incidents**") :].split("\n\n")[0].split())
    assert "`violations` NULL" in hits[hits.index("Forcepoint DLP hits") :], hits


@pytest.mark.slow
def test_a_pair_learned_on_a_later_day_keys_the_earlier_days(tmp_path):
    home = Home.from_env(tmp_path / "home")
    # Day 1: Bob is only a name (Aperture), with a remediation of his incident.
    write(home, [activity("AM1", "2026-05-01 11:00", "Bob Stone")])
    write(home, [remediation("R1", "2026-05-01 13:00", "inc-bob", "Bob Stone")])
    sync(home)

    def keys():
        with closing(connect_readonly(home)) as c:
            return (
                c.execute("SELECT DISTINCT user_key FROM analytics.events ORDER BY 1").fetchall(),
                c.execute("SELECT DISTINCT user_key FROM analytics.activity_daily ORDER BY 1").fetchall(),
                c.execute("SELECT user_key FROM analytics.incidents").fetchall(),
                c.execute("SELECT user_key, events FROM analytics.identities").fetchall(),
            )

    assert keys() == ([("bob stone",)], [("bob stone",)], [("bob stone",)], [])

    # Day 2 teaches that Bob Stone is bob.stone@...: day 1's records follow.
    write(home, [access("ACC9", "2026-05-02 09:00", "Bob Stone", "bob.stone@acme-corp.example")])
    sync(home)
    bob = "bob.stone@acme-corp.example"
    assert keys() == ([(bob,)], [(bob,)], [(bob,)], [(bob, 3)])

    # Day 3: the name now goes with another address too: day 1's records go back to the name.
    write(home, [access("ACC8", "2026-05-03 09:00", "Bob Stone", "bstone@other.example")])
    sync(home)
    incremental = _contents(home)
    assert ("bob stone",) in incremental["analytics.events"]
    rebuild(home)
    assert _contents(home) == incremental


def _contents(home) -> dict:
    with closing(connect_readonly(home)) as c:
        return {
            "analytics.events": c.execute("SELECT user_key FROM analytics.events ORDER BY ALL").fetchall(),
            **{
                t: c.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in ("analytics.activity_daily", "analytics.incidents", "analytics.identities")
            },
        }


def test_an_owners_email_beside_another_persons_name_teaches_nothing(tmp_path):
    """cloudsummary's e-mail falls back to the file's `owner`: "Dana Ray" beside bob's address is
    not Dana's address (review: her name-only records were keyed to Bob)."""
    home = Home.from_env(tmp_path / "home")
    bob = "bob.stone@acme-corp.example"
    write(
        home,
        [
            event(
                FP,
                "cloudsummary",
                "CS1",
                "2026-05-01 08:00",
                user="Dana Ray",
                email="",
                owner=bob,
                fileid="f-1",
                filename="plan.docx",
                application="Box",
                status="Internal",
            )
        ],
    )
    write(home, [activity("AMD", "2026-05-01 09:00", "Dana Ray")])
    sync(home)
    with closing(connect_readonly(home)) as conn:
        (key,) = one(conn, "SELECT user_key FROM analytics.events WHERE event_id = 'AMD'")
        assert key == "dana ray"
        assert conn.execute(
            "SELECT count(*) FROM analytics.identities WHERE display_name = 'Dana Ray'"
        ).fetchone() == (0,)


def test_a_dlp_hit_allowed_through_on_a_keyword_or_threat_indicator_is_an_incident(tmp_path):
    """A monitor-only rule that matched a keyword or threat indicator (not a dlppattern) is a finding,
    even allowed; an empty pattern element ('') is no pattern."""
    home = Home.from_env(tmp_path / "home")
    keyword = dlp("SK1", "2026-05-01 14:00", "Allowed", "[]", keyword='["confidential"]')
    threat = dlp("ST1", "2026-05-01 14:05", "Allowed", "[]", threatindicator='["exfil-domain"]')
    empty = dlp("SE1", "2026-05-01 14:10", "Allowed", '[""]')
    write(home, [keyword, threat, empty])
    sync(home)
    with closing(connect_readonly(home)) as conn:
        got = {r[0] for r in conn.execute("SELECT incident_id FROM analytics.incidents").fetchall()}
    assert got == {"SK1", "ST1"}
