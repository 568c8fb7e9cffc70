"""Source health: per source and log type, is data arriving, and will it still arrive?

Figures (`measure`), from the state database (quota counters, day completeness, the ingest audit)
and the newest event the caller found (the warehouse's per-type tables):

- newest event and its age;
- requests spent and left today (Forcepoint: the daily quota per type; the last audited request's
  figure, else the counter's against the API's 300);
- gap days: UTC days in the last `gap_window_days` that ended more than a day ago and are missing.
  Forcepoint: a day of the stream's range (from its first recorded day) not complete in the state.
  Aperture: a day (today included: the loss is immediate) on which the queue went unread for longer
  than the events' expiry (`drain_expiry`, about an hour at the vendor), by the audited reads (from
  the first one kept): its events may have expired unread;
- Aperture drain lag: how long since a read last found the queue empty (before that, since the
  first audited read). Unread events expire about an hour after they are queued: a lag past
  `drain_lag_warn` (45 minutes) is a warning while nothing is lost yet, past `drain_expiry` an error.

`assess` turns them into problems with a severity, against `Thresholds` (every one a setting with
a default, read from the environment by `Thresholds.from_env`). No Dagster here.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from log_assets.catalog import APERTURE, FORCEPOINT
from log_assets.ops.audit import read_audit

if TYPE_CHECKING:
    from log_assets.state.store import StateStore

MAX_EVENT_AGE_ENV = "LOG_ASSETS_HEALTH_MAX_EVENT_AGE_HOURS"
MIN_REQUESTS_LEFT_ENV = "LOG_ASSETS_HEALTH_MIN_REQUESTS_LEFT"
GAP_WINDOW_ENV = "LOG_ASSETS_HEALTH_GAP_WINDOW_DAYS"
DRAIN_LAG_WARN_ENV = "LOG_ASSETS_HEALTH_DRAIN_LAG_WARN_MINUTES"
DRAIN_EXPIRY_ENV = "LOG_ASSETS_HEALTH_DRAIN_EXPIRY_MINUTES"

API_DAILY_LIMIT = 300  # forcepoint/quota.py's; not imported: that module loads the Forcepoint client
WARN, ERROR = "warn", "error"


def _setting(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ValueError(f"{name} must be a number of at least {minimum:g}; got {raw!r} (default {default:g})")
    return value


@dataclass(frozen=True)
class Thresholds:
    """When a figure is a problem. Defaults, and the variables that override them:

    - max_event_age 36 h (LOG_ASSETS_HEALTH_MAX_EVENT_AGE_HOURS): newest event older: late;
    - min_requests_left 30 (LOG_ASSETS_HEALTH_MIN_REQUESTS_LEFT): fewer left today: quota nearly spent;
    - gap_window_days 30 (LOG_ASSETS_HEALTH_GAP_WINDOW_DAYS): the days looked at for gaps (the vendor
      collector's horizon: a gap older than that cannot be fetched again);
    - drain_lag_warn 45 min (LOG_ASSETS_HEALTH_DRAIN_LAG_WARN_MINUTES): Aperture drain lag warned of,
      three quarters of the expiry;
    - drain_expiry 60 min (LOG_ASSETS_HEALTH_DRAIN_EXPIRY_MINUTES): Aperture's unread events expire
      after about this long: a lag past it is an error, and a day with such a stretch a gap day.
    """

    max_event_age: timedelta = timedelta(hours=36)
    min_requests_left: int = 30
    gap_window_days: int = 30
    drain_lag_warn: timedelta = timedelta(minutes=45)
    drain_expiry: timedelta = timedelta(minutes=60)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Thresholds:
        env = os.environ if environ is None else environ
        d = cls()
        warn = _setting(env, DRAIN_LAG_WARN_ENV, d.drain_lag_warn.total_seconds() / 60, 1)
        expiry = _setting(env, DRAIN_EXPIRY_ENV, d.drain_expiry.total_seconds() / 60, 1)
        if warn >= expiry:
            raise ValueError(
                f"{DRAIN_LAG_WARN_ENV} ({warn:g}) must be below {DRAIN_EXPIRY_ENV} ({expiry:g}): the warning "
                "comes before events can expire"
            )
        return cls(
            max_event_age=timedelta(
                hours=_setting(env, MAX_EVENT_AGE_ENV, d.max_event_age.total_seconds() / 3600, 0)
            ),
            min_requests_left=int(_setting(env, MIN_REQUESTS_LEFT_ENV, d.min_requests_left, 0)),
            gap_window_days=int(_setting(env, GAP_WINDOW_ENV, d.gap_window_days, 1)),
            drain_lag_warn=timedelta(minutes=warn),
            drain_expiry=timedelta(minutes=expiry),
        )


@dataclass(frozen=True)
class Problem:
    figure: str  # newest_event_age, requests_left_today, gap_days, drain_lag
    severity: str  # warn, error
    message: str


@dataclass
class SourceHealth:
    source: str
    log_type: str
    measured_at: datetime
    newest_event: datetime | None = None
    requests_today: int | None = None  # Forcepoint only
    requests_left_today: int | None = None  # Forcepoint only
    gap_days: list[str] = field(default_factory=list)
    drain_lag: timedelta | None = None  # Aperture only
    last_request_at: datetime | None = None
    active: bool = False  # requested, or holding days or events: a source never set up is not "late"

    @property
    def newest_event_age(self) -> timedelta | None:
        return None if self.newest_event is None else max(timedelta(0), self.measured_at - self.newest_event)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SourceHealth:
        """The figures of a row of ops.source_health (what `row` wrote)."""
        lag = row.get("drain_lag_seconds")
        gaps = row.get("gap_day_list")
        return cls(
            row["source"],
            row["log_type"],
            row["measured_at"],
            newest_event=row.get("newest_event"),
            requests_today=row.get("requests_today"),
            requests_left_today=row.get("requests_left_today"),
            gap_days=gaps.split(", ") if gaps else [],
            drain_lag=None if lag is None else timedelta(seconds=lag),
            last_request_at=row.get("last_request_at"),
            active=bool(row.get("active")),
        )

    def at(self, now: datetime) -> SourceHealth:
        """The figures as they stand at `now`, later than the measurement: the newest event is older
        and the drain lag longer by the time since (a warehouse no longer updated hides nothing)."""
        later = max(timedelta(0), now - self.measured_at)
        lag = None if self.drain_lag is None else self.drain_lag + later
        return dataclasses.replace(self, measured_at=max(now, self.measured_at), drain_lag=lag)

    def row(self, problems: list[Problem]) -> dict[str, Any]:
        """The row of ops.source_health."""
        age, lag = self.newest_event_age, self.drain_lag
        worst = ERROR if any(p.severity == ERROR for p in problems) else WARN if problems else "ok"
        return {
            "event_day": self.measured_at.date(),
            "measured_at": self.measured_at,
            "source": self.source,
            "log_type": self.log_type,
            "newest_event": self.newest_event,
            "newest_event_age_seconds": None if age is None else age.total_seconds(),
            "requests_today": self.requests_today,
            "requests_left_today": self.requests_left_today,
            "gap_days": len(self.gap_days),
            "gap_day_list": ", ".join(self.gap_days) or None,
            "drain_lag_seconds": None if lag is None else lag.total_seconds(),
            "last_request_at": self.last_request_at,
            "active": self.active,
            "status": worst,
            "problems": "; ".join(p.message for p in problems) or None,
        }


def assess(h: SourceHealth, t: Thresholds) -> list[Problem]:
    """The figures of `h` that cross a threshold, each with its severity and a message naming the
    source, the figure and what to do."""
    name = f"{h.source}/{h.log_type}"
    queue = f"{APERTURE}/* (one queue for every log type)"  # the drain's figures are the queue's
    out: list[Problem] = []
    age = h.newest_event_age
    if h.active and age is not None and age > t.max_event_age:
        out.append(
            Problem(
                "newest_event_age",
                WARN,
                f"{name}: newest event is {_hours(age)} old (threshold {_hours(t.max_event_age)}): check its "
                "runs and the vendor's side",
            )
        )
    elif h.active and h.newest_event is None and h.source == FORCEPOINT and h.requests_today:
        out.append(
            Problem("newest_event_age", WARN, f"{name}: requests were sent but no event is in the warehouse")
        )
    if h.requests_left_today is not None and h.requests_left_today < t.min_requests_left:
        out.append(
            Problem(
                "requests_left_today",
                WARN,
                f"{name}: {h.requests_left_today} requests left today (threshold {t.min_requests_left}); the "
                "quota resets at 00:00 UTC, requests past it wait for the reset",
            )
        )
    if h.gap_days:
        why = (
            "not complete in the state: materialize those partitions while the vendor still holds them"
            if h.source == FORCEPOINT
            else f"the queue went unread longer than {_minutes(t.drain_expiry)}: events of those days may have "
            "expired unread"
        )
        out.append(
            Problem("gap_days", WARN, f"{name}: {len(h.gap_days)} gap day(s) ({', '.join(h.gap_days)}), {why}")
        )
    if h.drain_lag is not None and h.drain_lag >= t.drain_lag_warn:
        past = h.drain_lag >= t.drain_expiry
        out.append(
            Problem(
                "drain_lag",
                ERROR if past else WARN,
                f"{queue}: the queue was last found empty {_minutes(h.drain_lag)} ago (warn at "
                f"{_minutes(t.drain_lag_warn)}, events expire after about {_minutes(t.drain_expiry)})"
                + (
                    ": events may have expired unread"
                    if past
                    else ": run the drain more often or with more readers"
                ),
            )
        )
    return out


def measure(
    store: StateStore,
    types: Iterable[tuple[str, str]],
    newest: Mapping[tuple[str, str], datetime | None],
    now: datetime,
    thresholds: Thresholds,
) -> list[SourceHealth]:
    """The health of each (source, log type) in `types`, with `newest` (the newest event of each)."""
    from log_assets.state import stream_name

    window_start = now.date() - timedelta(days=thresholds.gap_window_days)
    audit = read_audit(store, since=datetime.combine(window_start, datetime.min.time(), UTC))
    last_at: dict[tuple[str, str], datetime] = {}
    quota_left: dict[str, int | None] = {}
    today = now.date()
    for r in audit:
        last_at[(r["source"], r["log_type"])] = r["requested_at"]
        if r["source"] == FORCEPOINT and r["requested_at"].date() == today and r["quota_left"] is not None:
            quota_left[r["log_type"]] = r["quota_left"]
    aperture_reads = [r for r in audit if r["source"] == APERTURE and r["endpoint"] == "events"]
    lag, aperture_gaps = _drain(aperture_reads, now, window_start, thresholds.drain_expiry)
    aperture_last = last_at.get((APERTURE, "*"))

    out = []
    for source, log_type in types:
        h = SourceHealth(source, log_type, now, newest_event=newest.get((source, log_type)))
        if source == FORCEPOINT:
            key = stream_name(FORCEPOINT, log_type)
            counter = store.quota(key, today.isoformat())
            h.requests_today = counter.spent
            left = quota_left.get(log_type)
            h.requests_left_today = left if left is not None else counter.left(API_DAILY_LIMIT)
            days = store.days(key)
            h.gap_days = _forcepoint_gaps(days, window_start, today)
            h.last_request_at = last_at.get((source, log_type))
            h.active = bool(days or h.last_request_at or h.newest_event)
        else:
            h.drain_lag, h.gap_days, h.last_request_at = lag, aperture_gaps, aperture_last
            h.active = bool(aperture_reads or h.newest_event)
        out.append(h)
    return out


def _forcepoint_gaps(days: Mapping[str, Any], window_start: date, today: date) -> list[str]:
    """Days from the stream's first recorded day (within the window) to the day before yesterday
    that are not complete."""
    if not days:
        return []
    first = max(date.fromisoformat(min(days)), window_start)
    last = today - timedelta(days=2)  # a day that ended more than a day ago
    out = []
    d = first
    while d <= last:
        record = days.get(d.isoformat())
        if record is None or not record.complete:
            out.append(d.isoformat())
        d += timedelta(days=1)
    return out


def _drain(
    reads: list[dict[str, Any]], now: datetime, window_start: date, expiry: timedelta
) -> tuple[timedelta | None, list[str]]:
    """(drain lag, gap days) from Aperture's audited event reads, oldest first."""
    ok = [r["requested_at"] for r in reads if r["status"] in (200, 204)]
    if not ok:
        return None, []
    emptied = [
        r["requested_at"] for r in reads if r["status"] == 204 or (r["status"] == 200 and r["records"] == 0)
    ]
    lag = now - (emptied[-1] if emptied else ok[0])
    gaps: set[str] = set()
    # A stretch of more than `expiry` without a successful read, between reads or up to now.
    for a, b in zip(ok, [*ok[1:], now], strict=True):
        if b - a > expiry:
            d = (a + expiry).date()
            while d <= b.date():
                gaps.add(d.isoformat())
                d += timedelta(days=1)
    return max(lag, timedelta(0)), sorted(g for g in gaps if date.fromisoformat(g) >= window_start)


def _hours(t: timedelta) -> str:
    return f"{t.total_seconds() / 3600:.1f} h"


def _minutes(t: timedelta) -> str:
    return f"{t.total_seconds() / 60:.0f} min"
