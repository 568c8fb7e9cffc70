"""Broken or hostile servers, and credentials that must neither leak nor move.

Every case talks real HTTP to a small scripted server on 127.0.0.1 (or, for a failed name lookup, to
a name the test makes unresolvable): quota is spent only on requests that may have reached a server;
a refused connection or a failed lookup fails within seconds; redirects are refused naming their
target; a long Retry-After, an oversized or a trickling answer end with a clear error and the
position saved; the Aperture drain keeps its time budget with reads in flight; credential values are
stripped and validated, never echoed, and go only to the URL the environment names.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
import tracemalloc
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

import dagster as dg
import pytest
import requests

from log_assets import http
from log_assets.aperture.client import (
    ApertureClient,
    ApertureError,
    AuthError,
    CredentialFormatError,
)
from log_assets.aperture.client import ApiError as ApertureApiError
from log_assets.aperture.client import Credentials as ApertureCredentials
from log_assets.aperture.drain import JOIN_GRACE_SECONDS, DrainError, drain
from log_assets.aperture.spool import Spool
from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.defs.aperture.resources import ApertureApi
from log_assets.defs.forcepoint.resources import ForcepointResource
from log_assets.defs.resources import LogAssetsHome
from log_assets.forcepoint.client import (
    ApiError,
    ConfigError,
    Credentials,
    ForcepointClient,
    ForcepointError,
    RequestTimedOut,
    ResponseTooLarge,
)
from log_assets.forcepoint.client import RetryLater as ForcepointRetryLater
from log_assets.forcepoint.quota import DatabaseQuotaBudget
from log_assets.paths import Home
from log_assets.state import StateStore
from tests.aperture.fake_api import FakeAperture
from tests.infra.fake_http import FakeHandler, FakeServer
from tests.pipeline_state import todays_count

pytestmark = pytest.mark.timeout(300)

ACCESS = FORCEPOINT_TYPES["access"]
START = "2026-11-20T00:00:00Z"
FP_PATH = "/api/bitglassapi/logs/v1/"
TOKEN = "fpTOKEN-hostile-8f3Kq2"
HANG = 30.0  # any case below that takes this long is a hang


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for k in list(os.environ):
        if k.startswith(("FORCEPOINT_", "APERTURE_")) or k.lower() in (
            "http_proxy",
            "https_proxy",
            "all_proxy",
            "no_proxy",
            "netrc",
        ):
            monkeypatch.delenv(k)
    return monkeypatch


def envelope(data, token="") -> bytes:
    return json.dumps(
        {
            "status": "Request was successful",
            "nextpagetoken": token,
            "response": {"dataformat": "json", "dataencoding": "utf-8", "data": data},
        }
    ).encode()


class Server:
    """HTTP on 127.0.0.1: every request is recorded, then answered by `script(handler)`."""

    def __init__(self, script=None):
        self.script = script or (lambda h: h.answer(200, envelope([])))
        self.requests: list[dict] = []
        self.sent = 0  # body bytes written by stream() / trickle()
        self.stop = threading.Event()
        outer = self

        class Handler(FakeHandler):
            def answer(self, status, body=b"", headers=None):
                super().answer(status, body, headers, content_type=None)  # only what the script says

            def stream(self, total: int, declare: bool):
                """A 200 of `total` bytes, written 1 MiB at a time (never held whole)."""
                self.send_response(200)
                if declare:
                    self.send_header("Content-Length", str(total))
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                block = b"x" * http.MiB
                while outer.sent < total and not outer.stop.is_set():
                    self.wfile.write(block)
                    outer.sent += len(block)
                self.close_connection = True

            def trickle(self, data: bytes, every: float):
                """`data` a few bytes at a time, far slower than any whole deadline."""
                for i in range(0, len(data), 4):
                    if outer.stop.wait(every):
                        return
                    self.wfile.write(data[i : i + 4])
                    self.wfile.flush()
                    outer.sent += len(data[i : i + 4])
                self.close_connection = True

            def _any(self):
                self.read_body()
                q = self.query()
                outer.requests.append(
                    {"method": self.command, "path": self.path, "query": q, "headers": dict(self.headers)}
                )
                try:
                    outer.script(self)
                except OSError:  # the client went away: what hostile servers see
                    self.close_connection = True

            do_GET = do_POST = _any

        self.server = FakeServer(Handler)

    @property
    def url(self) -> str:
        return self.server.url()

    @property
    def fp_url(self) -> str:
        return self.url + FP_PATH

    def __enter__(self):
        self.server.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.server.stop()


def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def fp_client(url: str, store: StateStore, credentials: Credentials | None = None, **kw):
    budget = DatabaseQuotaBudget(store, "access")
    client = ForcepointClient(
        url,
        credentials or Credentials(token=TOKEN),
        charge=budget.charge,
        observe=budget.observe,
        **kw,
    )
    return client, budget


def retry_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if " retry " in r.getMessage()]


# ------------------------------------------------------------------ 1. quota only for real requests


def test_a_refused_connection_is_not_charged_and_fails_within_seconds(state_store, caplog):
    """Default settings (retries=4, backoff=1): nothing listens at the URL."""
    client, budget = fp_client(f"http://127.0.0.1:{free_port()}{FP_PATH}", state_store)
    t0 = time.monotonic()
    with caplog.at_level("WARNING"), pytest.raises(ForcepointError) as e:
        client.fetch(ACCESS, startdate=START)
    took = time.monotonic() - t0
    print(f"refused connection: {budget.spent_today} requests charged, {took:.1f} s: {e.value}")
    assert budget.spent_today == 0 and client.requests_sent == 0
    assert "Connection refused" in str(e.value) and "no request was counted" in str(e.value)
    assert took < HANG
    lines = retry_lines(caplog)
    assert lines and all("Connection refused" in x and " s" in x for x in lines), lines
    assert "retry 2 in 2.0 s" in lines[-1]  # each retry says why and how long it waits


def test_a_failed_name_lookup_is_not_retried_nor_charged(state_store, monkeypatch):
    lookups = []
    real = socket.getaddrinfo

    def getaddrinfo(host, *a, **k):
        if host == "portal.unresolvable.test":
            lookups.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *a, **k)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    client, budget = fp_client(f"https://portal.unresolvable.test{FP_PATH}", state_store)
    with pytest.raises(ForcepointError, match="cannot resolve the host name portal.unresolvable.test") as e:
        client.fetch(ACCESS, startdate=START)
    assert lookups == ["portal.unresolvable.test"], "a failed lookup was retried"
    assert budget.spent_today == 0 and "no request was counted" in str(e.value)


def test_a_failed_tls_handshake_is_not_charged(state_store):
    """The server speaks plain HTTP where the client expects TLS: the handshake fails, nothing is sent."""
    received: list[bytes] = []
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    received.append(conn.recv(65536))
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass

    threading.Thread(target=serve, daemon=True).start()
    try:
        client, budget = fp_client(f"https://127.0.0.1:{srv.getsockname()[1]}{FP_PATH}", state_store)
        with pytest.raises(ForcepointError, match="(?i)tls|ssl") as e:
            client.fetch(ACCESS, startdate=START)
    finally:
        srv.close()
    assert received and all(not r.startswith((b"GET", b"POST")) for r in received)  # only a ClientHello
    assert budget.spent_today == 0 and "no request was counted" in str(e.value)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_refused_naming_its_target_and_charged(status, state_store):
    with Server() as target:
        where = target.url + "/collect?from=redirect"
        with Server(lambda h: h.answer(status, b"", {"Location": where})) as api:
            client, budget = fp_client(
                api.fp_url, state_store, credentials=Credentials(username="u", password="pw-1")
            )
            with pytest.raises(ApiError) as e:
                client.fetch(ACCESS, startdate=START)
    assert e.value.status == status and f"redirect to {where} refused" in str(e.value)
    assert "FORCEPOINT_API_URL" in str(e.value)
    assert target.requests == [], "the credentials followed a redirect"
    assert budget.spent_today == 1 and len(api.requests) == 1  # it reached the server: it counts


def test_a_retry_after_beyond_the_cap_is_not_waited_for(state_store):
    with Server(lambda h: h.answer(503, b'{"status": "maintenance"}', {"Retry-After": "3600"})) as api:
        client, budget = fp_client(api.fp_url, state_store, backoff=0.01)
        t0 = time.monotonic()
        with pytest.raises(ForcepointRetryLater) as e:
            client.fetch(ACCESS, startdate=START)
    msg = str(e.value)
    assert time.monotonic() - t0 < HANG
    assert "retry after 3600 s" in msg and "retry_after_max (300 s)" in msg and "run again after" in msg
    assert e.value.retry_at in msg and "maintenance" in msg
    assert len(api.requests) == 1 and budget.spent_today == 1  # no retry


def test_a_retry_after_within_the_cap_is_waited_for_and_logged(state_store, caplog):
    answers = [(503, {"Retry-After": "1"}), (200, {})]

    def script(h):
        status, headers = answers.pop(0)
        h.answer(status, envelope([]) if status == 200 else b"{}", headers)

    with Server(script) as api, caplog.at_level("WARNING"):
        client, budget = fp_client(api.fp_url, state_store, backoff=0.01)
        page = client.fetch(ACCESS, startdate=START)
    assert page.status == 200 and len(api.requests) == 2 and budget.spent_today == 2
    assert retry_lines(caplog) == ["Forcepoint: HTTP 503; retry 1 in 1.0 s (as the server asked with Retry-After)"]


def test_a_retry_after_date_beyond_the_cap_is_read_too(state_store):
    import email.utils

    when = email.utils.formatdate(time.time() + 7200, usegmt=True)
    with Server(lambda h: h.answer(503, b"{}", {"Retry-After": when})) as api:
        client, _ = fp_client(api.fp_url, state_store, retry_after_max=60)
        with pytest.raises(ForcepointRetryLater, match=r"retry_after_max \(60 s\)"):
            client.fetch(ACCESS, startdate=START)
    assert len(api.requests) == 1


# ---------------------------------------------------------------------- 2. bounded responses


def _gzip_bomb(h, total: int) -> None:
    """A small gzip body that inflates to `total` bytes."""
    import zlib

    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    data = b"".join(co.compress(b"\0" * http.MiB) for _ in range(total // http.MiB)) + co.flush()
    h.answer(200, data, {"Content-Encoding": "gzip"})


@pytest.mark.parametrize("declare", [True, False, "gzip"], ids=["content-length", "no-length", "gzip-bomb"])
def test_a_300_mb_answer_is_never_held_in_memory(declare, state_store):
    total = 300 * http.MiB
    limit = 4 * http.MiB
    script = (lambda h: _gzip_bomb(h, total)) if declare == "gzip" else (lambda h: h.stream(total, bool(declare)))
    with Server(script) as api:
        client, budget = fp_client(api.fp_url, state_store, max_response_bytes=limit)
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLarge, match="max_response_bytes") as e:
                client.fetch(ACCESS, startdate=START)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        client.close()
    print(f"300 MB answer ({declare}): peak {peak / http.MiB:.1f} MiB: {e.value}")
    assert peak < limit + 16 * http.MiB, f"{peak} bytes held for a {limit}-byte limit"
    assert declare == "gzip" or api.sent < total, "the client read the whole answer"
    assert budget.spent_today == 1


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_trickling_answer_ends_at_the_total_deadline(where, state_store):
    """One byte every 0.2 s never trips a 30 s read timeout; the 2 s deadline for the whole request does."""

    def script(h):
        if where == "headers":
            h.wfile.write(b"HTTP/1.1 200 OK\r\n")
            h.trickle(b"X-Slow: " + b"y" * 4000 + b"\r\n\r\n", 0.2)
        else:
            body = envelope([{"n": i} for i in range(200)])
            h.send_response(200)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.trickle(body, 0.2)

    with Server(script) as api:
        client, budget = fp_client(api.fp_url, state_store, read_timeout=30, request_deadline=2, retries=2)
        t0 = time.monotonic()
        with pytest.raises(RequestTimedOut, match=r"request_deadline \(2 s\)") as e:
            client.fetch(ACCESS, startdate=START)
        took = time.monotonic() - t0
    print(f"trickling {where}: ended after {took:.1f} s: {e.value}")
    assert took < HANG and "position is saved" in str(e.value)
    assert budget.spent_today == 1 and len(api.requests) == 1


def _day() -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() - 2 * 86400))


def _records(day: str) -> list[dict]:
    t = time.strftime("%d %b %Y", time.strptime(day, "%Y-%m-%d"))
    return [
        {
            "time": f"{t} 10:00:0{i}",
            "transactionid": f"tx-{i} [{t} 10:00:0{i}]",
            "user": f"user{i}@example.com",
            "action": "Allow",
        }
        for i in range(3)
    ]


MISBEHAVE = {
    "retry-after": (lambda h: h.answer(503, b"{}", {"Retry-After": "86400"}), "retry after 86400 s"),
    "too-large": (lambda h: h.stream(300 * http.MiB, declare=False), "max_response_bytes"),
    "trickle": (
        lambda h: (
            h.send_response(200),
            h.send_header("Content-Length", "9000"),
            h.end_headers(),
            h.trickle(b"z" * 9000, 0.2),
        ),
        "request_deadline",
    ),
}


@pytest.mark.parametrize("case", list(MISBEHAVE))
def test_a_run_keeps_its_position_when_the_server_misbehaves(case, tmp_path, clean_env):
    """Page 1 lands; the request for page 2 misbehaves: the run fails with the reason and its metadata,
    and the next run continues from page 2's token (not from the start)."""
    from log_assets.defs.forcepoint.assets import FORCEPOINT_ASSETS

    misbehave, says = MISBEHAVE[case]
    state = {"bad": True}
    day = _day()

    def script(h):
        q = {k: v[0] for k, v in parse_qs(urlsplit(h.path).query).items()}
        if "startdate" in q:
            return h.answer(200, envelope(_records(day), token="tok-page-2"))
        if state["bad"]:
            return misbehave(h)
        return h.answer(200, envelope([], token="tok-page-2"))

    asset = next(a for a in FORCEPOINT_ASSETS if a.key.path[-1] == "access")
    home = tmp_path / "home"
    resource = ForcepointResource(retries=0, max_response_bytes=http.MiB, request_deadline=3)
    with Server(script) as api:
        clean_env.setenv("FORCEPOINT_API_URL", api.fp_url)
        clean_env.setenv("FORCEPOINT_API_TOKEN", TOKEN)
        run = lambda: dg.materialize(  # noqa: E731
            [asset],
            partition_key=day,
            raise_on_error=False,
            resources={"forcepoint": resource, "home": LogAssetsHome(root=str(home))},
        )
        first = run()
        state["bad"] = False
        n = len(api.requests)
        second = run()
    assert not first.success
    fail = next(e for e in first.all_events if e.is_step_failure)
    err = fail.step_failure_data.user_failure_data
    print(f"{case}: {err.description}")
    assert says in err.description and "position is saved" in err.description
    md = {k: v.value for k, v in err.metadata.items()}
    assert md["requests_this_run"] == 2 and md["pages"] == 1
    assert second.success
    assert api.requests[n]["query"].get("nextpagetoken") == "tok-page-2", "the position was lost"
    assert "startdate" not in api.requests[n]["query"]


# ---------------------------------------------------------------------- Aperture: the drain budget


def _event(n: int) -> dict:
    return {"log_type": "incident", "timestamp": "2026-11-20T10:00:00Z", "incident_id": f"inc-{n}", "serial": None}


def _body(n_events: int, start: int = 0) -> bytes:
    return json.dumps({"events": [_event(start + i) for i in range(n_events)]}).encode()


@pytest.fixture
def fake():
    with FakeAperture() as f:
        yield f


@pytest.fixture
def home(tmp_path) -> Home:
    return Home.from_env(tmp_path / "home")


def _quarantined(home: Home) -> dict[str, bytes]:
    q = home.root / "quarantine" / "aperture"
    return {p.name: p.read_bytes() for p in q.iterdir() if not p.name.endswith(".note.json")} if q.exists() else {}


def test_the_drain_budget_holds_with_a_trickling_read_in_flight(fake, home):
    """A popped batch that trickles in for a minute: the drain ends at budget + one read timeout and
    keeps the bytes that arrived (quarantined as truncated)."""
    body = _body(100)
    sent = bytearray()
    stop = threading.Event()

    def hook(h):
        if not h.path.startswith("/api/"):
            return False
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        for i in range(0, len(body), 8):
            if stop.wait(0.1):
                break
            h.wfile.write(body[i : i + 8])
            h.wfile.flush()
            sent.extend(body[i : i + 8])
        return True

    fake.get_hook = hook
    client = ApertureClient.from_env(environ=fake.env(), read_timeout=3, backoff_factor=0.01)
    t0 = time.monotonic()
    try:
        report = drain(client, Spool(home), budget_seconds=1, readers=1)
    finally:
        stop.set()
    took = time.monotonic() - t0
    print(f"trickling read: drain ended after {took:.1f} s (budget 1 s + read timeout 3 s): {report.errors}")
    assert took < HANG
    assert report.bodies_truncated == 1 and report.readers_abandoned == 0
    (partial,) = _quarantined(home).values()
    assert partial and bytes(sent).startswith(partial), "the bytes that arrived were not kept"


def test_the_drain_budget_holds_with_a_long_poll_that_never_answers(fake, home):
    """Headers never come: each read timeout (8 s) would be retried 4 times; the hard deadline
    (budget 1 s + one read timeout) ends it instead."""
    stop = threading.Event()

    def hook(h):
        if h.path.startswith("/api/"):
            stop.wait(60)
            return True
        return False

    fake.get_hook = hook
    client = ApertureClient.from_env(environ=fake.env(), read_timeout=8, backoff_factor=0.01)
    t0 = time.monotonic()
    try:
        report = drain(client, Spool(home), budget_seconds=1, readers=2)
    finally:
        stop.set()
    took = time.monotonic() - t0
    print(f"silent long poll: drain ended after {took:.1f} s: {report.errors}")
    assert took < 1 + 8 + JOIN_GRACE_SECONDS + 10
    assert report.readers_abandoned == 0 and report.read_errors >= 1
    assert any("deadline" in e for e in report.errors), report.errors


def test_an_oversized_aperture_body_keeps_its_start_and_the_drain_goes_on(fake, home):
    big, small = _body(2000), _body(3, start=5000)
    fake.bodies.extend([big, small])
    limit = 64 * 1024
    client = ApertureClient.from_env(environ=fake.env(), max_response_bytes=limit, backoff_factor=0.01)
    report = drain(client, Spool(home), budget_seconds=20, readers=1)
    assert len(big) > limit and report.bodies_truncated == 1
    assert report.stop_reason == "empty" and report.sort.events == 3  # the next body landed
    (partial,) = _quarantined(home).values()
    assert partial == big[:limit]
    assert any("max_response_bytes" in e for e in report.errors)


def test_a_long_retry_after_stops_the_drain_saying_when(fake, home):
    fake.add_events([_event(1)])
    fake.scripted.append((429, b'{"error": "slow down"}', {"Retry-After": "3600"}))
    client = ApertureClient.from_env(environ=fake.env(), backoff_factor=0.01)
    with pytest.raises(DrainError) as e:
        drain(client, Spool(home), budget_seconds=20, readers=1)
    assert "wait 3600 s" in str(e.value) and "run again after" in str(e.value)
    assert len(fake.reads()) == 1 and len(fake.bodies) == 1  # asked once, nothing popped


def test_an_aperture_redirect_is_refused_and_the_credentials_stay(fake):
    with Server() as target:
        fake.post_hook = lambda h: (h.answer(307, b"", {"Location": target.url + "/oauth/token"}), True)[1]
        client = ApertureClient.from_env(environ=fake.env())
        with pytest.raises(ApertureApiError, match=f"redirect to {target.url}/oauth/token refused"):
            client.token()
    assert target.requests == []


# --------------------------------------------------------------- 3. credentials: no leak, no move


def test_forcepoint_credentials_are_stripped_and_checked_without_echo(state_store):
    c = Credentials.from_env({"FORCEPOINT_API_TOKEN": f"  {TOKEN}\n"})
    assert c.token == TOKEN
    with Server() as api:
        client, _ = fp_client(api.fp_url, state_store, credentials=c)
        client.fetch(ACCESS, startdate=START)
    assert api.requests[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    for env, var in [
        ({"FORCEPOINT_API_TOKEN": "fpTOKEN-abc\n123XYZ"}, "FORCEPOINT_API_TOKEN"),
        ({"FORCEPOINT_USERNAME": "admin", "FORCEPOINT_PASSWORD": "pw-abc\t123XYZ"}, "FORCEPOINT_PASSWORD"),
        ({"FORCEPOINT_USERNAME": "adm\x00in-user", "FORCEPOINT_PASSWORD": "pw-abc123XYZ"}, "FORCEPOINT_USERNAME"),
    ]:
        with pytest.raises(ConfigError, match=var) as e:
            Credentials.from_env(env)
        assert "abc" not in str(e.value) and "123XYZ" not in str(e.value) and "in-user" not in str(e.value)
        assert "control character" in str(e.value)
    with pytest.raises(ConfigError, match="FORCEPOINT_API_TOKEN") as e:
        ForcepointClient("http://127.0.0.1:9/", Credentials(token="tok-abc\r\nX: 123XYZ"))
    assert "123XYZ" not in str(e.value)


def test_a_token_with_a_trailing_newline_works_through_the_resource(state_store, clean_env):
    with Server() as api:
        clean_env.setenv("FORCEPOINT_API_URL", api.fp_url)
        clean_env.setenv("FORCEPOINT_API_TOKEN", TOKEN + "\n")
        resource = ForcepointResource(retries=0)
        with resource.client(resource.budget(state_store, ACCESS)) as client:
            client.fetch(ACCESS, startdate=START)
    assert api.requests[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"


def test_aperture_credentials_are_stripped_and_checked_without_echo(fake):
    env = {**fake.env(), "APERTURE_CLIENT_SECRET": f"\t{fake.client_secret}\r\n"}
    assert ApertureClient.from_env(environ=env).token() == "tok-1"
    env["APERTURE_CLIENT_SECRET"] = "apSECRET-abc\r\n123XYZ"
    with pytest.raises(CredentialFormatError, match="APERTURE_CLIENT_SECRET") as e:
        ApertureClient.from_env(environ=env)
    assert "abc" not in str(e.value) and "123XYZ" not in str(e.value)
    with pytest.raises(CredentialFormatError, match="APERTURE_CLIENT_SECRET"):
        ApertureClient(fake.url, ApertureCredentials("cid", "sec\nret-123XYZ"))
    assert len(fake.requests) == 1


def test_a_server_issued_token_with_a_newline_is_refused_and_not_echoed(fake, home):
    issued = "eyJhbGciOi.payload-9Xq\r\nX-Injected: yes"
    fake.issue_token = issued
    fake.add_events([_event(1)])
    client = ApertureClient.from_env(environ=fake.env())
    with pytest.raises(ApertureApiError, match="token response unusable") as e:
        drain(client, Spool(home), budget_seconds=5)
    assert "payload-9Xq" not in str(e.value) and "Injected" not in str(e.value)
    assert fake.reads() == [] and len(fake.bodies) == 1  # never sent, nothing popped


def _forms(user: str, password: str) -> dict[str, str]:
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {
        "value": password,
        "url-encoded": quote(password, safe=""),
        "plus-encoded": quote_plus(password),
        "basic": basic,
    }


def test_whatever_a_server_echoes_no_message_holds_a_secret(state_store):
    """A hostile server echoes the credentials (as is, URL-encoded, as the Basic header it got) in its
    error text, a redirect target and rate headers: the user's messages hold none of it."""
    user, password = "fp-admin", "pw:S3cr3t/+ &x"
    forms = _forms(user, password)
    echo = " ".join(forms.values())

    answers = [
        lambda h: h.answer(
            400, json.dumps({"status": f"bad request {echo} {h.headers['Authorization']}"}).encode()
        ),
        lambda h: h.answer(302, b"", {"Location": f"https://elsewhere.example/?p={forms['url-encoded']}"}),
        lambda h: h.answer(429, json.dumps({"message": echo}).encode(), {"X-RateLimit-Reset": forms["basic"]}),
        lambda h: h.answer(200, b"{" + echo.encode()),
    ]
    messages = []
    with Server(lambda h: answers.pop(0)(h)) as api:
        client, _ = fp_client(api.fp_url, state_store, credentials=Credentials(username=user, password=password))
        for _ in range(4):
            with pytest.raises(ForcepointError) as e:
                client.fetch(ACCESS, startdate=START)
            messages.append(str(e.value))
    for m in messages:
        leaked = [k for k, f in forms.items() if f in m]
        assert not leaked, f"{leaked} in {m!r}"
    assert all("***" in m for m in messages[:3]), messages


def test_an_aperture_server_echoing_the_secret_or_a_token_leaks_nothing(fake):
    forms = _forms(fake.client_id, fake.client_secret)
    fake.post_hook = lambda h: (
        h.answer(
            401, json.dumps({"error": "unauthorized", "error_description": " ".join(forms.values())}).encode()
        ),
        True,
    )[1]
    client = ApertureClient.from_env(environ=fake.env(), retries=0)
    with pytest.raises(AuthError) as e:
        client.token()
    assert not [k for k, f in forms.items() if f in str(e.value)], str(e.value)
    fake.post_hook = None
    token = client.token()
    fake.get_hook = lambda h: (
        h.answer(500, json.dumps({"message": f"bad {h.headers['Authorization']} {token}"}).encode()),
        True,
    )[1]
    with pytest.raises(ApertureApiError) as e:
        client.read_bulk(client.session())
    assert token not in str(e.value) and "***" in str(e.value)


def test_the_redaction_helper_covers_every_form_whatever_raised_it():
    s = http.Secrets()
    s.add_basic("user", "p@ss: w/rd+1")
    s.add("tok-ABCDEFGH123")
    text = (
        "p@ss: w/rd+1 | "
        + quote("p@ss: w/rd+1", safe="")
        + " | "
        + quote_plus("p@ss: w/rd+1")
        + " | "
        + base64.b64encode(b"user:p@ss: w/rd+1").decode()
        + " | tok-ABCDEFGH123 | "
        + repr("tok-ABCDEFGH123")
    )
    out = s.redact(text)
    assert "p@ss" not in out and "ABCDEFGH" not in out and "dXNlcjpw" not in out and "w%2Frd" not in out
    # requests' own message for a header with a newline quotes the whole value
    err = requests.exceptions.InvalidHeader(
        "Invalid return character in header value: 'Bearer tok-ABCDEFGH123\\n'"
    )
    assert "ABCDEFGH" not in s.describe(err) and "InvalidHeader" in s.describe(err)
    short = http.Secrets()
    short.add("t")
    assert short.redact("connection to host t failed: timeout") == "connection to host *** failed: timeout"


AMBIGUOUS = [
    "http://host\\@127.0.0.1/",  # 127.0.0.1 to urllib.parse, `host` to urllib3 (where requests connects)
    "http://user:pw@127.0.0.1/",  # user info in the URL
    "http://127.0.0.1%2f@evil.example/",
    "http://127.0.0.1 /",
    "http://127.0.0.1/\nHost: evil.example",
    "ftp://127.0.0.1/",
]


@pytest.mark.parametrize("url", AMBIGUOUS)
def test_urls_are_read_as_the_http_library_reads_them_and_ambiguity_refused(url, monkeypatch):
    attempts = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: attempts.append(a) or [])
    with pytest.raises(http.InsecureUrlError):
        http.check_url(url, "FORCEPOINT_API_URL")
    with pytest.raises(ConfigError):
        ForcepointClient(url, Credentials(token=TOKEN))
    with pytest.raises(ApertureError):
        ApertureClient(url, ApertureCredentials("cid", "secret-1"))
    assert not attempts


def test_the_plain_http_refusal_names_the_override():
    with pytest.raises(ConfigError) as e:
        ForcepointClient("http://logs.example/", Credentials(token=TOKEN))
    assert "FORCEPOINT_ALLOW_INSECURE_HTTP=1" in str(e.value) and "allow_insecure_http" in str(e.value)
    with pytest.raises(ApertureError) as e2:
        ApertureClient("http://logs.example", ApertureCredentials("cid", "secret-1"))
    assert "APERTURE_ALLOW_INSECURE_HTTP=1" in str(e2.value) and "allow_insecure_http" in str(e2.value)


def test_sessions_ignore_proxy_variables_and_netrc_unless_asked(tmp_path, clean_env, fake, state_store):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login netrc-user password netrc-pass\n")
    netrc.chmod(0o600)
    with Server() as proxy, Server() as api:
        for k in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
            clean_env.setenv(k, proxy.url)
        clean_env.setenv("NETRC", str(netrc))
        client, _ = fp_client(api.fp_url, state_store)
        assert client.session.trust_env is False
        client.fetch(ACCESS, startdate=START)
        ApertureClient.from_env(environ=fake.env()).token()
        assert proxy.requests == [] and len(api.requests) == 1 and len(fake.requests) == 1
        assert api.requests[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"
        opted, _ = fp_client(api.fp_url, state_store, trust_env=True)
        opted.fetch(ACCESS, startdate=START)
        assert len(proxy.requests) == 1 and proxy.requests[0]["path"].startswith(api.url)


def test_run_config_cannot_send_the_credentials_elsewhere(tmp_path, clean_env, fake):
    from log_assets.defs.aperture.assets import aperture_spool
    from log_assets.defs.forcepoint.assets import FORCEPOINT_ASSETS

    asset = next(a for a in FORCEPOINT_ASSETS if a.key.path[-1] == "access")
    home = LogAssetsHome(root=str(tmp_path / "home"))
    with Server() as api, Server() as elsewhere:
        clean_env.setenv("FORCEPOINT_API_URL", api.fp_url)
        clean_env.setenv("FORCEPOINT_API_TOKEN", TOKEN)
        for k, v in fake.env().items():
            clean_env.setenv(k, v)

        def fp(config):
            return dg.materialize(
                [asset],
                partition_key=_day(),
                raise_on_error=False,
                resources={"forcepoint": ForcepointResource(retries=0), "home": home},
                run_config={"resources": {"forcepoint": {"config": config}}},
            )

        moved = fp({"api_url": elsewhere.fp_url})
        insecure = fp({"allow_insecure_http": True})
        ap = dg.materialize(
            [aperture_spool],
            raise_on_error=False,
            resources={"aperture": ApertureApi(retries=0), "home": home},
            run_config={"resources": {"aperture": {"config": {"api_url": elsewhere.url}}}},
        )
        assert elsewhere.requests == [] and api.requests == [] and fake.requests == []
        same = fp({"api_url": api.fp_url})  # the environment's own value is accepted
    texts = [
        " ".join(str(e.event_specific_data) for e in r.all_events if e.is_failure) for r in (moved, insecure, ap)
    ]
    assert not moved.success and "FORCEPOINT_API_URL" in texts[0] and "deployment setting" in texts[0]
    assert not insecure.success and "FORCEPOINT_ALLOW_INSECURE_HTTP" in texts[1]
    assert not ap.success and "APERTURE_API_URL" in texts[2] and "deployment setting" in texts[2]
    assert same.success and len(api.requests) == 1


def test_a_run_against_a_refused_connection_spends_no_quota(tmp_path, clean_env):
    """The acceptance case end to end, with the resource's defaults: no request counted, over in seconds."""
    from log_assets.defs.forcepoint.assets import FORCEPOINT_ASSETS

    asset = next(a for a in FORCEPOINT_ASSETS if a.key.path[-1] == "access")
    home = tmp_path / "home"
    clean_env.setenv("FORCEPOINT_API_URL", f"http://127.0.0.1:{free_port()}{FP_PATH}")
    clean_env.setenv("FORCEPOINT_API_TOKEN", TOKEN)
    t0 = time.monotonic()
    res = dg.materialize(
        [asset],
        partition_key=_day(),
        raise_on_error=False,
        resources={"forcepoint": ForcepointResource(), "home": LogAssetsHome(root=str(home))},
    )
    assert time.monotonic() - t0 < HANG
    assert not res.success
    text = " ".join(str(e.event_specific_data) for e in res.all_events if e.is_failure)
    assert "Connection refused" in text and "no request was counted" in text
    assert todays_count(home, "access").spent == 0
