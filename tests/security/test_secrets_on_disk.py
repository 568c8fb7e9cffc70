"""No credential anywhere: real CLI runs (succeeding and failing) with distinctive secret values,
then every byte left on disk (the whole LOG_ASSETS_HOME and DAGSTER_HOME: lake, state, spool,
quarantine, warehouse, the sqlite event logs, compute logs) and every captured output is searched
for each secret, its HTTP Basic encoding, and the access tokens the Aperture API issued."""

from __future__ import annotations

import base64
import os
import secrets
import stat
from pathlib import Path
from urllib.parse import quote

import pytest

from log_assets.simulator import SimConfig, Simulator
from tests.faults import harness as h

# Under xdist the module's tests run on one worker (its group), not necessarily one after another:
# its fixtures are session-scoped so that another module's test in between does not make them again.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.xdist_group("security.test_secrets_on_disk"),
]

APERTURE_SELECT = ",".join(
    f"aperture/{t}" for t in ("activity_monitoring", "admin_audit", "incident", "policy_violation", "remediation")
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture(scope="session")
def creds() -> dict:
    r = secrets.token_hex(6)
    return {
        "token": f"fpTOKEN-{r}-q7Z",
        "user": f"fp-admin-{r}",
        "password": f"pw:{r}:S3cr3t",  # a ':' inside: Basic auth must split on the first one only
        "client_id": f"ap-client-{r}",
        "client_secret": f"apSECRET-{r}-x9",
        "wrong_token": f"wrongTOKEN-{r}",
        "wrong_password": f"wrong:PW-{r}",
        "wrong_secret": f"wrongSECRET-{r}",
    }


def needles(creds: dict, issued: list[str]) -> dict[str, bytes]:
    c = creds
    out = {
        "forcepoint token": c["token"],
        "forcepoint password": c["password"],
        "forcepoint password (URL-encoded)": quote(c["password"], safe=""),
        "Basic user:password": b64(f"{c['user']}:{c['password']}"),
        "aperture client secret": c["client_secret"],
        "Basic client_id:client_secret": b64(f"{c['client_id']}:{c['client_secret']}"),
        "wrong forcepoint token": c["wrong_token"],
        "wrong forcepoint password": c["wrong_password"],
        "Basic user:wrong password": b64(f"{c['user']}:{c['wrong_password']}"),
        "wrong aperture secret": c["wrong_secret"],
        "Basic client_id:wrong secret": b64(f"{c['client_id']}:{c['wrong_secret']}"),
    }
    for i, t in enumerate(issued):
        out[f"aperture access token #{i}"] = t
        out[f"aperture access token #{i} (signature)"] = t.rsplit(".", 1)[-1]
    return {k: v.encode() for k, v in out.items()}


def find_secrets(roots: list[Path], texts: dict[str, bytes], needles: dict[str, bytes]) -> list[str]:
    hits = []
    for root in roots:
        for p in root.rglob("*"):
            if p.is_file() and not p.is_symlink():
                data = p.read_bytes()
                hits += [f"{name} in {p}" for name, n in needles.items() if n in data]
    for where, data in texts.items():
        hits += [f"{name} in {where}" for name, n in needles.items() if n in data]
    return hits


@pytest.fixture(scope="session")
def runs(tmp_path_factory, creds):
    """Every kind of run, succeeding and failing, into one home and one Dagster instance."""
    base = tmp_path_factory.mktemp("secrets")
    home = base / "home"
    cfg = SimConfig(
        seed=3,
        days=3,
        forcepoint_events_per_day=60,
        page_size=20,
        quota=100_000,
        forcepoint_token=creds["token"],
        forcepoint_username=creds["user"],
        forcepoint_password=creds["password"],
        aperture_client_id=creds["client_id"],
        aperture_client_secret=creds["client_secret"],
        aperture_backlog_per_type=30,
        aperture_bulk_max=20,
        aperture_broken_rate=0.3,
        long_poll=0.1,
    )
    outputs: dict[str, bytes] = {}
    results: dict[str, int] = {}
    with Simulator(cfg, port=0) as sim:
        good = sim.env()
        basic = sim.env(basic=True)
        quick = {"resources": {"forcepoint": {"config": {"retries": 1, "backoff": 0.01}}}}
        day = h.day_str(-1)
        h.init_instance(home)  # the runs below start side by side on one new instance

        def start(name, args, env):
            return name, h.start(args, h.cli_env(home, env), base / "out" / f"{name}.log")

        def finish(name, r):
            r.wait()
            outputs[f"output of {name}"] = r.out.read_bytes()
            results[name] = r.rc
            return r

        def side_by_side(*runs):
            """Runs at once; an injected fault applies to every request to its path, so each run of a
            round has its faults on a path no other run of the round uses."""
            for _name, _args, _env, faults in runs:
                for kind, count, path in faults:
                    sim.faults.add(kind, count, path=path)
            started = [start(name, args, env) for name, args, env, _faults in runs]
            for name, r in started:
                finish(name, r)
            sim.faults.clear()

        def run(name, args, env):
            side_by_side((name, args, env, ()))

        fp = lambda lt: h.materialize_args(f"forcepoint/{lt}", day, day, quick)  # noqa: E731
        drain = h.job_args(
            "aperture_drain",
            {
                "ops": {"aperture__spool": {"config": {"readers": 1, "budget_seconds": 20}}},
                "resources": {"aperture": {"config": {"retries": 1}}},
            },
            base / "config",
        )
        side_by_side(
            ("fp-token", fp("access"), good, ()),
            ("fp-basic", fp("admin"), dict(basic), ()),
            ("fp-basic-csv", fp("swgweb"), {**basic, "FORCEPOINT_RESPONSE_FORMAT": "csv"}, ()),
            ("fp-wrong-token", fp("ztna"), {**good, "FORCEPOINT_API_TOKEN": creds["wrong_token"]}, ()),
            ("fp-wrong-password", fp("healthapi"), {**basic, "FORCEPOINT_PASSWORD": creds["wrong_password"]}, ()),
            ("ap-wrong-secret", drain, {**good, "APERTURE_CLIENT_SECRET": creds["wrong_secret"]}, ()),
        )
        side_by_side(
            ("fp-401", fp("cloudaudit"), good, [("401", 1, "forcepoint")]),
            ("ap-token-401", drain, good, [("401", 1, "aperture_token")]),
        )
        side_by_side(
            ("fp-500s", fp("cloudsummary"), basic, [("500", 5, "forcepoint")]),
            ("ap-reads-500", drain, good, [("500", 6, "aperture")]),
        )
        side_by_side(
            ("fp-503-then-ok", fp("healthproxy"), good, [("503", 1, "forcepoint")]),
            ("ap-expired-token", drain, good, [("401", 1, "aperture")]),
        )
        run("ap-drain", drain, good)
        run("ap-land", h.materialize_args(APERTURE_SELECT, h.day_str(-1), h.day_str(0)), good)
        run("warehouse", h.materialize_args("key:warehouse/*"), good)
        issued = sim.aperture.issued_tokens()
    return {
        "home": home,
        "dagster_home": home / "dagster_home",
        "outputs": outputs,
        "results": results,
        "issued": issued,
        "base": base,
    }


def test_the_runs_did_what_was_asked(runs):
    r = runs["results"]
    assert r["fp-token"] == 0 and r["fp-basic"] == 0 and r["fp-basic-csv"] == 0 and r["fp-503-then-ok"] == 0
    for failing in ("fp-wrong-token", "fp-wrong-password", "fp-401", "fp-500s"):
        assert r[failing] != 0, f"{failing} should have failed"
    assert r["ap-wrong-secret"] != 0 and r["ap-token-401"] != 0
    assert r["ap-drain"] == 0 and r["ap-land"] == 0
    assert runs["issued"], "the Aperture API issued no token: the search for it would prove nothing"
    assert r["warehouse"] == 0, runs["outputs"]["output of warehouse"][-2000:]


def test_no_secret_on_disk_or_in_any_output(runs, creds):
    found = find_secrets([runs["home"]], runs["outputs"], needles(creds, runs["issued"]))
    assert not found, "secrets leaked:\n" + "\n".join(found[:40])


def test_the_search_would_find_a_leak(creds, tmp_path):
    """The search itself works: a planted secret in a sqlite file and in an output is found."""
    import sqlite3

    db = tmp_path / "planted.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (x TEXT)")
    con.execute(
        "INSERT INTO t VALUES (?)", (f"Authorization: Basic {b64(creds['user'] + ':' + creds['password'])}",)
    )
    con.commit()
    con.close()
    found = find_secrets([tmp_path], {"planted output": creds["client_secret"].encode()}, needles(creds, []))
    assert any("Basic user:password" in f for f in found) and any("planted output" in f for f in found)


def test_event_logs_and_compute_logs_were_searched(runs):
    dh = runs["dagster_home"]
    assert list(dh.rglob("*.db")), "no sqlite event log under DAGSTER_HOME"
    logs = [p for p in dh.rglob("*") if p.suffix in (".out", ".err")]
    assert logs, "no compute logs under DAGSTER_HOME"


def _modes(root: Path) -> list[str]:
    bad = []
    if not root.exists():
        return bad
    for p in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(p.lstat().st_mode)
        want = 0o700 if p.is_dir() else 0o600
        if mode & 0o077:
            bad.append(f"{oct(mode)} {p} (want {oct(want)})")
    return bad


def _database_modes(home: Path) -> list[str]:
    """The pipeline-state database (its tokens, checkpoints and counts: SQLite `log_assets.db` by
    default, with its -wal and -shm files while in use) and its lock files."""
    db = home / "log_assets.db"
    bad = []
    for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        bad += _modes(p)
    return bad + _modes(db.with_name(db.name + ".locks"))


@pytest.mark.parametrize("part", ["state", "quarantine", "spool"])
def test_state_quarantine_and_spool_are_owner_only(runs, part):
    home = runs["home"]
    root = home / part
    assert root.exists(), f"the runs made no {part}/: the test would prove nothing"
    bad = _modes(root)
    assert not bad, f"readable by others under {part}/:\n" + "\n".join(bad[:20])


def test_the_state_database_is_owner_only(runs):
    home = runs["home"]
    assert (home / "log_assets.db").is_file(), "the runs made no state database: the test would prove nothing"
    assert (home / "log_assets.db.locks").is_dir(), "no lock was taken: the test would prove nothing"
    bad = _database_modes(home)
    assert not bad, "readable by others:\n" + "\n".join(bad[:20])


def test_quarantine_holds_something_to_check(runs):
    assert "ap-drain" in runs["results"], "the Aperture drain did not run"
    q = runs["home"] / "quarantine" / "aperture"
    assert q.exists() and any(q.iterdir()), "broken bodies were served, yet nothing is in quarantine"


def test_owner_only_even_with_a_permissive_umask(simulator, tmp_path, creds):
    """Files and folders made private must not depend on the umask the scheduler happens to have."""
    home = tmp_path / "home"
    cfg = SimConfig(
        seed=4,
        days=2,
        forcepoint_events_per_day=30,
        page_size=20,
        forcepoint_token=creds["token"],
        aperture_backlog_per_type=10,
        aperture_broken_rate=0.5,
        long_poll=0.1,
        aperture_client_id=creds["client_id"],
        aperture_client_secret=creds["client_secret"],
    )
    h.init_instance(home)
    old = os.umask(0)
    try:
        sim = simulator(cfg, env=False)
        runs = [
            h.start(
                h.materialize_args("forcepoint/access", h.day_str(-1)),
                h.cli_env(home, sim.env()),
                tmp_path / "fp.log",
            )
        ]
        runs.append(h.start(h.job_args("aperture_drain"), h.cli_env(home, sim.env()), tmp_path / "ap.log"))
        for r in runs:
            assert r.wait() == 0, r.tail()
    finally:
        os.umask(old)
    assert (home / "log_assets.db").is_file(), "the run made no state database: the test would prove nothing"
    bad = [b for part in ("state", "quarantine", "spool") for b in _modes(home / part)] + _database_modes(home)
    assert not bad, "with umask 0:\n" + "\n".join(bad[:20])
