"""The generated Forcepoint records carry the field quirks real collectors meet."""

import ast
import collections
import json
import re
from datetime import datetime, timedelta

import pytest

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.simulator import SimConfig, Simulator

# module-scoped fixtures: under xdist the module's tests run on one worker, its fixtures once
pytestmark = [pytest.mark.xdist_group("simulator.test_forcepoint_data")]

NEWEST_CV = "1.1.7"


@pytest.fixture(scope="module")
def big():
    """More events than the test default, for statistics (no server needed)."""
    return Simulator(
        SimConfig(end="2026-11-20T00:00:00Z", days=2, forcepoint_events_per_day=1000, aperture_backlog_per_type=0)
    )


def events(big, log_type, cv=NEWEST_CV):
    return big.forcepoint.distinct_events(log_type, cv=cv)


@pytest.mark.parametrize("log_type", sorted(FORCEPOINT_TYPES))
def test_every_catalog_field_in_catalog_order(big, log_type):
    rows = events(big, log_type)
    assert len(rows) == 2000
    assert list(rows[0]) == [f.name for f in FORCEPOINT_TYPES[log_type].real_fields]


@pytest.mark.parametrize("log_type", sorted(FORCEPOINT_TYPES))
def test_time_and_syslogheader(big, log_type):
    for r in events(big, log_type)[:300]:
        t = datetime.strptime(r["time"], "%d %b %Y %H:%M:%S")
        if "syslogheader" in r:
            m = re.fullmatch(r"<110>1 (\S+) api\.bitglass\.com NILVALUE NILVALUE access", r["syslogheader"])
            assert m, r["syslogheader"]
            precise = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ")
            assert precise.microsecond % 1000 == 0
            assert precise.replace(microsecond=0) == t


def test_transactionid_ends_with_a_bracketed_time_in_two_formats(big):
    styles = collections.Counter()
    for r in events(big, "access"):
        m = re.fullmatch(r"[0-9a-f]{32} \[(.+)\]", r["transactionid"])
        assert m, r["transactionid"]
        stamp = m.group(1)
        t = datetime.strptime(r["time"], "%d %b %Y %H:%M:%S")
        if re.fullmatch(r"\d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2}", stamp):
            styles["vendor"] += 1
            assert stamp == r["time"]
        else:
            styles["iso"] += 1
            started = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
            assert timedelta(0) <= t - started <= timedelta(minutes=15)
    assert styles["vendor"] > 1000 and styles["iso"] > 500
    assert len({r["transactionid"] for r in events(big, "access")}) == 2000  # a dedup key: unique


def test_swgweb_quirks(big):
    rows = events(big, "swgweb")
    assert len({r["setransactionid"] for r in rows}) == len(rows)
    for r in rows[:200]:
        assert isinstance(json.loads(r["bgcategories"]), list)  # JSON arrays inside strings
        assert isinstance(json.loads(r["customcategories"]), list)
        assert isinstance(json.loads(r["usergroup"]), list)
        assert isinstance(r["uploadedbytes"], str) and r["uploadedbytes"].isdigit()  # numbers as strings
        assert isinstance(r["size"], str) and isinstance(r["requestport"], str)
        indexed = datetime.strptime(r["indexedtime"], "%Y-%m-%d %H:%M:%S")
        assert timedelta(0) < indexed - datetime.strptime(r["time"], "%d %b %Y %H:%M:%S") <= timedelta(minutes=2)
        assert isinstance(json.loads(r["webcategories"]), list)
        assert re.fullmatch(r"\d+\.\d\d", r["bgcloudscore"]) and re.fullmatch(r"\d+\.\d\d", r["webreputation"])
        assert "user" not in r and r["firstname"] and r["lastname"]  # the person is firstname + lastname
    assert '["Purple"]' in {r["customcategories"] for r in rows}
    assert '["WR:Gambling"]' in {r["webcategories"] for r in rows}


def test_usergroup_location_and_responsecode_shapes(big):
    rows = events(big, "access")
    groups = {r["usergroup"] for r in rows}
    python_lists = [g for g in groups if g.startswith("['")]
    assert python_lists and all(isinstance(ast.literal_eval(g), list) for g in python_lists)
    assert "All Users" in groups
    locations = [r["location"] for r in rows]
    piped = [loc for loc in locations if "||" in loc]
    assert len(piped) > 1500 and all(len(loc.split("||")) == 4 for loc in piped)
    assert any(isinstance(json.loads(loc), list) for loc in locations if loc.startswith("["))
    assert any(", " in r["action"] for r in rows) and any(", " in r["activity"] for r in rows)  # comma lists
    codes = [r["responsecode"] for r in events(big, "healthproxy", cv="1.1.5")]
    assert 429 in codes and all(type(c) is int for c in codes)


def test_dlp_patterns_on_some_records(big):
    for log_type, field in (("access", "dlppattern"), ("cloudaudit", "patterns"), ("swgwebdlp", "dlppattern")):
        rows = events(big, log_type)
        hits = [r for r in rows if r[field]]
        assert 0 < len(hits) < len(rows) or log_type == "swgwebdlp", log_type
        assert all(r["action"] != "Allowed" for r in hits) or log_type != "access"


def test_users_come_from_a_small_pool(big):
    users = collections.Counter(r["email"] for r in events(big, "access"))
    assert 10 <= len(users) <= 30
    assert users.most_common(1)[0][1] > 2000 / len(users)  # a few users do most of the work


def test_cloudsummary_fileid_recurs_with_changing_status(big):
    by_file = collections.defaultdict(list)
    for r in events(big, "cloudsummary"):
        by_file[r["fileid"]].append(r)
    recurring = [rs for rs in by_file.values() if len(rs) > 1]
    assert len(recurring) > 100
    changed = [rs for rs in recurring if len({r["status"] for r in rs}) > 1]
    assert len(changed) > 50
    # A file keeps its name, owner and application while its status changes.
    for rs in recurring:
        assert len({(r["filename"], r["owner"], r["application"]) for r in rs}) == 1


def test_cloudaudit_one_fileid_several_distinct_scans(big):
    by_file = collections.defaultdict(list)
    for r in events(big, "cloudaudit"):
        by_file[r["fileid"]].append(json.dumps(r, sort_keys=True))
    most = max(by_file.values(), key=len)
    assert len(most) >= 3 and len(set(most)) == len(most)


def test_health_and_ztna_types(big):
    for log_type in ("healthproxy", "healthapi", "healthsystem"):
        rows = events(big, log_type, cv="1.1.5")
        # Real health records signal in `activity` and name the user, e-mail and url affected.
        activities = {r["activity"] for r in rows}
        assert activities >= (
            {"Bitglass4xx, RestAPI"} if log_type == "healthsystem" else {"Server4xx", "Server5xx"}
        )
        assert all(r["user"] and "@" in r["email"] and r["url"].startswith("https://") for r in rows)
        assert "action" not in rows[0] and "details" not in rows[0]
        # Before cv 1.1.5 the health types have no fields at all.
        assert big.forcepoint.distinct_events(log_type, cv="1.1.4")[0] == {}
    assert {r["protocol"] for r in events(big, "ztna")} >= {"tcp", "ssh"}
