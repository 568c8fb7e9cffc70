"""Helpers for tests that run against the simulator (importable from any test folder).

    from log_assets.simulator.testing import simulator
    with simulator(days=2, forcepoint_events_per_day=50) as sim:
        ...

`TEST_END` is a fixed end time so that tests see the same events on every run.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from log_assets.simulator.config import SimConfig
from log_assets.simulator.simulator import Simulator

TEST_END = "2026-11-20T12:00:00Z"
# Small, fast defaults for tests; every field can be overridden.
TEST_DEFAULTS = dict(
    end=TEST_END, days=3, forcepoint_events_per_day=60, page_size=50, aperture_backlog_per_type=20, long_poll=0.1
)


def sim_config(**overrides) -> SimConfig:
    return SimConfig(**{**TEST_DEFAULTS, **overrides})


@contextmanager
def simulator(**overrides) -> Iterator[Simulator]:
    """A started simulator with test defaults (see TEST_DEFAULTS), stopped afterwards."""
    with Simulator(sim_config(**overrides), port=0) as sim:
        yield sim


def forcepoint_headers(sim: Simulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {sim.config.forcepoint_token}"}


def basic_header(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def aperture_token(sim: Simulator, session: requests.Session | None = None) -> str:
    http = session or requests
    r = http.post(
        sim.aperture_url + "/oauth/token",
        auth=(sim.config.aperture_client_id, sim.config.aperture_client_secret),
        data={"grant_type": "client_credentials", "scope": "api_access"},
        timeout=10,
    )
    r.raise_for_status()
    return r.json()["access_token"]


def fetch_forcepoint(
    sim: Simulator,
    log_type: str,
    startdate: str,
    cv: str = "1.1.5",
    fmt: str = "json",
    session: requests.Session | None = None,
    max_pages: int = 100_000,
) -> tuple[list[dict], str, int]:
    """Page a log type from `startdate` until caught up: (records, last token, requests made).

    CSV pages are parsed with the csv module, so their records hold strings.
    """
    http = session or requests.Session()
    params = {"type": log_type, "cv": cv, "responseformat": fmt, "startdate": startdate}
    out: list[dict] = []
    token = None
    for page in range(1, max_pages + 1):
        r = http.get(sim.forcepoint_url, params=params, headers=forcepoint_headers(sim), timeout=30)
        r.raise_for_status()
        body = r.json()
        data = body["response"]["data"]
        rows = data if fmt == "json" else list(csv.DictReader(io.StringIO(data)))
        new_token = body["nextpagetoken"]
        if not rows or new_token == token:
            return out + rows, new_token, page
        out += rows
        token = new_token
        params = {"type": log_type, "cv": cv, "responseformat": fmt, "nextpagetoken": token}
    raise AssertionError(f"not caught up after {max_pages} pages")
