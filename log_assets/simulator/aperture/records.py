"""Palo Alto Data Security (Aperture) log events for the five types, with the quirks of api-facts.md
(a type added to the catalog without a generator here is drawn from its catalog fields).

Incidents, policy violations and remediations share incident ids (so they can be joined), and an
incident id recurs with a later `datetime_edited`. Timestamps come in three shapes (`…:06Z`,
`….961Z`, and with a trailing space), severities as float or int, serials as null or a digit
string, and letter case varies.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from log_assets.catalog import APERTURE_TYPES, FLOAT, INT, LIST, TIMESTAMP, LogType
from log_assets.simulator import values as V
from log_assets.simulator.draws import stable_key

TENANT_SERIAL = "8031225"
APP_INSTANCES = [
    "Office 365 8",
    "Google Drive (acme.example)",
    "Box Production",
    "Slack Enterprise",
    "AWS S3 prod",
    "Salesforce",
    "GitHub acme",
]
ITEM_TYPES = ["File", "file", "File", "Folder", "folder", "User"]
EXPOSURES = ["INTERNAL", "internal", "public", "PUBLIC", "External", "COMPANY"]
POLICY_RULES = [
    "PCI Policy",
    "java",
    "Credit Card Number",
    "Source Code",
    "US SSN",
    "Confidential, do not share",
    'HIPAA "PHI"',
]
INCIDENT_CATEGORIES = [None, None, "Personal", "Business Justified", "Misidentified", "Confidential"]
ACTIVITY_ACTIONS = ["view", "download", "upload", "delete", "share", "edit", "login", "create", "rename"]
REMEDIATIONS = ["Admin Quarantine", "UserQuarantine", "Remove Public Links", "quarantine", "Change Sharing"]
VIOLATION_ACTIONS = ["Alerted Admin", "Removed PublicLinks", "Quarantine", "EmailOwner", "download"]
ADMIN_ROLES = ["super_admin", "admin", "limited_admin", "read_only"]
ADMIN_EVENTS = [
    # event_type, item_type, field, action
    ("login", "user", "session", "sign_in"),
    ("login", "user", "session", "sign_out"),
    ("login", "user", "session", "login"),
    ("settings", "general_settings", "session_timeout", "edit"),
    ("policy", "content_policy", "enabled", "edit"),
    ("policy", "content_policy", "rule", "create"),
    ("remediation", "risk", "status", "edit"),
    ("settings", "apps", "instance", "delete"),
    ("settings", "user", "role", "edit"),
]

_TS_STYLES = ("seconds", "millis", "trailing_space")
_TS_WEIGHTS = (45, 45, 10)

SHAREPOINT_DOCS = "https://acme.sharepoint.com/sites/site/Shared%20Documents"


def timestamp(dt: datetime, style: str) -> str:
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if style == "millis":
        return f"{base}.{dt.microsecond // 1000:03d}Z"
    if style == "trailing_space":
        return f"{base}Z "
    return f"{base}Z"


def _hex(r: random.Random, n: int) -> str:
    return f"{r.getrandbits(n * 4):0{n}x}"


class Incidents:
    """A fixed, seed-derived set of incidents; events of three types refer to them by id."""

    def __init__(self, seed: int):
        self.seed = seed
        self._cache: dict[int, dict] = {}

    def get(self, k: int) -> dict:
        if k not in self._cache:
            r = random.Random(stable_key(self.seed, "aperture-incident", k))
            owner, creator = r.choice(V.USERS), r.choice(V.USERS)
            stem, ext = r.choice(V.FILE_STEMS), r.choice(V.FILE_EXTS)
            app = r.choice(APP_INSTANCES)
            bucket = app.startswith("AWS")
            self._cache[k] = {
                "incident_id": _hex(r, 24),
                "asset_id": _hex(r, r.choice((24, 32))),
                "item_unique_id": _hex(r, 32),
                "item_name": f"{stem}.{ext}",
                "item_owner": owner.name,
                "item_owner_email": owner.email,
                "item_creator": creator.name,
                "item_creator_email": creator.email,
                "item_owner_group": f"{owner.department}_all",
                "container_name": "acme-prod-exports" if bucket else None,
                "cloud_app_instance": app,
                "policy_rule_name": r.choice(POLICY_RULES),
                "severity": r.choice((1, 2, 3, 4, 5)),
                "exposure": r.choice(EXPOSURES),
                "item_sha256": _hex(r, 64),
                "item_size": r.randint(200, 9_000_000),
                "item_cloud_url": f"{SHAREPOINT_DOCS}/{stem.replace(' ', '%20')}.{ext}",
                "item_verdict": r.choice(("not available", "benign", "benign", "malware")),
            }
        return self._cache[k]


class ApertureEvents:
    """Generates batches of events; each batch is deterministic in (seed, batch number)."""

    def __init__(self, seed: int):
        self.seed = seed
        self.incidents = Incidents(seed)
        self._batches = 0

    def generate(self, n_per_type: int, start: datetime, end: datetime, repeat_rate: float = 0.02) -> list[dict]:
        """n_per_type events of each type with times in [start, end), in time order.

        About `repeat_rate` of them are enqueued twice (a byte-identical repeat a little later).
        """
        self._batches += 1
        r = random.Random(stable_key(self.seed, "aperture-batch", self._batches))

        def when(lo: datetime | None = None, hi: datetime | None = None) -> datetime:
            a = lo or start
            b = hi or end
            secs = max(0.0, (b - a).total_seconds())
            return a + timedelta(seconds=r.random() * secs if secs else 0.0)

        events: list[tuple[datetime, dict]] = []
        pool = max(4, int(n_per_type * 0.7))
        incident_times: list[tuple[int, datetime]] = []
        for _ in range(n_per_type):
            k = r.randrange(pool)
            t = when()
            incident_times.append((k, t))
        incident_times.sort(key=lambda kt: kt[1])
        for k, t in incident_times:
            events.append((t, self._incident(r, k, t)))
        for _ in range(n_per_type):
            k, t_inc = r.choice(incident_times) if incident_times else (0, when())
            t = max(start, t_inc - timedelta(seconds=r.uniform(0, 120)))  # the violation raised it
            events.append((t, self._violation(r, k, t)))
        for _ in range(n_per_type):
            k, t_inc = r.choice(incident_times) if incident_times else (0, when())
            t = min(end - timedelta(milliseconds=1), t_inc + timedelta(seconds=r.uniform(60, 6 * 3600)))
            events.append((max(t, t_inc), self._remediation(r, k, max(t, t_inc))))
        for _ in range(n_per_type):
            t = when()
            events.append((t, self._activity(r, t)))
        for _ in range(n_per_type):
            t = when()
            events.append((t, self._admin(r, t)))
        for lt in APERTURE_TYPES.values():  # types added to the catalog: drawn from their fields
            if lt.name not in HAND_WRITTEN:
                for _ in range(n_per_type):
                    t = when()
                    events.append((t, self._generic(r, lt, t)))
        events.sort(key=lambda e: e[0])
        out = [ev for _, ev in events]
        # Byte-identical repeats: the same event once more, a few places later.
        for i in sorted(r.sample(range(len(out)), k=int(len(out) * repeat_rate)), reverse=True):
            out.insert(min(len(out), i + 1 + r.randrange(5)), out[i])
        return out

    # -- one event of each type ------------------------------------------------------------------

    def _ts(self, r: random.Random, t: datetime) -> str:
        return timestamp(t, r.choices(_TS_STYLES, _TS_WEIGHTS)[0])

    def _serial(self, r: random.Random):
        return None if r.random() < 0.3 else TENANT_SERIAL

    def _severity(self, r: random.Random, base: int):
        s = min(5, max(0, base + r.choice((0, 0, 0, 1, -1))))
        return float(s) if r.random() < 0.6 else s

    def _of_incident(self, r: random.Random, log_type: str, inc: dict, t: datetime, *copied: str) -> dict:
        """What every record about incident `inc` starts with (drawn from `r` in this order), and the
        fields `copied` from the incident as they are; the caller adds what its log type draws next."""
        ev = {
            "log_type": log_type,
            "serial": self._serial(r),
            "cloud_app_instance": inc["cloud_app_instance"],
            "timestamp": self._ts(r, t),
            "item_type": r.choice(ITEM_TYPES[:3]),
            "item_name": inc["item_name"],
        }
        return ev | {name: inc[name] for name in copied}

    def _incident(self, r: random.Random, k: int, t: datetime) -> dict:
        inc = self.incidents.get(k)
        edited = t  # each recurrence of an incident id is a later edit
        ev = self._of_incident(r, "incident", inc, t, *_INCIDENT_COPIED, *_INCIDENT_ONLY)
        ev |= {
            "severity": self._severity(r, inc["severity"]),
            "occurrences_by_rule": r.choice((None, 1, 1, 2, 3, 7)),
            "incident_category": r.choice(INCIDENT_CATEGORIES),
            "incident_owner": r.choice((None, None, "admin@" + V.DOMAIN)),
            "collaborators": r.choice(
                ("", "", f"{V.USERS[k % len(V.USERS)].email}, {V.USERS[(k + 3) % len(V.USERS)].email}")
            ),
            "datetime_edited": timestamp(edited, "seconds"),
        }
        return _ordered("incident", ev)

    def _violation(self, r: random.Random, k: int, t: datetime) -> dict:
        inc = self.incidents.get(k)
        ev = self._of_incident(r, "policy_violation", inc, t, *_VIOLATION_COPIED)
        ev |= {
            "severity": self._severity(r, inc["severity"]),
            "action_taken": r.choice(VIOLATION_ACTIONS),
            "action_taken_by": r.choice(("Aperture", inc["item_owner"])),
            "item_owner_email": r.choice((None, inc["item_owner_email"])),
            "item_creator_email": r.choice((None, inc["item_creator_email"])),
        }
        return _ordered("policy_violation", ev)

    def _remediation(self, r: random.Random, k: int, t: datetime) -> dict:
        inc = self.incidents.get(k)
        ev = self._of_incident(r, "remediation", inc, t, *_INCIDENT_COPIED)
        ev |= {
            "action_taken": r.choice(REMEDIATIONS),
            "action_taken_by": r.choice(("Aperture", "Aperture", V.USERS[5].name)),
        }
        return _ordered("remediation", ev)

    def _activity(self, r: random.Random, t: datetime) -> dict:
        user = r.choices(V.USERS, V.USER_WEIGHTS)[0]
        item_type = r.choice(ITEM_TYPES)
        target = r.random() < 0.2
        ev = {
            "log_type": "activity_monitoring",
            "serial": self._serial(r),
            "cloud_app_instance": r.choice(APP_INSTANCES),
            "timestamp": self._ts(r, t),
            "item_type": item_type,
            "item_name": user.name if item_type == "User" else f"{r.choice(V.FILE_STEMS)}.{r.choice(V.FILE_EXTS)}",
            "item_unique_id": _hex(r, 32),
            "user": user.name,
            "source_ip": user.ip,
            "location": f"{user.city}, {user.country}",
            "action": r.choice(ACTIVITY_ACTIONS),
            "target_name": r.choice(V.USERS).email if target else None,
            "target_type": "user" if target else r.choice(("", None)),
        }
        # Real records: `user` is often an e-mail address, and a severity (1 or 1.0) is present.
        if r.random() < 0.7:
            ev["user"] = user.email
        ev["severity"] = r.choice((1, 1.0, 2))
        return _ordered("activity_monitoring", ev)

    def _admin(self, r: random.Random, t: datetime) -> dict:
        admin = V.USERS[r.choice((5, 13, 21, 19))]
        event_type, item_type, field, action = r.choice(ADMIN_EVENTS)
        old, new = (
            (None, None)
            if event_type == "login"
            else r.choice(
                (("30", "60"), ("false", "true"), ("", "PCI Policy"), ("read_only", "admin"), ("Office 365 8", ""))
            )
        )
        ev = {
            "log_type": "admin_audit",
            "serial": self._serial(r),
            "timestamp": self._ts(r, t),
            "admin_id": admin.email,
            "admin_role": r.choice(ADMIN_ROLES[:2]),
            "ip": r.choice((admin.ip, "203.0.113.24")),
            "event_type": event_type,
            "item_type": item_type,
            "item_name": admin.email
            if item_type == "user"
            else r.choice(("Session timeout", "PCI Policy", "Office 365 8")),
            "field": field,
            "action": action,
            "resource_value_old": old,
            "resource_value_new": new,
        }
        return _ordered("admin_audit", ev)

    def _generic(self, r: random.Random, lt: LogType, t: datetime) -> dict:
        """An event of a type without a hand-written generator: the fields the other types carry get
        what they carry, any other field a value of its catalog type."""
        u = r.choice(V.USERS)
        known = {
            "log_type": lt.name,
            "serial": self._serial(r),
            lt.time_field: self._ts(r, t),
            "user": u.email,
            "source_ip": u.ip,
            "ip": u.ip,
            "item_owner": u.name,
            "item_owner_email": u.email,
            "cloud_app_instance": r.choice(APP_INSTANCES),
            "action": r.choice(ACTIVITY_ACTIONS),
            "item_type": r.choice(ITEM_TYPES),
            "item_name": f"{r.choice(V.FILE_STEMS)}.{r.choice(V.FILE_EXTS)}",
            "severity": self._severity(r, 2),
        }
        by_type: dict[str, Callable[[str], object]] = {
            INT: lambda name: r.randrange(100_000),
            FLOAT: lambda name: round(r.uniform(0, 5), 1),
            TIMESTAMP: lambda name: self._ts(r, t),
            LIST: lambda name: [f"{name}-{r.randrange(1, 12)}"],
        }

        def text(name: str) -> str:
            return f"{name}-{r.randrange(1, 40)}"

        ev = {f.name: known[f.name] if f.name in known else by_type.get(f.type, text)(f.name) for f in lt.fields}
        return _ordered(lt.name, ev)


HAND_WRITTEN = frozenset({"incident", "policy_violation", "remediation", "activity_monitoring", "admin_audit"})


# The incident's own fields its policy violations carry as they are; its incident and remediation records
# carry its owners' and the container's too (a violation draws whether it names the owners' e-mails).
_VIOLATION_COPIED = ("incident_id", "asset_id", "item_owner", "item_creator", "policy_rule_name")
_INCIDENT_COPIED = (*_VIOLATION_COPIED, "container_name", "item_owner_email", "item_creator_email")
# What only the incident's own records carry of it.
_INCIDENT_ONLY = (
    "item_unique_id",
    "exposure",
    "item_cloud_url",
    "item_owner_group",
    "item_sha256",
    "item_size",
    "item_verdict",
)


def _ordered(log_type: str, ev: dict) -> dict:
    """The event with the catalog fields real records carry, in catalog order (documented-only fields,
    such as item_unique_id, are generated but not sent)."""
    names = [f.name for f in APERTURE_TYPES[log_type].real_fields]
    missing = set(names) - set(ev)
    assert not missing, f"{log_type}: fields out of step with the catalog: {missing}"
    return {n: ev[n] for n in names}
