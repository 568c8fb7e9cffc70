"""Palo Alto Networks Data Security (Aperture) Log Events API client. No Dagster here.

Reads are destructive (api-facts.md): every successful GET pops a batch for good. So the client
never reads to test connectivity (`token()` is the connectivity check), its read timeout is above
the server's 20 s long poll, and it hands each body back as bytes, untouched, for the caller to make
durable before anything else happens.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import orjson
import requests

from log_assets import http
from log_assets.catalog import APERTURE
from log_assets.ops.audit import ALL_TYPES, AuditHook, RequestAudit, audited

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.aperture.paloaltonetworks.com"
REGIONS = {
    "us": "https://api.aperture.paloaltonetworks.com",
    "eu": "https://api.aperture-eu.paloaltonetworks.com",
    "apac": "https://api.aperture-apac.paloaltonetworks.com",
    "uk": "https://api.aperture-uk.paloaltonetworks.com",
    "in1": "https://api.in1.prisma-saas.paloaltonetworks.com",
    "au1": "https://api.au1.prisma-saas.paloaltonetworks.com",
    "uk2": "https://api.uk2.prisma-saas.paloaltonetworks.com",
    "jp1": "https://api.jp1.prisma-saas.paloaltonetworks.com",
}

ENV_URL = "APERTURE_API_URL"
ENV_CLIENT_ID = "APERTURE_CLIENT_ID"
ENV_CLIENT_SECRET = "APERTURE_CLIENT_SECRET"
ENV_ALLOW_INSECURE_HTTP = "APERTURE_ALLOW_INSECURE_HTTP"
INSECURE_OVERRIDE = f"set {ENV_ALLOW_INSECURE_HTTP}=1 (resource setting allow_insecure_http)"

TOKEN_PATH = "/oauth/token"
BULK_PATH = "/api/v1/log_events_bulk"

SERVER_LONG_POLL = 20.0
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 45.0  # above the server's long poll, or a popped batch could be cut off
REFRESH_MARGIN = 60.0
# A bulk body holds at most 100 events: a few hundred KiB. Far more is a broken or hostile server.
DEFAULT_MAX_RESPONSE_BYTES = 16 * http.MiB
DEFAULT_REQUEST_DEADLINE = 120.0  # seconds for one request: the long poll, retries and the whole body
DEFAULT_RETRY_AFTER_MAX = 300.0
CONNECT_RETRIES = 2
TOKEN_BODY_MAX = 64 * 1024


class ApertureError(RuntimeError):
    pass


class MissingCredentialsError(ApertureError):
    def __init__(self, variable: str, both: tuple[str, str] = (ENV_CLIENT_ID, ENV_CLIENT_SECRET)):
        super().__init__(f"{variable} is not set: Aperture needs {both[0]} and {both[1]} in the environment")
        self.variable = variable


class CredentialFormatError(ApertureError):
    """A credential value that cannot be sent (a control character inside); names the variable only."""


class AuthError(ApertureError):
    """The API refused the credentials or a freshly issued token."""


class ApiError(ApertureError):
    def __init__(self, what: str, status: int, detail: str = ""):
        super().__init__(f"{what}: HTTP {status}{': ' + detail if detail else ''}")
        self.status = status


class RetryLater(ApiError):
    """The server asked to wait (Retry-After) longer than allowed: beyond retry_after_max
    (`beyond_cap`), or past the request's deadline."""

    def __init__(self, what: str, status: int, detail: str, retry_at: str, beyond_cap: bool):
        super().__init__(what, status, detail)
        self.retry_at = retry_at
        self.beyond_cap = beyond_cap


class TruncatedBody(ApertureError):
    """The server answered 200 but the whole body did not arrive (connection lost, the deadline
    passed, or more than max_response_bytes).

    `partial` holds what did arrive: the batch is already popped, so those bytes are all that is
    left of it and must be kept.
    """

    def __init__(self, partial: bytes, cause: BaseException | None = None, message: str | None = None):
        super().__init__(
            message or f"connection lost after {len(partial)} bytes of a 200 body: {type(cause).__name__}"
        )
        self.partial = partial


class BodyTooLarge(TruncatedBody):
    pass


def resolve_api_url(value: str | None) -> str:
    """A region preset (us, eu, apac, uk, in1, au1, uk2, jp1) or a URL; unset means the US host."""
    value = (value or "").strip()
    if not value:
        return DEFAULT_API_URL
    if value.lower() in REGIONS:
        return REGIONS[value.lower()]
    if not value.startswith(("http://", "https://")):
        raise ApertureError(
            f"{ENV_URL} (host {http.host_of(value)}) is neither a URL nor a region preset ({', '.join(REGIONS)})"
        )
    return value.rstrip("/")


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str

    def __repr__(self) -> str:  # never show the secret, even in a traceback's locals
        return f"Credentials(client_id={self.client_id!r}, client_secret=***)"

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        client_id_env: str = ENV_CLIENT_ID,
        client_secret_env: str = ENV_CLIENT_SECRET,
    ) -> Credentials:
        """Both values from the environment variables named (by default the default tenant's), stripped
        of surrounding whitespace; a value with a control character inside is refused naming the
        variable (never showing the value)."""
        env = os.environ if environ is None else environ
        names = (client_id_env, client_secret_env)
        values = []
        for name in names:
            try:
                value = http.secret_from_env(env, name)
            except http.CredentialError as e:
                raise CredentialFormatError(str(e)) from None
            if not value:
                raise MissingCredentialsError(name, names)
            values.append(value)
        return cls(values[0], values[1])

    def check(self) -> None:
        try:
            http.check_secret_text(self.client_id, ENV_CLIENT_ID)
            http.check_secret_text(self.client_secret, ENV_CLIENT_SECRET)
        except http.CredentialError as e:
            raise CredentialFormatError(str(e)) from None
        if ":" in self.client_id:
            raise CredentialFormatError(f"{ENV_CLIENT_ID} contains ':', which HTTP Basic auth cannot carry")


def make_retry(
    total: int = 4,
    backoff_factor: float = 0.5,
    retry_after_max: float = DEFAULT_RETRY_AFTER_MAX,
    logger: logging.Logger | None = None,
    redactor: http.Secrets | None = None,
) -> http.BoundedRetry:
    # Retrying a bulk GET after a read error cannot lose more than the error already did: the batch
    # (if popped) is gone either way, and the retry reads the next one.
    return http.BoundedRetry(
        total=total,
        connect=min(total, CONNECT_RETRIES),
        read=total,
        status=total,
        other=0,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "POST"}),
        backoff_factor=backoff_factor,
        backoff_max=20.0,
        respect_retry_after_header=True,
        retry_after_max=int(retry_after_max),
        raise_on_status=False,
    ).configure("Aperture", logger, redactor)


@dataclass
class Token:
    value: str
    expires_at: float | None  # time.monotonic(); None = does not expire
    refresh_at: float | None


class ApertureClient:
    """Shares one cached token between reader threads; each thread uses its own `session()`.

    Every request is bounded (a total deadline, a maximum body size), refuses redirects, and turns
    whatever a library raises into an ApertureError whose message holds no secret: neither the client
    secret (as is, URL-encoded or in its Basic encoding) nor an access token the server issued.
    """

    def __init__(
        self,
        api_url: str | None,
        credentials: Credentials,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        retries: int = 4,
        backoff_factor: float = 0.5,
        verify: bool | str = True,
        allow_insecure_http: bool = False,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        request_deadline: float = DEFAULT_REQUEST_DEADLINE,
        retry_after_max: float = DEFAULT_RETRY_AFTER_MAX,
        trust_env: bool = False,
        logger: logging.Logger | None = None,
        audit: AuditHook | None = None,
    ) -> None:
        self.base_url = resolve_api_url(api_url)
        try:
            http.check_url(self.base_url, ENV_URL, allow_insecure_http, INSECURE_OVERRIDE)
        except http.InsecureUrlError as e:
            raise ApertureError(str(e)) from None
        problem = http.limits_problem(max_response_bytes, request_deadline, retry_after_max, retries)
        if problem:
            raise ApertureError(problem)
        credentials.check()
        self.verify = verify
        self._credentials = credentials
        self.secrets = http.Secrets()
        self.secrets.add_basic(credentials.client_id, credentials.client_secret)
        self.timeout = (connect_timeout, read_timeout)
        self.read_timeout = read_timeout
        self.max_response_bytes = max_response_bytes
        self.request_deadline = request_deadline
        self.retry_after_max = retry_after_max
        self.trust_env = trust_env
        self.log = logger or log
        self.audit = audit
        self._retries = retries
        self._backoff = backoff_factor
        self._lock = threading.Lock()
        self._token: Token | None = None
        self.tokens_issued = 0

    @classmethod
    def from_env(
        cls,
        api_url: str | None = None,
        environ: Mapping[str, str] | None = None,
        *,
        client_id_env: str = ENV_CLIENT_ID,
        client_secret_env: str = ENV_CLIENT_SECRET,
        **kw,
    ) -> ApertureClient:
        """Credentials from the variables named (and, unless given, the URL from $APERTURE_API_URL);
        raises before any request when a credential is missing."""
        env = os.environ if environ is None else environ
        credentials = Credentials.from_env(env, client_id_env=client_id_env, client_secret_env=client_secret_env)
        return cls(api_url or env.get(ENV_URL), credentials, **kw)

    def redact(self, text: str) -> str:
        return self.secrets.redact(text)

    def session(self) -> requests.Session:
        # No proxies or ~/.netrc from the environment unless trust_env: they must not see the Basic header.
        return http.new_session(
            make_retry(self._retries, self._backoff, self.retry_after_max, self.log, self.secrets),
            verify=self.verify,  # TLS verification on unless a CA bundle path is given instead
            trust_env=self.trust_env,
        )

    def _deadline(self, deadline: float | None) -> float:
        own = time.monotonic() + self.request_deadline
        return own if deadline is None else min(own, deadline)

    def _failed(self, what: str, problem: BaseException | None, guard: http.Guard) -> ApertureError:
        """Our error for a library's exception (never chained to it: its text may hold a secret)."""
        if guard.expired or isinstance(problem, http.RequestDeadline):
            return ApertureError(
                f"{what} did not complete within its deadline ({self.request_deadline:g} s at most)"
            )
        assert problem is not None
        return ApertureError(f"{what} failed: {self.secrets.describe(problem)} ({self.base_url})")

    def _retry_later(self, what: str, resp: requests.Response, detail: str) -> RetryLater | None:
        wait = http.retry_after_seconds(resp.headers.get("Retry-After"))
        if wait is None or resp.status_code not in (429, 500, 502, 503, 504):
            return None
        at = http.utc_in(wait)
        beyond = wait > self.retry_after_max
        why = f"beyond retry_after_max ({self.retry_after_max:g} s)" if beyond else "past this read's deadline"
        return RetryLater(
            what,
            resp.status_code,
            f"{detail + '; ' if detail else ''}the server asks to wait {wait:.0f} s (until {at}), {why}; "
            f"run again after {at}",
            at,
            beyond,
        )

    def _refused_redirect(self, what: str, resp: requests.Response) -> ApiError:
        target = self.redact(resp.headers.get("Location") or "(no Location header)")[:200]
        return ApiError(
            what,
            resp.status_code,
            f"redirect to {target} refused: credentials are sent to {ENV_URL} only. If the API has moved, "
            f"set {ENV_URL} to the new URL",
        )

    # -- token ------------------------------------------------------------------------------
    def token(self, session: requests.Session | None = None, deadline: float | None = None) -> str:
        """The cached access token, fetched when missing or about to expire."""
        with self._lock:
            now = time.monotonic()
            t = self._token
            if t is not None and (t.refresh_at is None or now < t.refresh_at):
                return t.value
            self._token = self._fetch_token(session, deadline=deadline)
            return self._token.value

    def token_info(self, session: requests.Session | None = None) -> dict:
        """Fetch a fresh token and describe it without revealing it (the connectivity check)."""
        describe: dict = {}
        with self._lock:
            self._token = self._fetch_token(session, describe)
        return describe

    def invalidate(self, stale: str) -> None:
        """Forget `stale` after a 401, unless another reader already replaced it."""
        with self._lock:
            if self._token is not None and self._token.value == stale:
                self._token = None

    def _fetch_token(
        self, session: requests.Session | None, describe: dict | None = None, deadline: float | None = None
    ) -> Token:
        with audited(self.audit, RequestAudit(APERTURE, ALL_TYPES, "token"), redact=self.redact) as entry:
            return self._token_exchange(session, entry, describe, deadline)

    def _token_exchange(
        self,
        session: requests.Session | None,
        entry: RequestAudit,
        describe: dict | None = None,
        deadline: float | None = None,
    ) -> Token:
        own = session is None
        s = self.session() if session is None else session
        what = "token request"
        problem: BaseException | None = None
        failure: ApertureError | None = None
        try:
            with http.Guard(self._deadline(deadline)) as guard:
                try:
                    resp = s.post(
                        self.base_url + TOKEN_PATH,
                        auth=(self._credentials.client_id, self._credentials.client_secret),
                        data={"grant_type": "client_credentials", "scope": "api_access"},
                        headers={"Accept": "application/json"},
                        timeout=(self.timeout[0], 30.0),
                        stream=True,
                        allow_redirects=False,
                    )
                    try:
                        body = http.read_body(resp, TOKEN_BODY_MAX, guard)
                    finally:
                        resp.close()
                except Exception as e:  # noqa: BLE001 - turned into an ApertureError below
                    problem = e
                failure = self._failed(what, problem, guard) if problem is not None else None
                entry.attempts = guard.sent
        finally:
            if own:
                s.close()
        if failure is not None:
            raise failure
        entry.status, entry.bytes = resp.status_code, len(body)
        detail = self.redact(_error_detail(body))[:200]
        if 300 <= resp.status_code < 400:
            raise self._refused_redirect(what, resp)
        if resp.status_code in (400, 401, 403):
            raise AuthError(
                f"token request refused (HTTP {resp.status_code}{': ' + detail if detail else ''}): check "
                f"{ENV_CLIENT_ID} / {ENV_CLIENT_SECRET}"
            )
        if resp.status_code != 200:
            raise self._retry_later(what, resp, detail) or ApiError(
                "token request failed", resp.status_code, detail
            )
        try:
            doc = orjson.loads(body)
            value = doc["access_token"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise ApiError("token response without access_token", resp.status_code) from None
        if not isinstance(value, str) or not value:
            raise ApiError("token response with an empty access_token", resp.status_code)
        self.secrets.add(value)  # before anything can print it
        try:
            http.check_token_text(value, "the access_token the token endpoint issued")
        except http.CredentialError as e:
            raise ApiError("token response unusable", resp.status_code, str(e)) from None
        expires_in = _seconds(doc.get("expires_in"))
        now = time.monotonic()
        if expires_in is None:
            expires_at = refresh_at = None
        else:
            # Short-lived tokens would otherwise be "about to expire" the moment they arrive.
            expires_at = now + expires_in
            refresh_at = expires_at - min(REFRESH_MARGIN, expires_in / 2)
        self.tokens_issued += 1
        if describe is not None:
            describe.update(
                token_type=self.redact(str(doc.get("token_type", "")))[:100],
                scope=self.redact(str(doc.get("scope", "")))[:200],
                expires_in=expires_in,
                api_url=self.base_url,
            )
        return Token(value, expires_at, refresh_at)

    # -- events -----------------------------------------------------------------------------
    def read_bulk(self, session: requests.Session, deadline: float | None = None) -> tuple[int, bytes]:
        """One GET of the bulk endpoint: (200, body bytes as received) or (204, b"").

        A 401 forces one token refresh and one retry; anything else that is not 200/204 after the
        transport retries raises ApiError (RetryLater when the server asks to wait longer than
        allowed). A body that does not arrive whole (connection lost, `deadline` or the request
        deadline passed, more than max_response_bytes) raises TruncatedBody with the bytes that did.
        """
        for attempt in (1, 2):
            token = self.token(session, deadline)
            with audited(self.audit, RequestAudit(APERTURE, ALL_TYPES, "events"), redact=self.redact) as entry:
                answer = self._read_once(session, token, deadline, entry)
            if answer is not None:
                return answer
            if attempt == 2:
                raise AuthError("events read refused (HTTP 401) with a fresh token: check the API client's scope")
        raise AssertionError("unreachable")

    def _read_once(
        self, session: requests.Session, token: str, deadline: float | None, entry: RequestAudit
    ) -> tuple[int, bytes] | None:
        """One bulk GET with `token` (see read_bulk); None after a 401 (the token is forgotten)."""
        what = "events read"
        problem: BaseException | None = None
        body = b""
        with http.Guard(self._deadline(deadline)) as guard:
            try:
                resp = session.get(
                    self.base_url + BULK_PATH,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                    timeout=self.timeout,
                    stream=True,
                    allow_redirects=False,
                )
                try:
                    if resp.status_code == 200:
                        body = http.read_body(resp, self.max_response_bytes, guard, keep_start=True)
                    else:
                        body = http.read_error_body(resp, guard)
                finally:
                    resp.close()
            except Exception as e:  # noqa: BLE001 - turned into an ApertureError below
                problem = e
            expired = guard.expired
            entry.attempts = guard.sent
        if isinstance(problem, http.BodyError):
            # The batch is popped: what arrived is all there is of it, and must be kept.
            entry.status, entry.bytes = 200, len(problem.partial)
            if isinstance(problem, http.BodyTooLarge):
                raise BodyTooLarge(
                    problem.partial,
                    message=f"a 200 body larger than max_response_bytes ({self.max_response_bytes} bytes): "
                    f"its first {len(problem.partial)} bytes are kept",
                )
            if isinstance(problem, http.BodyDeadline) or expired:
                raise TruncatedBody(
                    problem.partial,
                    message=f"the read's deadline passed after {len(problem.partial)} bytes of a 200 body",
                )
            cause = problem.cause
            raise TruncatedBody(
                problem.partial,
                message=f"connection lost after {len(problem.partial)} bytes of a 200 body: "
                f"{type(cause).__name__ if cause else '?'}",
            )
        if problem is not None:
            raise self._failed(what, problem, guard)
        entry.status, entry.bytes = resp.status_code, len(body)
        if resp.status_code == 401:
            self.invalidate(token)
            entry.error = "AuthError: events read refused (HTTP 401); the token is fetched again"
            return None
        if resp.status_code == 204:
            entry.records = 0
            return 204, b""
        if 300 <= resp.status_code < 400:
            raise self._refused_redirect(what, resp)
        if resp.status_code != 200:
            detail = self.redact(_error_detail(body))[:200]
            raise self._retry_later(what, resp, detail) or ApiError("events read failed", resp.status_code, detail)
        entry.records = count_events(body)
        return 200, body


def count_events(body: bytes) -> int | None:
    """The events in a bulk body (`{"events": [...]}` or a list), for the audit; None when it does
    not read as JSON (the spool keeps it and quarantine says why)."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    events = doc.get("events") if isinstance(doc, dict) else doc
    if events is None:
        return 0
    return len(events) if isinstance(events, list) else None


def _seconds(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if v > 0 else None


def _error_detail(body: bytes) -> str:
    """The API's own error words (never our request headers), short (callers redact, then cut)."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(doc, dict):
        return ""
    parts = [str(doc[k]) for k in ("error", "error_description", "message") if doc.get(k)]
    return "; ".join(parts)[:2000]
