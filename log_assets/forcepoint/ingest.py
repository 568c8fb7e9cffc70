"""The walk: fetch a window of UTC days of one log type into the lake, resumably.

One pass per window: a `startdate` request for the first day that is not yet complete, then
tokens, splitting every page's events into their days. Each page is landed as an Arrow part in a
staging folder (fsynced, renamed into place) *before* the token that follows it is checkpointed,
so a run killed at any instant resumes from the last checkpoint. The day's new lake file is built
as the pages arrive (deduplicated by event_id against the lake and itself) and swapped in
atomically as soon as the walk has passed the day's end, and at the end of the walk; after a kill
it is rebuilt from the staged parts.

The next page is requested while the current one is landed. Every answer with events is kept in
the walk's spool (by the request that got it) until its page is checkpointed, so a run killed at
any instant re-requests at most the one page that was in flight.

State per log type, in `$LOG_ASSETS_HOME/state/forcepoint/<type>.json`:
- `walk`: the walk in progress (token, counters, staged days) — present only while one is unfinished;
- `days`: days already in the lake, and whether each is complete (closed and walked past);
- `tail`: the token after the last page of a walk that caught up, to continue the open day from.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import logging
import os
import secrets
import shutil
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from log_assets.catalog import FORCEPOINT, LogType
from log_assets.forcepoint.client import (
    ApiError,
    ForcepointClient,
    ForcepointError,
    MalformedPage,
    Page,
    QuotaExhausted,
)
from log_assets.forcepoint.parse import IdStrategy, PageTable, parse_page, parse_time_us
from log_assets.forcepoint.quota import QuotaBudget
from log_assets.forcepoint.statefiles import WALK_RECOVERY, check_walk_state
from log_assets.fsutil import atomic_write_bytes, atomic_write_json, ensure_dir, read_state, replace_dir
from log_assets.lake.schema import Coercer, arrow_schema, conform, new_fields, widen
from log_assets.lake.writer import ParquetBuilder, read_arrow, stream_parquet_atomic, write_arrow_atomic
from log_assets.paths import Home

US_PER_DAY = 86_400_000_000
# A day folder holding more files than this is compacted into one file on its next merge.
MAX_FILES_PER_DAY = 8

log = logging.getLogger(__name__)


_day_names: dict[int, str] = {}


def day_of(us: int) -> str:
    """The UTC day of a time in microseconds (cached per day: called once per event)."""
    n = us // US_PER_DAY
    name = _day_names.get(n)
    if name is None:
        name = _day_names[n] = datetime.fromtimestamp(n * 86400, tz=UTC).strftime("%Y-%m-%d")
    return name


def day_start_us(day: str) -> int:
    d = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    return int(d.timestamp()) * 1_000_000


def iso_us(us: int | None) -> str | None:
    if us is None:
        return None
    return datetime.fromtimestamp(us / 1e6, tz=UTC).isoformat().replace("+00:00", "Z")


def window_start_us(token: str | None) -> int | None:
    """The `start_time` of a window token (swgweb, swgwebdlp: base64 of {"start_time", "end_time",
    "page"}), or None when the token does not read as one."""
    if not token:
        return None
    try:
        doc = json.loads(base64.b64decode(token + "=" * (-len(token) % 4)))
        return parse_time_us(doc["start_time"]) if isinstance(doc, dict) else None
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None


def days_between(start: datetime, end: datetime) -> list[str]:
    """UTC days d with start <= d < end (both at midnight)."""
    out, d = [], start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    while d < end:
        out.append(d.strftime("%Y-%m-%d"))
        d += timedelta(days=1)
    return out


@dataclass
class WalkReport:
    log_type: str
    window: tuple[str, str]
    requests: int = 0  # by the walk, across the runs that resumed it
    requests_this_run: int = 0
    pages: int = 0
    events_received: int = 0
    rows_landed: int = 0
    duplicates: int = 0
    quarantined: int = 0
    coercion_failures: int = 0
    new_fields: list = field(default_factory=list)  # fields the catalog does not know, landed as columns
    outside_window: int = 0
    late: int = 0  # received for days an earlier walk had completed (merged into them, deduplicated)
    started_from: str = "nothing to fetch"
    stopped_because: str = ""
    quota_left: int | None = None
    days: dict = field(default_factory=dict)  # day -> {"events", "first", "last", "complete"}
    quarantine_paths: list = field(default_factory=list)


class WalkInterrupted(ForcepointError):
    """The walk stopped before its end; its position is saved. Carries the partial report."""

    def __init__(self, cause: Exception, report: WalkReport):
        super().__init__(str(cause))
        self.cause = cause
        self.report = report


class ForcepointIngest:
    def __init__(
        self,
        home: Home,
        lt: LogType,
        client: ForcepointClient,
        budget: QuotaBudget,
        *,
        close_grace: timedelta = timedelta(minutes=15),
        lock_timeout: float = 3600.0,
        clock=None,
        logger: logging.Logger | None = None,
        progress_every: float = 10.0,
    ):
        self.home = home
        self.lt = lt
        self.client = client
        self.budget = budget
        self.close_grace = close_grace
        self.lock_timeout = lock_timeout
        self.clock = clock or (lambda: datetime.now(UTC))
        self.log = logger or log
        self.progress_every = progress_every
        self.ids = IdStrategy(lt)
        self.schema = arrow_schema(lt)
        self.state_path = home.state / FORCEPOINT / f"{lt.name}.json"
        self.staging_root = home.staging / FORCEPOINT / lt.name
        self.quarantine_dir = home.quarantine / FORCEPOINT / lt.name
        self._merges: dict[str, _DayMerge] = {}  # day -> its merge in progress (this process)

    # ----------------------------------------------------------------------------------- state

    def load_state(self) -> dict:
        st = read_state(self.state_path, check=check_walk_state, how_to_recover=WALK_RECOVERY) or {}
        st.setdefault("version", 1)
        st.setdefault("days", {})
        st.setdefault("walk", None)
        st.setdefault("tail", None)
        return st

    def _save(self, st: dict) -> None:
        atomic_write_json(self.state_path, st)

    @contextmanager
    def _exclusive(self):
        """One walk per log type at a time, across processes: they share a token and a quota."""
        path = self.state_path.with_suffix(".lock")
        ensure_dir(path.parent, private=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + self.lock_timeout
            waited = False
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not waited:
                        self.log.info(
                            "forcepoint/%s: another run is fetching this log type; waiting for it", self.lt.name
                        )
                        waited = True
                    if time.monotonic() > deadline:
                        raise ForcepointError(
                            f"gave up after {self.lock_timeout:.0f}s waiting for another run"
                            f" fetching {self.lt.name}"
                        ) from None
                    time.sleep(0.5)
            yield
        finally:
            os.close(fd)

    # ------------------------------------------------------------------------------------ run

    def run(self, start: datetime, end: datetime, refetch: bool = False) -> WalkReport:
        window_days = days_between(start, end)
        report = WalkReport(self.lt.name, (window_days[0], window_days[-1]) if window_days else ("", ""))
        with self._exclusive():
            st = self.load_state()
            if refetch:
                for d in window_days:
                    st["days"].pop(d, None)
            needed = [d for d in window_days if not st["days"].get(d, {}).get("complete")]
            if not needed:
                report.stopped_because = "every day of the window is already complete; no request sent"
            else:
                self._walk(st, needed, window_days, refetch, report)
        report.quota_left = self.budget.left
        report.requests_this_run = self.client.requests_sent
        self._describe_days(window_days, st, report)
        return report

    def _new_walk(
        self, stage_from: str, end_day_excl: str, token: str | None, how: str, refetch_days: list[str]
    ) -> dict:
        return {
            "id": self.clock().strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3),
            "stage_from": stage_from,
            "end": end_day_excl,
            "token": token,
            "started_from": how,
            "replace_days": refetch_days,  # days whose lake folder is replaced, not merged, on first commit
            "pages": 0,
            "requests": 0,
            "max_time_us": None,
            "staged": [],
            "committed": [],
            "dropped_after_end": 0,
            "counters": {
                "events": 0,
                "duplicates": 0,
                "quarantined": 0,
                "coercion_failures": 0,
                "outside_window": 0,
            },
        }

    def _walk(
        self, st: dict, needed: list[str], window_days: list[str], refetch: bool, report: WalkReport
    ) -> None:
        end_excl = (datetime.strptime(window_days[-1], "%Y-%m-%d") + timedelta(days=1)).strftime("%Y-%m-%d")
        walk = st.get("walk")
        same_refetch = (
            refetch and walk is not None and set(needed) <= set(walk["replace_days"]) | set(walk["committed"])
        )
        if walk and walk["stage_from"] <= needed[0] and (not refetch or same_refetch):
            walk["end"] = max(walk["end"], end_excl)
            how = f"resumed walk {walk['id']} at page {walk['pages']}"
        else:
            if walk:
                self.log.warning(
                    "forcepoint/%s: discarding unfinished walk %s (days from %s); its days stay incomplete",
                    self.lt.name,
                    walk["id"],
                    walk["stage_from"],
                )
                shutil.rmtree(self.staging_root / walk["id"], ignore_errors=True)
            tail = st.get("tail")
            if tail and not refetch and self._tail_fits(tail, needed[0]):
                stage_from = min([needed[0]] + [d for d in tail.get("open_days", []) if d < needed[0]])
                walk = self._new_walk(stage_from, end_excl, tail["token"], "token saved by the last walk", [])
            else:
                walk = self._new_walk(
                    needed[0], end_excl, None, f"startdate {needed[0]}T00:00:00Z", needed if refetch else []
                )
            how = walk["started_from"]
            st["walk"] = walk
            self._save(st)
        report.started_from = how
        self.log.info(
            "forcepoint/%s: walking %s..%s (%s); %d requests left today",
            self.lt.name,
            walk["stage_from"],
            end_excl,
            how,
            self.budget.left,
        )
        try:
            self._pages(st, walk, report)
        except (QuotaExhausted, ApiError, ForcepointError) as e:
            self._save(st)
            self._fill_counters(walk, report)
            report.stopped_because = f"interrupted: {e}"
            self._describe_days(window_days, st, report)
            report.quota_left = self.budget.left
            report.requests_this_run = self.client.requests_sent
            raise WalkInterrupted(e, report) from None
        self._fill_counters(walk, report)

    @staticmethod
    def _tail_fits(tail: dict, first_needed: str) -> bool:
        """Continue from the saved token only where it saves requests: everything before it is
        landed from `covered_from` on, and it stands at most a day before the first day we need
        (a tail far behind would spend the day's budget on days nobody asked for)."""
        if tail["covered_from"] > first_needed or not tail.get("position"):
            return False
        behind = (
            datetime.strptime(first_needed, "%Y-%m-%d") - datetime.strptime(tail["position"][:10], "%Y-%m-%d")
        ).days
        return behind <= 1

    def _fill_counters(self, walk: dict, report: WalkReport) -> None:
        c = walk["counters"]
        report.requests = walk["requests"]
        report.pages = walk["pages"]
        report.events_received = c["events"]
        report.duplicates = c["duplicates"]
        report.quarantined = c["quarantined"]
        report.coercion_failures = c["coercion_failures"]
        report.new_fields = sorted(walk.get("new_fields", []))
        report.outside_window = c["outside_window"]
        report.rows_landed = c.get("landed", 0)
        report.late = c.get("late", 0)

    def _pages(self, st: dict, walk: dict, report: WalkReport) -> None:
        stage_from_us = day_start_us(walk["stage_from"])
        last_progress = time.monotonic()
        self._forget_unconfirmed(walk)
        counted = walk["requests"] - self.client.requests_sent  # + requests_sent = the walk's requests
        ahead: tuple[str | None, Future] | None = None  # the next page, requested while this one lands
        pool = ThreadPoolExecutor(1, thread_name_prefix=f"forcepoint-{self.lt.name}")
        try:
            while True:
                end_us = day_start_us(walk["end"])
                sent_token = walk["token"]
                if ahead is not None and ahead[0] == sent_token:
                    fut = ahead[1]
                else:
                    fut = pool.submit(self._fetch, walk["id"], walk["stage_from"], sent_token)
                ahead = None
                try:
                    page, parsed = fut.result()
                except MalformedPage as e:
                    walk["requests"] = counted + self.client.requests_sent
                    self._quarantine_body(walk, e.body, str(e))
                    walk["counters"]["quarantined"] += 1
                    self._save(st)
                    raise
                except ApiError as e:
                    walk["requests"] = counted + self.client.requests_sent
                    if e.status == 400 and sent_token is not None and "token" in e.server_message.lower():
                        # A token the server no longer accepts: restart from the start of the day we
                        # were in; what is already staged is deduplicated against as it lands.
                        restart = day_of(walk["max_time_us"]) if walk["max_time_us"] else walk["stage_from"]
                        restart = max(restart, walk["stage_from"])
                        self.log.warning(
                            "forcepoint/%s: token refused (%s); restarting from %s",
                            self.lt.name,
                            e.server_message,
                            restart,
                        )
                        walk["token"] = None
                        walk["stage_from"] = restart
                        stage_from_us = day_start_us(restart)
                        self._save(st)
                        continue
                    self._save(st)
                    raise
                except ForcepointError:  # quota exhausted, an answer too large or too slow, transport
                    walk["requests"] = counted + self.client.requests_sent
                    self._save(st)
                    raise
                walk["requests"] = counted + self.client.requests_sent

                caught_up = not page.records or page.next_token is None or page.next_token == sent_token
                if self.lt.token_style == "window":
                    # Pages come newest-first within a window: event times say nothing about what
                    # is still to come. The next token's window start does: nothing before it.
                    floor = None if caught_up else window_start_us(page.next_token)
                    if floor is not None and floor > (walk.get("floor_us") or 0):
                        walk["floor_us"] = floor
                    passed_end = floor is not None and floor >= end_us
                else:
                    min_us = _min_time(parsed.table)
                    passed_end = min_us is not None and min_us >= end_us
                if not caught_up and not passed_end:
                    ahead = (
                        page.next_token,
                        pool.submit(self._fetch, walk["id"], walk["stage_from"], page.next_token),
                    )
                page_no = walk["pages"]
                self._land_page(st, walk, page, parsed, stage_from_us, end_us, page_no)
                if page.records:
                    walk["pages"] += 1
                    if page.next_token and page.next_token != sent_token:
                        walk["token"] = page.next_token
                self._close_passed_days(st, walk)
                self._save(st)  # the checkpoint: the page is landed, the token after it is durable
                self._spool_path(walk["id"], walk["stage_from"], sent_token).unlink(missing_ok=True)

                now = time.monotonic()
                if now - last_progress >= self.progress_every:
                    last_progress = now
                    self.log.info(
                        "forcepoint/%s: %d pages, %d events, at %s; %d requests left today",
                        self.lt.name,
                        walk["pages"],
                        walk["counters"]["events"],
                        iso_us(walk["max_time_us"]),
                        self.budget.left,
                    )
                if caught_up:
                    report.stopped_because = "caught up with the API"
                    break
                if passed_end:
                    report.stopped_because = "walked past the end of the window"
                    break
            self._finish(st, walk, caught_up, report)
        finally:
            if ahead is not None:
                ahead[1].exception()  # let it end: an answer it got is in the spool for the next run
            pool.shutdown(wait=True)
            self._drop_merges()

    # ----------------------------------------------------------------------------- fetching

    def _spool_path(self, walk_id: str, stage_from: str, token: str | None) -> Path:
        """Where the answer to one request of the walk is kept until its page is checkpointed."""
        what = f"token={token}" if token is not None else f"startdate={stage_from}"
        key = f"{self.lt.name}|{self.client.cv_for(self.lt)}|{self.client.response_format}|{what}"
        return self.staging_root / walk_id / "spool" / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".body")

    def _fetch(self, walk_id: str, stage_from: str, token: str | None) -> tuple[Page, PageTable]:
        """One page, parsed (runs on the walk's fetch thread). An answer kept in the spool by an
        earlier run is used instead of a request: the server would not answer it again for free."""
        spooled = self._spool_path(walk_id, stage_from, token)
        page = None
        if spooled.exists():
            try:
                page = self.client.page_from_body(_unpack(spooled.read_bytes()), self.lt)
            except (OSError, ValueError, pa.ArrowException, MalformedPage) as e:
                self.log.warning(
                    "forcepoint/%s: kept answer %s unreadable (%s); asking again", self.lt.name, spooled.name, e
                )
                page = None
            if page is not None and page.records:
                self.log.info(
                    "forcepoint/%s: using the answer kept from an earlier run for this request", self.lt.name
                )
            else:
                page = None
        if page is None:
            if token is None:
                page = self.client.fetch(self.lt, startdate=f"{stage_from}T00:00:00Z")
            else:
                page = self.client.fetch(self.lt, token=token)
            if page.records and page.raw_body and page.next_token and page.next_token != token:
                # Not fsynced: after a power cut a lost or torn body only costs asking again.
                atomic_write_bytes(spooled, _pack(page.raw_body), private=True, durable=False)
        return page, parse_page(self.lt, page.records, int(self.clock().timestamp() * 1e6), self.ids, Coercer())

    # ------------------------------------------------------------------------------ landing

    def _land_page(
        self, st: dict, walk: dict, page: Page, parsed: PageTable, stage_from_us: int, end_us: int, page_no: int
    ) -> None:
        """Stage the page's rows by day and add them to the days' merges; quarantine what cannot
        be read."""
        c = walk["counters"]
        c["events"] += len(page.records)
        rejected = parsed.rejected + list(page.bad_records)
        if rejected:
            self._quarantine_records(walk, page_no, rejected)
            c["quarantined"] += len(rejected)
        c["coercion_failures"] += parsed.coercion_failures
        table = parsed.table
        extra = new_fields(table, self.lt)
        if extra and not set(extra) <= set(walk.get("new_fields", [])):
            walk["new_fields"] = sorted(set(walk.get("new_fields", [])) | set(extra))
            self.log.warning(
                "forcepoint/%s: new fields the catalog does not know, landed as text columns: %s",
                self.lt.name,
                ", ".join(extra),
            )
        if table.num_rows == 0:
            return
        times = table.column("event_time").cast(pa.int64())
        top = pc.max(times).as_py()
        if walk["max_time_us"] is None or top > walk["max_time_us"]:
            walk["max_time_us"] = top
        closed = {d for d, info in st["days"].items() if info.get("complete") and d not in walk["committed"]}
        # Records outside the walk's window land in their own days too (merged, deduplicated), never
        # completing them: a walk of such a day still fetches it whole, and its copies merge away.
        # Before the window in a day an earlier walk completed, they are late records of that day.
        after = pc.greater_equal(times, end_us)
        before = pc.less(times, stage_from_us)
        if closed and pc.any(before).as_py():
            late_days = pa.array(sorted(day_start_us(d) // US_PER_DAY for d in closed), pa.int64())
            before = pc.and_(before, pc.invert(pc.is_in(pc.divide(times, US_PER_DAY), value_set=late_days)))
        n_after, n_before = pc.sum(after).as_py() or 0, pc.sum(before).as_py() or 0
        c["outside_window"] += n_after + n_before
        walk["dropped_after_end"] += n_after  # the tail token is not kept: the next walk starts by date
        day_no = pc.divide(times, US_PER_DAY)  # integer division (the lake starts after 1970)
        day_nos = pc.unique(day_no).to_pylist()
        for n in day_nos:
            day = day_of(n * US_PER_DAY)
            rows = table if len(day_nos) == 1 else table.filter(pc.equal(day_no, n))
            if day in closed:
                # A day completed by an earlier walk: what is new in it (a record the API made
                # available late) merges into it; what is already there counts as duplicates.
                c["late"] = c.get("late", 0) + rows.num_rows
            merge = self._merge_for(walk, day)
            # Same name on a re-fetched page: replaced, not doubled.
            write_arrow_atomic(rows, self._day_staging(walk["id"], day) / f"p{page_no:07d}.arrow")
            merge.add(rows)
            if day not in walk["staged"]:
                walk["staged"].append(day)

    def _passed_us(self, walk: dict) -> int | None:
        """A time the walk has passed: every event before it has been received. For log_id tokens
        (pages in time order) the latest event seen; for window tokens the current window's start."""
        if self.lt.token_style == "window":
            return walk.get("floor_us")
        return walk["max_time_us"]

    def _close_passed_days(self, st: dict, walk: dict) -> None:
        """Merge and complete every staged day the walk has passed."""
        passed = self._passed_us(walk)
        if passed is None:
            return
        for day in sorted(walk["staged"]):
            # Only the window's days: a day outside it holds what this walk happened to see of it.
            if walk["stage_from"] <= day < walk["end"] and day_start_us(day) + US_PER_DAY <= passed:
                self._commit_day(st, walk, day, complete=True)

    def _finish(self, st: dict, walk: dict, caught_up: bool, report: WalkReport) -> None:
        now_us = int(self.clock().timestamp() * 1e6)
        grace_us = int(self.close_grace.total_seconds() * 1e6)
        max_us = self._passed_us(walk) or 0
        open_days = []
        for day in days_between(
            datetime.strptime(walk["stage_from"], "%Y-%m-%d").replace(tzinfo=UTC),
            datetime.strptime(walk["end"], "%Y-%m-%d").replace(tzinfo=UTC),
        ):
            day_end = day_start_us(day) + US_PER_DAY
            complete = day_end <= max_us or (caught_up and day_end + grace_us <= now_us)
            if day in walk["staged"]:
                self._commit_day(st, walk, day, complete=complete)
            elif complete and not st["days"].get(day, {}).get("complete"):
                st["days"][day] = {"complete": True, "walk": walk["id"]}  # a day without events
            if not complete:
                open_days.append(day)
        for day in sorted(walk["staged"]):  # late records of days before the window (already complete)
            self._commit_day(st, walk, day, complete=bool(st["days"].get(day, {}).get("complete")))
        if caught_up and walk["dropped_after_end"] == 0 and walk["token"]:
            old = st.get("tail") or {}
            st["tail"] = {
                "token": walk["token"],
                "covered_from": walk["stage_from"]
                if walk["started_from"].startswith("startdate")
                else min(walk["stage_from"], old.get("covered_from", walk["stage_from"])),
                # A walk that found nothing new (a poll of the open day) keeps the old position:
                # without one the next run could not continue from the token.
                "position": iso_us(walk["max_time_us"])
                if walk["max_time_us"] is not None
                else old.get("position"),
                "open_days": open_days,
            }
        elif not caught_up:
            pass  # the old tail, if any, still describes a position whose earlier events are all landed
        shutil.rmtree(self.staging_root / walk["id"], ignore_errors=True)
        st["walk"] = None
        self._save(st)

    # ---------------------------------------------------------------------------------- merge

    def _day_staging(self, walk_id: str, day: str) -> Path:
        return self.staging_root / walk_id / f"date={day}"

    def _forget_unconfirmed(self, walk: dict) -> None:
        """Before (re)starting a walk in this process: staged parts of pages that were never
        checkpointed (a kill between the part and the checkpoint) go; they will be landed again."""
        root = self.staging_root / walk["id"]
        if not root.exists():
            return
        for d in root.glob(".build-*"):
            shutil.rmtree(d, ignore_errors=True)
        for part in root.glob("date=*/p*.*"):
            try:
                n = int(part.stem[1:])
            except ValueError:
                continue
            if n >= walk["pages"]:
                part.unlink()

    def _merge_for(self, walk: dict, day: str) -> _DayMerge:
        """The day's merge in progress; after a restart, rebuilt from the day's staged parts."""
        m = self._merges.get(day)
        if m is None:
            replace = day in walk["replace_days"] and day not in walk["committed"]
            target = self.home.partition_dir(FORCEPOINT, self.lt.name, day)
            m = _DayMerge(self.schema, target, self.staging_root / walk["id"] / f".build-date={day}", replace)
            staged = self._day_staging(walk["id"], day)
            for part in sorted(staged.glob("p*.*")) if staged.exists() else []:
                m.add(read_arrow(part) if part.suffix == ".arrow" else pq.read_table(part, schema=self.schema))
            self._merges[day] = m
        return m

    def _drop_merges(self) -> None:
        for m in self._merges.values():
            m.abort()
        self._merges.clear()

    def _commit_day(self, st: dict, walk: dict, day: str, complete: bool) -> None:
        staged_dir = self._day_staging(walk["id"], day)
        replace = day in walk["replace_days"] and day not in walk["committed"]
        if day in walk["staged"] or replace:
            merge = self._merge_for(walk, day)
            added, dups = merge.commit(f"{walk['id']}-{len(walk['committed'])}")
            del self._merges[day]
            walk["counters"]["duplicates"] += dups
            walk["counters"]["landed"] = walk["counters"].get("landed", 0) + added
        if day in walk["staged"]:
            walk["staged"].remove(day)
        walk["committed"].append(day)
        prev = st["days"].get(day, {})
        st["days"][day] = {"complete": bool(complete or prev.get("complete")), "walk": walk["id"]}
        # Parts go only once the state says the day is merged: a crash before this point merges
        # them again, which the event_id dedup (or the same replacement) makes harmless.
        self._save(st)
        shutil.rmtree(staged_dir, ignore_errors=True)

    # ----------------------------------------------------------------------------- quarantine

    def _quarantine_records(self, walk: dict, page_no: int, rejected: list) -> None:

        lines = "".join(
            json.dumps({"reason": why, "raw": raw}, ensure_ascii=False) + "\n" for raw, why in rejected
        )
        path = self.quarantine_dir / f"{walk['id']}-p{page_no:07d}.rejects.jsonl"
        atomic_write_bytes(path, lines.encode(), private=True)
        self.log.warning(
            "forcepoint/%s: %d record(s) quarantined to %s (first: %s)",
            self.lt.name,
            len(rejected),
            path,
            rejected[0][1],
        )

    def _quarantine_body(self, walk: dict, body: bytes, why: str) -> None:
        base = self.quarantine_dir / f"{walk['id']}-p{walk['pages']:07d}"
        atomic_write_bytes(base.with_suffix(".body"), body, private=True)
        atomic_write_bytes(base.with_suffix(".why.txt"), why.encode(), private=True)
        self.log.error(
            "forcepoint/%s: unreadable page quarantined to %s: %s", self.lt.name, base.with_suffix(".body"), why
        )

    # -------------------------------------------------------------------------------- report

    def _describe_days(self, window_days: list[str], st: dict, report: WalkReport) -> None:
        for day in window_days:
            target = self.home.partition_dir(FORCEPOINT, self.lt.name, day)
            rows, first, last = 0, None, None
            for f in sorted(target.glob("*.parquet")) if target.exists() else []:
                md = pq.ParquetFile(f).metadata
                rows += md.num_rows
                idx = md.schema.to_arrow_schema().get_field_index("event_time")
                for rg in range(md.num_row_groups):
                    s = md.row_group(rg).column(idx).statistics
                    if s is not None and s.has_min_max:
                        first = s.min if first is None or s.min < first else first
                        last = s.max if last is None or s.max > last else last
            report.days[day] = {
                "events": rows,
                "first": first.isoformat() if first is not None else None,
                "last": last.isoformat() if last is not None else None,
                "complete": bool(st["days"].get(day, {}).get("complete")),
            }


_SPOOL_MAGIC = b"LAS1"
_SPOOL_CODEC = pa.Codec("zstd", compression_level=1)  # a 1 MB JSON page in ~1 ms, to ~90 KB


def _pack(body: bytes) -> bytes:
    return _SPOOL_MAGIC + len(body).to_bytes(8, "little") + _SPOOL_CODEC.compress(body, asbytes=True)


def _unpack(data: bytes) -> bytes:
    if data[:4] != _SPOOL_MAGIC or len(data) < 12:
        raise ValueError("not a kept answer")
    size = int.from_bytes(data[4:12], "little")
    return _SPOOL_CODEC.decompress(data[12:], decompressed_size=size, asbytes=True)


def _min_time(table: pa.Table) -> int | None:
    if table.num_rows == 0:
        return None
    return pc.min(table.column("event_time").cast(pa.int64())).as_py()


class _DayMerge:
    """A day's new lake folder, built while the walk lands the day's pages: one new file of the
    rows whose event_id is neither in the lake's files nor already added, beside hard links to
    the lake's files; `commit` swaps it in for the day's folder in one atomic exchange.

    Ids are remembered as 64-bit hashes (a collision would drop an event; at a million ids a day
    the chance is about 3 in 100 million)."""

    def __init__(self, schema: pa.Schema, target: Path, build: Path, replace: bool):
        self.schema = schema
        self.target = target
        self.build = build
        shutil.rmtree(build, ignore_errors=True)
        ensure_dir(build)
        self.existing = [] if replace or not target.exists() else sorted(target.glob("*.parquet"))
        self.seen: set[int] = set()
        for f in self.existing:
            for chunk in pq.ParquetFile(f).iter_batches(columns=["event_id"], batch_size=65536):
                self.seen.update(map(hash, chunk.column(0).to_pylist()))
        self.dups = 0
        self.new = ParquetBuilder(build, schema)
        self.done: list[ParquetBuilder] = []  # earlier files of this build, in narrower schemas

    def add(self, table: pa.Table) -> None:
        wider = widen(self.schema, table.schema)
        if wider is not self.schema:
            # A page brought fields the day's file so far lacks: the file so far is kept as it is, the
            # rest goes into a new one with the wider schema (readers unite them by name).
            self.schema = wider
            self.done.append(self.new)
            self.new = ParquetBuilder(self.build, wider)
        table = conform(table, self.schema)
        seen = self.seen
        keep = []
        for i, eid in enumerate(table.column("event_id").to_pylist()):
            h = hash(eid)
            if h in seen:
                self.dups += 1
            else:
                seen.add(h)
                keep.append(i)
        if len(keep) < table.num_rows:
            table = table.take(pa.array(keep, type=pa.int64()))
        self.new.add(table)

    def commit(self, name: str) -> tuple[int, int]:
        """Swap the built folder in for the day's. Returns (rows added, duplicates)."""
        added = sum(b.finish(self.build / f"part-{name}-{i}.parquet") for i, b in enumerate(self.done))
        added += self.new.finish(self.build / f"part-{name}.parquet")
        for f in self.existing:
            os.link(f, self.build / f.name)
        files = sorted(self.build.glob("*.parquet"))
        if len(files) > MAX_FILES_PER_DAY:
            compact = self.build / f"part-{name}-all.parquet"
            schema = self.schema
            for f in files:
                schema = widen(schema, pq.read_schema(f))
            stream_parquet_atomic((conform(pq.read_table(f), schema) for f in files), schema, compact)
            for f in files:
                f.unlink()
        replace_dir(self.build, self.target)
        return added, self.dups

    def abort(self) -> None:
        for b in self.done:
            b.abort()
        self.new.abort()
