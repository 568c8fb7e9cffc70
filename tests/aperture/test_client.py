import json
import time

import pytest

from log_assets.aperture.client import (
    REGIONS,
    ApertureClient,
    ApertureError,
    AuthError,
    Credentials,
    MissingCredentialsError,
    TruncatedBody,
    resolve_api_url,
)
from log_assets.aperture.drain import DrainError, drain
from log_assets.aperture.land import land_day
from log_assets.aperture.spool import Spool

from .conftest import make_event
from .helpers import canonical_id, lake_rows, quarantined_bodies


def client_for(fake, **kw) -> ApertureClient:
    kw.setdefault("backoff_factor", 0.01)
    return ApertureClient.from_env(environ=fake.env(), **kw)


def test_regions_and_urls():
    assert resolve_api_url(None) == "https://api.aperture.paloaltonetworks.com"
    assert resolve_api_url("eu") == "https://api.aperture-eu.paloaltonetworks.com"
    assert resolve_api_url("JP1") == "https://api.jp1.prisma-saas.paloaltonetworks.com"
    assert resolve_api_url("http://127.0.0.1:9/") == "http://127.0.0.1:9"
    assert set(REGIONS) == {"us", "eu", "apac", "uk", "in1", "au1", "uk2", "jp1"}
    with pytest.raises(ApertureError, match="APERTURE_API_URL"):
        resolve_api_url("mars")


@pytest.mark.parametrize("missing", ["APERTURE_CLIENT_ID", "APERTURE_CLIENT_SECRET"])
def test_missing_credentials_name_the_variable_and_send_nothing(fake, missing):
    env = fake.env()
    env[missing] = " "
    with pytest.raises(MissingCredentialsError, match=missing) as e:
        ApertureClient.from_env(environ=env)
    assert e.value.variable == missing
    assert fake.requests == []


def test_secret_never_in_repr_or_errors(fake):
    creds = Credentials("cid", "s3cret-value")
    assert "s3cret" not in repr(creds)
    bad = ApertureClient(fake.url, Credentials("cid", "wrong-secret"))
    with pytest.raises(AuthError) as e:
        bad.token()
    assert "wrong-secret" not in str(e.value) and "Basic" not in str(e.value)
    assert "APERTURE_CLIENT_ID" in str(e.value)


def test_token_request_shape_and_cache(fake):
    c = client_for(fake)
    assert c.token() == c.token() == "tok-1"
    (req,) = fake.requests
    assert req["path"] == "/oauth/token" and req["auth"].startswith("Basic ")
    assert req["form"] == {"grant_type": ["client_credentials"], "scope": ["api_access"]}


def test_token_refreshed_before_expiry(fake):
    fake.expires_in = 1  # margin is min(60 s, half the lifetime)
    c = client_for(fake)
    assert c.token() == "tok-1"
    time.sleep(0.6)
    assert c.token() == "tok-2"


def test_missing_expires_in_never_expires(fake, monkeypatch):
    fake.expires_in = None
    c = client_for(fake)
    c.token()
    real = time.monotonic
    monkeypatch.setattr(time, "monotonic", lambda: real() + 10 * 86400)
    assert c.token() == "tok-1" and len(fake.tokens) == 1


def test_401_on_read_refreshes_once_then_retries(fake):
    ev = make_event()
    fake.add_events([ev])
    c = client_for(fake)
    s = c.session()
    c.token(s)
    fake.revoked.add("tok-1")
    status, body = c.read_bulk(s)
    assert status == 200 and json.loads(body)["events"] == [ev]
    assert fake.tokens == ["tok-1", "tok-2"]
    # Every fresh token refused as well: one refresh, then a clear error.
    fake.revoked.add("tok-2")
    fake.refuse_new_tokens = True
    with pytest.raises(AuthError):
        c.read_bulk(s)
    assert len(fake.reads()) == 4 and fake.tokens == ["tok-1", "tok-2", "tok-3"]


def test_transient_statuses_are_retried(fake):
    fake.add_events([make_event()])
    fake.scripted.extend([(503, b"{}", {}), (429, b"{}", {"Retry-After": "0"})])
    c = client_for(fake)
    status, _ = c.read_bulk(c.session())
    assert status == 200 and len(fake.reads()) == 3


def test_truncated_body_raises_with_partial_bytes(fake):
    fake.add_events([make_event() for _ in range(20)])
    fake.truncate_next = 1
    c = client_for(fake, retries=0)
    with pytest.raises(TruncatedBody) as e:
        c.read_bulk(c.session())
    assert 0 < len(e.value.partial) < len(fake.delivered[0])
    assert fake.delivered[0].startswith(e.value.partial)


def test_drain_to_empty_with_concurrent_readers_and_short_tokens(fake, home):
    fake.expires_in = 1
    events = [
        make_event(t, f"2026-11-2{i % 2}T0{i % 10}:00:00Z")
        for i, t in enumerate(
            ["incident", "remediation", "admin_audit", "activity_monitoring", "policy_violation"] * 60
        )
    ]
    fake.add_events(events, per_body=7)
    spool = Spool(home)
    report = drain(client_for(fake), spool, readers=3, budget_seconds=30)
    assert report.stop_reason == "empty"
    assert report.bodies_read == len(fake.delivered) and report.events_read == len(events)
    assert report.oldest_event_age_seconds is not None and report.oldest_event_age_seconds > 0
    for t, d in sorted(spool.pending_partitions()):
        land_day(spool, t, d)
    assert sorted(r["event_id"] for r in lake_rows(home)) == sorted(canonical_id(e) for e in events)


def test_drain_keeps_truncated_bytes_and_carries_on(fake, home):
    events = [make_event() for _ in range(30)]
    fake.add_events(events, per_body=10)
    fake.truncate_next = 1
    report = drain(client_for(fake, retries=0), Spool(home), readers=1, budget_seconds=10)
    assert report.bodies_truncated == 1 and report.bodies_read == 2
    (partial,) = quarantined_bodies(home).values()
    assert fake.delivered[0].startswith(partial)


def test_drain_with_bad_credentials_reads_nothing(fake, home):
    fake.add_events([make_event()])
    c = ApertureClient(fake.url, Credentials("cid", "nope"))
    with pytest.raises(AuthError):
        drain(c, Spool(home))
    assert fake.reads() == [] and len(fake.bodies) == 1


def test_drain_budget_stops_new_reads(fake, home):
    fake.add_events([make_event() for _ in range(50)], per_body=1)
    report = drain(client_for(fake), Spool(home), readers=1, budget_seconds=0.0)
    assert report.stop_reason == "budget" and report.bodies_read == 0 and len(fake.bodies) == 50


def test_drain_fails_when_every_reader_gives_up(fake, home):
    fake.scripted.extend([(500, b"{}", {})] * 50)
    with pytest.raises(DrainError):
        drain(client_for(fake, retries=0), Spool(home), readers=2, budget_seconds=10, max_consecutive_errors=2)


def test_interrupted_drain_lets_reads_in_flight_land(fake, home, monkeypatch):
    """An interrupt (run termination) stops new reads but never abandons a popped batch."""
    import threading

    fake.latency = 0.2
    events = [make_event() for _ in range(40)]
    fake.add_events(events, per_body=2)
    real_join = threading.Thread.join
    calls = {"n": 0}

    def interrupting_join(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 1:
            time.sleep(0.3)  # readers are now mid-read
            raise KeyboardInterrupt
        return real_join(self, *a, **k)

    monkeypatch.setattr(threading.Thread, "join", interrupting_join)
    spool = Spool(home)
    with pytest.raises(KeyboardInterrupt):
        drain(client_for(fake), spool, readers=2, budget_seconds=30)
    monkeypatch.setattr(threading.Thread, "join", real_join)
    assert 0 < len(fake.delivered) < 20  # stopped early...
    for t, d in sorted(spool.pending_partitions()):
        land_day(spool, t, d)
    landed = {r["event_id"] for r in lake_rows(home)}
    sent = {canonical_id(e) for b in fake.delivered for e in json.loads(b)["events"]}
    assert landed == sent  # ...with everything popped kept


def test_plain_http_only_to_loopback_and_tls_verified_by_default():
    from log_assets.aperture.client import ApertureClient, ApertureError, Credentials

    creds = Credentials("id", "secret")
    with pytest.raises(ApertureError, match="refusing plain http"):
        ApertureClient("http://api.aperture.invalid", creds)
    assert ApertureClient("http://127.0.0.1:9", creds).session().verify is True
    assert (
        ApertureClient("https://api.aperture.paloaltonetworks.com", creds, verify="/etc/ca.pem").session().verify
        == "/etc/ca.pem"
    )
    ApertureClient("http://proxy.internal", creds, allow_insecure_http=True)
