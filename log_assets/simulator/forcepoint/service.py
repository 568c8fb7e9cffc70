"""The simulated Forcepoint ONE SSE Log Export API, and its ground truth.

Answers follow the vendor page's response-code table (status and exact message, as
`{"status": ...}`) and api-facts.md. Checks run in this order: quota (every request naming a
valid type counts, even with bad credentials), authorization, parameters.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import orjson

from log_assets.catalog import FORCEPOINT_TYPES, LogType, cv_tuple
from log_assets.simulator import scenarios
from log_assets.simulator.config import SimConfig
from log_assets.simulator.forcepoint import records, tokens
from log_assets.simulator.forcepoint.prefetch import Prefetcher
from log_assets.simulator.forcepoint.quota import Quota
from log_assets.simulator.forcepoint.stream import EventStream
from log_assets.simulator.messages import Request, Response
from log_assets.simulator.timefmt import DAY_MS, STARTDATE_FORMAT, day_start, from_ms, to_ms, token_datetime

PATHS = ("/api/bitglassapi/logs/v1/", "/api/bitglassapi/logs/")
FORMATS = ("csv", "json")
DEFAULT_CV = "1.0.1"  # what a request without `cv` gets: the oldest record layout
SUCCESS = "Request was successful"


def _status(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps({"status": message}).encode(), dict(headers or {}))


def _parse_token_time(value) -> int:
    if not isinstance(value, str):
        raise tokens.InvalidToken("time is not a string")
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", STARTDATE_FORMAT):
        try:
            return to_ms(datetime.strptime(value, fmt).replace(tzinfo=UTC))
        except ValueError:
            pass
    raise tokens.InvalidToken(f"bad time {value!r}")


class ForcepointService:
    def __init__(self, cfg: SimConfig, end: datetime):
        self.cfg = cfg
        end_ms = to_ms(end)
        # The window ends at `end`; it starts `days` UTC midnights back, counting the day of `end`
        # (or, when `end` is exactly midnight, the `days` full days before it).
        last_midnight = to_ms(day_start(end))
        first_day = last_midnight - (cfg.days - (1 if end_ms > last_midnight else 0)) * DAY_MS
        self.start_ms, self.end_ms = first_day, end_ms
        self.streams = {
            name: EventStream(name, cfg.seed, first_day, end_ms, cfg.events_per_day(name), cfg.duplicate_rate)
            for name in FORCEPOINT_TYPES
        }
        # Cloud types report on a fixed set of files sized by their volume.
        self._files = {name: records.file_count(s.base_count) for name, s in self.streams.items()}
        # The detection scenarios' records (scenarios.py) on the last full day, when asked for.
        self.scenario_day = scenarios.activity_day(first_day, end_ms) if cfg.scenarios else None
        self.quota = Quota(cfg.quota)
        self._prefetch = Prefetcher()
        # A test's hook: `rewrite(log_type, fmt, body) -> body` is served instead of every page with
        # events (the same page, asked again, is rewritten again: make it a function of the body), for
        # what odd tenants send that the generators do not: a wrong clock, bad bytes, strange names.
        self.rewrite: Callable[[str, str, bytes], bytes] | None = None

    # -- HTTP ----------------------------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        p = req.params
        lt = FORCEPOINT_TYPES.get(p.get("type") or "")
        rate: dict[str, str] = {}
        if lt is not None:
            q = self.quota.take(lt.name)
            rate = q.headers
            if not q.allowed:
                return _status(429, q.exceeded_message(lt.name), rate)
        denied = self._authorize(req)
        if denied:
            return _status(*denied, rate)
        fmt = p.get("responseformat")
        fmt = "csv" if fmt is None else fmt
        if fmt not in FORMATS:
            return _status(400, f"Invalid responseformat: {fmt}. Supported values: csv, json", rate)
        if lt is None:
            # The vendor's wording, although more types exist.
            message = (
                f"Invalid type: {p.get('type') or ''}. Supported types are: cloudsummary, cloudaudit, and access"
            )
            return _status(400, message, rate)
        startdate, token = p.get("startdate") or "", p.get("nextpagetoken") or ""
        if not startdate and not token:
            return _status(400, "Start date and nextpagetoken is missing", rate)
        if startdate and token:
            return _status(400, "Provide either the start date or nextpagetoken", rate)
        cv = p.get("cv") or DEFAULT_CV
        try:
            cv_tuple(cv)
        except ValueError:
            cv = DEFAULT_CV
        stream = self.streams[lt.name]
        if startdate:
            try:
                start = datetime.strptime(startdate, STARTDATE_FORMAT).replace(tzinfo=UTC)
            except ValueError:
                return _status(
                    400, f"Invalid start date format {startdate} Expected format: {STARTDATE_FORMAT}", rate
                )
            pos = stream.position_at_or_after(to_ms(start))
            if pos is None:
                return self._empty(lt, cv, fmt, tokens.EMPTY, rate)
            state = {"start_time": start.strftime(STARTDATE_FORMAT), "page": 0}
            return self._page(lt, stream, pos, cv, fmt, state, token, rate)
        try:
            fields = tokens.decode(token)
            if not fields:  # the "{}" token of an empty answer: still nothing to resume from
                return self._empty(lt, cv, fmt, tokens.EMPTY, rate)
            pos, state = self._position(lt, stream, fields)
        except tokens.InvalidToken:
            return _status(400, "Invalid next page token", rate)
        return self._page(lt, stream, pos, cv, fmt, state, token, rate)

    def _authorize(self, req: Request) -> tuple[int, str] | None:
        header = req.header("authorization")
        if not header:
            return 401, "Authorization required"
        scheme, _, cred = header.strip().partition(" ")
        cred = cred.strip()
        if scheme.lower() == "bearer":
            if cred == self.cfg.forcepoint_token:
                return None
            if cred == self.cfg.forcepoint_forbidden_token:
                return 403, "Unauthorized"
            return 401, "Invalid credentials"
        if scheme.lower() != "basic":
            return 401, "Basic auth required"
        try:
            user, _, password = base64.b64decode(cred, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeError, ValueError):
            return 401, "Invalid credentials"
        if user == self.cfg.forcepoint_username and password == self.cfg.forcepoint_password:
            return None
        if password == self.cfg.forcepoint_forbidden_token:  # a real user who is not a sysadmin
            return 403, "Unauthorized"
        return 401, "Invalid credentials"

    def _position(self, lt: LogType, stream: EventStream, fields: dict) -> tuple[int, dict]:
        """The stream position a token resumes at (the stream's length when caught up)."""
        if lt.token_style == "window":
            if set(fields) != {"start_time", "end_time", "page"}:
                raise tokens.InvalidToken("not a window token")
            page = fields["page"]
            if not isinstance(page, int) or isinstance(page, bool) or page < 0:
                raise tokens.InvalidToken("bad page")
            start_ms = _parse_token_time(fields["start_time"])
            end_ms = _parse_token_time(fields["end_time"])
            state = {"start_time": fields["start_time"], "page": page}
            # Resume right after the newest event served (end_time). Counting whole pages from
            # start_time gives the same place as long as every page was full, and also keeps
            # a re-delivery that sits just after a page boundary.
            end = len(stream)
            origin = stream.position_at_or_after(start_ms)
            after = stream.position_at_or_after(end_ms + 1)
            by_pages = end if origin is None else origin + page * self.cfg.page_size
            return min(by_pages, end if after is None else after), state
        if set(fields) != {"log_id", "datetime"}:
            raise tokens.InvalidToken("not a log_id token")
        log_id = fields["log_id"]
        if not isinstance(log_id, int) or isinstance(log_id, bool) or not 0 <= log_id <= len(stream):
            raise tokens.InvalidToken("bad log_id")
        _parse_token_time(fields["datetime"])
        return log_id, {}

    def _page(self, lt, stream, pos, cv, fmt, state, token, rate) -> Response:
        size = self.cfg.page_size
        stop = min(len(stream), pos + size)
        if stop <= pos:
            # Caught up: nothing new; the same token comes back.
            return self._empty(lt, cv, fmt, token or tokens.EMPTY, rate)
        key = (lt.name, pos, stop, cv, fmt, state.get("start_time"), state.get("page"))
        body = self._prefetch.get(key, lambda: self._page_body(lt, stream, pos, stop, cv, fmt, state))
        if self.rewrite is not None:
            body = self.rewrite(lt.name, fmt, body)
        following = min(len(stream), stop + size)
        if following > stop:
            nxt = {**state, "page": state["page"] + 1} if lt.token_style == "window" else state
            self._prefetch.schedule(
                (lt.name, stop, following, cv, fmt, nxt.get("start_time"), nxt.get("page")),
                lambda: self._page_body(lt, stream, stop, following, cv, fmt, nxt),
            )
        return Response(200, body, dict(rate))

    def _page_body(
        self, lt: LogType, stream: EventStream, pos: int, stop: int, cv: str, fmt: str, state: dict
    ) -> bytes:
        events, times = stream.slice(pos, stop)
        last = pos + len(events) - 1
        key_ms = stream.high_water(last)
        if lt.token_style == "window":
            nxt = {
                "start_time": state["start_time"],
                "end_time": token_datetime(key_ms),
                "page": state["page"] + 1,
            }
        else:
            nxt = {"log_id": last + 1, "datetime": token_datetime(key_ms)}
        cols = self._columns(lt, events, times)
        names = records.field_names(lt, cv)
        if lt.token_style == "window":  # SWG pages come newest-first
            cols = {n: cols[n][::-1] for n in names}
        data: list[dict] | str
        if fmt == "json":
            data = records.records(lt, cv, cols)
        else:
            data = to_csv(names, zip(*[cols[n] for n in names], strict=True) if names else [()] * len(events))
        return self._envelope(fmt, data, tokens.encode(nxt))

    def _empty(self, lt: LogType, cv: str, fmt: str, token: str, rate) -> Response:
        """An answer without events (CSV still has its header line)."""
        return self._answer(fmt, [] if fmt == "json" else to_csv(records.field_names(lt, cv), []), token, rate)

    def _answer(self, fmt: str, data, token: str, rate) -> Response:
        return Response(200, self._envelope(fmt, data, token), dict(rate))

    @staticmethod
    def _envelope(fmt: str, data, token: str) -> bytes:
        body = {
            "status": SUCCESS,
            "nextpagetoken": token,
            "response": {"dataformat": fmt, "dataencoding": "utf-8", "data": data},
        }
        # orjson (a project dependency) keeps encoding well under the client's parse cost.
        return orjson.dumps(body)

    def _columns(self, lt: LogType, events: np.ndarray, times: np.ndarray) -> dict[str, list]:
        cols = records.columns(lt, self.cfg.seed, events, times, self.start_ms, self._files[lt.name])
        return scenarios.overlay_forcepoint(lt.name, cols, events, self.streams[lt.name].times, self.scenario_day)

    def rows(self, lt: LogType, events: np.ndarray, times: np.ndarray, cv: str) -> list[dict]:
        return records.records(lt, cv, self._columns(lt, events, times))

    def fault(self, kind: str, req: Request) -> Response:
        """The answer an injected fault gives instead of the real one (it spends no quota)."""
        lt = FORCEPOINT_TYPES.get(req.params.get("type") or "")
        q = self.quota.peek(lt.name if lt else "access")
        rate = q.headers if lt else {}
        if kind == "429":  # looks exactly like a spent allowance
            headers = {**rate, "X-RateLimit-Remaining": "0"} if lt else {}
            return _status(429, q.exceeded_message(lt.name if lt else "access"), headers)
        message = {
            "401": "Invalid credentials",
            "403": "Unauthorized",
            "500": "Internal server error",
            "502": "Bad gateway",
            "503": "Temporarily unavailable",
        }[kind]
        return _status(int(kind), message, rate)

    def close(self) -> None:
        self._prefetch.close()

    # -- ground truth and control --------------------------------------------------------------

    def distinct_events(
        self, log_type: str, day: str | None = None, cv: str = "1.1.5", fmt: str = "json"
    ) -> list[dict]:
        """Every distinct event (of `day`, or of all days) once, by time, exactly as served.

        fmt="csv" gives them as a CSV reader returns them from a served page (all strings).
        """
        lt = FORCEPOINT_TYPES[log_type]
        stream = self.streams[log_type]
        if day is None:
            events, times = stream.distinct()
        else:
            lo = to_ms(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC))
            events, times = stream.distinct(lo, lo + DAY_MS)
        if len(events) == 0:
            return []
        rows = self.rows(lt, events, times, cv)
        if fmt == "json":
            return json.loads(json.dumps(rows))
        if fmt == "csv":
            names = records.field_names(lt, cv)
            return list(csv.DictReader(io.StringIO(to_csv(names, [[r[n] for n in names] for r in rows]))))
        raise ValueError(f"fmt must be json or csv, not {fmt!r}")

    def days(self, log_type: str) -> list[str]:
        return [from_ms(d * DAY_MS).strftime("%Y-%m-%d") for d in self.streams[log_type].day_numbers()]

    def requests(self, log_type: str) -> int:
        """Requests that named this type today (counted against the quota, refused ones included)."""
        return self.quota.used(log_type)

    def append(self, log_type: str, n: int, at: datetime | None = None) -> None:
        """Add n new events at `at` (default now) to the end of the type's stream."""
        at = at or datetime.now(UTC)
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        self.streams[log_type].append(n, to_ms(at))

    def reset_quota(self, log_type: str | None = None) -> None:
        self.quota.reset(log_type)

    def stream_length(self, log_type: str) -> int:
        """Records the full stream serves, re-deliveries included."""
        return len(self.streams[log_type])

    def window(self) -> tuple[datetime, datetime]:
        return from_ms(self.start_ms), from_ms(self.end_ms)


def to_csv(header: list[str], rows) -> str:
    """CSV text with a header line; rows are sequences in header order (None is written empty)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()
