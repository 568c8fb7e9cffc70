"""`python -m log_assets.simulator` starts, prints URLs and credentials, serves, and stops on a signal."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from log_assets.simulator.cli import main

ROOT = Path(__file__).resolve().parents[2]


def start(*args: str) -> tuple[subprocess.Popen, dict[str, str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "log_assets.simulator", "--port", "0", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    values: dict[str, str] = {}
    deadline = time.monotonic() + 30
    for line in proc.stdout:
        key, eq, value = line.strip().partition("=")
        if eq and key.isupper():
            values[key] = value
        if line.startswith("Ctrl-C") or time.monotonic() > deadline:
            break
    return proc, values


def stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> str:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    return out


def test_cli_prints_urls_and_credentials_and_serves():
    proc, v = start(
        "--forcepoint-token",
        "T0k",
        "--aperture-client-id",
        "cid",
        "--aperture-client-secret",
        "sec",
        "--days",
        "2",
        "--events-per-day",
        "30",
        "--page-size",
        "10",
        "--long-poll",
        "0.1",
        "--aperture-backlog",
        "3",
    )
    try:
        assert v["FORCEPOINT_API_URL"].startswith("http://127.0.0.1:")
        assert v["FORCEPOINT_API_URL"].endswith("/api/bitglassapi/logs/v1/")
        assert v["FORCEPOINT_API_TOKEN"] == "T0k"
        assert v["FORCEPOINT_USERNAME"] == "demo-admin" and v["FORCEPOINT_PASSWORD"] == "demo:pass:word"
        assert v["APERTURE_CLIENT_ID"] == "cid" and v["APERTURE_CLIENT_SECRET"] == "sec"
        r = requests.get(
            v["FORCEPOINT_API_URL"],
            headers={"Authorization": "Bearer T0k"},
            params={
                "type": "access",
                "cv": "1.1.5",
                "responseformat": "json",
                "startdate": "2000-01-01T00:00:00Z",
            },
        )
        assert r.status_code == 200 and len(r.json()["response"]["data"]) == 10
        r = requests.get(
            v["FORCEPOINT_API_URL"],
            auth=("demo-admin", "demo:pass:word"),
            params={"type": "admin", "startdate": "2000-01-01T00:00:00Z"},
        )
        assert r.status_code == 200 and r.json()["response"]["dataformat"] == "csv"
        r = requests.post(
            v["APERTURE_API_URL"] + "/oauth/token",
            auth=("cid", "sec"),
            data={"grant_type": "client_credentials", "scope": "api_access"},
        )
        token = r.json()["access_token"]
        r = requests.get(
            v["APERTURE_API_URL"] + "/api/v1/log_events_bulk", headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 200 and len(r.json()["events"]) >= 15
        r = requests.get(
            v["APERTURE_API_URL"] + "/api/v1/log_events_bulk", headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 204
        r = requests.get(
            v["FORCEPOINT_API_URL"],
            headers={"Authorization": f"Bearer {v['FORCEPOINT_FORBIDDEN_TOKEN']}"},
            params={"type": "access", "startdate": "2000-01-01T00:00:00Z"},
        )
        assert (r.status_code, r.json()) == (403, {"status": "Unauthorized"})
    finally:
        out = stop(proc)
    assert "simulator stopped" in out


def test_cli_faults_quota_and_sigint():
    proc, v = start(
        "--fault", "503:2:forcepoint", "--fault", "drop:1:aperture", "--quota", "3", "--long-poll", "0.1"
    )
    try:
        url = v["FORCEPOINT_API_URL"]
        h = {"Authorization": f"Bearer {v['FORCEPOINT_API_TOKEN']}"}
        p = {"type": "access", "cv": "1.1.5", "responseformat": "json", "startdate": "2000-01-01T00:00:00Z"}
        codes = [requests.get(url, headers=h, params=p).status_code for _ in range(6)]
        assert codes == [503, 503, 200, 200, 200, 429]
        token = requests.post(
            v["APERTURE_API_URL"] + "/oauth/token",
            auth=(v["APERTURE_CLIENT_ID"], v["APERTURE_CLIENT_SECRET"]),
            data={"grant_type": "client_credentials", "scope": "api_access"},
        ).json()["access_token"]
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(
                v["APERTURE_API_URL"] + "/api/v1/log_events_bulk", headers={"Authorization": f"Bearer {token}"}
            )
    finally:
        stop(proc, signal.SIGINT)


def test_cli_rejects_bad_arguments(capsys):
    assert main(["--fault", "teapot:1"]) == 2
    assert "unknown fault kind" in capsys.readouterr().err
    assert main(["--events-per-day", "nosuchtype=5"]) == 2
    assert "unknown Forcepoint log type 'nosuchtype'" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse's own refusal
        main(["--port", "not-a-number"])
