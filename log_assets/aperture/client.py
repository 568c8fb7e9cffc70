"""Palo Alto Networks Data Security (Aperture) Log Events API client. No Dagster here.

Reads are destructive (api-facts.md): every successful GET pops a batch for good. So the client
never reads to test connectivity (`token()` is the connectivity check), its read timeout is above
the server's 20 s long poll, and it hands each body back as bytes, untouched, for the caller to make
durable before anything else happens.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from log_assets import http

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

TOKEN_PATH = "/oauth/token"
BULK_PATH = "/api/v1/log_events_bulk"

SERVER_LONG_POLL = 20.0
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 45.0  # above the server's long poll, or a popped batch could be cut off
REFRESH_MARGIN = 60.0


class ApertureError(RuntimeError):
    pass


class MissingCredentialsError(ApertureError):
    def __init__(self, variable: str):
        super().__init__(
            f"{variable} is not set: Aperture needs {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} in the environment"
        )
        self.variable = variable


class AuthError(ApertureError):
    """The API refused the credentials or a freshly issued token."""


class ApiError(ApertureError):
    def __init__(self, what: str, status: int, detail: str = ""):
        super().__init__(f"{what}: HTTP {status}{': ' + detail if detail else ''}")
        self.status = status


class TruncatedBody(ApertureError):
    """The server answered 200 but the connection broke before the whole body arrived.

    `partial` holds what did arrive: the batch is already popped, so those bytes are all that is
    left of it and must be kept.
    """

    def __init__(self, partial: bytes, cause: BaseException):
        super().__init__(f"connection lost after {len(partial)} bytes of a 200 body: {type(cause).__name__}")
        self.partial = partial


def resolve_api_url(value: str | None) -> str:
    """A region preset (us, eu, apac, uk, in1, au1, uk2, jp1) or a URL; unset means the US host."""
    value = (value or "").strip()
    if not value:
        return DEFAULT_API_URL
    if value.lower() in REGIONS:
        return REGIONS[value.lower()]
    if not value.startswith(("http://", "https://")):
        raise ApertureError(f"{ENV_URL}={value!r} is neither a URL nor a region preset ({', '.join(REGIONS)})")
    return value.rstrip("/")


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str

    def __repr__(self) -> str:  # never show the secret, even in a traceback's locals
        return f"Credentials(client_id={self.client_id!r}, client_secret=***)"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        env = os.environ if environ is None else environ
        values = {}
        for name in (ENV_CLIENT_ID, ENV_CLIENT_SECRET):
            value = (env.get(name) or "").strip()
            if not value:
                raise MissingCredentialsError(name)
            values[name] = value
        return cls(values[ENV_CLIENT_ID], values[ENV_CLIENT_SECRET])


class _CappedRetry(Retry):
    """urllib3 Retry that honours Retry-After but never sleeps longer than a drain can afford."""

    RETRY_AFTER_MAX = 30.0

    def get_retry_after(self, response):
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.RETRY_AFTER_MAX)


def make_retry(total: int = 4, backoff_factor: float = 0.5) -> Retry:
    # Retrying a bulk GET after a read error cannot lose more than the error already did: the batch
    # (if popped) is gone either way, and the retry reads the next one.
    return _CappedRetry(
        total=total,
        connect=total,
        read=total,
        status=total,
        other=0,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "POST"}),
        backoff_factor=backoff_factor,
        backoff_max=20.0,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=True,
    )


@dataclass
class Token:
    value: str
    expires_at: float | None  # time.monotonic(); None = does not expire
    refresh_at: float | None


class ApertureClient:
    """Shares one cached token between reader threads; each thread uses its own `session()`."""

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
    ) -> None:
        self.base_url = resolve_api_url(api_url)
        try:
            http.check_url(self.base_url, ENV_URL, allow_insecure_http)
        except http.InsecureUrlError as e:
            raise ApertureError(str(e)) from None
        self.verify = verify
        self._credentials = credentials
        self.timeout = (connect_timeout, read_timeout)
        self._retries = retries
        self._backoff = backoff_factor
        self._lock = threading.Lock()
        self._token: Token | None = None
        self.tokens_issued = 0

    @classmethod
    def from_env(
        cls, api_url: str | None = None, environ: Mapping[str, str] | None = None, **kw
    ) -> ApertureClient:
        """Credentials (and, unless given, the URL) from the environment; raises before any request
        when a credential is missing."""
        env = os.environ if environ is None else environ
        credentials = Credentials.from_env(env)
        return cls(api_url or env.get(ENV_URL), credentials, **kw)

    def session(self) -> requests.Session:
        s = requests.Session()
        adapter = HTTPAdapter(
            max_retries=make_retry(self._retries, self._backoff), pool_connections=1, pool_maxsize=1
        )
        s.mount("http://", adapter)
        s.mount("https://", adapter)
        s.headers["User-Agent"] = http.USER_AGENT
        s.trust_env = False  # proxies/netrc from the environment must not see the Basic header
        s.verify = self.verify  # TLS verification on unless a CA bundle path is given instead
        return s

    # -- token ------------------------------------------------------------------------------
    def token(self, session: requests.Session | None = None) -> str:
        """The cached access token, fetched when missing or about to expire."""
        with self._lock:
            now = time.monotonic()
            t = self._token
            if t is not None and (t.refresh_at is None or now < t.refresh_at):
                return t.value
            self._token = self._fetch_token(session)
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

    def _fetch_token(self, session: requests.Session | None, describe: dict | None = None) -> Token:
        own = session is None
        s = self.session() if session is None else session
        try:
            resp = s.post(
                self.base_url + TOKEN_PATH,
                auth=(self._credentials.client_id, self._credentials.client_secret),
                data={"grant_type": "client_credentials", "scope": "api_access"},
                headers={"Accept": "application/json"},
                timeout=(self.timeout[0], 30.0),
            )
        finally:
            if own:
                s.close()
        if resp.status_code in (400, 401, 403):
            raise AuthError(
                f"token request refused (HTTP {resp.status_code}{_error_detail(resp)}): check "
                f"{ENV_CLIENT_ID} / {ENV_CLIENT_SECRET}"
            )
        if resp.status_code != 200:
            raise ApiError("token request failed", resp.status_code, _error_detail(resp).lstrip(": "))
        try:
            doc = resp.json()
            value = doc["access_token"]
        except (ValueError, KeyError, TypeError):
            raise ApiError("token response without access_token", resp.status_code) from None
        if not isinstance(value, str) or not value:
            raise ApiError("token response with an empty access_token", resp.status_code)
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
                token_type=str(doc.get("token_type", "")),
                scope=str(doc.get("scope", "")),
                expires_in=expires_in,
                api_url=self.base_url,
            )
        return Token(value, expires_at, refresh_at)

    # -- events -----------------------------------------------------------------------------
    def read_bulk(self, session: requests.Session) -> tuple[int, bytes]:
        """One GET of the bulk endpoint: (200, body bytes as received) or (204, b"").

        A 401 forces one token refresh and one retry; anything else that is not 200/204 after the
        transport retries raises ApiError. A body cut off mid-way raises TruncatedBody.
        """
        for attempt in (1, 2):
            token = self.token(session)
            resp = session.get(
                self.base_url + BULK_PATH,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=self.timeout,
                stream=True,
            )
            try:
                if resp.status_code == 401:
                    _ = resp.content  # drain so the connection can be reused
                    self.invalidate(token)
                    if attempt == 1:
                        continue
                    raise AuthError(
                        "events read refused (HTTP 401) with a fresh token: check the API client's scope"
                    )
                if resp.status_code == 204:
                    _ = resp.content
                    return 204, b""
                if resp.status_code != 200:
                    _ = resp.content
                    raise ApiError("events read failed", resp.status_code, _error_detail(resp).lstrip(": "))
                chunks: list[bytes] = []
                try:
                    # read1 hands over whatever has arrived, so a cut-off body still yields its bytes.
                    while chunk := resp.raw.read1(65536, decode_content=True):
                        chunks.append(chunk)
                except Exception as e:  # noqa: BLE001 - any transport failure mid-body
                    raise TruncatedBody(b"".join(chunks), e) from e
                return 200, b"".join(chunks)
            finally:
                resp.close()
        raise AssertionError("unreachable")


def _seconds(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if v > 0 else None


def _error_detail(resp: requests.Response) -> str:
    """The API's own error words (never our request headers), short."""
    try:
        doc = resp.json()
    except ValueError:
        return ""
    if not isinstance(doc, dict):
        return ""
    parts = [str(doc[k]) for k in ("error", "error_description", "message") if doc.get(k)]
    return (": " + "; ".join(parts))[:200] if parts else ""
