"""Forcepoint ONE SSE records, generated a page at a time from (seed, log type, event index, time).

Each generator returns every catalog field of its type (at the newest `cv`) as a column (a type
without one here is drawn from its catalog fields: generic.py); `records`
keeps the fields the requested `cv` has, in catalog order. Quirks follow api-facts.md: the
`%d %b %Y %H:%M:%S` time, the syslog header whose message id always says `access`, transaction
ids ending in a bracketed time, numbers as strings, JSON arrays and Python lists inside strings.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import numpy as np

from log_assets.catalog import LogType
from log_assets.simulator import values as V
from log_assets.simulator.draws import Draws, choose, stable_key
from log_assets.simulator.forcepoint.generic import generic
from log_assets.simulator.timefmt import DAY_MS, forcepoint_time, iso_ms

LOCATIONS = [u.location for u in V.USERS]
LOCATIONS_JSON = [
    json.dumps([u.city, u.region, u.region_code, u.country_code], ensure_ascii=False) for u in V.USERS
]
DEVICE_GUIDS = [str(uuid.uuid5(uuid.NAMESPACE_DNS, u.email)).upper() for u in V.USERS]
ADMIN_USERS = [i for i, u in enumerate(V.USERS) if u.department in ("IT", "Executive")]
MAIL_ACTIVITIES = {"Email", "Attachment"}
FILE_ACTIVITIES = {"Downloaded", "Uploaded", "Attachment", "Files", "Share", "Edit"}


class Batch:
    """The events of one page (or day) and the draws that fill their fields."""

    def __init__(self, log_type: str, seed: int, indices: np.ndarray, times_ms: np.ndarray, origin_ms: int):
        self.log_type = log_type
        self.seed = seed
        self.indices = np.asarray(indices, dtype=np.int64)
        self.times_ms = np.asarray(times_ms, dtype=np.int64)
        self.origin_ms = origin_ms  # start of the generated window (file creation times lie before it)
        self.n = len(self.indices)
        self.d = Draws(stable_key(seed, "forcepoint", log_type), self.indices)
        self.iso = iso_ms(self.times_ms)
        self.time = [forcepoint_time(s) for s in self.iso]

    # -- building blocks shared by several types ------------------------------------------------

    def users(self) -> list[V.User]:
        return [V.USERS[i] for i in self.d.weighted_index(V.USER_WEIGHTS).tolist()]

    def user_index(self) -> list[int]:
        return self.d.weighted_index(V.USER_WEIGHTS).tolist()

    def syslogheader(self) -> list[str]:
        # The only sub-second time; its message id says "access" for every log type.
        return [f"<110>1 {s}000Z api.bitglass.com NILVALUE NILVALUE access" for s in self.iso]

    def transactionid(self) -> list[str]:
        ids = self.d.hex(32)
        second_style = self.d.chance(0.35)
        # The second style's bracketed time is when the transaction started: a little earlier.
        earlier = iso_ms(self.times_ms - np.asarray(self.d.ints(0, 900), dtype=np.int64) * 1000)
        return [
            f"{h} [{e[:10]} {e[11:19]}]" if alt else f"{h} [{t}]"
            for h, alt, e, t in zip(ids, second_style, earlier, self.time, strict=True)
        ]

    def usergroup(self, users: list[V.User]) -> list[str]:
        style = self.d.below(10).tolist()
        out = []
        for u, s in zip(users, style, strict=True):
            if s < 4:
                out.append(f"['{u.group_id}', 'All Users']")  # a Python list written as a string
            elif s < 7:
                out.append("All Users")
            else:
                out.append(u.department)
        return out

    def location(self, user_index: list[int]) -> list[str]:
        as_json = self.d.chance(0.1)  # sometimes a JSON array instead of City||Region||Code||CC
        return [LOCATIONS_JSON[i] if j else LOCATIONS[i] for i, j in zip(user_index, as_json, strict=True)]

    def responsecode(self) -> list[int | None]:
        return choose(self.d.chance(0.1), [None] * self.n, self.d.pick(V.RESPONSE_CODES))

    def policyid(self, actions: list[str]) -> list[str]:
        ids = self.d.ints(1001, 1040)
        return [str(p) if not a.startswith("Allowed") else "" for p, a in zip(ids, actions, strict=True)]

    def filename(self) -> list[str]:
        stems, exts, nums = self.d.pick(V.FILE_STEMS), self.d.pick(V.FILE_EXTS), self.d.ints(0, 40)
        return [f"{s}{'' if k < 20 else f' ({k})'}.{e}" for s, e, k in zip(stems, exts, nums, strict=True)]


# -- one generator per log type ----------------------------------------------------------------


def _access(b: Batch) -> dict[str, list]:
    d, n = b.d, b.n
    ui = b.user_index()
    users = [V.USERS[i] for i in ui]
    apps = [V.CLOUD_APPS[i] for i in d.weighted_index(V.CLOUD_APP_WEIGHTS).tolist()]
    activity = d.pick_weighted(V.ACCESS_ACTIVITIES, V.ACCESS_ACTIVITY_WEIGHTS)
    dlp = d.chance(0.08)
    # Real records list what happened, comma-separated: "Alert, Blocked, DLP, Notify" on a DLP hit,
    # "Cloudstorage, Downloaded, Web" for an activity.
    action = choose(
        dlp,
        [f"{a}, DLP, Notify" for a in d.pick(V.DLP_ACTIONS)],
        d.pick_weighted(V.ACTIONS, V.ACTION_WEIGHTS),
    )
    mail = [a in MAIL_ACTIVITIES for a in activity]
    has_file = [a in FILE_ACTIVITIES for a in activity]
    files = b.filename()
    recipients = d.pick(V.USERS)
    cc = d.pick(V.USERS)
    with_cc = d.chance(0.3)
    two_files = d.chance(0.25)
    other_files = b.filename()
    subjects = d.pick(V.EMAIL_SUBJECTS)
    method = d.pick(V.HTTP_METHODS)
    query = d.pick(["", "", "?view=list", "?q=budget,2026&sort=desc", "?id=4411"])
    empty = [""] * n
    return {
        "syslogheader": b.syslogheader(),
        "time": b.time,
        "application": [a[0] for a in apps],
        "action": action,
        "user": [u.name for u in users],
        "email": [u.email for u in users],
        "device": [u.device for u in users],
        "ipaddress": [u.ip for u in users],
        "location": b.location(ui),
        "activity": [f"Cloudstorage, {a}, Web" if f else a for a, f in zip(activity, has_file, strict=True)],
        "useragent": d.pick(V.USER_AGENTS),
        "request": [f"{a[2]}{q}" for a, q in zip(apps, query, strict=True)],
        "transactionid": b.transactionid(),
        "emailfrom": choose(mail, [u.email for u in users], empty),
        "emailto": choose(mail, [r.email for r in recipients], empty),
        "emailsubject": choose(mail, subjects, empty),
        "emailcc": [c.email if m and w else "" for c, m, w in zip(cc, mail, with_cc, strict=True)],
        "emailbcc": empty,
        "emailsenttime": choose(mail, b.time, empty),
        "filename": choose(has_file, files, empty),
        "dlppattern": choose(dlp, d.pick(V.DLP_PATTERNS), empty),
        "pagetitle": [V.PAGE_TITLES[a[0]] for a in apps],
        "url": [f"https://{a[1]}{a[2]}{q}" for a, q in zip(apps, query, strict=True)],
        "instancename": [a[3] for a in apps],
        "usergroup": b.usergroup(users),
        "deviceguid": [DEVICE_GUIDS[i] for i in ui],
        "attachments": [
            (f"{f}, {g}" if two else f) if m else ""
            for f, g, two, m in zip(files, other_files, two_files, mail, strict=True)
        ],
        "dlpmatchlocations": choose(dlp, d.pick(["body", "subject", "attachment", "body, attachment"]), empty),
        "policyid": b.policyid(action),
        "customlocation": d.pick(V.CUSTOM_LOCATIONS),
        "city": [u.city for u in users],
        "responsecode": b.responsecode(),
        "httpmethod": method,
        # What real access records add: free-text details, the org id of Salesforce-like apps.
        "details": d.pick(V.ACCESS_DETAILS),
        "orgid": ["00D5e000000ACMEEA2" if a[0] == "Salesforce" else "" for a in apps],
    }


def _admin(b: Batch) -> dict[str, list]:
    d = b.d
    ui = [ADMIN_USERS[i] for i in d.below(len(ADMIN_USERS)).tolist()]
    users = [V.USERS[i] for i in ui]
    act = d.pick(V.ADMIN_ACTIVITIES)
    failed = d.chance(0.05)
    return {
        "syslogheader": b.syslogheader(),
        "time": b.time,
        "application": ["Forcepoint ONE SSE"] * b.n,
        "action": ["Blocked" if f else "Allowed" for f in failed],
        "user": [u.name for u in users],
        "email": [u.email for u in users],
        "device": [u.device for u in users],
        "ipaddress": [u.ip for u in users],
        "location": b.location(ui),
        "activity": [a[0] for a in act],
        "useragent": d.pick(V.USER_AGENTS[:3]),
        "request": [a[1] for a in act],
        "transactionid": b.transactionid(),
        "usergroup": b.usergroup(users),
        "deviceguid": [DEVICE_GUIDS[i] for i in ui],
        "customlocation": d.pick(V.CUSTOM_LOCATIONS),
        "city": [u.city for u in users],
        # Real admin records: what the admin changed, and the admin page as url; mail fields empty.
        "details": [
            f"Admin {'failed to change' if f else 'changed'} {a[0].lower().replace(' ', '_')} in the "
            f"{V.COMPANY} config for {u.email}"
            for a, f, u in zip(act, failed, users, strict=True)
        ],
        "url": [a[1].split(" ", 1)[-1] for a in act],
        "pagetitle": ["Forcepoint ONE SSE Admin"] * b.n,
        **{k: [""] * b.n for k in ("dlppattern", "emailfrom", "emailto", "emailsubject", "emailcc", "emailbcc")},
        "emailsenttime": [""] * b.n,
        "filename": [""] * b.n,
    }


class Files:
    """A tenant's files: the cloud types report on them, so a fileid recurs across events."""

    def __init__(self, seed: int, file_numbers: list[int], origin_ms: int):
        f = Draws(stable_key(seed, "forcepoint-files"), file_numbers)
        self.owner = [V.USERS[i] for i in f.weighted_index(V.USER_WEIGHTS).tolist()]
        self.app = f.pick(V.FILE_APPS)
        stems, exts = f.pick(V.FILE_STEMS), f.pick(V.FILE_EXTS)
        self.name = [
            f"{s} {k}.{e}" if k % 3 else f"{s}.{e}" for s, e, k in zip(stems, exts, file_numbers, strict=True)
        ]
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        ids = []
        for a, c in zip(f.raw_list(), f.raw_list(), strict=True):
            s = []
            for w in (a, c):
                for _ in range(10):
                    w, r = divmod(w, 62)
                    s.append(alphabet[r])
            ids.append("1" + "".join(s))  # 21 characters, shaped like a cloud drive's file id
        self.fileid = ids
        self.folder = f.pick(V.FOLDERS)
        self.size = f.ints(120, 48_000_000)
        created = (
            origin_ms - np.asarray(f.ints(1, 400), dtype=np.int64) * DAY_MS + np.asarray(f.ints(0, DAY_MS - 1))
        )
        self.created = [forcepoint_time(s) for s in iso_ms(created)]


def _cloud_common(b: Batch, files: Files, patterns: list[str]) -> dict[str, list]:
    users = b.users()
    return {
        "syslogheader": b.syslogheader(),
        "time": b.time,
        "filename": files.name,
        "owner": [u.email for u in files.owner],
        "application": files.app,
        "fileid": files.fileid,
        "patterns": patterns,
        "email": [u.email for u in users],
        "user": [u.name for u in users],
        "orgid": ["00D5e000000ACMEEA2" if a == "Salesforce" else "" for a in files.app],
        "instancename": [f"{a} ({V.COMPANY})" for a in files.app],
    }


def _file_numbers(b: Batch, n_files: int) -> list[int]:
    return b.d.below(n_files).tolist()


def _cloudaudit(b: Batch, n_files: int) -> dict[str, list]:
    d = b.d
    files = Files(b.seed, _file_numbers(b, n_files), b.origin_ms)
    dlp = d.chance(0.25)
    patterns = choose(dlp, d.pick(V.DLP_PATTERNS), [""] * b.n)
    action = choose(dlp, ["DLPScan"] * b.n, ["Scan"] * b.n)
    actors = b.users()
    copy = d.chance(0.05)
    cols = _cloud_common(b, files, patterns)
    cols.update(
        action=action,
        dlpmatchlocations=choose(dlp, d.pick(["content", "filename", "content, metadata"]), [""] * b.n),
        activity=d.pick(V.CLOUD_AUDIT_ACTIVITIES),
        copies=[
            json.dumps(
                [{"filename": f"Copy of {nm}", "owner": o.email, "path": "/Quarantine", "status": "Private"}]
            )
            if c
            else ""
            for c, nm, o in zip(copy, files.name, files.owner, strict=True)
        ],
        policyid=b.policyid(action),
        enterprisename=["Acme Enterprise Grid" if a == "Slack" else "" for a in files.app],
        actor=[u.email for u in actors],
        actoripaddress=[u.ip for u in actors],
        # Real cloudaudit records: the file's times (%d %b %Y %H:%M:%S), place and state.
        createdtime=files.created,
        modifiedtime=[forcepoint_time(s) for s in iso_ms(b.times_ms - 60_000)],
        folder=files.folder,
        filelink=[f"https://drive.example/file/d/{fid}/view" for fid in files.fileid],
        sharedwith=["" for _ in range(b.n)],
        status=d.pick(["Private", "Internal", "Shared"]),
        size=[str(sz) for sz in files.size],  # a number in a string
    )
    return cols


def _cloudsummary(b: Batch, n_files: int) -> dict[str, list]:
    d = b.d
    files = Files(b.seed, _file_numbers(b, n_files), b.origin_ms)
    status = d.pick(V.FILE_STATUSES)
    dlp_pattern = d.pick(V.DLP_PATTERNS)
    patterns = [p if s == "DLP" else "" for s, p in zip(status, dlp_pattern, strict=True)]
    share = d.pick(V.USERS)
    shared = [
        (f"{o.email}, {r.email}" if s in ("External", "Public") else r.email) if s != "Private" else ""
        for s, o, r in zip(status, files.owner, share, strict=True)
    ]
    action = [("Quarantined" if s == "DLP" else "Allowed") for s in status]
    modified = iso_ms(b.times_ms - np.asarray(d.ints(0, 3600), dtype=np.int64) * 1000)
    cols = _cloud_common(b, files, patterns)
    cols.update(
        action=action,
        size=[str(sz + k) for sz, k in zip(files.size, d.ints(0, 4096), strict=True)],
        # A comma list in real records: "Internal, Shared, DLP".
        status=[s if s in ("Private", "Public") else f"Internal, Shared, {s}" for s in status],
        folder=files.folder,
        filelink=[f"https://drive.example/file/d/{fid}/view" for fid in files.fileid],
        sharedwith=shared,
        organization=["Acme" if a == "Slack" else "" for a in files.app],
        originalfolder=[fo if s == "Moved" else "" for s, fo in zip(status, files.folder, strict=True)],
        originalpatterns=[p if s in ("Moved", "DLP") else "" for s, p in zip(status, dlp_pattern, strict=True)],
        classifylabels=d.pick(V.CLASSIFY_LABELS),
        createdtime=files.created,  # the page says creationtime/modificationtime
        modifiedtime=[forcepoint_time(s) for s in modified],
        attachments=[""] * b.n,
        dlpmatchlocations=[("content" if s == "DLP" else "") for s in status],
        enterprisename=["Acme Enterprise Grid" if a == "Slack" else "" for a in files.app],
        policyid=[str(1001 + k % 40) if s == "DLP" else "" for s, k in zip(status, d.ints(0, 39), strict=True)],
    )
    return cols


def _swg_common(b: Batch) -> dict[str, list]:
    d, n = b.d, b.n
    ui = b.user_index()
    users = [V.USERS[i] for i in ui]
    sites = d.pick(V.WEB_SITES)
    paths = d.pick(["/", "/search", "/watch", "/api/v2/items", "/login", "/download/setup.exe", "/news/2026"])
    args = d.pick(["", "", "q=shoes,red&page=2", "id=42", 'utm_source=mail&utm_campaign="spring"'])
    blocked = [s[3] in ("High Risk", "Moderate Risk") for s in sites]
    action = choose(
        blocked, d.pick(["Blocked", "Alert", "Allowed"]), d.pick_weighted(["Allowed", "Alert"], (97, 3))
    )
    indexed = iso_ms(b.times_ms + np.asarray(d.ints(1, 120), dtype=np.int64) * 1000)
    return {
        "time": b.time,
        "email": [u.email for u in users],
        "user": [u.name for u in users],
        "device": [u.device for u in users],
        "ipaddress": [u.ip for u in users],
        "application": ["Web Browsing"] * n,
        "action": action,
        "useragent": d.pick(V.USER_AGENTS),
        "url": [f"https://{s[0]}{p}" + (f"?{a}" if a else "") for s, p, a in zip(sites, paths, args, strict=True)],
        "usergroup": [json.dumps(["All Users", u.department]) for u in users],  # a JSON array inside a string
        "deviceguid": [DEVICE_GUIDS[i] for i in ui],
        "policyid": b.policyid(action),
        "arguments": args,
        "bgcategories": [json.dumps([s[1]]) for s in sites],
        "customcategories": d.pick(V.CUSTOM_CATEGORIES),
        "countrycode": [u.country_code for u in users],
        "country": [u.country for u in users],
        "customlocation": d.pick(V.CUSTOM_LOCATIONS),
        "city": [u.city for u in users],
        "requestdomain": [s[0] for s in sites],
        "bgcloudscore": [f"{s[4]:.2f}" for s in sites],  # decimals in strings: "7.00"
        "gatewayip": d.pick(V.GATEWAYS),
        "protocol": d.pick(V.PROTOCOLS),
        "referrer": d.pick(["", "https://www.google.com/", "https://mail.google.com/"]),
        "region": [u.region for u in users],
        "regioncode": [u.region_code for u in users],
        "requestmethod": d.pick(V.HTTP_METHODS),
        "firstname": [u.first for u in users],
        "lastname": [u.last for u in users],
        "webcategoryclass": [s[2] for s in sites],
        "webreputation": [f"{_REPUTATION_SCORE[s[3]]:.2f}" for s in sites],  # "80.00"
        "lat": [str(u.lat) for u in users],
        "long": [str(u.long) for u in users],
        "requestport": d.pick(["443", "443", "443", "80", "8443"]),
        "size": [str(x) for x in d.ints(200, 5_000_000)],
        "uploadedbytes": [str(x) for x in d.ints(0, 250_000)],
        "indexedtime": [f"{s[:10]} {s[11:19]}" for s in indexed],
        # Fields real swgweb records carry beyond the Data Keys table.
        "syslogheader": b.syslogheader(),
        "webcategories": d.pick(V.WEB_CATEGORIES),
        "devicehostname": d.pick(V.DEVICE_HOSTNAMES),
        "uri": paths,
        "destinationip": d.pick(V.GATEWAYS),
    }


_REPUTATION_SCORE = {"Trustworthy": 80, "Low Risk": 60, "Moderate Risk": 40, "High Risk": 20}


def _swgweb(b: Batch) -> dict[str, list]:
    cols: dict[str, list] = {"setransactionid": b.d.hex(32), "transactionid": b.d.hex(24)}
    cols.update(_swg_common(b))
    cols["responsecode"] = b.responsecode()
    return cols


def _swgwebdlp(b: Batch) -> dict[str, list]:
    d, n = b.d, b.n
    cols = {"transactionid": b.transactionid()}
    cols.update(_swg_common(b))
    files = b.filename()
    ext = [f.rsplit(".", 1)[-1] for f in files]
    dlpaction = d.pick(["Block", "Block", "Alert", "Allow", "Encrypt"])
    action = ["Blocked" if a == "Block" else "tobitglass" if a == "Alert" else "Allowed" for a in dlpaction]
    cols.update(
        action=action,
        policyid=b.policyid(action),
        dlppattern=[
            json.dumps([p]) if h else "[]" for p, h in zip(d.pick(V.DLP_PATTERNS), d.chance(0.7), strict=True)
        ],
        filename=[json.dumps([f]) if h else "[]" for f, h in zip(files, d.chance(0.6), strict=True)],
        activity=[json.dumps([a]) for a in d.pick(["Upload", "Upload", "Download", "Post", "Paste"])],
        setransactionid=d.hex(32),
        dlpaction=dlpaction,
        doctype=[V.DOC_TYPES[e] for e in ext],
        docextension=ext,
        docsha1=d.hex(40),
        docsha256=d.hex(64),
        docmd5=d.hex(32),
        keyword=d.pick(["[]", '["confidential"]', '["confidential", "internal"]', '["Pol-keyword"]']),
        threatindicator=choose(d.chance(0.03), ['["EICAR-Test-File"]'] * n, ["[]"] * n),
        dlpip=d.pick(V.GATEWAYS),
    )
    return cols


def _health_common(b: Batch, application: list[str]) -> dict[str, list]:
    """What every health record carries. Real records signal in `activity` (Server4xx, "Bitglass4xx,
    RestAPI") and name who and what was affected; the documented action/status/details stay empty."""
    d = b.d
    status = d.pick(V.HEALTH_STATUSES)
    details = d.pick(V.HEALTH_DETAILS)
    ui = b.user_index()
    users = [V.USERS[i] for i in ui]
    return {
        "syslogheader": b.syslogheader(),
        "time": b.time,
        "transactionid": b.transactionid(),
        "application": application,
        "action": ["Allowed" if s == "OK" else "Alert" for s in status],
        "status": status,
        "details": ["" if s == "OK" else x for s, x in zip(status, details, strict=True)],
        "user": [u.name for u in users],
        "email": [u.email for u in users],
        "device": [u.device for u in users],
        "deviceguid": [DEVICE_GUIDS[i] for i in ui],
        "ipaddress": [u.ip for u in users],
        "location": b.location(ui),
        "usergroup": b.usergroup(users),
        "useragent": d.pick(V.USER_AGENTS),
        "requestmethod": d.pick(V.HTTP_METHODS),
        "responsecode": d.pick([400, 403, 404, 429, 500, 502, 503]),
    }


def _healthproxy(b: Batch) -> dict[str, list]:
    d = b.d
    apps = d.pick(V.CLOUD_APPS)
    cols = _health_common(b, [a[0] for a in apps])
    cols.update(
        url=[f"https://{a[1]}{a[2]}" for a in apps],
        request=[a[2] for a in apps],
        httpmethod=d.pick(V.HTTP_METHODS),
        latencyms=d.ints(3, 4000),
        activity=d.pick(V.PROXY_HEALTH_ACTIVITIES),
    )
    return cols


def _healthapi(b: Batch) -> dict[str, list]:
    d = b.d
    apps = d.pick([a for a in V.CLOUD_APPS if a[0] in V.FILE_APPS])
    cols = _health_common(b, [a[0] for a in apps])
    cols.update(
        activity=d.pick(V.PROXY_HEALTH_ACTIVITIES),
        instancename=[a[3] for a in apps],
        apiendpoint=d.pick(V.API_ENDPOINTS),
        latencyms=d.ints(20, 9000),
        url=[f"https://{a[1]}{e}" for a, e in zip(apps, d.pick(V.API_ENDPOINTS), strict=True)],
        fileid=d.hex(21),
        filename=b.filename(),
    )
    return cols


def _healthsystem(b: Batch) -> dict[str, list]:
    d = b.d
    cols = _health_common(b, ["Forcepoint ONE SSE"] * b.n)
    cols.update(
        component=d.pick(V.HEALTH_COMPONENTS),
        region=d.pick(V.HEALTH_REGIONS),
        activity=d.pick(V.SYSTEM_HEALTH_ACTIVITIES),
        url=[f"https://portal.bitglass.com/api/{c}" for c in d.pick(V.HEALTH_COMPONENTS)],
    )
    return cols


def _ztna(b: Batch) -> dict[str, list]:
    d = b.d
    ui = b.user_index()
    users = [V.USERS[i] for i in ui]
    activity = d.pick(V.ZTNA_ACTIVITIES)
    action = ["Blocked" if a == "Denied" else "Allowed" for a in activity]
    return {
        "syslogheader": b.syslogheader(),
        "time": b.time,
        "transactionid": b.transactionid(),
        "user": [u.name for u in users],
        "email": [u.email for u in users],
        "ipaddress": [u.ip for u in users],
        "application": d.pick(V.ZTNA_APPS),
        "action": action,
        "activity": activity,
        "device": [u.device for u in users],
        "deviceguid": [DEVICE_GUIDS[i] for i in ui],
        "location": b.location(ui),
        "usergroup": b.usergroup(users),
        "policyid": b.policyid(action),
        "gatewayip": d.pick(V.GATEWAYS),
        "protocol": d.pick(["tcp", "tcp", "udp", "https", "ssh", "rdp"]),
        "connectorname": d.pick(V.ZTNA_CONNECTORS),
        "requestport": d.pick(["443", "22", "3389", "8080", "5432"]),
        "uploadedbytes": [str(x) for x in d.ints(0, 2_000_000)],
        "size": [str(x) for x in d.ints(0, 20_000_000)],
    }


GENERATORS: dict[str, Callable[..., dict[str, list]]] = {
    "access": _access,
    "admin": _admin,
    "cloudaudit": _cloudaudit,
    "cloudsummary": _cloudsummary,
    "swgweb": _swgweb,
    "swgwebdlp": _swgwebdlp,
    "healthproxy": _healthproxy,
    "healthapi": _healthapi,
    "healthsystem": _healthsystem,
    "ztna": _ztna,
}
FILE_TYPES = {"cloudaudit", "cloudsummary"}


def file_count(total_events: int) -> int:
    """How many files the cloud types report on: each one recurs in about four events."""
    return max(8, total_events // 4)


def columns(lt: LogType, seed: int, indices, times_ms, origin_ms: int, n_files: int = 8) -> dict[str, list]:
    b = Batch(lt.name, seed, indices, times_ms, origin_ms)
    if lt.name in FILE_TYPES:
        return GENERATORS[lt.name](b, n_files)
    if lt.name not in GENERATORS:  # a type added to the catalog: drawn from its fields
        return generic(lt, b)
    return GENERATORS[lt.name](b)


def records(lt: LogType, cv: str, cols: dict[str, list]) -> list[dict]:
    """Rows with the fields real records of collector version `cv` carry, in catalog order."""
    names = field_names(lt, cv)
    if not names:  # a cv older than the type: each event comes without any field
        return [{} for _ in range(len(cols["time"]))]
    data = [cols[name] for name in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*data, strict=True)]


def field_names(lt: LogType, cv: str) -> list[str]:
    """What real records of `cv` carry (api-facts.md): not every field the vendor documents."""
    return [f.name for f in lt.fields_for_cv(cv) if f.real]
