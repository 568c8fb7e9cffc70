"""HTTP client for the Forcepoint ONE SSE (Bitglass) Log Export API — no Dagster here.

Behaves as the field shows the API must be used (api-facts.md): GET with a query string, the
collector version per type, the token URL-encoded, Bearer or Basic auth, explicit timeouts, one
session per run. Transport failures (5xx, dropped connections) are retried a bounded number of
times with backoff by urllib3; client errors (400/401/403) fail at once with the server's message.
Every attempt that reaches the wire — retries included — is charged to the quota budget first.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from log_assets import http
from log_assets.catalog import LogType, cv_tuple

log = logging.getLogger(__name__)

DEFAULT_URL = "https://portal.bitglass.com/api/bitglassapi/logs/v1/"
DEFAULT_CV = "1.1.5"

ENV_URL = "FORCEPOINT_API_URL"
ENV_TOKEN = "FORCEPOINT_API_TOKEN"
ENV_USERNAME = "FORCEPOINT_USERNAME"
ENV_PASSWORD = "FORCEPOINT_PASSWORD"


class ForcepointError(RuntimeError):
    """A problem the user must act on; the message never contains a credential."""


class ConfigError(ForcepointError):
    pass


class ApiError(ForcepointError):
    def __init__(self, status: int, message: str):
        super().__init__(f"Forcepoint API answered {status}: {message}")
        self.status = status
        self.server_message = message


class QuotaExhausted(ForcepointError):
    def __init__(self, message: str, resets_at: str | None):
        super().__init__(message)
        self.resets_at = resets_at


@dataclass(frozen=True)
class Credentials:
    token: str | None = None
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_env(cls, environ=None) -> Credentials:
        env = os.environ if environ is None else environ
        token = env.get(ENV_TOKEN) or None
        if token:
            return cls(token=token)
        username, password = env.get(ENV_USERNAME) or None, env.get(ENV_PASSWORD) or None
        if username and password:
            return cls(username=username, password=password)
        if username and not password:
            raise ConfigError(f"{ENV_USERNAME} is set but {ENV_PASSWORD} is not; set both for HTTP Basic auth")
        if password and not username:
            raise ConfigError(f"{ENV_PASSWORD} is set but {ENV_USERNAME} is not; set both for HTTP Basic auth")
        raise ConfigError(
            f"no Forcepoint credentials: set {ENV_TOKEN} (OAuth token, preferred) or "
            f"{ENV_USERNAME} and {ENV_PASSWORD}; no request was sent"
        )

    def apply(self, session: requests.Session) -> None:
        if self.token:
            session.headers["Authorization"] = f"Bearer {self.token}"
        else:
            assert self.username is not None and self.password is not None  # checked by from_env
            session.auth = (self.username, self.password)

    def __repr__(self) -> str:  # never show a secret, even in a traceback's locals
        kind = "token" if self.token else "basic" if self.username else "none"
        return f"Credentials(<{kind}>)"


def check_url(url: str, allow_insecure_http: bool = False) -> str:
    try:
        return http.check_url(url, ENV_URL, allow_insecure_http)
    except http.InsecureUrlError as e:
        raise ConfigError(str(e)) from None


class ChargedRetry(Retry):
    """urllib3 Retry that charges every re-sent attempt to the quota before it is sent."""

    charge: Callable[[], None] | None = None

    def new(self, **kw):
        r = super().new(**kw)
        r.charge = self.charge
        return r

    def increment(self, *args, **kwargs):
        r = super().increment(*args, **kwargs)  # raises MaxRetryError when retries are spent
        if self.charge is not None:
            self.charge()
        return r


@dataclass
class Page:
    records: list  # list[dict] (JSON) — CSV data is parsed into dicts with the header as keys
    next_token: str | None
    status: int
    body_bytes: int
    rate_remaining: int | None
    rate_reset: str | None
    raw_body: bytes
    bad_records: list  # (raw_text, reason) for CSV rows that could not be read


class ForcepointClient:
    def __init__(
        self,
        url: str,
        credentials: Credentials,
        *,
        cv: str = DEFAULT_CV,
        response_format: str = "json",
        method: str = "GET",
        connect_timeout: float = 10.0,
        read_timeout: float = 120.0,
        retries: int = 4,
        backoff: float = 1.0,
        verify: bool | str = True,
        allow_insecure_http: bool = False,
        charge: Callable[[], None] | None = None,
        observe: Callable[[int | None], None] | None = None,
    ):
        self.url = check_url(url, allow_insecure_http)
        if response_format not in ("json", "csv"):
            raise ConfigError(f"response_format must be json or csv, got {response_format!r}")
        if method not in ("GET", "POST"):
            raise ConfigError(f"method must be GET or POST, got {method!r}")
        self.cv = cv
        self.response_format = response_format
        self.method = method
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.backoff = backoff
        self.requests_sent = 0
        self._charge = charge
        self._observe = observe
        retry = ChargedRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            backoff_factor=backoff,
            backoff_max=60,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=frozenset({"GET", "POST"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        retry.charge = self._count_retry
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": http.USER_AGENT, "Accept": "application/json"})
        self.session.verify = verify
        credentials.apply(self.session)
        adapter = HTTPAdapter(max_retries=retry, pool_connections=1, pool_maxsize=1)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def close(self) -> None:
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _count_retry(self) -> None:
        self.requests_sent += 1
        if self._charge:
            self._charge()

    def cv_for(self, lt: LogType) -> str:
        return self.cv if cv_tuple(self.cv) >= cv_tuple(lt.min_cv) else lt.min_cv

    def fetch(self, lt: LogType, *, startdate: str | None = None, token: str | None = None) -> Page:
        """One page: by `startdate` (``%Y-%m-%dT%H:%M:%SZ``) for the first request, else by token."""
        if (startdate is None) == (token is None):
            raise ValueError("give exactly one of startdate and token")
        params = {"type": lt.name, "cv": self.cv_for(lt), "responseformat": self.response_format}
        if startdate is not None:
            params["startdate"] = startdate
        elif token is not None:
            params["nextpagetoken"] = token
        if self._charge:
            self._charge()  # before sending: a request that reached the server counts even if we die
        self.requests_sent += 1
        attempt = 0
        while True:
            try:
                if self.method == "GET":
                    resp = self.session.get(self.url, params=params, timeout=self.timeout)
                else:
                    resp = self.session.post(self.url, params=params, timeout=self.timeout)
                _ = resp.content  # read the body here: a connection cut mid-body is retried below
                break
            except requests.exceptions.RetryError as e:
                raise ApiError(503, f"still failing after retries ({_short(e)})") from None
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError) as e:
                # urllib3 retries cover the request and the headers, not the body: a body cut off
                # mid-way surfaces here. Re-send (charged like any retry) a bounded number of times.
                attempt += 1
                if attempt > self.retries:
                    raise ForcepointError(
                        f"request to Forcepoint failed after {self.retries} retries: {type(e).__name__}: "
                        f"{_short(e)}"
                    ) from None
                time.sleep(min(self.backoff * 2 ** (attempt - 1), 60))
                self._count_retry()
            except requests.exceptions.RequestException as e:
                raise ForcepointError(f"request to Forcepoint failed: {type(e).__name__}: {_short(e)}") from None
        return self._page(resp, lt)

    def _page(self, resp: requests.Response, lt: LogType) -> Page:
        remaining = _int_or_none(resp.headers.get("X-RateLimit-Remaining"))
        reset = resp.headers.get("X-RateLimit-Reset")
        body = resp.content
        message = _server_message(body) if resp.status_code != 200 else ""
        if self._observe:
            # A 429 says nothing is left whether or not it carries the header.
            self._observe(0 if resp.status_code == 429 and remaining is None else remaining)
        if resp.status_code == 429:
            raise QuotaExhausted(
                f"Forcepoint daily quota for {lt.name} is spent (server said: {message}); "
                f"it resets at {format_reset(reset)}. The position is saved: run again after the reset.",
                format_reset(reset),
            )
        if resp.status_code != 200:
            hint = {
                401: " — check FORCEPOINT_API_TOKEN or FORCEPOINT_USERNAME/FORCEPOINT_PASSWORD",
                403: " — the user must be a sysadmin and the API live setting enabled for the company",
            }.get(resp.status_code, "")
            raise ApiError(resp.status_code, message + hint)
        return self.page_from_body(body, lt, remaining, format_reset(reset))

    def page_from_body(
        self, body: bytes, lt: LogType, rate_remaining: int | None = None, rate_reset: str | None = None
    ) -> Page:
        """The page in a 200 answer's body (also used for a body kept from an earlier run)."""
        try:
            doc = orjson.loads(body)
            response = doc["response"]
            data = response["data"]
        except (orjson.JSONDecodeError, KeyError, TypeError) as e:
            raise MalformedPage(
                f"page is not the documented JSON envelope ({type(e).__name__}: {e})", body
            ) from None
        token = doc.get("nextpagetoken") or None
        bad: list = []
        fmt = (response.get("dataformat") or self.response_format).lower()
        if fmt == "csv" or isinstance(data, str):
            from log_assets.forcepoint.parse import parse_csv  # local: keep import cheap for JSON

            records, bad = parse_csv(data or "")
        elif isinstance(data, list):
            records = data
        elif data is None:
            records = []
        else:
            raise MalformedPage(f"page data is a {type(data).__name__}, expected a list", body)
        return Page(records, token, 200, len(body), rate_remaining, rate_reset, body, bad)


class MalformedPage(ForcepointError):
    def __init__(self, message: str, body: bytes):
        super().__init__(message)
        self.body = body


def format_reset(value: str | None) -> str | None:
    """X-RateLimit-Reset as ISO UTC (the API sends epoch seconds; pass other forms through)."""
    if value is None:
        return None
    try:
        from datetime import datetime

        return datetime.fromtimestamp(float(value), tz=UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")
    except (ValueError, OverflowError, OSError):
        return str(value)


def _server_message(body: bytes) -> str:
    try:
        doc = json.loads(body)
        if isinstance(doc, dict):
            for k in ("status", "message", "error", "detail"):
                if isinstance(doc.get(k), str) and doc[k]:
                    return doc[k]
    except ValueError:
        pass
    text = body[:300].decode("utf-8", "replace").strip()
    return text or "(empty body)"


def _int_or_none(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _short(e: Exception) -> str:
    s = str(e)
    return s if len(s) < 300 else s[:300] + "…"
