"""The HTTP layer: keep-alive connections and added latency."""

import threading
import time

import pytest
import requests

from log_assets.simulator import Simulator
from log_assets.simulator.testing import aperture_token, forcepoint_headers, sim_config, simulator

PARAMS = {"type": "access", "cv": "1.1.5", "responseformat": "json", "startdate": "2026-11-19T00:00:00Z"}


def fp(sim, http):
    return http.get(sim.forcepoint_url, params=PARAMS, headers=forcepoint_headers(sim), timeout=10)


def bulk(sim, http, token):
    return http.get(
        sim.aperture_url + "/api/v1/log_events_bulk", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def test_latency_is_added_to_every_answer():
    with simulator(latency=0.15) as sim, requests.Session() as http:
        t0 = time.monotonic()
        fp(sim, http)
        aperture_token(sim, http)
        assert time.monotonic() - t0 >= 0.3


def test_connections_are_kept_alive(sim, http):
    for _ in range(10):
        assert fp(sim, http).status_code == 200
    token = aperture_token(sim, http)
    assert bulk(sim, http, token).status_code == 200
    assert sim.connections_opened == 1


def test_stop_ends_long_polls_and_closes_connections():
    sim = Simulator(sim_config(aperture_backlog_per_type=0, long_poll=30.0)).start()
    base_url = sim.base_url
    http = requests.Session()
    assert fp(sim, http).status_code == 200  # an idle keep-alive connection stays open
    token = aperture_token(sim, http)
    url = sim.aperture_url + "/api/v1/log_events_bulk"
    codes = []
    waiting = threading.Thread(
        target=lambda: codes.append(
            requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=60).status_code
        )
    )
    waiting.start()
    deadline = time.monotonic() + 10
    while sim.aperture.queue.waiting() == 0:  # stop only once the read is inside its long poll
        assert time.monotonic() < deadline, "the read never reached the server's long poll"
        time.sleep(0.01)
    t0 = time.monotonic()
    sim.stop()
    waiting.join(timeout=10)
    assert codes == [204] and time.monotonic() - t0 < 5  # the poll ended with the server
    with pytest.raises(requests.exceptions.ConnectionError):
        http.get(base_url + "/api/bitglassapi/logs/v1/", timeout=5)
