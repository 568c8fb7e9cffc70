"""An independent implementation of the two vendor APIs, written from the vendor pages and
api-facts.md alone (not from log_assets/simulator), to catch clients that rely on simulator-only
behaviour. Where the documents leave room it deliberately picks differently:

Forcepoint (Log Export API)
- tokens are standard base64 of JSON ({"log_id", "datetime"} / {"start_time", "end_time", "page"}
  plus an opaque "sig"), always with '+', '/' and '=' in them; query strings are form-decoded, so an
  un-encoded '+' becomes a space and the token is refused (400 Invalid next page token);
- the server picks a page size that varies page by page (50..120 records, swgweb: 40 per page);
- end of data: a token request answers empty data and the *same* token; a startdate with nothing
  after it answers empty data and the token `{}` (e30=); sending `{}` back is 400;
- swgweb/swgwebdlp walk 7-hour windows (from the hour of startdate, so a window straddles each UTC
  midnight), 40 records a page, newest-first inside a window;
- every request naming a type counts against 300/day per type (bad credentials too); X-RateLimit-Limit,
  -Remaining and -Reset (as "YYYY-MM-DD 00:00:00+00:00") on every such answer; 429 after the limit;
- errors are text/plain messages from the vendor's table; success bodies are served as text/plain;
- record `time` is "%d %b %Y %H:%M:%S", numbers as strings, bracketed times in transactionid.

Aperture (Log Events API)
- POST /oauth/token with Basic auth and a form body; expires_in is short (default 30 s) and really
  expires (401 invalid_token afterwards);
- /api/v1/log_events_bulk pops batches of varying size (<= 100); an empty queue long-polls, then
  answers alternately 200 {"events": []} (first) and 204 (no body); bodies are sent chunked, events with the
  vendor's spacing, timestamp quirks and byte-identical repeats; /api/v1/log_events pops one.

Ground truth is in-process: `fp_truth(type, day)`, `fp_requests(type)`, `ap_popped`, `ap_queue_len()`.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import random
import secrets
import threading
import time
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from tests.infra.fake_http import FakeHandler, FakeServer

UTC = UTC
FP_PATHS = ("/api/bitglassapi/logs/v1/", "/api/bitglassapi/logs/")
FP_TYPES = (
    "access",
    "admin",
    "cloudsummary",
    "cloudaudit",
    "swgweb",
    "swgwebdlp",
    "healthproxy",
    "healthapi",
    "healthsystem",
)
SWG = ("swgweb", "swgwebdlp")
SWG_WINDOW, SWG_PAGE = timedelta(hours=7), 40
AP_TYPES = ("activity_monitoring", "incident", "remediation", "policy_violation", "admin_audit")


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def enc_token(obj: dict) -> str:
    """Base64 of JSON, varied until it holds '+', '/' and '=' (a client must URL-encode it)."""
    for n in range(64):
        s = b64(json.dumps({**obj, "sig": "~?" * (1 + n % 4) + " " * (n // 4)}))
        if "+" in s and "/" in s and s.endswith("="):
            return s
    raise AssertionError("no token variant with + / =")


def iso_us(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class IndependentApi:
    def __init__(
        self,
        *,
        seed=11,
        fp_days=range(-4, 1),
        fp_per_day=None,
        fp_quota=300,
        fp_latency=0.0,
        ap_token_ttl=30,
        ap_long_poll=1.5,
        ap_latency=0.0,
        ap_events=600,
        ap_days=(-2, -1),
    ):
        self.rng = random.Random(seed)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.today = self.now.replace(hour=0, minute=0, second=0)
        self.lock = threading.Condition()
        self.fp_token = "fpT0k+" + secrets.token_urlsafe(18)
        self.fp_user, self.fp_password = "api-admin@example.com", "pw/" + secrets.token_hex(10)
        self.ap_client_id, self.ap_client_secret = (
            "client-" + secrets.token_hex(4),
            "s3cr/" + secrets.token_urlsafe(16),
        )
        self.fp_quota, self.fp_latency = fp_quota, fp_latency
        self.ap_token_ttl, self.ap_long_poll, self.ap_latency = ap_token_ttl, ap_long_poll, ap_latency
        self.fp_counts: Counter = Counter()  # (type, utc date) -> requests
        self.fp_log: list[dict] = []
        self.fp_events: dict[str, list[tuple[datetime, int, dict]]] = {}  # in API (log id) order
        self.fp_held: list[tuple[str, tuple]] = []
        per_day = fp_per_day or {"access": 300, "swgweb": 200}
        log_id = 5_000_000
        for lt, n in per_day.items():
            rows = []
            for d in fp_days:
                day = self.today + timedelta(days=d)
                span = 86400 if d < 0 else max(60, int((self.now - day).total_seconds()) - 120)
                secs = ([0, 0, span - 1, span - 1] + [self.rng.randrange(span) for _ in range(n - 4)])[:n]
                for s in secs:
                    rows.append(day + timedelta(seconds=s, microseconds=self.rng.randrange(1_000_000)))
            rows.sort()
            evs = []
            for t in rows:
                log_id += self.rng.randrange(1, 9)
                evs.append((t, log_id, self._fp_record(lt, t, log_id)))
            self.fp_events[lt] = evs
        self.ap_tokens: dict[str, float] = {}
        self.ap_queue: deque[str] = deque()
        self.ap_popped: list[list[str]] = []  # every batch the server removed, in order
        self.ap_requests: Counter = Counter()
        self._ap_batch = 0
        self._ap_empty = 0
        self.ap_enqueue(self.make_ap_events(ap_events, ap_days))
        self._server = FakeServer(_handler(self))

    # ------------------------------------------------------------------ lifecycle / ground truth
    def __enter__(self):
        self._server.start()
        return self

    def __exit__(self, *exc):
        self._server.stop()

    @property
    def base(self) -> str:
        return self._server.url()

    def secrets(self) -> dict[str, str]:
        return {
            "forcepoint token": self.fp_token,
            "forcepoint password": self.fp_password,
            "forcepoint basic": b64(f"{self.fp_user}:{self.fp_password}"),
            "aperture client secret": self.ap_client_secret,
            "aperture basic": b64(f"{self.ap_client_id}:{self.ap_client_secret}"),
            **{f"aperture access token {i}": t for i, t in enumerate(list(self.ap_tokens))},
        }

    def fp_truth(self, lt: str, day: str) -> list[dict]:
        return [r for t, _, r in self.fp_events[lt] if t.strftime("%Y-%m-%d") == day]

    def fp_hold(self, lt: str, day: str, n: int) -> list[dict]:
        """Take the day's last n events out of the API (not ingested yet); `fp_release` delivers them late."""
        with self.lock:
            evs = self.fp_events[lt]
            held = [e for e in evs if e[0].strftime("%Y-%m-%d") == day][-n:]
            self.fp_events[lt] = [e for e in evs if e not in held]
            self.fp_held += [(lt, e) for e in held]
            return [e[2] for e in held]

    def fp_release(self) -> None:
        """Late arrivals: the held events get log ids after everything served so far (API order is
        ingestion order, so they follow events with later times)."""
        with self.lock:
            for lt, (t, _, rec) in self.fp_held:
                self.fp_events[lt].append((t, max(e[1] for e in self.fp_events[lt]) + 1, rec))
            self.fp_held = []

    def fp_requests(self, lt: str) -> int:
        with self.lock:
            return sum(n for (t, _), n in self.fp_counts.items() if t == lt)

    def ap_queue_len(self) -> int:
        with self.lock:
            return len(self.ap_queue)

    # ------------------------------------------------------------------------------ Forcepoint data
    def _fp_record(self, lt: str, t: datetime, log_id: int) -> dict:
        r = self.rng
        user = f"user{r.randrange(40)}@example.com"
        stamp = t.strftime("%d %b %Y %H:%M:%S") if r.random() < 0.5 else t.strftime("%Y-%m-%d %H:%M:%S")
        base = {
            "syslogheader": f"<110>1 {iso_us(t)} api.bitglass.com NILVALUE NILVALUE access",
            "time": t.strftime("%d %b %Y %H:%M:%S"),
            "email": user,
            "user": user.split("@")[0],
            "ipaddress": f"10.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(256)}",
            "useragent": "Mozilla/5.0",
            "device": "Windows 10",
            "application": r.choice(["Box", "Slack", "O365"]),
            "action": r.choice(["Allowed", "Alert", "Quarantined"]),
            "usergroup": "['355160', 'All Users']",
        }
        if lt in SWG:
            return {
                **base,
                "setransactionid": f"{log_id:x}-{secrets.token_hex(6)}",
                "indexedtime": t.strftime("%Y-%m-%d %H:%M:%S"),
                "url": f"https://site{r.randrange(99)}.example/p",
                "bgcategories": '["Purple"]',
                "uploadedbytes": str(r.randrange(99999)),
                "size": str(r.randrange(99999)),
                "responsecode": r.choice([200, None, 404]),
            }
        return {
            **base,
            "transactionid": f"{secrets.token_hex(8)}_{log_id} [{stamp}]",
            "activity": r.choice(["Uploaded", "Access"]),
            "location": "Paris||Ile-de-France||IDF||FR",
            "uploadedbytes": str(r.randrange(99999)),
            "request": "GET /",
        }

    def _page(self, lt: str, start: datetime | None, tok: dict | None):
        """(records, next token, window start or None) for a startdate or a decoded token; a None
        token means: echo the one sent (caught up)."""
        evs = [e for e in self.fp_events.get(lt, []) if e[0] <= self.now]
        if lt in SWG:  # 7-hour windows from the hour of startdate, newest-first inside a window
            if tok is not None:
                w, p = (
                    datetime.strptime(tok["start_time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
                    int(tok["page"]),
                )
            else:
                w, p = start.replace(minute=0, second=0, microsecond=0), 0
            while w <= self.now:
                inw = sorted((e for e in evs if w <= e[0] < w + SWG_WINDOW), key=lambda e: e[0], reverse=True)
                page = inw[p * SWG_PAGE : (p + 1) * SWG_PAGE]
                if page:
                    nw, np_ = (w, p + 1) if (p + 1) * SWG_PAGE < len(inw) else (w + SWG_WINDOW, 0)
                    return (
                        [e[2] for e in page],
                        enc_token(
                            {
                                "start_time": nw.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                "end_time": (nw + SWG_WINDOW).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                "page": np_,
                            }
                        ),
                        w,
                    )
                w, p = w + SWG_WINDOW, 0
            return [], (None if tok is not None else "e30="), None
        if tok is not None:
            idx = next((i for i, e in enumerate(evs) if e[1] > int(tok["log_id"])), len(evs))
        else:
            idx = next((i for i, e in enumerate(evs) if e[0] >= start), len(evs))
        page = evs[idx : idx + 50 + (idx * 7919 + 13) % 71]
        if not page:
            return [], (None if tok is not None else "e30="), None
        return [e[2] for e in page], enc_token({"log_id": page[-1][1], "datetime": iso_us(page[-1][0])}), None

    def fp_min_requests(self, lt: str, first_day: str, end_day_excl: str) -> int:
        """Requests a correct walk needs for [first_day, end_day_excl) (one startdate, then tokens): every
        page holding an event before the end, plus the one that shows the walk is past it (or caught up)."""
        start = datetime.strptime(first_day, "%Y-%m-%d").replace(tzinfo=UTC)
        end = datetime.strptime(end_day_excl, "%Y-%m-%d").replace(tzinfo=UTC)
        n, tok = 0, None
        while True:
            n += 1
            data, nxt, w = self._page(lt, start if tok is None else None, tok)
            if not data or nxt is None:
                return n
            if (w is not None and w >= end) or (w is None and min(self._t(lt, r) for r in data) >= end):
                return n
            tok = json.loads(base64.b64decode(nxt))

    def _t(self, lt: str, rec: dict) -> datetime:
        return datetime.strptime(rec["time"], "%d %b %Y %H:%M:%S").replace(tzinfo=UTC)

    def forcepoint(self, h: FakeHandler, q: dict) -> None:
        lt = q.get("type", "")
        if lt not in FP_TYPES:
            return h.reply(400, f"Invalid type: {lt}. Supported types are: cloudsummary, cloudaudit, and access")
        with self.lock:
            key = (lt, datetime.now(UTC).strftime("%Y-%m-%d"))
            self.fp_counts[key] += 1
            used = self.fp_counts[key]
            entry = {"type": lt, "n": used, "token": q.get("nextpagetoken"), "startdate": q.get("startdate")}
            self.fp_log.append(entry)
        reset = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d 00:00:00+00:00")
        hdr = {
            "X-RateLimit-Limit": str(self.fp_quota),
            "X-RateLimit-Remaining": str(max(0, self.fp_quota - used)),
            "X-RateLimit-Reset": reset,
        }
        if self.fp_latency:
            time.sleep(self.fp_latency)
        auth = h.headers.get("Authorization", "")
        if not auth:
            return h.reply(401, "Authorization required", hdr)
        if auth not in (f"Bearer {self.fp_token}", "Basic " + b64(f"{self.fp_user}:{self.fp_password}")):
            return h.reply(401, "Invalid credentials", hdr)
        if used > self.fp_quota:
            return h.reply(
                429,
                f"You have exceeded your allowance of {self.fp_quota} requests per day for {lt} logs. "
                f"Limit will reset at {reset}",
                hdr,
            )
        fmt = q.get("responseformat", "csv")
        if fmt not in ("csv", "json"):
            return h.reply(400, f"Invalid responseformat: {fmt}. Supported values: csv, json", hdr)
        if "cv" not in q:
            return h.reply(400, "cv (collector version) is required", hdr)
        sd, tk = q.get("startdate"), q.get("nextpagetoken")
        if sd and tk:
            return h.reply(400, "Provide either the start date or nextpagetoken", hdr)
        if not sd and not tk:
            return h.reply(400, "Start date and nextpagetoken is missing", hdr)
        start = tok = None
        if sd:
            try:
                start = datetime.strptime(sd, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            except ValueError:
                return h.reply(400, f"Invalid start date format {sd} Expected format: %Y-%m-%dT%H:%M:%SZ", hdr)
        else:
            try:
                tok = json.loads(base64.b64decode(tk, validate=True))
                tok["start_time" if lt in SWG else "log_id"]
            except Exception:  # noqa: BLE001 - anything unreadable is an invalid token
                entry["bad_token"] = True
                return h.reply(400, "Invalid next page token", hdr)
        data, nxt, _ = self._page(lt, start, tok)
        nxt = tk if nxt is None else nxt
        entry.update(events=len(data), next=nxt)
        if fmt == "csv":
            cols = sorted({k for r in data for k in r})
            buf = io.StringIO()
            w = csv.DictWriter(buf, cols, lineterminator="\n")
            if data:
                w.writeheader()
                w.writerows(
                    {k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in r.items()} for r in data
                )
            payload = buf.getvalue()
        else:
            payload = data
        body = {
            "status": "Request was successful",
            "nextpagetoken": nxt,
            "response": {"dataformat": fmt, "dataencoding": "utf-8", "data": payload},
        }
        h.reply(200, json.dumps(body), hdr)

    # ------------------------------------------------------------------------------- Aperture data
    def make_ap_events(self, n: int, days) -> list[str]:
        r, out = self.rng, []
        for i in range(n):
            lt = AP_TYPES[i % len(AP_TYPES)]
            t = self.today + timedelta(
                days=days[i % len(days)],
                seconds=r.choice([0, 86399, r.randrange(86400)]),
                milliseconds=r.randrange(1000),
            )
            ts = r.choice(
                [
                    t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
                    t.strftime("%Y-%m-%dT%H:%M:%SZ "),
                    t.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),
                ]
            )
            ev = {
                "log_type": lt,
                "item_type": r.choice(["File", "file", "Folder"]),
                "item_name": f"doc-{i}-{secrets.token_hex(3)}.txt",
                "serial": r.choice([None, str(r.randrange(10**9))]),
                "cloud_app_instance": "Office 365 8",
                "timestamp": ts,
            }
            if lt == "activity_monitoring":
                ev.update(
                    user="John Smith",
                    source_ip="10.1.2.3",
                    action=r.choice(["delete", "sign_in"]),
                    target_name=None,
                    target_type=r.choice(["", None]),
                )
            elif lt == "admin_audit":
                ev.update(
                    admin_id="admin@example.com",
                    admin_role="super_admin",
                    ip="10.0.0.1",
                    event_type="policy",
                    action="edit",
                )
            else:
                ev.update(
                    asset_id=secrets.token_hex(12),
                    incident_id=secrets.token_hex(12),
                    policy_rule_name="PCI Policy",
                    severity=r.choice([1.0, 3, 4.0]),
                    item_owner="Admin User",
                )
                if lt == "incident":
                    ev.update(
                        exposure=r.choice(["COMPANY", "public", "INTERNAL"]), item_size=1335, collaborators=""
                    )
                if lt != "incident":
                    ev.update(action_taken="quarantine", action_taken_by="Aperture")
            text = json.dumps(ev, indent=1, separators=(", ", " : ")) if i % 2 else json.dumps(ev)
            out.append(text)
            if i % 97 == 5:
                out.append(text)  # a byte-identical repeat
        return out

    def ap_enqueue(self, raws: list[str]) -> None:
        with self.lock:
            self.ap_queue.extend(raws)
            self.lock.notify_all()

    def token(self, h, form: dict) -> None:
        self.ap_requests["token"] += 1
        if h.headers.get("Authorization", "") != "Basic " + b64(f"{self.ap_client_id}:{self.ap_client_secret}"):
            return h.reply(
                401,
                json.dumps({"error": "unauthorized", "error_description": "Bad credentials"}),
                ctype="application/json",
            )
        if form.get("grant_type") != "client_credentials":
            return h.reply(400, json.dumps({"error": "unsupported_grant_type"}), ctype="application/json")
        tok = ".".join(base64.urlsafe_b64encode(secrets.token_bytes(k)).decode().rstrip("=") for k in (18, 60, 32))
        with self.lock:
            self.ap_tokens[tok] = time.monotonic() + self.ap_token_ttl
        h.reply(
            200,
            json.dumps(
                {
                    "access_token": tok,
                    "token_type": "bearer",
                    "expires_in": self.ap_token_ttl,
                    "scope": "api_access",
                    "jti": secrets.token_hex(8),
                }
            ),
            ctype="application/json;charset=UTF-8",
        )

    def events(self, h, bulk: bool) -> None:
        self.ap_requests["bulk" if bulk else "single"] += 1
        auth = h.headers.get("Authorization", "")
        exp = self.ap_tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if exp is None or exp < time.monotonic():
            return h.reply(
                401,
                json.dumps({"error": "invalid_token", "error_description": "Access token expired or unknown"}),
                ctype="application/json",
            )
        with self.lock:
            self.lock.wait_for(lambda: self.ap_queue, timeout=self.ap_long_poll)
            if not self.ap_queue:
                self._ap_empty += 1
                if not self._ap_empty % 2:
                    return h.reply(204, None, ctype="application/json; charset=utf-8")
                return h.reply(200, '{"events": []}', ctype="application/json;charset=UTF-8")
            n = (100, 63, 100, 17, 88, 1, 100)[self._ap_batch % 7] if bulk else 1
            self._ap_batch += 1
            batch = [self.ap_queue.popleft() for _ in range(min(n, len(self.ap_queue)))]
            self.ap_popped.append(batch)
        if self.ap_latency:
            time.sleep(self.ap_latency)
        body = '{"events": [' + ",\n".join(batch) + "]}" if bulk else batch[0]
        h.reply(200, body, {"x-response-time": "297ms"}, ctype="application/json;charset=UTF-8", chunked=True)


def _handler(api: IndependentApi):
    class H(FakeHandler):
        def reply(
            self,
            code: int,
            body: str | None,
            headers: dict | None = None,
            ctype="text/plain; charset=utf-8",
            chunked=False,
        ) -> None:
            data = (body or "").encode()
            try:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i in range(0, len(data), 4096):
                        part = data[i : i + 4096]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    if code != 204:
                        self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if code != 204:
                        self.wfile.write(data)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _route(self, method: str) -> None:
            u = urlsplit(self.path)
            q = {k: v[-1] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
            body = self.read_body()
            if u.path in FP_PATHS:
                if method == "POST" and body:
                    try:
                        q.update(json.loads(body))
                    except ValueError:
                        return self.reply(400, "HTTP body must be JSON")
                return api.forcepoint(self, q)
            if u.path == "/oauth/token" and method == "POST":
                return api.token(self, {k: v[-1] for k, v in parse_qs(body.decode()).items()})
            if u.path in ("/api/v1/log_events_bulk", "/api/v1/log_events") and method == "GET":
                return api.events(self, u.path.endswith("_bulk"))
            self.reply(404, "Not Found")

        def do_GET(self):
            self._route("GET")

        def do_POST(self):
            self._route("POST")

    return H
