"""HTTP client for the Forcepoint ONE SSE (Bitglass) Log Export API — no Dagster here.

Behaves as the field shows the API must be used (api-facts.md): GET with a query string, the
collector version per type, the token URL-encoded, Bearer or Basic auth, explicit timeouts, one
session per run. Transport failures (5xx, dropped connections) are retried a bounded number of
times with backoff by urllib3 (each retry logged with its reason and wait); a failed name lookup is
not retried; client errors (400/401/403) fail at once with the server's message; a redirect is
refused (credentials go to FORCEPOINT_API_URL only). Every attempt written to an open connection —
retries included — is charged to the quota budget just before it is sent; one that never reached a
server (refused connection, failed lookup or TLS handshake) is not. Each request has a total
deadline and a maximum answer size; the body is streamed, never held beyond that size.

A page whose JSON is valid but one of its values is not valid UTF-8 (raw invalid bytes, or a lone
surrogate escape such as `"\\ud800"`) is read all the same (`_loads`): that value costs its record
nothing but the repair described in log_assets/jsonsafe.py, never the page.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC

import orjson
import requests

from log_assets import http, jsonsafe
from log_assets.catalog import FORCEPOINT, LogType, cv_tuple
from log_assets.ops.audit import AuditHook, RequestAudit, audited

log = logging.getLogger(__name__)

API_PATH = "/api/bitglassapi/logs/v1/"
DEFAULT_URL = f"https://portal.bitglass.com{API_PATH}"
DEFAULT_CV = "1.1.5"
# A real page is a few MiB at most; a much larger answer is a broken or hostile server.
DEFAULT_MAX_RESPONSE_BYTES = 64 * http.MiB
DEFAULT_REQUEST_DEADLINE = 600.0  # seconds for one request, retries and the whole body included
DEFAULT_RETRY_AFTER_MAX = 300.0
# A refused connection is retried at most this often (the server is down or the URL is wrong).
CONNECT_RETRIES = 2

ENV_URL = "FORCEPOINT_API_URL"
ENV_TOKEN = "FORCEPOINT_API_TOKEN"
ENV_USERNAME = "FORCEPOINT_USERNAME"
ENV_PASSWORD = "FORCEPOINT_PASSWORD"
ENV_ALLOW_INSECURE_HTTP = "FORCEPOINT_ALLOW_INSECURE_HTTP"
INSECURE_OVERRIDE = f"set {ENV_ALLOW_INSECURE_HTTP}=1 (resource setting allow_insecure_http)"


class ForcepointError(RuntimeError):
    """A problem the user must act on; the message never contains a credential."""


class ConfigError(ForcepointError):
    pass


class ApiError(ForcepointError):
    def __init__(self, status: int, message: str):
        super().__init__(f"Forcepoint API answered {status}: {message}")
        self.status = status
        self.server_message = message


class RetryLater(ApiError):
    """The server asked to wait longer than this run may (Retry-After beyond the cap or the deadline)."""

    def __init__(self, status: int, message: str, retry_at: str):
        super().__init__(status, message)
        self.retry_at = retry_at


class ResponseTooLarge(ForcepointError):
    """An answer larger than max_response_bytes: not read further, not used."""


class RequestTimedOut(ForcepointError):
    """A request that did not complete within its total deadline."""


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
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        token_env: str | None = ENV_TOKEN,
        username_env: str | None = ENV_USERNAME,
        password_env: str | None = ENV_PASSWORD,
    ) -> Credentials:
        """Credentials from the environment variables named (by default the default tenant's:
        FORCEPOINT_API_TOKEN, or FORCEPOINT_USERNAME and FORCEPOINT_PASSWORD), stripped of surrounding
        whitespace; a value with a control character inside is refused naming the variable (never
        showing the value). A name given as None is not read."""
        env = os.environ if environ is None else environ
        try:
            token = http.secret_from_env(env, token_env) if token_env else None
            if token:
                return cls(token=token)
            username = http.secret_from_env(env, username_env) if username_env else None
            password = http.secret_from_env(env, password_env) if password_env else None
        except http.CredentialError as e:
            raise ConfigError(str(e)) from None
        if username and password:
            return cls(username=username, password=password)
        if username and not password:
            raise ConfigError(f"{username_env} is set but {password_env} is not; set both for HTTP Basic auth")
        if password and not username:
            raise ConfigError(f"{password_env} is set but {username_env} is not; set both for HTTP Basic auth")
        ways = [f"{token_env} (OAuth token, preferred)"] if token_env else []
        if username_env and password_env:
            ways.append(f"{username_env} and {password_env}")
        raise ConfigError(
            f"no Forcepoint credentials: set {' or '.join(ways) or 'a token variable'}; no request was sent"
        )

    def check(self) -> None:
        """Raise ConfigError (naming the variable, not the value) if a value cannot go in a header."""
        try:
            if self.token:
                http.check_secret_text(self.token, ENV_TOKEN)
            else:
                if not (self.username and self.password):
                    raise ConfigError(f"set {ENV_TOKEN}, or {ENV_USERNAME} and {ENV_PASSWORD}")
                http.check_secret_text(self.username, ENV_USERNAME)
                http.check_secret_text(self.password, ENV_PASSWORD)
        except http.CredentialError as e:
            raise ConfigError(str(e)) from None

    def register(self, secrets: http.Secrets) -> None:
        if self.token:
            secrets.add(self.token)
        elif self.username and self.password:
            secrets.add_basic(self.username, self.password)

    def apply(self, session: requests.Session) -> None:
        if self.token:
            session.headers["Authorization"] = f"Bearer {self.token}"
        else:
            assert self.username is not None and self.password is not None  # checked by check()
            session.auth = (self.username, self.password)

    def __repr__(self) -> str:  # never show a secret, even in a traceback's locals
        kind = "token" if self.token else "basic" if self.username else "none"
        return f"Credentials(<{kind}>)"


def check_url(url: str, allow_insecure_http: bool = False) -> str:
    try:
        return http.check_url(url, ENV_URL, allow_insecure_http, INSECURE_OVERRIDE)
    except http.InsecureUrlError as e:
        raise ConfigError(str(e)) from None


@dataclass
class Page:
    # list[dict] (JSON); CSV data as dicts with the header as keys. Read natively: native.JsonRecords
    # (from the body's text) or native.CsvRecords (by Arrow's CSV reader), made into dicts only when asked.
    records: Sequence
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
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        request_deadline: float = DEFAULT_REQUEST_DEADLINE,
        retry_after_max: float = DEFAULT_RETRY_AFTER_MAX,
        trust_env: bool = False,
        logger: logging.Logger | None = None,
        audit: AuditHook | None = None,
    ):
        self.url = check_url(url, allow_insecure_http)
        if response_format not in ("json", "csv"):
            raise ConfigError(f"response_format must be json or csv, got {response_format!r}")
        if method not in ("GET", "POST"):
            raise ConfigError(f"method must be GET or POST, got {method!r}")
        problem = http.limits_problem(max_response_bytes, request_deadline, retry_after_max, retries)
        if problem:
            raise ConfigError(problem)
        credentials.check()
        self.cv = cv
        self.response_format = response_format
        self.method = method
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.backoff = backoff
        self.max_response_bytes = max_response_bytes
        self.request_deadline = request_deadline
        self.retry_after_max = retry_after_max
        self.requests_sent = 0
        self._charge = charge
        self._observe = observe
        self._audit = audit
        self.log = logger or log
        self.secrets = http.Secrets()
        credentials.register(self.secrets)
        retry = http.BoundedRetry(
            total=retries,
            connect=min(retries, CONNECT_RETRIES),
            read=retries,
            status=retries,
            other=0,
            backoff_factor=backoff,
            backoff_max=60,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=frozenset({"GET", "POST"}),
            respect_retry_after_header=True,
            retry_after_max=int(retry_after_max),
            raise_on_status=False,
        ).configure("Forcepoint", self.log, self.secrets)
        self.session = http.new_session(retry, verify=verify, trust_env=trust_env)
        self.session.headers["Accept"] = "application/json"
        credentials.apply(self.session)

    def close(self) -> None:
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def redact(self, text: str) -> str:
        return self.secrets.redact(text)

    def _sending(self) -> None:
        """Called just before an attempt's first byte goes to an open connection."""
        if self._charge:
            self._charge()  # durable before sending: a request that reached the server counts even if we die
        self.requests_sent += 1

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
        deadline = time.monotonic() + self.request_deadline
        entry = RequestAudit(FORCEPOINT, lt.name, "logs")
        with audited(self._audit, entry, sent=lambda: self.requests_sent, redact=self.redact):
            resp, body = self._exchange(params, deadline)
            entry.status, entry.bytes = resp.status_code, len(body)
            page = self._page(resp, body, lt, deadline)
            entry.records = len(page.records) + len(page.bad_records)
            return page

    def _exchange(self, params: dict, deadline: float) -> tuple[requests.Response, bytes]:
        """The answer and its body (200: at most max_response_bytes; others: the start of it).

        urllib3 retries the request and its headers; a body cut off mid-way is re-sent here, a
        bounded number of times. Whatever a library raises becomes a ForcepointError whose message
        holds no secret (and which does not chain the library's exception, which might)."""
        broken = 0
        sent_before = self.requests_sent
        while True:
            problem: BaseException | None = None
            with http.Guard(deadline, on_send=self._sending) as guard:
                try:
                    resp = self.session.request(
                        self.method,
                        self.url,
                        params=params,
                        timeout=self.timeout,
                        stream=True,
                        allow_redirects=False,
                    )
                    try:
                        if resp.status_code == 200:
                            body = http.read_body(resp, self.max_response_bytes, guard)
                        else:
                            body = http.read_error_body(resp, guard)
                    finally:
                        resp.close()
                    return resp, body
                except QuotaExhausted:
                    raise
                except Exception as e:  # noqa: BLE001 - turned into a ForcepointError below
                    problem = e
                expired = guard.expired
            if isinstance(problem, http.BodyTooLarge):
                raise ResponseTooLarge(
                    f"Forcepoint answered with more than max_response_bytes ({_size(self.max_response_bytes)}): "
                    f"stopped reading after {len(problem.partial)} bytes, nothing of it was used. The position is "
                    "saved; if pages this large are genuine, raise max_response_bytes in the forcepoint resource "
                    "config"
                )
            if expired or isinstance(problem, http.BodyDeadline | http.RequestDeadline):
                raise RequestTimedOut(
                    f"request to Forcepoint did not complete within request_deadline ({self.request_deadline:g} s)"
                    f"{_partial_note(problem)}. The position is saved: run again (raise request_deadline if the "
                    "API is genuinely this slow)"
                )
            if isinstance(problem, http.BodyBroken):
                # urllib3's retries cover the request and its headers, not the body: a body cut off
                # mid-way is re-sent here (charged like any retry) a bounded number of times.
                cause = self.secrets.describe(problem.cause) if problem.cause else ""
                broken += 1
                wait = min(self.backoff * 2 ** (broken - 1), 60.0)
                if broken > self.retries or time.monotonic() + wait >= deadline:
                    raise ForcepointError(
                        f"request to Forcepoint failed after {broken - 1} retries: {problem} ({cause})"
                    )
                self.log.warning("Forcepoint: %s (%s); retry %d in %.1f s", problem, cause, broken, wait)
                time.sleep(wait)
                continue
            assert problem is not None
            nothing = self.requests_sent == sent_before
            raise ForcepointError(
                f"request to Forcepoint failed: {self.secrets.describe(problem)}"
                + (f" (check {ENV_URL}); nothing reached the server and no request was counted" if nothing else "")
            )

    def _page(self, resp: requests.Response, body: bytes, lt: LogType, deadline: float) -> Page:
        remaining = _int_or_none(resp.headers.get("X-RateLimit-Remaining"))
        reset = resp.headers.get("X-RateLimit-Reset")
        reset = None if reset is None else self.redact(reset)[:100]
        message = self.redact(_server_message(body))[:300] if resp.status_code != 200 else ""
        if self._observe:
            # A 429 says nothing is left whether or not it carries the header.
            self._observe(0 if resp.status_code == 429 and remaining is None else remaining)
        if resp.status_code == 429:
            raise QuotaExhausted(
                f"Forcepoint daily quota for {lt.name} is spent (server said: {message}); "
                f"it resets at {format_reset(reset)}. The position is saved: run again after the reset.",
                format_reset(reset),
            )
        if 300 <= resp.status_code < 400:
            target = self.redact(resp.headers.get("Location") or "(no Location header)")[:200]
            raise ApiError(
                resp.status_code,
                f"redirect to {target} refused: credentials are sent to {ENV_URL} only. If the API has moved, "
                f"set {ENV_URL} to the new URL",
            )
        wait = http.retry_after_seconds(resp.headers.get("Retry-After"))
        if (
            resp.status_code >= 500
            and wait is not None
            and (wait > self.retry_after_max or time.monotonic() + wait >= deadline)
        ):
            at = http.utc_in(wait)
            why = (
                f"beyond retry_after_max ({self.retry_after_max:g} s)"
                if wait > self.retry_after_max
                else f"past request_deadline ({self.request_deadline:g} s)"
            )
            raise RetryLater(
                resp.status_code,
                f"{message}; the server asks to retry after {wait:.0f} s (at {at}), {why}. The position is saved: "
                f"run again after {at}",
                at,
            )
        if resp.status_code >= 500:
            raise ApiError(resp.status_code, f"still failing after retries ({message})")
        if resp.status_code != 200:
            hint = {
                401: " — check FORCEPOINT_API_TOKEN or FORCEPOINT_USERNAME/FORCEPOINT_PASSWORD",
                403: " — the user must be a sysadmin and the API live setting enabled for the company",
                404: f" — nothing is served at {self.url} (FORCEPOINT_API_URL): the Log Export API is the path "
                f"{API_PATH} of the tenant's portal (e.g. {DEFAULT_URL})",
            }.get(resp.status_code, "")
            raise ApiError(resp.status_code, message + hint)
        return self.page_from_body(body, lt, remaining, format_reset(reset))

    def page_from_body(
        self, body: bytes, lt: LogType, rate_remaining: int | None = None, rate_reset: str | None = None
    ) -> Page:
        """The page in a 200 answer's body (also used for a body kept from an earlier run)."""
        from log_assets.forcepoint import native

        # The records read from the body's text where it is what orjson writes (native.read_json_body);
        # else decoded here, the careful way.
        from_text = native.read_json_body(body) if self.response_format == "json" else None
        if from_text is not None:
            envelope, found = from_text
            if (envelope["response"].get("dataformat") or "json").lower() != "csv":
                token = envelope.get("nextpagetoken") or None
                return Page(found, token, 200, len(body), rate_remaining, rate_reset, body, [])
        try:
            doc = _loads(body)
            response = doc["response"]
            data = response["data"]
        except (orjson.JSONDecodeError, KeyError, TypeError) as e:
            raise MalformedPage(
                self.redact(f"page is not the documented JSON envelope ({type(e).__name__}: {e})"), body
            ) from None
        token = doc.get("nextpagetoken") or None
        if isinstance(token, str) and jsonsafe.has_surrogates(token):
            raise MalformedPage("page's nextpagetoken is not valid UTF-8: it cannot be sent back", body)
        bad: list = []
        records: Sequence
        fmt = (response.get("dataformat") or self.response_format).lower()
        if fmt == "csv" or isinstance(data, str):
            from log_assets.forcepoint.csvpage import parse_csv  # local: keep import cheap for JSON

            # Arrow's reader where the page reads alike in both; else the careful reader, bad rows and all.
            by_arrow = native.read_csv(data) if isinstance(data, str) else None
            if by_arrow is not None:
                records = by_arrow
            else:
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


def _loads(body: bytes):
    """The answer's JSON. A string value holding invalid UTF-8 bytes or a lone surrogate escape
    (`"\\ud800"`, valid JSON syntax) makes orjson refuse the whole text; such a body is read again
    by `jsonsafe.loads_lenient`, so that the one value costs neither its page nor the walk: its
    record lands with the value made valid and `raw` keeping it exactly (parse.py). A body that is
    not JSON at all raises orjson's error, as before."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as strict:
        try:
            return jsonsafe.loads_lenient(body)
        except (ValueError, RecursionError):
            raise strict from None


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
    text = body.decode("utf-8", "replace").strip()
    return text or "(empty body)"


def _int_or_none(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _size(n: int) -> str:
    return f"{n / http.MiB:g} MiB" if n >= http.MiB else f"{n} bytes"


def _partial_note(problem: BaseException | None) -> str:
    if isinstance(problem, http.BodyError):
        return f" ({len(problem.partial)} bytes of the answer had arrived, none of it was used)"
    return ""
