"""Malformed input, one case at a time: what the user gets (run outcome and message, what lands,
where the input is kept under quarantine/, and the count in the run's metadata). Nothing is ever
dropped silently. The README section "Bad input: what you get" is the table of these cases.

Forcepoint pages come from a small scripted server (the simulator only serves well-formed pages);
Aperture bodies come from the simulator, with crafted event texts put straight into its queue.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import dagster as dg
import pytest

from log_assets.defs.forcepoint.assets import FORCEPOINT_ASSETS
from log_assets.defs.forcepoint.resources import ForcepointResource
from log_assets.defs.resources import LogAssetsHome
from log_assets.simulator import SimConfig, Simulator
from tests.infra.fake_http import FakeHandler, FakeServer
from tests.lakeview import lake_days, lake_table

from . import harness as h

# module-scoped fixtures: under xdist the module's tests run on one worker, its fixtures once
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("faults.test_bad_input")]

DAY = h.day_str(-2)
OBSERVED: list[dict] = []  # printed after the module's last test (-s) to keep that README table honest


@pytest.fixture(scope="module", autouse=True)
def print_observed():
    """Run with -s to see the table rows this module observed (printed once its tests are done)."""
    yield
    for row in OBSERVED:
        print(json.dumps(row, ensure_ascii=False))


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for k in list(os.environ):
        if k.startswith(("FORCEPOINT_", "APERTURE_")):
            monkeypatch.delenv(k)
    return monkeypatch


@pytest.fixture(scope="module")
def records() -> dict:
    """Real-looking records of the day, as the simulator generates them."""
    sim = Simulator(SimConfig(seed=5, days=4, forcepoint_events_per_day=20, aperture_backlog_per_type=0), port=0)
    try:
        return {
            "access": sim.forcepoint.distinct_events("access", day=DAY),
            "swgweb": sim.forcepoint.distinct_events("swgweb", day=DAY, fmt="csv"),
        }
    finally:
        sim.stop()


class ScriptedForcepoint:
    """Answers the first request of a walk with `first` (status, body bytes); every request by
    token with an empty page (caught up)."""

    def __init__(self, first: tuple[int, bytes]):
        self.first = first
        self.requests: list[dict] = []
        outer = self

        class Handler(FakeHandler):
            def do_GET(self):
                q = self.query()
                outer.requests.append(q)
                if "startdate" in q:
                    status, body = outer.first
                else:
                    status, body = 200, envelope([], q.get("nextpagetoken", "tok1"))
                self.answer(status, body)

        self.server = FakeServer(Handler)

    @property
    def url(self) -> str:
        return self.server.url("/api/bitglassapi/logs/v1/")

    def __enter__(self):
        self.server.start()
        return self

    def __exit__(self, *exc):
        self.server.stop()


def envelope(data, token="tok1", fmt="json") -> bytes:
    return json.dumps(
        {
            "status": "Request was successful",
            "nextpagetoken": token,
            "response": {"dataformat": fmt, "dataencoding": "utf-8", "data": data},
        }
    ).encode()


def run_forcepoint(home: Path, lt: str, first: tuple[int, bytes], env, fmt: str = "json"):
    asset = next(a for a in FORCEPOINT_ASSETS if a.key.path[-1] == lt)
    with ScriptedForcepoint(first) as api:
        env.setenv("FORCEPOINT_API_URL", api.url)
        env.setenv("FORCEPOINT_API_TOKEN", "t0ken")
        env.setenv("FORCEPOINT_RESPONSE_FORMAT", fmt)
        res = dg.materialize(
            [asset],
            partition_key=DAY,
            raise_on_error=False,
            resources={"forcepoint": ForcepointResource(retries=0), "home": LogAssetsHome(root=str(home))},
        )
    if res.success:
        md = {k: v.value for k, v in res.asset_materializations_for_node(f"forcepoint__{lt}")[-1].metadata.items()}
        message = "run succeeds"
    else:
        fail = next(e for e in res.all_events if e.is_step_failure)
        err = fail.step_failure_data.user_failure_data
        md = {k: v.value for k, v in (err.metadata or {}).items()} if err else {}
        message = "run fails: " + (err.description if err else str(fail.event_specific_data.error.message))
    q = home / "quarantine" / "forcepoint" / lt
    files = sorted(p.relative_to(home).as_posix() for p in q.iterdir()) if q.exists() else []
    landed = sum(lake_days(home, "forcepoint", lt).values())
    return res.success, message, md, files, landed


def private(home: Path) -> list[str]:
    """What under quarantine/ others could read (files must be 0600, folders 0700)."""
    q = home / "quarantine"
    if not q.exists():
        return []
    return [
        f"{oct(stat.S_IMODE(p.stat().st_mode))} {p}"
        for p in [q, *q.rglob("*")]
        if stat.S_IMODE(p.stat().st_mode) & 0o077
    ]


def note(case: str, message: str, files: list[str], count) -> None:
    OBSERVED.append({"case": case, "message": message[:200], "quarantine": files[:3], "count": count})


# ---------------------------------------------------------------------------------- Forcepoint

WHOLE_PAGE = [
    ("200 with an HTML page", b"<html><body>502 Bad Gateway</body></html>", "not the documented JSON envelope"),
    (
        "200 with JSON cut off mid-way",
        envelope([{"time": "1 Jan 2026 00:00:00"}])[:40],
        "not the documented JSON envelope",
    ),
    ("200 with an empty body", b"", "not the documented JSON envelope"),
    (
        "envelope without `response`",
        json.dumps({"status": "Request was successful", "nextpagetoken": "x"}).encode(),
        "not the documented JSON envelope",
    ),
    ("`data` is an object, not a list", envelope({"oops": 1}), "expected a list"),
]


@pytest.mark.parametrize("case,body,says", WHOLE_PAGE, ids=[c[0] for c in WHOLE_PAGE])
def test_forcepoint_unreadable_page_is_quarantined_and_the_run_fails(case, body, says, tmp_path, clean_env):
    ok, message, md, files, landed = run_forcepoint(tmp_path, "access", (200, body), clean_env)
    note(f"Forcepoint: {case}", message, files, md.get("quarantined_records"))
    assert not ok and says in message
    bodies = [f for f in files if f.endswith(".body")]
    assert len(bodies) == 1 and any(f.endswith(".why.txt") for f in files)
    assert (tmp_path / bodies[0]).read_bytes() == body, "the quarantined page is not byte for byte what arrived"
    assert md.get("quarantined_records") == 1
    assert landed == 0


def _bad_records(good: list[dict]) -> list[tuple[str, list, int, str]]:
    g = [dict(r) for r in good[:6]]
    no_time = dict(g[0])
    no_time.pop("time")
    bad_time = dict(g[1])
    bad_time["time"] = "yesterday at noon"
    no_id = dict(g[2])
    no_id.pop("transactionid")
    iso = dict(g[3])
    iso["time"] = DAY + "T10:11:12Z"  # the form the vendor page documents: accepted
    return [
        ("record without `time`", [no_time, g[4]], 1, "missing or unreadable 'time'"),
        ("record with an unreadable `time`", [bad_time, g[4]], 1, "missing or unreadable 'time'"),
        ("record without its id field", [no_id, g[4]], 1, "missing id field"),
        ("record that is not an object", ["just a string", 42, g[4]], 2, "not an object"),
        ("ISO `time` instead of the real form", [iso, g[4]], 0, ""),
    ]


@pytest.mark.parametrize("i", range(5))
def test_forcepoint_bad_records_are_quarantined_and_the_rest_lands(i, records, tmp_path, clean_env):
    case, data, n_bad, reason = _bad_records(records["access"])[i]
    ok, message, md, files, landed = run_forcepoint(tmp_path, "access", (200, envelope(data)), clean_env)
    note(f"Forcepoint: {case}", message, files, md.get("quarantined_records"))
    assert ok, message
    assert md["quarantined_records"] == n_bad
    assert landed == len(data) - n_bad
    if n_bad:
        (rejects,) = [tmp_path / f for f in files if f.endswith(".rejects.jsonl")]
        lines = [json.loads(x) for x in rejects.read_text().splitlines()]
        assert len(lines) == n_bad and all(reason in x["reason"] for x in lines)
    else:
        assert not files


def _csv(header: list[str], rows: list[list[str]]) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def test_forcepoint_csv_quoting_hazards_land_exactly(records, tmp_path, clean_env):
    """Commas, quotes, newlines, JSON-in-a-string and non-ASCII inside CSV fields come through unchanged."""
    rows = records["swgweb"][:5]
    header = list(rows[0])
    hazards = [
        "a,b",
        'say "hi"',
        "two\nlines",
        '["Purple", "Blue"]',
        "Café ☕ 東京",
        "trailing space ",
        "",
        "\r\n",
    ]
    crafted = []
    for n, r in enumerate(rows):
        r = dict(r)
        for j, col in enumerate(c for c in header if c not in ("time", "setransactionid", "indexedtime")):
            r[col] = hazards[(n + j) % len(hazards)]
        crafted.append(r)
    text = _csv(header, [[r[c] for c in header] for r in crafted])
    ok, message, md, files, landed = run_forcepoint(
        tmp_path, "swgweb", (200, envelope(text, fmt="csv")), clean_env, fmt="csv"
    )
    note("Forcepoint CSV: every quoting hazard in fields", message, files, md.get("quarantined_records"))
    assert ok and md["quarantined_records"] == 0 and landed == len(crafted)
    got = {
        json.loads(r["raw"])["setransactionid"]: json.loads(r["raw"])
        for r in lake_table(tmp_path, "forcepoint", "swgweb", columns=["raw"]).to_pylist()
    }
    for r in crafted:
        assert got[r["setransactionid"]] == r


def test_forcepoint_csv_header_with_a_byte_order_mark(records, tmp_path, clean_env):
    rows = records["swgweb"][:3]
    header = list(rows[0])
    text = "\ufeff" + _csv(header, [[r[c] for c in header] for r in rows])
    ok, message, md, files, landed = run_forcepoint(
        tmp_path, "swgweb", (200, envelope(text, fmt="csv")), clean_env, fmt="csv"
    )
    note("Forcepoint CSV: header with a byte-order mark", message, files, md.get("quarantined_records"))
    assert ok and md["quarantined_records"] == 0 and landed == 3


CSV_BAD = [
    (
        "CSV row with too many fields",
        lambda hdr, rows: _csv(hdr, [rows[0], rows[1] + ["extra"]]),
        1,
        True,
        "fields, header has",
    ),
    (
        "CSV with an unterminated quote",
        lambda hdr, rows: _csv(hdr, [rows[0]]) + '"unterminated,' + ",".join(rows[1][1:]),
        1,
        True,
        "CSV error",
    ),
]


@pytest.mark.parametrize("i", range(len(CSV_BAD)))
def test_forcepoint_broken_csv_is_quarantined(i, records, tmp_path, clean_env):
    case, make, n_bad, ok_expected, reason = CSV_BAD[i]
    rows = records["swgweb"][:2]
    header = list(rows[0])
    text = make(header, [[r[c] for c in header] for r in rows])
    ok, message, md, files, landed = run_forcepoint(
        tmp_path, "swgweb", (200, envelope(text, fmt="csv")), clean_env, fmt="csv"
    )
    note(f"Forcepoint: {case}", message, files, md.get("quarantined_records"))
    assert ok == ok_expected, message
    assert md["quarantined_records"] == n_bad
    assert landed == 1
    (rejects,) = [tmp_path / f for f in files if f.endswith(".rejects.jsonl")]
    lines = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert len(lines) == n_bad and reason in lines[0]["reason"]


def test_forcepoint_http_errors_say_what_to_do(tmp_path, clean_env):
    for status, body, says in [
        (401, b'{"status": "Invalid credentials"}', "FORCEPOINT_API_TOKEN"),
        (403, b'{"status": "Unauthorized"}', "sysadmin"),
        (400, b'{"status": "Invalid start date format"}', "Invalid start date"),
    ]:
        ok, message, md, files, landed = run_forcepoint(
            tmp_path / str(status), "access", (status, body), clean_env
        )
        note(f"Forcepoint: HTTP {status}", message, files, md.get("quarantined_records"))
        assert not ok and says in message and not files


# ------------------------------------------------------------------------------------ Aperture


def _drain(sim, home: Path):
    from log_assets.defs.aperture.assets import aperture_spool
    from log_assets.defs.aperture.resources import ApertureApi

    res = dg.materialize(
        [aperture_spool],
        raise_on_error=False,
        run_config={"ops": {"aperture__spool": {"config": {"readers": 1, "budget_seconds": 20}}}},
        resources={"aperture": ApertureApi(retries=0), "home": LogAssetsHome(root=str(home))},
    )
    mats = res.asset_materializations_for_node("aperture__spool") if res.success else []
    md = {k: v.value for k, v in mats[-1].metadata.items()} if mats else {}
    q = home / "quarantine" / "aperture"
    files = sorted(p.relative_to(home).as_posix() for p in q.iterdir()) if q.exists() else []
    return res, md, files


def _aperture_sim(simulator, **kw):
    """A started simulator that serves what a test queues; the test's environment points at it."""
    return simulator(seed=9, days=1, forcepoint_events_per_day=1, aperture_backlog_per_type=0, long_poll=0.1, **kw)


def _event(n: int, **over) -> dict:
    ev = {
        "log_type": "incident",
        "timestamp": DAY + "T08:00:00Z",
        "incident_id": f"inc-{n}",
        "severity": 3,
        "item_name": f"file-{n}.txt",
        "serial": None,
    }
    ev.update(over)
    return ev


def _queue_texts(sim, texts: list[str]) -> None:
    from log_assets.simulator.aperture.queue import Entry

    now = time.monotonic()
    sim.aperture.queue.put([Entry({"log_type": "incident"}, t, now) for t in texts])


def test_aperture_broken_json_bodies_are_quarantined_byte_for_byte(simulator, tmp_path, clean_env):
    sim = _aperture_sim(simulator, aperture_broken_rate=1.0, aperture_bulk_max=5)
    sim.aperture.enqueue([_event(i) for i in range(15)])
    res, md, files = _drain(sim, tmp_path)
    sent = sim.aperture.broken_bodies()
    note(
        "Aperture: body that is not valid JSON (missing comma, trailing comma, stray `*`)",
        "run succeeds" if res.success else "run fails",
        files,
        md.get("bodies_quarantined"),
    )
    assert res.success
    kept = {(tmp_path / f).read_bytes() for f in files if not f.endswith(".note.json")}
    assert len(sent) == 3 and set(sent) <= kept
    assert md["bodies_quarantined"] == 3 and md["events_sorted"] == 0
    notes = [json.loads((tmp_path / f).read_text()) for f in files if f.endswith(".note.json")]
    assert all("unparseable body" in n["reason"] for n in notes)


def test_aperture_truncated_body_is_kept(simulator, tmp_path, clean_env):
    sim = _aperture_sim(simulator, aperture_bulk_max=10)
    sim.aperture.enqueue([_event(i) for i in range(10)])
    sim.faults.add("drop", 1, path="aperture")
    res, md, files = _drain(sim, tmp_path)
    (dropped,) = [d for d in sim.aperture.deliveries() if d.dropped]
    note(
        "Aperture: connection cut mid-body (events popped, body incomplete)",
        "run succeeds" if res.success else "run fails",
        files,
        md.get("bodies_truncated"),
    )
    assert res.success and md["bodies_truncated"] == 1
    partial = [(tmp_path / f).read_bytes() for f in files if "truncated" in f and not f.endswith(".note.json")]
    assert partial and dropped.body.startswith(partial[0]) and partial[0]


EVENT_CASES = [
    ("event without `log_type`", lambda n: json.dumps(_event(n, log_type=None)), "log_type"),
    (
        "event without `timestamp`",
        lambda n: json.dumps({k: v for k, v in _event(n).items() if k != "timestamp"}),
        "missing timestamp",
    ),
    (
        "event with an unreadable `timestamp`",
        lambda n: json.dumps(_event(n, timestamp="last Tuesday")),
        "unparseable timestamp",
    ),
    ("event that is not an object", lambda n: '"just a string"', "not an object"),
]


@pytest.mark.parametrize("i", range(len(EVENT_CASES)))
def test_aperture_bad_events_are_quarantined_and_the_rest_lands(simulator, i, tmp_path, clean_env):
    case, make, reason = EVENT_CASES[i]
    sim = _aperture_sim(simulator, aperture_bulk_max=10)
    _queue_texts(sim, [make(100), json.dumps(_event(1)), json.dumps(_event(2))])
    res, md, files = _drain(sim, tmp_path)
    note(f"Aperture: {case}", "run succeeds" if res.success else "run fails", files, md.get("events_quarantined"))
    assert res.success
    assert md["events_quarantined"] == 1 and md["events_sorted"] == 2 and md["bodies_partly_quarantined"] == 1
    (n,) = [json.loads((tmp_path / f).read_text()) for f in files if f.endswith(".note.json")]
    assert reason in json.dumps(n)


def test_aperture_nan_in_a_body_quarantines_the_body(simulator, tmp_path, clean_env):
    sim = _aperture_sim(simulator, aperture_bulk_max=10)
    _queue_texts(sim, [json.dumps(_event(1, severity=float("nan"))), json.dumps(_event(2))])
    res, md, files = _drain(sim, tmp_path)
    note(
        "Aperture: `NaN` in a body (not JSON)",
        "run succeeds" if res.success else "run fails",
        files,
        md.get("bodies_quarantined"),
    )
    assert res.success and md["bodies_quarantined"] == 1 and md["events_sorted"] == 0


def test_aperture_quirks_are_accepted(simulator, tmp_path, clean_env):
    """Trailing-space and fraction timestamps, float severity, null/digit serial, unknown type: all land."""
    evs = [
        _event(1, timestamp=DAY + "T08:00:55Z "),
        _event(2, timestamp=DAY + "T08:00:06.961Z", severity=4.0),
        _event(3, serial="0042"),
        _event(4, log_type="Brand_New_Type"),
        _event(5, log_type="INCIDENT"),
    ]
    sim = _aperture_sim(simulator, aperture_bulk_max=10)
    sim.aperture.enqueue(evs)
    res, md, files = _drain(sim, tmp_path)
    note(
        "Aperture: documented quirks (trailing space, case, unknown type)",
        "run succeeds",
        files,
        md.get("events_quarantined"),
    )
    assert res.success and md["events_quarantined"] == 0 and md["events_sorted"] == 5 and not files


def test_quarantine_is_owner_only(simulator, records, tmp_path, clean_env):
    """Quarantined input holds raw records: every file and folder under quarantine/ is the owner's alone."""
    run_forcepoint(tmp_path, "access", (200, b"<html>oops</html>"), clean_env)
    sim = _aperture_sim(simulator, aperture_broken_rate=1.0)
    sim.aperture.enqueue([_event(1)])
    _drain(sim, tmp_path)
    assert (tmp_path / "quarantine" / "forcepoint" / "access").exists()
    bad = private(tmp_path)
    assert not bad, "readable by others:\n" + "\n".join(bad)
