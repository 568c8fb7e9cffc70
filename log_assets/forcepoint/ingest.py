"""The walk: fetch a window of UTC days of one log type into the lake, resumably.

One pass per window: a `startdate` request for the first day that is not yet complete, then
tokens, splitting every page's events into their days. Each page is landed as an Arrow part on the
storage root, under the walk's staging prefix (daybuilder.py), *before* the token that follows it
is checkpointed in the walk state (walkstate.py), so a run killed at any instant resumes from the
last checkpoint, on this machine or on any other with the same database and storage root (the
walk keeps nothing it needs in `$LOG_ASSETS_HOME` when `LOG_ASSETS_STORAGE_URL` is set). The day's
new rows are written to the lake's data files as the pages arrive (deduplicated by event_id against
the lake and themselves) and committed to the day's Iceberg table in one commit as soon as the walk
has passed the day's end (cursor.py says when), and at the end of the walk; after a kill the day's
merge is rebuilt from the staged parts.

The next page is requested while the current one is landed. Every answer with events is kept
(keptanswers.py) until its page is checkpointed, so a run killed at any instant re-requests at
most the one page that was in flight. What cannot be read is quarantined on the storage root
(quarantine.py). A store that refuses a staged part interrupts the walk (WalkInterrupted), its
position the last checkpoint.

The walk state of a log type (log_assets.state.documents.WalkState):
- `walk`: the walk in progress (token, counters, staged days) — present only while one is unfinished;
- `days`: days already in the lake, and whether each is complete (closed and walked past);
- `tail`: the token after the last page of a walk that caught up, to continue the open day from.
"""

from __future__ import annotations

import logging
import secrets
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NoReturn

import pyarrow as pa
import pyarrow.compute as pc

from log_assets.catalog import FORCEPOINT, LogType
from log_assets.forcepoint.client import (
    ApiError,
    ForcepointClient,
    ForcepointError,
    MalformedPage,
    Page,
    QuotaExhausted,
)
from log_assets.forcepoint.cursor import cursor_for
from log_assets.forcepoint.daybuilder import DayBuilder, split_days, staging_prefix
from log_assets.forcepoint.keptanswers import KeptAnswers
from log_assets.forcepoint.pagetable import PageTable
from log_assets.forcepoint.parse import IdStrategy, parse_page
from log_assets.forcepoint.quarantine import Quarantine
from log_assets.forcepoint.quota import DatabaseQuotaBudget
from log_assets.forcepoint.utcdays import (
    US_PER_DAY,
    day_of,
    day_start_us,
    days_between,
    iso_us,
    midnight,
    next_day,
)
from log_assets.forcepoint.walkstate import DatabaseWalkStateStore, WalkStateStore
from log_assets.lake.colnames import add_described, kept_in_raw, summary
from log_assets.lake.lake import Lake
from log_assets.lake.schema import Coercer, new_fields
from log_assets.paths import Home
from log_assets.state import DayRecord, Tail, Walk, WalkState
from log_assets.storage import StorageError

log = logging.getLogger(__name__)

# How far past this machine's clock an event's time may be and still say where the walk stands (the
# vendor's and the sending devices' clocks run a little apart). A record dated later than now plus
# this lands in its own day, and is counted (`future_dated`), but completes no day, stops no walk
# and moves no position: a device with a wrong clock must not end today's fetch.
FUTURE_ALLOWANCE = timedelta(minutes=10)
# Fields kept in raw only that a walk's report names (a burst of new names may be thousands; the
# rest are counted, `fields_kept_in_raw_count`).
KEPT_LISTED = 200


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
    fields_kept_in_raw: list = field(default_factory=list)  # `"name" (why)`: fields that could not be columns
    fields_kept_in_raw_count: int = 0  # all of them: those named above and those past KEPT_LISTED
    outside_window: int = 0
    future_dated: int = 0  # dated after now + FUTURE_ALLOWANCE: landed in their day, no evidence of position
    late: int = 0  # received for days an earlier walk had completed (merged into them, deduplicated)
    started_from: str = "nothing to fetch"
    stopped_because: str = ""
    quota_left: int | None = None
    days: dict = field(default_factory=dict)  # day -> {"events", "first", "last", "complete"}
    quarantine_paths: list = field(default_factory=list)  # URLs of what this run quarantined


class WalkInterrupted(ForcepointError):
    """The walk stopped before its end; its position is saved. Carries the partial report."""

    def __init__(self, cause: Exception, report: WalkReport):
        super().__init__(str(cause))
        self.cause = cause
        self.report = report


def _complete(state: WalkState, day: str) -> bool:
    record = state.days.get(day)
    return record is not None and record.complete


class ForcepointIngest:
    def __init__(
        self,
        home: Home,
        lt: LogType,
        client: ForcepointClient,
        budget: DatabaseQuotaBudget,
        *,
        close_grace: timedelta = timedelta(minutes=15),
        lock_timeout: float = 3600.0,
        clock=None,
        logger: logging.Logger | None = None,
        progress_every: float = 10.0,
        store: WalkStateStore | None = None,
        lake: Lake | None = None,
    ):
        self.home = home
        self.lt = lt
        self.client = client
        self.budget = budget
        self.close_grace = close_grace
        self.clock = clock or (lambda: datetime.now(UTC))
        self.log = logger or log
        self.progress_every = progress_every
        self.ids = IdStrategy(lt)
        # By default the walk state is kept where the budget counts: one StateStore for the run.
        self.store = store or DatabaseWalkStateStore(budget.store, lt, lock_timeout=lock_timeout, log=self.log)
        self.cursor = cursor_for(lt)
        self._kept_seen: dict[str, str] = {}  # fields kept in raw this run has named
        self._own_lake = lake is None
        self.lake = lake if lake is not None else Lake.for_home(home)
        # Staged parts, kept answers and quarantine: on the lake's storage root, shared like the state.
        self.storage = self.lake.storage
        self.staging = staging_prefix(lt)
        self.builder = DayBuilder(self.lake, lt, self.storage, self.staging)
        self.kept = KeptAnswers(self.storage, self.staging, lt, client, self.log)
        self.quarantine = Quarantine(self.storage, f"quarantine/{FORCEPOINT}/{lt.name}", lt.name, self.log)

    def close(self) -> None:
        """Close the lake's catalog connection, when this walk opened it."""
        if self._own_lake:
            self.lake.close()

    def __enter__(self) -> ForcepointIngest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------ run

    def run(self, start: datetime, end: datetime, refetch: bool = False) -> WalkReport:
        window_days = days_between(start, end)
        report = WalkReport(self.lt.name, (window_days[0], window_days[-1]) if window_days else ("", ""))
        with self.store.exclusive():
            state = self.store.load()
            if refetch:
                for d in window_days:
                    state.days.pop(d, None)
            needed = [d for d in window_days if not _complete(state, d)]
            if not needed:
                report.stopped_because = "every day of the window is already complete; no request sent"
                if state.walk is not None and state.walk.staged:
                    self._settle(state, state.walk)
            else:
                self._walk(state, needed, window_days, refetch, report)
        report.quota_left = self.budget.left
        report.requests_this_run = self.client.requests_sent
        report.quarantine_paths = list(self.quarantine.written)
        self._describe_days(window_days, state, report)
        return report

    def _new_walk(
        self, stage_from: str, end_day_excl: str, token: str | None, how: str, refetch_days: list[str]
    ) -> Walk:
        return Walk(
            id=self.clock().strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3),
            stage_from=stage_from,
            end=end_day_excl,
            token=token,
            started_from=how,
            replace_days=refetch_days,
        )

    def _walk(
        self, state: WalkState, needed: list[str], window_days: list[str], refetch: bool, report: WalkReport
    ) -> None:
        end_excl = next_day(window_days[-1])
        walk = state.walk
        same_refetch = refetch and walk is not None and set(needed) <= set(walk.replace_days) | set(walk.committed)
        if walk and walk.stage_from <= needed[0] and (not refetch or same_refetch):
            walk.end = max(walk.end, end_excl)
            how = f"resumed walk {walk.id} at page {walk.pages}"
        else:
            if walk:
                self.log.warning(
                    "forcepoint/%s: discarding unfinished walk %s (days from %s); its days stay incomplete",
                    self.lt.name,
                    walk.id,
                    walk.stage_from,
                )
                self.storage.delete_prefix(self.builder.walk_prefix(walk.id))
            tail = state.tail
            if tail and not refetch and self._tail_fits(tail, needed[0]):
                stage_from = min([needed[0]] + [d for d in tail.open_days if d < needed[0]])
                walk = self._new_walk(stage_from, end_excl, tail.token, "token saved by the last walk", [])
            else:
                walk = self._new_walk(
                    needed[0], end_excl, None, f"startdate {needed[0]}T00:00:00Z", needed if refetch else []
                )
            how = walk.started_from
            state.walk = walk
            self.store.save(state)
        report.started_from = how
        self.log.info(
            "forcepoint/%s: walking %s..%s (%s); %d requests left today",
            self.lt.name,
            walk.stage_from,
            end_excl,
            how,
            self.budget.left,
        )
        try:
            self._pages(state, walk, report)
        except (QuotaExhausted, ApiError, ForcepointError) as e:
            self.store.save(state)
            self._interrupted(e, state, walk, window_days, report)
        except StorageError as e:
            # The store refused a part, or the lake's files: what is in memory may hold half a page,
            # so nothing is saved; the position is the last checkpoint, whose pages are all stored.
            saved = self.store.load().walk
            self.log.error(
                "forcepoint/%s: %s; the walk resumes from its last checkpoint (page %d) when the store "
                "answers again",
                self.lt.name,
                e,
                saved.pages if saved is not None else 0,
            )
            self._interrupted(
                e, state, saved if saved is not None and saved.id == walk.id else walk, window_days, report
            )
        self._fill_counters(walk, report)

    def _interrupted(
        self, e: Exception, state: WalkState, walk: Walk, window_days: list[str], report: WalkReport
    ) -> NoReturn:
        self._fill_counters(walk, report)
        report.stopped_because = f"interrupted: {e}"
        report.quota_left = self.budget.left
        report.requests_this_run = self.client.requests_sent
        report.quarantine_paths = list(self.quarantine.written)
        try:
            self._describe_days(window_days, state, report)
        except StorageError as again:  # the lake's metadata is on the store that failed
            self.log.warning("forcepoint/%s: the days' figures are not readable: %s", self.lt.name, again)
        raise WalkInterrupted(e, report) from None

    @staticmethod
    def _tail_fits(tail: Tail, first_needed: str) -> bool:
        """Continue from the saved token only where it saves requests: everything before it is
        landed from `covered_from` on, and it stands at most a day before the first day we need
        (a tail far behind would spend the day's budget on days nobody asked for)."""
        if tail.covered_from > first_needed or not tail.position:
            return False
        behind = (midnight(first_needed) - midnight(tail.position[:10])).days
        return behind <= 1

    def _fill_counters(self, walk: Walk, report: WalkReport) -> None:
        c = walk.counters
        report.requests = walk.requests
        report.pages = walk.pages
        report.events_received = c.events
        report.duplicates = c.duplicates
        report.quarantined = c.quarantined
        report.coercion_failures = c.coercion_failures
        report.new_fields = sorted(walk.new_fields)
        report.fields_kept_in_raw = list(walk.kept_in_raw)
        report.fields_kept_in_raw_count = len(walk.kept_in_raw) + c.kept_in_raw_unlisted
        report.outside_window = c.outside_window
        report.future_dated = c.future_dated
        report.rows_landed = c.landed
        report.late = c.late

    def _pages(self, state: WalkState, walk: Walk, report: WalkReport) -> None:
        stage_from_us = day_start_us(walk.stage_from)
        last_progress = time.monotonic()
        self.builder.forget_unconfirmed(walk)
        counted = walk.requests - self.client.requests_sent  # + requests_sent = the walk's requests
        ahead: tuple[str | None, Future] | None = None  # the next page, requested while this one lands
        pool = ThreadPoolExecutor(1, thread_name_prefix=f"forcepoint-{self.lt.name}")
        try:
            while True:
                end_us = day_start_us(walk.end)
                sent_token = walk.token
                if ahead is not None and ahead[0] == sent_token:
                    fut = ahead[1]
                else:
                    fut = pool.submit(self._fetch, walk.id, walk.stage_from, sent_token)
                ahead = None
                try:
                    page, parsed = fut.result()
                except MalformedPage as e:
                    walk.requests = counted + self.client.requests_sent
                    self.quarantine.body(walk.id, walk.pages, e.body, str(e))
                    walk.counters.quarantined += 1
                    self.store.save(state)
                    raise
                except ApiError as e:
                    walk.requests = counted + self.client.requests_sent
                    if e.status == 400 and sent_token is not None and "token" in e.server_message.lower():
                        # A token the server no longer accepts: restart from the start of the day we
                        # were in; what is already staged is deduplicated against as it lands.
                        seen = min(walk.max_time_us, self._horizon_us()) if walk.max_time_us else None
                        restart = day_of(seen) if seen else walk.stage_from
                        restart = max(restart, walk.stage_from)
                        self.log.warning(
                            "forcepoint/%s: token refused (%s); restarting from %s",
                            self.lt.name,
                            e.server_message,
                            restart,
                        )
                        walk.token = None
                        walk.stage_from = restart
                        stage_from_us = day_start_us(restart)
                        self.store.save(state)
                        continue
                    self.store.save(state)
                    raise
                except ForcepointError:  # quota exhausted, an answer too large or too slow, transport
                    walk.requests = counted + self.client.requests_sent
                    self.store.save(state)
                    raise
                walk.requests = counted + self.client.requests_sent

                caught_up = not page.records or page.next_token is None or page.next_token == sent_token
                passed_end = self.cursor.after_page(
                    walk, parsed.table, page.next_token, caught_up, end_us, self._horizon_us()
                )
                if not caught_up and not passed_end:
                    ahead = (page.next_token, pool.submit(self._fetch, walk.id, walk.stage_from, page.next_token))
                page_no = walk.pages
                self._land_page(state, walk, page, parsed, stage_from_us, end_us, page_no)
                if page.records:
                    walk.pages += 1
                    if page.next_token and page.next_token != sent_token:
                        walk.token = page.next_token
                self._close_passed_days(state, walk)
                self.store.save(state)  # the checkpoint: the page is landed, the token after it is durable

                now = time.monotonic()
                if now - last_progress >= self.progress_every:
                    last_progress = now
                    self.log.info(
                        "forcepoint/%s: %d pages, %d events, at %s; %d requests left today",
                        self.lt.name,
                        walk.pages,
                        walk.counters.events,
                        iso_us(walk.max_time_us),
                        self.budget.left,
                    )
                if caught_up:
                    report.stopped_because = "caught up with the API"
                    break
                if passed_end:
                    report.stopped_because = "walked past the end of the window"
                    break
            self._finish(state, walk, caught_up, report)
        finally:
            if ahead is not None:
                ahead[1].exception()  # let it end: an answer it got is kept for the next run
            pool.shutdown(wait=True)
            self.builder.drop()

    def _fetch(self, walk_id: str, stage_from: str, token: str | None) -> tuple[Page, PageTable]:
        """One page, parsed (runs on the walk's fetch thread). An answer kept by an earlier run is
        used instead of a request: the server would not answer it again for free."""
        page = self.kept.take(walk_id, stage_from, token)
        if page is None:
            if token is None:
                page = self.client.fetch(self.lt, startdate=f"{stage_from}T00:00:00Z")
            else:
                page = self.client.fetch(self.lt, token=token)
            self.kept.keep(walk_id, stage_from, token, page)
        return page, parse_page(self.lt, page.records, int(self.clock().timestamp() * 1e6), self.ids, Coercer())

    def _land_page(
        self,
        state: WalkState,
        walk: Walk,
        page: Page,
        parsed: PageTable,
        stage_from_us: int,
        end_us: int,
        page_no: int,
    ) -> None:
        """Stage the page's rows by day and add them to the days' merges; quarantine what cannot
        be read."""
        c = walk.counters
        c.events += len(page.records)
        rejected = parsed.rejected + list(page.bad_records)
        if rejected:
            self.quarantine.records(walk.id, page_no, rejected)
            c.quarantined += len(rejected)
        c.coercion_failures += parsed.coercion_failures
        table = parsed.table
        extra = [n for n in new_fields(table, self.lt) if n not in self._kept_seen]  # a column refused stays so
        if extra and not set(extra) <= set(walk.new_fields):
            fresh = sorted(set(extra) - set(walk.new_fields))
            walk.new_fields = sorted(set(walk.new_fields) | set(extra))
            self.log.warning(
                "forcepoint/%s: new fields the catalog does not know, landed as text columns: %s%s",
                self.lt.name,
                ", ".join(fresh[:20]),
                f" and {len(fresh) - 20} more" if len(fresh) > 20 else "",
            )
        self._keep_in_raw(walk, kept_in_raw(table))
        if table.num_rows == 0:
            return
        times = table.column("event_time").cast(pa.int64())
        horizon_us = self._horizon_us()
        future = pc.greater(times, horizon_us)
        n_future = pc.sum(future).as_py() or 0
        # The walk's position: the latest time it has seen that a clock could have written by now.
        top = pc.max(pc.filter(times, pc.invert(future)) if n_future else times).as_py()
        if top is not None and (walk.max_time_us is None or top > walk.max_time_us):
            walk.max_time_us = top
        if n_future:
            c.future_dated += n_future
            self.log.warning(
                "forcepoint/%s: %d record(s) dated after this machine's clock plus %s (the latest %s): "
                "landed in their own day, but not taken as the walk's position (a device's clock is wrong?)",
                self.lt.name,
                n_future,
                FUTURE_ALLOWANCE,
                iso_us(pc.max(times).as_py()),
            )
        closed = {d for d, r in state.days.items() if r.complete and d not in walk.committed}
        # Records outside the walk's window land in their own days too (merged, deduplicated), never
        # completing them: a walk of such a day still fetches it whole, and its copies merge away.
        # Before the window in a day an earlier walk completed, they are late records of that day.
        after = pc.greater_equal(times, end_us)
        before = pc.less(times, stage_from_us)
        if closed and pc.any(before).as_py():
            late_days = pa.array(sorted(day_start_us(d) // US_PER_DAY for d in closed), pa.int64())
            before = pc.and_(before, pc.invert(pc.is_in(pc.divide(times, US_PER_DAY), value_set=late_days)))
        n_after, n_before = pc.sum(after).as_py() or 0, pc.sum(before).as_py() or 0
        c.outside_window += n_after + n_before
        # Past the window's end, the tail token is not kept: the next walk starts by date. Records
        # from a wrong clock do not count: no walk by date will ever reach their day.
        if n_future:
            n_after = pc.sum(pc.and_(after, pc.invert(future))).as_py() or 0
        walk.dropped_after_end += n_after
        for day, rows in split_days(table, times):
            if day in closed:
                # A day completed by an earlier walk: what is new in it (a record the API made
                # available late) merges into it; what is already there counts as duplicates.
                c.late += rows.num_rows
            self.builder.stage(walk, day, page_no, rows)
            if day not in walk.staged:
                walk.staged.append(day)

    def _close_passed_days(self, state: WalkState, walk: Walk) -> None:
        """Merge and complete every staged day the walk has passed."""
        passed = self.cursor.passed_us(walk)
        if passed is None:
            return
        passed = min(passed, self._horizon_us())  # a position saved before the horizon was kept
        for day in sorted(walk.staged):
            # Only the window's days: a day outside it holds what this walk happened to see of it.
            if walk.stage_from <= day < walk.end and day_start_us(day) + US_PER_DAY <= passed:
                self._commit_day(state, walk, day, complete=True)

    def _horizon_us(self) -> int:
        """The latest event time that is evidence of the walk's position (now + FUTURE_ALLOWANCE)."""
        return int((self.clock() + FUTURE_ALLOWANCE).timestamp() * 1e6)

    def _finish(self, state: WalkState, walk: Walk, caught_up: bool, report: WalkReport) -> None:
        now_us = int(self.clock().timestamp() * 1e6)
        grace_us = int(self.close_grace.total_seconds() * 1e6)
        max_us = min(self.cursor.passed_us(walk) or 0, self._horizon_us())
        open_days = []
        for day in days_between(midnight(walk.stage_from), midnight(walk.end)):
            day_end = day_start_us(day) + US_PER_DAY
            complete = day_end <= max_us or (caught_up and day_end + grace_us <= now_us)
            if day in walk.staged:
                self._commit_day(state, walk, day, complete=complete)
            elif complete and not _complete(state, day):
                state.days[day] = DayRecord(complete=True, walk=walk.id)  # a day without events
            if not complete:
                open_days.append(day)
        for day in sorted(walk.staged):  # late records of days before the window (already complete)
            self._commit_day(state, walk, day, complete=_complete(state, day))
        if caught_up and walk.dropped_after_end == 0 and walk.token:
            old = state.tail
            state.tail = Tail(
                token=walk.token,
                covered_from=walk.stage_from
                if walk.started_from.startswith("startdate") or old is None
                else min(walk.stage_from, old.covered_from),
                # A walk that found nothing new (a poll of the open day) keeps the old position:
                # without one the next run could not continue from the token.
                position=iso_us(walk.max_time_us)
                if walk.max_time_us is not None
                else (old.position if old is not None else None),
                open_days=open_days,
            )
        # A walk that did not catch up leaves the old tail, if any: it still describes a position
        # whose earlier events are all landed.
        self.storage.delete_prefix(self.builder.walk_prefix(walk.id))
        state.walk = None
        self.store.save(state)

    def _settle(self, state: WalkState, walk: Walk) -> None:
        """Merge into the lake what an unfinished walk staged (records of days already complete, met
        after it had passed them), without a request: a run whose window needs nothing would
        otherwise leave those rows only in the staging. The walk's position stays for a later run."""
        self.builder.forget_unconfirmed(walk)
        days = sorted(walk.staged)
        before = walk.counters.landed
        for day in days:
            self._commit_day(state, walk, day, complete=_complete(state, day))
        self.log.info(
            "forcepoint/%s: merged what the unfinished walk %s had staged for %s: %d new event(s)",
            self.lt.name,
            walk.id,
            ", ".join(days),
            walk.counters.landed - before,
        )

    def _keep_in_raw(self, walk: Walk, kept: dict[str, str]) -> None:
        """Name the fields that could not be columns (once a walk), in a warning and the walk's report."""
        if set(kept) & set(walk.new_fields):  # refused by the lake table (a column it has collides)
            walk.new_fields = [n for n in walk.new_fields if n not in kept]
        fresh = {n: why for n, why in kept.items() if n not in self._kept_seen}
        if not fresh:
            return
        self._kept_seen.update(fresh)
        added = add_described(walk.kept_in_raw, fresh)
        # The walk's state names at most KEPT_LISTED of them (it is saved at every page); the rest are counted.
        room = max(0, KEPT_LISTED - len(walk.kept_in_raw))
        walk.kept_in_raw += added[:room]
        walk.counters.kept_in_raw_unlisted += len(added[room:])
        if added:
            self.log.warning(
                "forcepoint/%s: %d field(s) not made columns, their values stay in raw only (read them from raw): "
                "%s",
                self.lt.name,
                len(added),
                summary(fresh),
            )

    def _commit_day(self, state: WalkState, walk: Walk, day: str, complete: bool) -> None:
        added, dups = self.builder.commit(walk, day)
        self._keep_in_raw(walk, self.builder.kept_in_raw)
        walk.counters.duplicates += dups
        walk.counters.landed += added
        if day in walk.staged:
            walk.staged.remove(day)
        walk.committed.append(day)
        state.days[day] = DayRecord(complete=complete or _complete(state, day), walk=walk.id)
        self.store.save(state)
        self.builder.forget_parts(walk, day)

    # -------------------------------------------------------------------------------- report

    def _describe_days(self, window_days: list[str], state: WalkState, report: WalkReport) -> None:
        figures = self.builder.figures(window_days)
        for day in window_days:
            f = figures.get(day)
            report.days[day] = {
                "events": f.rows if f else 0,
                "first": f.first.isoformat() if f and f.first is not None else None,
                "last": f.last.isoformat() if f and f.last is not None else None,
                "complete": _complete(state, day),
            }
