"""A tiny scriptable stand-in for the Aperture API, for client-level tests.

The built-in simulator is the reference for end-to-end tests; this one exists to force exact
situations (a 401 on a given read, a body cut off mid-way, a missing expires_in) and to record
every request, so tests can assert what was (not) sent.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import deque
from urllib.parse import parse_qs

from tests.infra.fake_http import FakeHandler, FakeServer


class FakeAperture:
    def __init__(self, client_id="cid", client_secret="s3cret-value", expires_in=3600, long_poll=0.05):
        self.client_id = client_id
        self.client_secret = client_secret
        self.expires_in = expires_in
        self.long_poll = long_poll
        self.latency = 0.0  # seconds before every events answer
        self.lock = threading.Lock()
        self.bodies: deque[bytes] = deque()  # what successive 200 reads return
        self.scripted: deque[tuple] = deque()  # (status, body, headers) served before the queue
        self.token_script: deque[int] = deque()  # statuses for the next token requests
        self.requests: list[dict] = []
        self.tokens: list[str] = []
        self.revoked: set[str] = set()
        self.refuse_new_tokens = False  # tokens are issued but refused by the events endpoint
        self.truncate_next = 0  # the next N 200 bodies are cut off half way
        self.delivered: list[bytes] = []  # every body the server sent (popped)
        self.issue_token: str | None = None  # the access_token to issue instead of tok-N
        # Hooks for hostile behaviour: called with the handler; returning True means it answered.
        self.get_hook = None
        self.post_hook = None
        self._server = FakeServer(self._handler())

    @property
    def url(self) -> str:
        return self._server.url()

    def env(self) -> dict:
        return {
            "APERTURE_API_URL": self.url,
            "APERTURE_CLIENT_ID": self.client_id,
            "APERTURE_CLIENT_SECRET": self.client_secret,
        }

    def __enter__(self):
        self._server.start()
        return self

    def __exit__(self, *exc):
        self._server.stop()

    def add_events(self, events: list, per_body: int = 100) -> None:
        for i in range(0, len(events), per_body):
            self.bodies.append(json.dumps({"events": events[i : i + per_body]}).encode())

    def reads(self) -> list[dict]:
        return [r for r in self.requests if r["path"].startswith("/api/")]

    def _handler(self):
        fake = self

        class Handler(FakeHandler):
            def do_POST(self):
                form = parse_qs(self.read_body().decode())
                with fake.lock:
                    fake.requests.append(
                        {
                            "method": "POST",
                            "path": self.path,
                            "auth": self.headers.get("Authorization"),
                            "form": form,
                        }
                    )
                    scripted = fake.token_script.popleft() if fake.token_script else None
                if fake.post_hook is not None and fake.post_hook(self):
                    return
                if self.path != "/oauth/token":
                    return self.answer(404, b'{"error":"not found"}')
                if scripted:
                    return self.answer(scripted, b'{"error":"scripted"}')
                want = "Basic " + base64.b64encode(f"{fake.client_id}:{fake.client_secret}".encode()).decode()
                if self.headers.get("Authorization") != want or form.get("grant_type") != ["client_credentials"]:
                    return self.answer(
                        401, b'{"error":"unauthorized","error_description":"bad client credentials"}'
                    )
                with fake.lock:
                    token = fake.issue_token or f"tok-{len(fake.tokens) + 1}"
                    fake.tokens.append(token)
                    if fake.refuse_new_tokens:
                        fake.revoked.add(token)
                doc = {"access_token": token, "token_type": "bearer", "scope": "api_access"}
                if fake.expires_in is not None:
                    doc["expires_in"] = fake.expires_in
                self.answer(200, json.dumps(doc).encode())

            def do_GET(self):
                auth = self.headers.get("Authorization") or ""
                with fake.lock:
                    fake.requests.append({"method": "GET", "path": self.path, "auth": auth})
                if fake.get_hook is not None and fake.get_hook(self):
                    return
                if self.path != "/api/v1/log_events_bulk":
                    return self.answer(404, b'{"error":"not found"}')
                if fake.latency:
                    time.sleep(fake.latency)
                token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
                if token not in fake.tokens or token in fake.revoked:
                    return self.answer(401, b'{"error":"invalid_token"}')
                with fake.lock:
                    if fake.scripted:
                        status, body, headers = fake.scripted.popleft()
                        return self.answer(status, body, headers)
                    body = fake.bodies.popleft() if fake.bodies else None
                    truncate = body is not None and fake.truncate_next > 0
                    if truncate:
                        fake.truncate_next -= 1
                    if body is not None:
                        fake.delivered.append(body)
                if body is None:
                    time.sleep(fake.long_poll)
                    return self.answer(204)
                self.answer(200, body, truncate=truncate)

        return Handler
