"""Attack scenarios for the detection rules: records in real shapes (api-facts.md) that each built-in
rule must alert on, beside near misses it must not alert on.

`forcepoint_records(day)` and `aperture_events(day)` give the records of one activity `day` and
the days of baseline before it (a record's `time` / `timestamp` says which); `EXPECTED` is the
alerts they make, `NEAR_MISSES` the (rule, entity) pairs that must stay quiet. The simulator serves
them (`overlay_forcepoint`: they take the place of the first events of their day in a Forcepoint
stream; the Aperture ones are queued at start), the demo thus shows alerts, and the rules' tests
load the same records.

Every scenario person is `scn.<name>@<domain>`: no generated record is theirs.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from log_assets.simulator import values as V
from log_assets.simulator.timefmt import DAY_MS, forcepoint_time, to_ms

UA_WINDOWS = V.USER_AGENTS[0]
UA_CURL = "curl/8.4.0"
LONDON = "London||England||ENG||GB"
SYDNEY = "Sydney||New South Wales||NSW||AU"


def _hex(*parts, n: int) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:n]


def person(name: str) -> str:
    return f"scn.{name}@{V.DOMAIN}"


def _at(day: date, offset_days: int, hhmmss: str) -> datetime:
    h, m, s = (int(x) for x in hhmmss.split(":"))
    return datetime.combine(day + timedelta(days=offset_days), time(h, m, s), tzinfo=UTC)


def _fp_common(when: datetime) -> dict:
    iso = when.strftime("%Y-%m-%dT%H:%M:%S.000")
    return {
        "time": forcepoint_time(iso),
        "syslogheader": f"<110>1 {iso}000Z api.bitglass.com NILVALUE NILVALUE access",
    }


def _access(when: datetime, who: str, details: str = "", activity: str = "Access", **fields) -> dict:
    name = who.split("@")[0].replace("scn.", "Scn ").title()
    rec = {
        **_fp_common(when),
        "action": "Allowed",
        "activity": activity,
        "application": "Forcepoint ONE SSE",
        "details": details,
        "device": "LAPTOP-7Q2M1",
        "email": who,
        "ipaddress": "198.51.100.23",
        "location": LONDON,
        "useragent": UA_WINDOWS,
        "user": name,
        "usergroup": "['355160', 'All Users']",
        "transactionid": f"{_hex(who, when, n=12)} [{when.strftime('%d %b %Y %H:%M:%S')}]",
        "dlppattern": "",
        "filename": "",
        "url": "",
    }
    rec.update(fields)
    return rec


def _minutes(day: date, start: str, n: int, step_seconds: int) -> list[datetime]:
    first = _at(day, 0, start)
    return [first + timedelta(seconds=step_seconds * i) for i in range(n)]


def forcepoint_records(day: date) -> dict[str, list[dict]]:
    """Per log type, the scenario records of `day` and of its baseline days (up to 20 days before)."""
    access: list[dict] = []
    # forcepoint_multiple_failed_logins: 10 within 9 minutes across a 10-minute bin edge (Sentinel's
    # fixed bins split them 5 + 5) / 10 spread over 10.5 minutes.
    access += [
        _access(t, person("failed"), "Failed login attempt." if i % 2 else "failed login attempt.", "Login")
        for i, t in enumerate(_minutes(day, "09:05:00", 10, 60))
    ]
    access += [
        _access(t, person("failed.near"), "Failed login attempt.", "Login")
        for t in _minutes(day, "09:05:00", 10, 70)
    ]
    # forcepoint_impossible_travel
    access.append(
        _access(
            _at(day, 0, "10:00:00"),
            person("traveller"),
            "Simultaneous logins from geographically distant locations: London, GB and Sydney, AU",
        )
    )
    access.append(_access(_at(day, 0, "10:01:00"), person("traveller.near"), "Login from a new location."))
    # forcepoint_new_risky_user
    access.append(_access(_at(day, 0, "10:10:00"), person("risky"), "Added user to Risky Users group"))
    access.append(_access(_at(day, 0, "10:11:00"), person("risky.near"), "Removed user from Risky Users group"))
    # forcepoint_agent_uninstalled: two people behind one address are two alerts (Sentinel: one, by IP)
    for who in ("agent", "agent2"):
        access.append(
            _access(
                _at(day, 0, "10:20:00"),
                person(who),
                "The SmartEdge endpoint agent was uninstalled on LAPTOP-7Q2M1",
                ipaddress="203.0.113.9",
            )
        )
    access.append(
        _access(_at(day, 0, "10:21:00"), person("agent.near"), "The SmartEdge endpoint agent was updated to 5.2")
    )
    # forcepoint_new_device / new_location / new_user_agent: a baseline 3 days before, then one new
    # value each; the near miss's only earlier login is 20 days before (outside the 14 days).
    for who, change in (
        ("device", {"device": "DESKTOP-0042"}),
        ("place", {"location": SYDNEY}),
        ("agentua", {"useragent": UA_CURL}),
    ):
        access.append(_access(_at(day, -3, "08:00:00"), person(who), activity="Login"))
        access.append(_access(_at(day, 0, "11:00:00"), person(who), activity="Login", **change))
        access.append(_access(_at(day, -20, "08:00:00"), person(f"{who}.near"), activity="Login"))
        access.append(_access(_at(day, 0, "11:00:00"), person(f"{who}.near"), activity="Login", **change))
    # The same place written the other way (a JSON array) is no new location.
    access.append(_access(_at(day, -2, "08:00:00"), person("place.same"), activity="Login"))
    access.append(
        _access(
            _at(day, 0, "11:05:00"),
            person("place.same"),
            activity="Login",
            location='["London", "England", "ENG", "GB"]',
        )
    )

    admin = [
        {
            **_fp_common(_at(day, 0, "12:00:00")),
            "action": "Allowed",
            "activity": "Admin",
            "application": "Forcepoint ONE SSE",
            "details": f"User {person('newadmin.target')} Promoted to administrator",
            "email": person("newadmin"),
            "user": "Scn Newadmin",
            "ipaddress": "198.51.100.40",
            "location": LONDON,
            "url": "/admin/users",
            "useragent": UA_WINDOWS,
            "transactionid": f"adm0001 [{forcepoint_time(_at(day, 0, '12:00:00').strftime('%Y-%m-%dT%H:%M:%S'))}]",
        },
        {
            **_fp_common(_at(day, 0, "12:05:00")),
            "action": "Allowed",
            "activity": "Admin",
            "application": "Forcepoint ONE SSE",
            "details": f"User {person('newadmin.near')} removed from administrators",
            "email": person("newadmin.near"),
            "user": "Scn Newadmin Near",
            "ipaddress": "198.51.100.41",
            "location": LONDON,
            "url": "/admin/sso",
            "useragent": UA_WINDOWS,
            "transactionid": f"adm0002 [{forcepoint_time(_at(day, 0, '12:05:00').strftime('%Y-%m-%dT%H:%M:%S'))}]",
        },
    ]
    # sigma_forcepoint_sso_config_changed: a change of the SSO config / one that failed (Blocked)
    for n, (who, action, verb) in enumerate(
        (("ssoadmin", "Allowed", "changed"), ("ssoadmin.near", "Blocked", "changed"))
    ):
        when = _at(day, 0, f"12:1{n}:00")
        admin.append(
            {
                **_fp_common(when),
                "action": action,
                "activity": "Admin",
                "application": "Forcepoint ONE SSE",
                "details": f"Admin {verb} saml_issuer_id in the SSO config for {V.COMPANY}",
                "email": person(who),
                "user": "Scn Sso",
                "ipaddress": "198.51.100.42",
                "location": LONDON,
                "url": "/admin/sso",
                "useragent": UA_WINDOWS,
                "transactionid": f"adm001{n + 3} [{forcepoint_time(when.strftime('%Y-%m-%dT%H:%M:%S'))}]",
            }
        )

    def upload(when: datetime, who: str, pattern: str) -> dict:
        return {
            **_fp_common(when),
            "action": "tobitglass",
            "activity": '["Upload"]',
            "application": "",
            "dlppattern": pattern,
            "email": who,
            "firstname": "Scn",
            "lastname": who.split("@")[0][4:].title(),
            "filename": '["q3-forecast.xlsx"]',
            "keyword": "[]",
            "threatindicator": "[]",
            "requestmethod": "POST",
            "url": "https://upload.example.net/api/put",
            "requestdomain": "upload.example.net",
            "setransactionid": f"se-{_hex(who, when, n=10)}",
            "transactionid": f"dlp-{_hex(who, when, n=10)}",
            "usergroup": "['355160', 'All Users']",
            "useragent": UA_WINDOWS,
            "webcategories": '["WR:File Sharing"]',
            "uploadedbytes": "31466",
        }

    swgwebdlp = [
        upload(_at(day, 0, "13:00:00"), person("uploader"), '["PCI"]'),
        upload(_at(day, 0, "13:12:00"), person("uploader"), '["US SSN"]'),
        upload(_at(day, 0, "13:00:00"), person("uploader.near"), '["PCI"]'),
        upload(_at(day, 0, "13:05:00"), person("uploader.near"), "[]"),
        upload(_at(day, 0, "13:30:00"), person("uploader.near"), '["PCI"]'),  # 30 min after the first
    ]

    def scan(when: datetime, owner: str, fileid: str, status: str = "External, Shared, DLP") -> dict:
        return {
            **_fp_common(when),
            "action": "DLPScan",
            "activity": "DLPScan",
            "application": "Google Drive",
            "owner": owner,
            "actor": owner,
            "fileid": fileid,
            "filename": f"{fileid}.docx",
            "patterns": "PCI",
            "status": status,
            "sharedwith": "partner@example.org",
            "size": "20480",
            "createdtime": forcepoint_time((when - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")),
            "modifiedtime": forcepoint_time(when.strftime("%Y-%m-%dT%H:%M:%S")),
        }

    cloudaudit = [scan(_at(day, 0, f"14:0{i}:00"), person("sharer"), f"scn-file-{i}") for i in range(5)]
    # The near miss: five scans but four distinct files, and one file only internal.
    cloudaudit += [
        scan(_at(day, 0, f"14:0{i}:00"), person("sharer.near"), f"scn-near-{min(i, 3)}") for i in range(5)
    ]
    cloudaudit.append(scan(_at(day, 0, "14:06:00"), person("sharer.near"), "scn-near-9", "Internal, Shared, DLP"))
    return {"access": access, "admin": admin, "swgwebdlp": swgwebdlp, "cloudaudit": cloudaudit}


def incident(when: datetime, incident_id: str, owner: str, severity, **fields) -> dict:
    """An Aperture incident record of the scenarios (public: tests build variants of it)."""
    rec = {
        "log_type": "incident",
        "serial": None,
        "cloud_app_instance": "Box Production",
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "item_type": "File",
        "item_name": f"{incident_id}.xlsx",
        "severity": severity,
        "asset_id": f"asset-{incident_id}",
        "item_owner": owner.split("@")[0],
        "item_owner_email": owner,
        "item_creator": owner.split("@")[0],
        "item_creator_email": owner,
        "container_name": "Finance",
        "exposure": "internal",
        "occurrences_by_rule": 1,
        "incident_id": incident_id,
        "policy_rule_name": "PCI Policy",
        "incident_category": None,
        "incident_owner": None,
        "collaborators": "",
        "datetime_edited": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "item_cloud_url": f"https://app.box.com/file/{incident_id}",
        "item_owner_group": "Finance",
        "item_sha256": _hex(incident_id, n=64),
        "item_size": 40960,
        "item_verdict": "benign",
    }
    rec.update(fields)
    return rec


def _activity(when: datetime, who: str, action: str, n: int) -> dict:
    return {
        "log_type": "activity_monitoring",
        "serial": str(1000 + n),
        "cloud_app_instance": "Google Drive (acme.example)",
        "timestamp": (when + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "item_type": "File",
        "item_name": f"report-{n}.pdf",
        "item_unique_id": f"{who}-{action}-{n}",
        "user": who,
        "source_ip": "198.51.100.77",
        "location": "London, United Kingdom",
        "action": action,
        "target_name": None,
        "target_type": "",
        "severity": 1,
    }


def aperture_events(day: date) -> list[dict]:
    ev = [
        # aperture_high_severity_incident: one alert for the incident (it recurs, edited, as a float)
        incident(_at(day, 0, "15:00:00"), "scn-inc-high", person("owner.high"), 4),
        incident(_at(day, 0, "15:30:00"), "scn-inc-high", person("owner.high"), 5.0),
        incident(_at(day, 0, "15:00:00"), "scn-inc-medium", person("owner.medium"), 3.0),
        # aperture_public_exposure
        incident(_at(day, 0, "15:10:00"), "scn-inc-public", person("owner.public"), 2, exposure="PUBLIC"),
        incident(_at(day, 0, "15:10:00"), "scn-inc-external", person("owner.public.near"), 2, exposure="External"),
        # aperture_malware_item
        incident(_at(day, 0, "15:20:00"), "scn-inc-malware", person("owner.malware"), 2, item_verdict="malware"),
        incident(
            _at(day, 0, "15:20:00"),
            "scn-inc-benign",
            person("owner.malware.near"),
            2,
            item_verdict="not available",
        ),
    ]
    # sigma_aperture_source_code_exposed: a source-code incident shared externally / internally
    ev.append(
        incident(
            _at(day, 0, "15:40:00"),
            "scn-inc-code",
            person("owner.code"),
            2,
            policy_rule_name="Source Code",
            exposure="External",
        )
    )
    ev.append(
        incident(
            _at(day, 0, "15:40:00"),
            "scn-inc-code-near",
            person("owner.code.near"),
            2,
            policy_rule_name="Source Code",
        )
    )
    # aperture_incident_burst: five incidents in 40 minutes / five records of four incidents
    ev += [
        incident(_at(day, 0, f"16:{10 * i:02d}:00"), f"scn-burst-{i}", person("owner.burst"), 1) for i in range(5)
    ]
    ev += [
        incident(_at(day, 0, f"16:{10 * i:02d}:00"), f"scn-burst-near-{min(i, 3)}", person("owner.burst.near"), 1)
        for i in range(5)
    ]
    # aperture_mass_deletion / aperture_mass_download: at the threshold / one below
    start = _at(day, 0, "17:00:00")
    ev += [_activity(start, person("deleter"), "delete", n) for n in range(20)]
    ev += [_activity(start, person("deleter.near"), "delete", n) for n in range(19)]
    ev += [_activity(start, person("downloader"), "download", n) for n in range(50)]
    ev += [_activity(start, person("downloader.near"), "download", n) for n in range(49)]
    return ev


EXPECTED: frozenset[tuple[str, str]] = frozenset(
    {
        ("forcepoint_multiple_failed_logins", person("failed")),
        ("forcepoint_impossible_travel", person("traveller")),
        ("forcepoint_new_risky_user", person("risky")),
        ("forcepoint_agent_uninstalled", person("agent")),
        ("forcepoint_agent_uninstalled", person("agent2")),
        ("forcepoint_new_device", person("device")),
        ("forcepoint_new_location", person("place")),
        ("forcepoint_new_user_agent", person("agentua")),
        ("forcepoint_new_admin", person("newadmin")),
        ("forcepoint_suspicious_file_upload", person("uploader")),
        ("forcepoint_files_shared_externally", person("sharer")),
        ("aperture_high_severity_incident", "scn-inc-high"),
        ("aperture_public_exposure", person("owner.public")),
        ("aperture_malware_item", person("owner.malware")),
        ("aperture_incident_burst", person("owner.burst")),
        ("aperture_mass_deletion", person("deleter")),
        ("aperture_mass_download", person("downloader")),
        ("sigma_forcepoint_sso_config_changed", person("ssoadmin")),
        ("sigma_aperture_source_code_exposed", person("owner.code")),
    }
)
NEAR_MISSES: frozenset[tuple[str, str]] = frozenset(
    {
        ("forcepoint_multiple_failed_logins", person("failed.near")),
        ("forcepoint_impossible_travel", person("traveller.near")),
        ("forcepoint_new_risky_user", person("risky.near")),
        ("forcepoint_agent_uninstalled", person("agent.near")),
        ("forcepoint_new_device", person("device.near")),
        ("forcepoint_new_location", person("place.near")),
        ("forcepoint_new_location", person("place.same")),
        ("forcepoint_new_user_agent", person("agentua.near")),
        ("forcepoint_new_admin", person("newadmin.near")),
        ("forcepoint_suspicious_file_upload", person("uploader.near")),
        ("forcepoint_files_shared_externally", person("sharer.near")),
        ("aperture_high_severity_incident", "scn-inc-medium"),
        ("aperture_public_exposure", person("owner.public.near")),
        ("aperture_malware_item", person("owner.malware.near")),
        ("aperture_incident_burst", person("owner.burst.near")),
        ("aperture_mass_deletion", person("deleter.near")),
        ("aperture_mass_download", person("downloader.near")),
        ("sigma_forcepoint_sso_config_changed", person("ssoadmin.near")),
        ("sigma_aperture_source_code_exposed", person("owner.code.near")),
    }
)


def activity_day(start_ms: int, end_ms: int) -> date | None:
    """The simulator's scenario day: the last full UTC day of its window (None: it has none)."""
    last_full = end_ms // DAY_MS - 1
    if last_full * DAY_MS < start_ms:
        return None
    return datetime.fromtimestamp(last_full * DAY_MS / 1000, UTC).date()


def overlay_forcepoint(
    log_type: str, cols: dict[str, list], events: np.ndarray, stream_times: np.ndarray, day: date | None
) -> dict[str, list]:
    """Give the first events of each day of a stream (`stream_times`: its events' times, sorted) the
    scenario records of that day, as far as the day has events. Their fields replace the generated
    ones; the other generated fields stay (the record keeps the real field set). `time` stays in
    the event's own UTC day, so the day partitions hold what the stream says."""
    if day is None:
        return cols
    by_day: dict[int, list[dict]] = {}
    for rec in forcepoint_records(day).get(log_type, []):
        when = datetime.strptime(rec["time"], "%d %b %Y %H:%M:%S").replace(tzinfo=UTC)
        by_day.setdefault(to_ms(when) // DAY_MS, []).append(rec)
    slots: dict[int, dict] = {}
    for d, recs in by_day.items():
        first, end = (int(i) for i in np.searchsorted(stream_times, [d * DAY_MS, (d + 1) * DAY_MS]))
        ordered = sorted(recs, key=lambda r: r["syslogheader"])
        slots.update({first + k: rec for k, rec in enumerate(ordered[: end - first])})
    for row, ev in enumerate(np.asarray(events).tolist()):
        overlay = slots.get(ev)
        if overlay is not None:
            for name, value in overlay.items():
                if name in cols:
                    cols[name][row] = value
    return cols
