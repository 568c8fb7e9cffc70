"""Records of a Forcepoint log type that has no hand-written generator: drawn from its catalog fields.

A field the vendor's other types also carry gets what they carry (the user, the site, the action);
any other field a value of its catalog type, in the shapes real records send (numbers in strings,
JSON arrays in strings). Key fields get unique ids, so every event keeps its own event_id. A type
added to the catalog is served at once; a hand-written generator (records.py) can follow for
realism.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from log_assets.catalog import FLOAT, INT, LIST, LOCATION, TIMESTAMP, LogType
from log_assets.simulator import values as V
from log_assets.simulator.draws import choose

if TYPE_CHECKING:
    from log_assets.simulator.forcepoint.records import Batch


def generic(lt: LogType, b: Batch) -> dict[str, list]:
    """Every catalog field of `lt` as a column of `b.n` values."""
    d = b.d
    ui = b.user_index()
    users = [V.USERS[i] for i in ui]
    sites = d.pick(V.WEB_SITES)
    action = d.pick_weighted(["Allowed", "Blocked", "Alert"], (90, 7, 3))
    known: dict[str, Callable[[], list]] = {
        "syslogheader": b.syslogheader,
        "transactionid": b.transactionid,
        "user": lambda: [u.name for u in users],
        "firstname": lambda: [u.first for u in users],
        "lastname": lambda: [u.last for u in users],
        "email": lambda: [u.email for u in users],
        "ipaddress": lambda: [u.ip for u in users],
        "device": lambda: [u.device for u in users],
        "deviceguid": lambda: d.hex(32),
        "location": lambda: b.location(ui),
        "usergroup": lambda: b.usergroup(users),
        "city": lambda: [u.city for u in users],
        "country": lambda: [u.country for u in users],
        "countrycode": lambda: [u.country_code for u in users],
        "region": lambda: [u.region for u in users],
        "regioncode": lambda: [u.region_code for u in users],
        "application": lambda: [a[0] for a in d.pick_weighted(V.CLOUD_APPS, V.CLOUD_APP_WEIGHTS)],
        "action": lambda: action,
        "policyid": lambda: b.policyid(action),
        "useragent": lambda: d.pick(V.USER_AGENTS),
        "url": lambda: [f"https://{s[0]}/" for s in sites],
        "requestdomain": lambda: [s[0] for s in sites],
        "requestmethod": lambda: d.pick(V.HTTP_METHODS),
        "httpmethod": lambda: d.pick(V.HTTP_METHODS),
        "responsecode": b.responsecode,
        "protocol": lambda: d.pick(V.PROTOCOLS),
        "gatewayip": lambda: d.pick(V.GATEWAYS),
        "destinationip": lambda: d.pick(V.GATEWAYS),
        "filename": b.filename,
    }
    cols: dict[str, list] = {}
    for f in lt.fields:
        if f.name == lt.time_field:
            cols[f.name] = b.time
        elif f.name in lt.key_fields or f.name == lt.key_prefix_field:
            cols[f.name] = d.hex(32)
        elif f.name in known:
            cols[f.name] = known[f.name]()
        else:
            cols[f.name] = _by_type(b, f.name, f.type)
    return cols


def _by_type(b: Batch, name: str, type_: str) -> list:
    d = b.d
    if type_ == INT:
        return [str(x) for x in d.ints(0, 100_000)]
    if type_ == FLOAT:
        return [f"{x / 100:.2f}" for x in d.ints(0, 10_000)]
    if type_ == TIMESTAMP:  # a little after the event, as indexedtime: %Y-%m-%d %H:%M:%S
        return [f"{s[:10]} {s[11:19]}" for s in b.iso]
    if type_ == LIST:  # a JSON array inside a string, sometimes empty
        return choose(d.chance(0.2), ["[]"] * b.n, [json.dumps([f"{name}-{k}"]) for k in d.ints(1, 12)])
    if type_ == LOCATION:
        return b.location(b.user_index())
    return [f"{name}-{k}" for k in d.ints(1, 40)]
