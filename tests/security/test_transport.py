"""Transport security: TLS verified by default with a CA-bundle setting, no plain http:// to a
host other than this machine unless explicitly allowed (and then no connection is even attempted
before the refusal), the simulator reachable from this machine only, credentials never config."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from log_assets.aperture.client import Credentials as ApertureCredentials
from log_assets.defs.aperture.resources import ApertureApi
from log_assets.defs.forcepoint.resources import ForcepointResource
from log_assets.forcepoint.client import ConfigError, ForcepointError
from log_assets.forcepoint.client import Credentials as ForcepointCredentials
from log_assets.forcepoint.quota import DatabaseQuotaBudget
from log_assets.simulator import SimConfig, Simulator
from tests.infra.fake_http import FakeHandler, FakeServer

# module-scoped fixtures: under xdist the module's tests run on one worker, its fixtures once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("security.test_transport")]

ROOT = Path(__file__).resolve().parents[2]
FP_PATH = "/api/bitglassapi/logs/v1/"
NON_LOOPBACK_HTTP = [
    "http://logs.invalid/",
    "http://192.0.2.10:8080/",
    "http://10.1.2.3/",
    "http://portal.bitglass.com/",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for k in list(os.environ):
        if k.startswith(("FORCEPOINT_", "APERTURE_")) or k in (
            "REQUESTS_CA_BUNDLE",
            "CURL_CA_BUNDLE",
            "SSL_CERT_FILE",
        ):
            monkeypatch.delenv(k)
    return monkeypatch


@pytest.fixture
def no_network(monkeypatch):
    """Records (and refuses) every name lookup and connection attempt."""
    attempts = []
    real_connect = socket.socket.connect

    def getaddrinfo(host, *a, **k):
        attempts.append(("getaddrinfo", host))
        raise socket.gaierror(socket.EAI_NONAME, "lookups are refused in this test")

    def connect(self, address):
        if isinstance(address, tuple) and address and str(address[0]).startswith("127."):
            return real_connect(self, address)
        attempts.append(("connect", address))
        raise ConnectionRefusedError("connections are refused in this test")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


def budget(store) -> DatabaseQuotaBudget:
    return DatabaseQuotaBudget(store, "access")


# ----------------------------------------------------------------------------- plain http


@pytest.mark.parametrize("url", NON_LOOPBACK_HTTP)
def test_forcepoint_refuses_plain_http_to_other_hosts(url, state_store, clean_env, no_network):
    clean_env.setenv("FORCEPOINT_API_URL", url + FP_PATH.lstrip("/"))
    clean_env.setenv("FORCEPOINT_API_TOKEN", "t0ken-for-the-refusal-test")
    with pytest.raises(ConfigError, match="http://"):
        ForcepointResource().client(budget(state_store))
    assert not no_network, f"a connection was attempted before the refusal: {no_network}"


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/", "http://localhost:9/", "http://[::1]:9/"])
def test_forcepoint_allows_plain_http_to_this_machine(url, state_store, clean_env, no_network):
    clean_env.setenv("FORCEPOINT_API_URL", url + FP_PATH.lstrip("/"))
    clean_env.setenv("FORCEPOINT_API_TOKEN", "t0ken")
    client = ForcepointResource().client(budget(state_store))
    try:
        assert client.url == url + FP_PATH.lstrip("/"), "the loopback URL is kept as given, plain http and all"
    finally:
        client.close()
    assert not no_network, f"building the client reached the network: {no_network}"


def test_forcepoint_plain_http_only_when_explicitly_allowed(state_store, clean_env, no_network):
    """Plain http is a deployment setting: the environment allows it, a run config alone cannot."""
    clean_env.setenv("FORCEPOINT_API_URL", "http://logs.invalid" + FP_PATH)
    clean_env.setenv("FORCEPOINT_API_TOKEN", "t0ken")
    with pytest.raises(ConfigError, match="FORCEPOINT_ALLOW_INSECURE_HTTP=1") as refused:
        ForcepointResource().client(budget(state_store))
    assert "allow_insecure_http" in str(refused.value)  # the refusal names the override and its setting
    with pytest.raises(ConfigError, match="deployment setting"):
        ForcepointResource(allow_insecure_http=True).client(budget(state_store))
    clean_env.setenv("FORCEPOINT_ALLOW_INSECURE_HTTP", "1")
    ForcepointResource().client(budget(state_store)).close()
    ForcepointResource(allow_insecure_http=True).client(budget(state_store)).close()
    assert not no_network


def test_forcepoint_cli_run_refuses_plain_http(tmp_path):
    from tests.faults import harness as h

    env = h.cli_env(
        tmp_path / "home",
        {"FORCEPOINT_API_URL": "http://logs.invalid" + FP_PATH, "FORCEPOINT_API_TOKEN": "t0ken-cli-refusal"},
    )
    r = h.start(h.materialize_args("forcepoint/access", h.day_str(-1)), env, tmp_path / "out.log")
    assert r.wait() != 0
    text = r.text()
    assert "refusing plain http://" in text, text[-2000:]
    assert "NameResolutionError" not in text and "Failed to resolve" not in text, "a lookup was attempted"


@pytest.mark.parametrize("url", NON_LOOPBACK_HTTP)
def test_aperture_refuses_plain_http_to_other_hosts(url, clean_env, no_network):
    clean_env.setenv("APERTURE_API_URL", url)
    clean_env.setenv("APERTURE_CLIENT_ID", "client")
    clean_env.setenv("APERTURE_CLIENT_SECRET", "s3cret-for-the-refusal-test")
    refused = None
    try:
        ApertureApi().client().token_info()
    except Exception as e:  # noqa: BLE001 - whatever the refusal is called, it must come first
        refused = e
    assert not no_network, (
        f"plain http:// to {url}: the client tried to connect ({no_network}) and would "
        f"have sent the Basic credentials unencrypted"
    )
    assert refused is not None and "http" in str(refused).lower()


def test_aperture_plain_http_only_when_explicitly_allowed(clean_env, no_network):
    """Plain http is a deployment setting: the environment allows it, a run config alone cannot."""
    from log_assets.aperture.client import ApertureError

    clean_env.setenv("APERTURE_API_URL", "http://logs.invalid")
    clean_env.setenv("APERTURE_CLIENT_ID", "client")
    clean_env.setenv("APERTURE_CLIENT_SECRET", "s3cret")
    with pytest.raises(ApertureError, match="APERTURE_ALLOW_INSECURE_HTTP=1") as refused:
        ApertureApi().client()
    assert "allow_insecure_http" in str(refused.value)
    with pytest.raises(ApertureError, match="deployment setting"):
        ApertureApi(allow_insecure_http=True).client()
    clean_env.setenv("APERTURE_ALLOW_INSECURE_HTTP", "1")
    ApertureApi().client()
    ApertureApi(allow_insecure_http=True).client()
    assert not no_network  # building a client sends nothing


def test_aperture_allows_plain_http_to_this_machine(simulator, clean_env):
    simulator(aperture_backlog_per_type=0, days=1, forcepoint_events_per_day=1)
    info = ApertureApi().client().token_info()
    assert info["token_type"] == "bearer"


# ------------------------------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate; counts requests that got through."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    hits = []

    class Handler(FakeHandler):
        def do_GET(self):
            hits.append(self.path)
            page = {
                "status": "Request was successful",
                "nextpagetoken": "",
                "response": {"dataformat": "json", "dataencoding": "utf-8", "data": []},
            }
            self.answer(200, json.dumps(page).encode())

        def do_POST(self):
            hits.append(self.path)
            self.read_body()
            token = {
                "access_token": "tls-test-token",
                "token_type": "bearer",
                "expires_in": 3600,
                "scope": "api_access",
            }
            self.answer(200, json.dumps(token).encode())

    server = FakeServer(Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.httpd.socket = ctx.wrap_socket(server.httpd.socket, server_side=True)
    with server:
        yield {"url": server.url(scheme="https"), "cert": str(cert), "hits": hits}


def test_forcepoint_verifies_tls_by_default(tls_server, state_store, clean_env):
    clean_env.setenv("FORCEPOINT_API_URL", tls_server["url"] + FP_PATH)
    clean_env.setenv("FORCEPOINT_API_TOKEN", "t0ken-tls")
    client = ForcepointResource(retries=0).client(budget(state_store))
    assert client.session.verify is True
    from log_assets.catalog import FORCEPOINT_TYPES

    before = len(tls_server["hits"])
    with pytest.raises(ForcepointError, match="(?i)ssl|certificate"):
        client.fetch(FORCEPOINT_TYPES["access"], startdate="2026-11-20T00:00:00Z")
    assert len(tls_server["hits"]) == before, "a request got through an unverified TLS connection"


def test_forcepoint_ca_bundle_setting(tls_server, state_store, clean_env):
    from log_assets.catalog import FORCEPOINT_TYPES

    clean_env.setenv("FORCEPOINT_API_URL", tls_server["url"] + FP_PATH)
    clean_env.setenv("FORCEPOINT_API_TOKEN", "t0ken-tls")
    for resource, env in (
        (ForcepointResource(retries=0, ca_bundle=tls_server["cert"]), None),
        (ForcepointResource(retries=0), tls_server["cert"]),
    ):
        if env:
            clean_env.setenv("FORCEPOINT_CA_BUNDLE", env)
        client = resource.client(budget(state_store))
        assert client.session.verify == tls_server["cert"]
        before = len(tls_server["hits"])
        page = client.fetch(FORCEPOINT_TYPES["access"], startdate="2026-11-20T00:00:00Z")
        assert page.status == 200 and len(tls_server["hits"]) == before + 1


def test_aperture_verifies_tls_by_default(tls_server, clean_env):
    clean_env.setenv("APERTURE_API_URL", tls_server["url"])
    clean_env.setenv("APERTURE_CLIENT_ID", "client")
    clean_env.setenv("APERTURE_CLIENT_SECRET", "s3cret-tls")
    client = ApertureApi(retries=0).client()
    assert client.session().verify is True
    before = len(tls_server["hits"])
    with pytest.raises(Exception, match="(?i)ssl|certificate"):
        client.token_info()
    assert len(tls_server["hits"]) == before, "the client credentials went over an unverified TLS connection"


def test_aperture_ca_bundle_setting(tls_server, clean_env):
    """A private CA (TLS-inspecting proxy) must be configurable, like FORCEPOINT_CA_BUNDLE."""
    clean_env.setenv("APERTURE_API_URL", tls_server["url"])
    clean_env.setenv("APERTURE_CLIENT_ID", "client")
    clean_env.setenv("APERTURE_CLIENT_SECRET", "s3cret-tls")
    clean_env.setenv("APERTURE_CA_BUNDLE", tls_server["cert"])
    kwargs = {"ca_bundle": tls_server["cert"]} if "ca_bundle" in ApertureApi.model_fields else {}
    info = ApertureApi(retries=0, **kwargs).client().token_info()
    assert info["token_type"] == "bearer"


# ------------------------------------------------------------------------------- simulator


def _local_non_loopback_ips() -> list[str]:
    ips = []
    for addrs in psutil.net_if_addrs().values():
        for a in addrs:
            if a.family == socket.AF_INET and not a.address.startswith("127."):
                ips.append(a.address)
    return ips


def test_simulator_binds_loopback_only():
    with Simulator(SimConfig(days=1, forcepoint_events_per_day=1, aperture_backlog_per_type=0), port=0) as sim:
        assert sim.address == ("127.0.0.1", sim.port)
        assert sim.base_url.startswith("http://127.0.0.1:")
        for ip in _local_non_loopback_ips():
            with pytest.raises(OSError):
                socket.create_connection((ip, sim.port), timeout=2).close()


def test_simulator_command_listens_on_loopback_only(tmp_path):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "log_assets.simulator",
            "--port",
            "0",
            "--days",
            "1",
            "--events-per-day",
            "1",
            "--aperture-backlog",
            "0",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "serving on" in line or not line:
                break
        assert "serving on http://127.0.0.1:" in line, line
        listening = []
        for _ in range(50):
            listening = [
                c for c in psutil.Process(proc.pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN
            ]
            if listening:
                break
            time.sleep(0.1)
        assert listening and all(c.laddr.ip == "127.0.0.1" for c in listening), listening
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------- credentials not config


@pytest.mark.parametrize("resource", [ForcepointResource, ApertureApi])
def test_resources_have_no_credential_fields(resource):
    bad = [
        f
        for f in resource.model_fields
        if any(w in f.lower() for w in ("token", "password", "secret", "client_id", "username"))
    ]
    assert not bad, f"{resource.__name__} takes credentials as config: {bad}"


def test_credential_reprs_hide_the_secret():
    assert "tok-ABC123" not in repr(ForcepointCredentials(token="tok-ABC123"))
    assert "pw:ABC123" not in repr(ForcepointCredentials(username="u", password="pw:ABC123"))
    assert "sec-ABC123" not in repr(ApertureCredentials("client", "sec-ABC123"))


def test_missing_credentials_send_nothing(simulator, tmp_path, clean_env):
    """Every source asked to run without its credentials names the variable and sends no request."""
    import dagster as dg

    from log_assets.defs.aperture.assets import aperture_spool
    from log_assets.defs.forcepoint.assets import FORCEPOINT_ASSETS
    from log_assets.defs.resources import LogAssetsHome

    sim = simulator(days=2, forcepoint_events_per_day=10, aperture_backlog_per_type=5, long_poll=0.1, env=False)
    seen = []
    orig = sim.faults.take
    sim.faults.take = lambda *a: (seen.append(a), orig(*a))[1]
    env = sim.env()
    clean_env.setenv("FORCEPOINT_API_URL", env["FORCEPOINT_API_URL"])
    clean_env.setenv("APERTURE_API_URL", env["APERTURE_API_URL"])
    clean_env.setenv("APERTURE_CLIENT_ID", env["APERTURE_CLIENT_ID"])
    home = LogAssetsHome(root=str(tmp_path))
    fp = dg.materialize(
        [FORCEPOINT_ASSETS[0]],
        partition_key="2026-11-20",
        resources={"forcepoint": ForcepointResource(), "home": home},
        raise_on_error=False,
    )
    ap = dg.materialize(
        [aperture_spool], resources={"aperture": ApertureApi(), "home": home}, raise_on_error=False
    )
    assert not fp.success and not ap.success
    texts = " ".join(str(e.event_specific_data) for r in (fp, ap) for e in r.all_events if e.is_failure)
    assert "FORCEPOINT_API_TOKEN" in texts and "APERTURE_CLIENT_SECRET" in texts
    assert not seen, f"requests were sent without credentials: {seen}"
