"""Transport rules both vendor clients share.

- Credentials never cross a network in clear text, never follow a redirect, and never appear in a
  message: `check_url` parses URLs the way the HTTP library does and refuses anything ambiguous;
  `Secrets` redacts every form of a secret (as is, URL-encoded, base64, HTTP Basic) from any text.
- A request is bounded: `Guard` gives it a total deadline (a watchdog shuts its connection down when
  the deadline passes, whatever phase it is in) and counts every attempt that is actually written to
  an open connection (`GuardedAdapter`), so a refused connection, a failed name lookup or a failed TLS
  handshake is never counted as a request sent; `read_body` streams a body with a size cap.
- Retries are urllib3's (`BoundedRetry`): no retry after a failed name lookup, `Retry-After` capped,
  no wait past the deadline, and every retry logged with its reason and wait.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import email.utils
import ipaddress
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationParseError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProxyError,
    ReadTimeoutError,
    ResponseError,
    SSLError,
)
from urllib3.util import parse_url
from urllib3.util.retry import Retry

from log_assets import __version__

# Both clients name themselves and their version to the vendors' servers.
USER_AGENT = f"log-assets/{__version__} (+https://github.com/log-assets)"

MiB = 1024 * 1024
# A body is read in pieces of at most this much (whatever the socket has, up to it): a 1 MB page in
# one or a few reads costs ~2 ms of CPU, in 64 KiB pieces ~3 ms.
CHUNK = 1024 * 1024
# Error answers are read only for their message: this much is plenty, the rest is not read.
ERROR_BODY_MAX = 64 * 1024

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------------ URLs


class InsecureUrlError(ValueError):
    pass


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_of(url: str) -> str:
    """The host a URL names (for messages), or '?' when it does not parse."""
    try:
        return parse_url(url).host or "?"
    except (LocationParseError, ValueError):
        return "?"


def check_url(url: str, variable: str, allow_insecure_http: bool = False, override: str | None = None) -> str:
    """An http(s) URL that means one thing to every parser, refused when it is plain http to a host
    other than loopback (unless allowed).

    The host is the one urllib3 (and so requests) connects to. URLs with user info (`user@host`),
    backslashes, spaces or control characters are refused: parsers disagree about where their host
    is (`http://host\\@127.0.0.1/` is 127.0.0.1 to urllib.parse and `host` to urllib3), and
    credentials come from the environment only. `override` names the setting that allows plain http.
    """
    if not isinstance(url, str) or not url:
        raise InsecureUrlError(f"{variable} must be an http(s) URL, got {url!r}")
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url) or "\\" in url:
        raise InsecureUrlError(
            f"{variable} must be a plain http(s) URL without spaces, control characters or backslashes"
        )
    try:
        parts = parse_url(url)
        prepared = parse_url(requests.Request("GET", url).prepare().url or "")
        legacy = urlsplit(url).hostname
    except (LocationParseError, ValueError, requests.RequestException) as e:
        raise InsecureUrlError(f"{variable} is not a valid URL ({type(e).__name__})") from None
    if parts.scheme not in ("http", "https") or not parts.host:
        raise InsecureUrlError(f"{variable} must be an http(s) URL with a host")
    if parts.auth is not None or "@" in (urlsplit(url).netloc or ""):
        raise InsecureUrlError(
            f"{variable} must not carry user info (user:password@host): credentials come from the "
            "environment variables only"
        )
    host = parts.host.strip("[]").lower()
    if (prepared.host or "").strip("[]").lower() != host or (legacy or "").lower() != host:
        raise InsecureUrlError(f"{variable} is ambiguous: URL parsers disagree about its host")
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(host):
        how = override or "the allow_insecure_http setting"
        raise InsecureUrlError(
            f"refusing plain http:// to {host} ({variable}): credentials would cross the network "
            f"unencrypted. Use https, or, for a trusted proxy only, allow insecure http explicitly: {how}"
        )
    return url


def limits_problem(
    max_response_bytes: int, request_deadline: float, retry_after_max: float, retries: int
) -> str | None:
    """What is wrong with a client's limits (each client raises it as its own error), or None."""
    if max_response_bytes < 1 or request_deadline <= 0 or retry_after_max < 0 or retries < 0:
        return "max_response_bytes and request_deadline must be positive; retries, retry_after_max not negative"
    return None


# ----------------------------------------------------------------------------------- secrets


class CredentialError(ValueError):
    """A credential value that cannot be used; the message names the variable, never the value."""


def check_secret_text(value: str, what: str) -> str:
    """`value` if it can travel in an HTTP header; else CredentialError naming `what` (not the value)."""
    for i, ch in enumerate(value):
        o = ord(ch)
        if o < 0x20 or 0x7F <= o <= 0x9F:
            raise CredentialError(
                f"{what} contains a control character (U+{o:04X} at position {i + 1}), for example a "
                "newline or tab pasted with it; set it again without it"
            )
        if o > 0xFF:
            raise CredentialError(
                f"{what} contains a character HTTP headers cannot carry (U+{o:04X} at position {i + 1})"
            )
    return value


def secret_from_env(env: Mapping[str, str], name: str) -> str | None:
    """A credential from the environment: surrounding whitespace stripped, None when unset or
    blank, CredentialError (naming the variable, never the value) when it cannot be used."""
    raw = env.get(name)
    if raw is None:
        return None
    value = raw.strip()
    if not value:
        return None
    return check_secret_text(value, name)


def check_token_text(value: object, what: str) -> str:
    """A token a server issued, checked before it goes into a header: printable ASCII, no spaces."""
    if not isinstance(value, str) or not value:
        raise CredentialError(f"{what} is missing or not a string")
    for i, ch in enumerate(value):
        if not 0x21 <= ord(ch) <= 0x7E:
            raise CredentialError(
                f"{what} holds a character a token cannot have (U+{ord(ch):04X} at position {i + 1}); "
                "it was not used"
            )
    return value


def _b64(data: bytes) -> list[str]:
    return [base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode()]


class Secrets:
    """The secrets one client holds, and `redact`, which removes every form of them from a text:
    the value, its URL-encoded and escaped forms, its base64 and the HTTP Basic encoding."""

    MASK = "***"

    def __init__(self) -> None:
        self._forms: set[str] = set()
        self._lock = threading.Lock()

    def _add_forms(self, forms: Iterable[str]) -> None:
        with self._lock:
            self._forms.update(f for f in forms if f)

    def add(self, value: str | None) -> None:
        if not value:
            return
        forms = {
            value,
            quote(value, safe=""),
            quote(value),
            quote_plus(value),
            json.dumps(value)[1:-1],
            value.encode("unicode_escape").decode("ascii"),
            repr(value)[1:-1],
        }
        for enc in ("utf-8", "latin-1"):
            with contextlib.suppress(UnicodeEncodeError):
                forms.update(_b64(value.encode(enc)))
        self._add_forms(forms)

    def add_basic(self, user: str, password: str) -> None:
        """A password, and the Basic encoding of user:password (what the header carries)."""
        self.add(password)
        forms: set[str] = set()
        for enc in ("latin-1", "utf-8"):
            with contextlib.suppress(UnicodeEncodeError):
                forms.update(_b64(f"{user}:{password}".encode(enc)))
        self._add_forms(forms)

    # A form this short is removed only where it stands alone (not inside a word): removing every
    # "t" of a message would make it unreadable, and secrets that short are test values.
    SHORT = 8

    def redact(self, text: str) -> str:
        with self._lock:
            forms = sorted(self._forms, key=len, reverse=True)
        for f in forms:
            if f not in text:
                continue
            if len(f) >= self.SHORT:
                text = text.replace(f, self.MASK)
            else:
                text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(f)}(?![A-Za-z0-9])", self.MASK, text)
        return text

    def describe(self, exc: BaseException, limit: int = 300) -> str:
        """One short line about `exc`, whatever library raised it, with every secret removed (before
        shortening, so that no part of one is left)."""
        text = self.redact(describe(exc))
        return text if len(text) <= limit else text[:limit] + "…"


def root_cause(exc: BaseException) -> BaseException:
    """The urllib3 error inside a requests error (through MaxRetryError and ProxyError)."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, MaxRetryError) and exc.reason is not None:
            exc = exc.reason
        elif isinstance(exc, ProxyError) and isinstance(exc.original_error, BaseException):
            exc = exc.original_error
        elif isinstance(exc, requests.RequestException) and exc.args and isinstance(exc.args[0], BaseException):
            exc = exc.args[0]
        else:
            break
    return exc


def describe(exc: BaseException) -> str:
    """What went wrong, in words (not redacted: use Secrets.describe)."""
    root = root_cause(exc)
    if isinstance(root, NameResolutionError):
        host = getattr(root, "_host", None) or getattr(getattr(root, "conn", None), "host", "?")
        return f"cannot resolve the host name {host} (DNS lookup failed: {getattr(root, '_reason', '')})"
    if isinstance(root, NewConnectionError):
        conn = getattr(root, "conn", None)
        where = f"{getattr(conn, 'host', '?')}:{getattr(conn, 'port', '?')}"
        reason = str(getattr(root, "_message", root)).replace("Failed to establish a new connection: ", "")
        return f"cannot connect to {where} ({reason})"
    if isinstance(root, ConnectTimeoutError):
        return f"connection timed out ({root})"
    if isinstance(root, SSLError | requests.exceptions.SSLError):
        return f"TLS failed (SSL: {root})"
    if isinstance(root, ReadTimeoutError):
        return f"read timed out ({root})"
    return f"{type(root).__name__}: {root}"


# ------------------------------------------------------------------- deadlines and counting


class RequestDeadline(Exception):
    """The request's total deadline passed."""


_CURRENT: contextvars.ContextVar[Guard | None] = contextvars.ContextVar("log_assets_http_guard", default=None)


class Guard:
    """One logical request: its total deadline and the attempts written to the wire.

    Used as a context manager around a request made with a session that has a `GuardedAdapter`
    mounted. Every attempt (retries included) calls `on_send` just before its first byte is written
    to an open connection: after the name lookup, the TCP connect and the TLS handshake, so none of
    those failing counts. When the deadline passes, a watchdog shuts the connections down; whatever
    the request was waiting for (headers, a trickling body) then fails at once.
    """

    def __init__(self, deadline: float | None = None, on_send: Callable[[], None] | None = None) -> None:
        self.deadline = deadline
        self.on_send = on_send
        self.sent = 0
        self.expired = False
        self._conns: list = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._token: contextvars.Token | None = None

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def __enter__(self) -> Guard:
        self._token = _CURRENT.set(self)
        if self.deadline is not None:
            self._timer = threading.Timer(max(0.0, self.deadline - time.monotonic()), self._expire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._token is not None:
            _CURRENT.reset(self._token)
        with self._lock:
            self._conns.clear()

    def sending(self, conn) -> None:
        with self._lock:
            if self.expired:
                raise RequestDeadline("the request's deadline passed before it was sent")
            self._conns.append(conn)
        if self.on_send is not None:
            self.on_send()  # may raise (quota spent): then nothing is sent
        self.sent += 1

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            conns = list(self._conns)
        for conn in conns:
            sock = getattr(conn, "sock", None)
            if sock is not None:
                # socket.socket's own shutdown, also for an SSLSocket (whose override would tear
                # down its TLS state under a thread still reading it).
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)


_GUARDED: dict[Any, Any] = {}
_GUARDED_LOCK = threading.Lock()


def _guarded_connection(conn_cls: Any) -> type:
    def request(self, method, url, body=None, headers=None, **kw):
        guard = _CURRENT.get()
        if guard is not None:
            if self.sock is None:
                self.connect()  # lookup, connect, TLS: a failure here means nothing was sent
            guard.sending(self)
        return conn_cls.request(self, method, url, body, headers, **kw)

    return type(f"Guarded{conn_cls.__name__}", (conn_cls,), {"request": request, "_log_assets_guarded": True})


def _guarded_pools(classes: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    with _GUARDED_LOCK:
        for scheme, pool_cls in classes.items():
            if getattr(pool_cls.ConnectionCls, "_log_assets_guarded", False):
                out[scheme] = pool_cls
                continue
            if pool_cls not in _GUARDED:
                _GUARDED[pool_cls] = type(
                    f"Guarded{pool_cls.__name__}",
                    (pool_cls,),
                    {"ConnectionCls": _guarded_connection(pool_cls.ConnectionCls)},
                )
            out[scheme] = _GUARDED[pool_cls]
    return out


class GuardedAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections (direct or through a proxy) report every attempt they are
    about to send to the current `Guard`."""

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = _guarded_pools(self.poolmanager.pool_classes_by_scheme)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _guarded_pools(manager.pool_classes_by_scheme)
        return manager


def new_session(retry: Retry, *, verify: bool | str = True, trust_env: bool = False) -> requests.Session:
    """A session with a guarded adapter: no proxies or ~/.netrc from the environment unless
    `trust_env` (credentials must not go where the environment says)."""
    s = requests.Session()
    s.trust_env = trust_env
    s.verify = verify
    s.headers["User-Agent"] = USER_AGENT
    adapter = GuardedAdapter(max_retries=retry, pool_connections=1, pool_maxsize=1)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s


# ------------------------------------------------------------------------------------- retries


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header in seconds from now (delta-seconds or an HTTP date); None if unreadable."""
    if value is None:
        return None
    v = value.strip()
    if re.fullmatch(r"[0-9]{1,12}", v):
        return float(int(v))
    parsed = email.utils.parsedate_tz(v)
    if parsed is None:
        return None
    try:
        return max(0.0, email.utils.mktime_tz(parsed) - time.time())
    except (OverflowError, ValueError):
        return None


def utc_in(seconds: float) -> str:
    """The UTC time `seconds` from now, for messages."""
    try:
        return datetime.fromtimestamp(time.time() + seconds, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return "a very long time from now"


class BoundedRetry(Retry):
    """urllib3 Retry, bounded:

    - a failed name lookup is not retried (it would fail alike; the run fails fast);
    - only the statuses in `status_forcelist` are retried (urllib3 also retries 413/429 that carry
      Retry-After);
    - a Retry-After beyond `retry_after_max` is not waited for: the answer is returned as is, and
      the client says when to retry;
    - no wait that would end past the current Guard's deadline;
    - every retry is logged, with its reason and wait, through `logger` (redacted by `redactor`).
    """

    label: str = "HTTP"
    logger: logging.Logger = log
    redactor: Secrets | None = None

    def configure(self, label: str, logger: logging.Logger | None = None, redactor: Secrets | None = None):
        self.label = label
        self.logger = logger or log
        self.redactor = redactor
        return self

    def new(self, **kw):
        r = super().new(**kw)
        r.label, r.logger, r.redactor = self.label, self.logger, self.redactor
        return r

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        return (
            self._is_method_retryable(method)
            and bool(self.status_forcelist)
            and status_code in (self.status_forcelist or ())
        )

    def get_retry_after(self, response) -> float | None:
        seconds = retry_after_seconds(response.headers.get("Retry-After"))
        return None if seconds is None else min(seconds, self.retry_after_max)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        guard = _CURRENT.get()
        if error is not None and isinstance(root_cause(error), NameResolutionError):
            raise MaxRetryError(_pool, url, error) from error
        if guard is not None and guard.expired:
            raise MaxRetryError(_pool, url, error or ResponseError("the request's deadline passed"))
        asked = None
        if response is not None:
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            if asked is not None and asked > self.retry_after_max:
                # Returned to the caller (raise_on_status=False), which says when to try again.
                raise MaxRetryError(_pool, url, ResponseError(f"Retry-After {asked:.0f} s is beyond the cap"))
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        wait = min(asked, self.retry_after_max) if asked and self.respect_retry_after_header else 0.0
        wait = wait or new.get_backoff_time()
        left = guard.remaining() if guard is not None else None
        if left is not None and wait >= left:
            raise MaxRetryError(_pool, url, error or ResponseError("no time left before the request's deadline"))
        reason = f"HTTP {response.status}" if response is not None else describe(error) if error else "?"
        self.logger.warning(
            "%s: %s; retry %d in %.1f s%s",
            self.label,
            (self.redactor.redact(reason) if self.redactor else reason)[:300],
            len(new.history),
            wait,
            " (as the server asked with Retry-After)" if asked else "",
        )
        return new


# --------------------------------------------------------------------------------------- bodies


class BodyError(Exception):
    """A body that could not be read whole; `partial` holds the bytes that did arrive."""

    def __init__(self, message: str, partial: bytes, cause: BaseException | None = None):
        super().__init__(message)
        self.partial = partial
        self.cause = cause


class BodyTooLarge(BodyError):
    pass


class BodyDeadline(BodyError):
    pass


class BodyBroken(BodyError):
    pass


def _declared_length(resp: requests.Response) -> int | None:
    try:
        n = int(resp.headers.get("Content-Length", ""))
    except ValueError:
        return None
    return n if n >= 0 else None


def read_body(
    resp: requests.Response, max_bytes: int, guard: Guard | None = None, *, keep_start: bool = False
) -> bytes:
    """The body of a streamed (`stream=True`) response, read as it arrives: at most `max_bytes`
    (decoded) are held, and the Guard's deadline covers the whole body, not each read.

    A body that declares more than `max_bytes` is refused unread, unless `keep_start` (then its
    first `max_bytes` are read, for the caller to keep from BodyTooLarge.partial)."""
    declared = _declared_length(resp)
    raw = resp.raw
    if (
        declared is not None
        and declared > max_bytes
        and not keep_start
        and not resp.headers.get("Content-Encoding")
    ):
        raise BodyTooLarge(f"the answer declares {declared} bytes, more than the {max_bytes}-byte limit", b"")
    buf = bytearray()
    try:
        while True:
            chunk = raw.read1(CHUNK, decode_content=True)
            if not chunk:
                break
            room = max_bytes - len(buf)
            if len(chunk) > room:
                buf += chunk[:room]
                raise BodyTooLarge(f"the answer is larger than the {max_bytes}-byte limit", bytes(buf))
            buf += chunk
    except BodyTooLarge:
        raise
    except Exception as e:  # noqa: BLE001 - any transport failure mid-body
        if guard is not None and guard.expired:
            raise BodyDeadline(f"the deadline passed after {len(buf)} bytes of the body", bytes(buf), e) from None
        raise BodyBroken(f"connection broken after {len(buf)} bytes of the body", bytes(buf), e) from None
    if guard is not None and guard.expired:
        complete = declared is not None and raw.tell() >= declared
        if not complete:
            raise BodyDeadline(f"the deadline passed after {len(buf)} bytes of the body", bytes(buf))
    return bytes(buf)


def read_error_body(resp: requests.Response, guard: Guard | None = None) -> bytes:
    """The start of an error answer's body (for its message); never more than ERROR_BODY_MAX."""
    try:
        return read_body(resp, ERROR_BODY_MAX, guard)
    except BodyError as e:
        return e.partial
