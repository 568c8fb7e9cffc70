"""The simulated Aperture API (OAuth token, single and bulk event reads), and its ground truth."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from log_assets.simulator import scenarios
from log_assets.simulator.aperture import bodies
from log_assets.simulator.aperture.queue import Entry, EventQueue
from log_assets.simulator.aperture.records import ApertureEvents
from log_assets.simulator.config import SimConfig
from log_assets.simulator.draws import stable_key
from log_assets.simulator.messages import Request, Response, json_response
from log_assets.simulator.timefmt import day_start

TOKEN_PATH = "/oauth/token"
EVENTS_PATH = "/api/v1/log_events"
BULK_PATH = "/api/v1/log_events_bulk"
SCOPE = "api_access"


def _method_not_allowed(method: str) -> Response:
    return json_response(
        405, {"error": "method_not_allowed", "error_description": f"Request method '{method}' not supported"}
    )


_FULL_AUTH = {
    "error": "unauthorized",
    "error_description": "Full authentication is required to access this resource",
}
_BAD_CREDENTIALS = {"error": "unauthorized", "error_description": "Bad credentials"}


@dataclass(frozen=True)
class Delivery:
    """One 200 answer of an event read: what it popped and what it sent."""

    endpoint: str  # EVENTS_PATH or BULK_PATH
    events: tuple[dict, ...]
    body: bytes  # the whole body (a dropped answer sent only part of it)
    broken: bool  # not valid JSON
    dropped: bool  # the connection was cut mid-body


class ApertureService:
    def __init__(self, cfg: SimConfig, now: datetime):
        self.cfg = cfg
        self.now = now
        self.queue = EventQueue(cfg.aperture_ttl)
        self.generator = ApertureEvents(cfg.seed)
        self._lock = threading.Lock()
        self._tokens: dict[str, float | None] = {}  # access token -> monotonic expiry (None: never)
        self._deliveries: list[Delivery] = []
        self._broken_rng = random.Random(stable_key(cfg.seed, "aperture-broken"))
        self._in_flight = 0
        self._signing_key = hashlib.sha256(f"{cfg.seed}:{cfg.aperture_client_secret}".encode()).digest()
        if cfg.aperture_backlog_per_type:
            self.enqueue(n_per_type=cfg.aperture_backlog_per_type, days=2, end=now)
        if cfg.scenarios:  # the detection scenarios' events (scenarios.py) of the last full day
            self.enqueue(events=scenarios.aperture_events((now - timedelta(days=1)).date()))

    # -- HTTP ----------------------------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        if req.path.rstrip("/") == TOKEN_PATH:
            return self._token(req) if req.method == "POST" else _method_not_allowed(req.method)
        if req.method != "GET":
            return _method_not_allowed(req.method)
        return self._read(req, bulk=req.path.rstrip("/") == BULK_PATH)

    def _token(self, req: Request) -> Response:
        scheme, _, cred = (req.header("authorization") or "").strip().partition(" ")
        if scheme.lower() != "basic":
            return json_response(401, _FULL_AUTH)
        try:
            client_id, _, secret = base64.b64decode(cred.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeError, ValueError):
            return json_response(401, _BAD_CREDENTIALS)
        if not (
            hmac.compare_digest(client_id, self.cfg.aperture_client_id)
            and hmac.compare_digest(secret, self.cfg.aperture_client_secret)
        ):
            return json_response(401, _BAD_CREDENTIALS)
        form = {**req.query, **dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))}
        grant = form.get("grant_type")
        if not grant:
            return json_response(400, {"error": "invalid_request", "error_description": "Missing grant type"})
        if grant != "client_credentials":
            return json_response(
                400, {"error": "unsupported_grant_type", "error_description": f"Unsupported grant type: {grant}"}
            )
        scope = form.get("scope", SCOPE)
        if scope != SCOPE:
            return json_response(
                400, {"error": "invalid_scope", "error_description": f"Invalid scope: {scope}", "scope": SCOPE}
            )
        jti = str(uuid.uuid4())
        expires_in = self.cfg.aperture_expires_in
        token = self._jwt(client_id, jti, expires_in)
        with self._lock:
            self._tokens[token] = None if expires_in is None else time.monotonic() + expires_in
        answer = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": expires_in,
            "scope": SCOPE,
            "jti": jti,
        }
        if expires_in is None:
            del answer["expires_in"]  # no expires_in: the token does not expire
        return json_response(200, answer, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _jwt(self, client_id: str, jti: str, expires_in: int | None) -> str:
        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        claims: dict[str, object] = {"scope": [SCOPE], "jti": jti, "tenant": "acme", "client_id": client_id}
        if expires_in is not None:
            claims["exp"] = int(time.time()) + int(expires_in)
        head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
        return head + "." + b64(hmac.new(self._signing_key, head.encode(), hashlib.sha256).digest())

    def _authorized(self, req: Request) -> Response | None:
        scheme, _, token = (req.header("authorization") or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return json_response(401, _FULL_AUTH)
        with self._lock:
            known = token in self._tokens
            expiry = self._tokens.get(token)
        if not known:
            return json_response(
                401, {"error": "invalid_token", "error_description": "Cannot convert access token to JSON"}
            )
        if expiry is not None and time.monotonic() >= expiry:
            return json_response(
                401, {"error": "invalid_token", "error_description": f"Access token expired: {token[:12]}…"}
            )
        return None

    def _read(self, req: Request, bulk: bool) -> Response:
        denied = self._authorized(req)
        if denied:
            return denied
        with self._lock:
            if self._in_flight >= self.cfg.aperture_max_concurrent:
                return json_response(
                    429,
                    {"error": "too_many_requests", "error_description": "Too many concurrent requests"},
                    {"Retry-After": "1"},
                )
            self._in_flight += 1
        try:
            entries = self.queue.take(self.cfg.aperture_bulk_max if bulk else 1, self.cfg.long_poll)
        finally:
            with self._lock:
                self._in_flight -= 1
        if not entries:
            return Response(204, b"", content_type="application/json; charset=utf-8")
        events = [e.event for e in entries]
        texts = [e.text for e in entries]
        with self._lock:
            broken = self._broken_rng.random() < self.cfg.aperture_broken_rate
            if broken:
                text = bodies.broken_body(events, texts, bulk, self._broken_rng)[0]
            else:
                text = bodies.body(texts, bulk)
            body = text.encode("utf-8")
            self._deliveries.append(
                Delivery(BULK_PATH if bulk else EVENTS_PATH, tuple(events), body, broken, req.dropped)
            )
        return Response(200, body, content_type="application/json;charset=UTF-8")

    def fault(self, kind: str, req: Request) -> Response:
        if req.path.rstrip("/") == TOKEN_PATH and kind == "401":
            return json_response(401, _BAD_CREDENTIALS)
        answers = {
            "401": {"error": "invalid_token", "error_description": "Access token expired"},
            "403": {"error": "access_denied", "error_description": "Access is denied"},
            "429": {"error": "too_many_requests", "error_description": "Rate limit exceeded"},
            "500": {"error": "internal_server_error", "error_description": "Internal Server Error"},
            "502": {"error": "bad_gateway", "error_description": "Bad Gateway"},
            "503": {"error": "service_unavailable", "error_description": "Service Unavailable"},
        }
        headers = {"Retry-After": "1"} if kind in ("429", "503") else {}
        return json_response(int(kind), answers[kind], headers)

    def open(self) -> None:
        self.queue.open()

    def close(self) -> None:
        self.queue.close()

    # -- ground truth and control --------------------------------------------------------------

    def enqueue(
        self, events: list[dict] | None = None, n_per_type: int = 0, days: int = 2, end: datetime | None = None
    ) -> list[dict]:
        """Add events to the queue: the given ones, and/or n_per_type generated events of each
        type spread over the last `days` UTC days up to `end` (default now). Returns what was added."""
        added = [dict(e) for e in events or []]
        if n_per_type:
            end = end or datetime.now(UTC)
            start = day_start(end) - timedelta(days=days - 1)
            added += self.generator.generate(n_per_type, start, end)
        now = time.monotonic()
        self.queue.put([Entry(e, bodies.event_text(e), now) for e in added])
        return added

    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def delivered_events(self) -> list[dict]:
        """Every event popped in a 200 answer, in order (broken and dropped answers included)."""
        return [e for d in self.deliveries() for e in d.events]

    def delivered_bodies(self) -> list[bytes]:
        """The bodies of the 200 answers sent in full (valid and broken)."""
        return [d.body for d in self.deliveries() if not d.dropped]

    def broken_bodies(self) -> list[bytes]:
        return [d.body for d in self.deliveries() if d.broken and not d.dropped]

    def broken_events(self) -> list[dict]:
        """Events popped into bodies that are not valid JSON."""
        return [e for d in self.deliveries() if d.broken for e in d.events]

    def dropped_events(self) -> list[dict]:
        """Events popped into answers whose connection was cut: lost for good."""
        return [e for d in self.deliveries() if d.dropped for e in d.events]

    def intact_events(self) -> list[dict]:
        """Events that arrived in full, valid bodies: what a flawless client can store."""
        return [e for d in self.deliveries() if not d.broken and not d.dropped for e in d.events]

    def expired_events(self) -> list[dict]:
        return [e.event for e in self.queue.expired()]

    def pending(self) -> int:
        return self.queue.pending()

    def issued_tokens(self) -> list[str]:
        """Every access token issued so far, in order (ground truth: a test searches for them)."""
        with self._lock:
            return list(self._tokens)

    def expire_tokens(self) -> None:
        """Make every issued access token expired (as if its lifetime had passed)."""
        with self._lock:
            for token in self._tokens:
                self._tokens[token] = 0.0
