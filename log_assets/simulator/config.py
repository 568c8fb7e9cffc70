"""Settings of the simulator: volumes, credentials, limits and behaviour of both vendor APIs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

DEFAULT_EVENTS_PER_DAY = 200

DEMO_FORCEPOINT_TOKEN = "demo-forcepoint-token"
DEMO_FORCEPOINT_USERNAME = "demo-admin"
DEMO_FORCEPOINT_PASSWORD = "demo:pass:word"
# A valid credential of a user who is not a sysadmin: the API answers it with 403.
DEMO_FORBIDDEN_TOKEN = "demo-forbidden-token"
DEMO_APERTURE_CLIENT_ID = "demo-client"
DEMO_APERTURE_CLIENT_SECRET = "demo-secret"


@dataclass(frozen=True)
class SimConfig:
    seed: int = 7
    # Events cover the last `days` UTC days up to `end` (the day holding `end` is partial).
    days: int = 7
    end: datetime | str | None = None  # default: the moment the simulator is built, UTC
    # Forcepoint: an int for every type, or {log_type: int} (types not named get the default).
    forcepoint_events_per_day: int | dict[str, int] = DEFAULT_EVENTS_PER_DAY
    page_size: int = 1000
    quota: int = 300  # requests per log type per UTC day
    duplicate_rate: float = 0.01  # share of events served a second time a little later
    forcepoint_token: str = DEMO_FORCEPOINT_TOKEN
    forcepoint_username: str = DEMO_FORCEPOINT_USERNAME
    forcepoint_password: str = DEMO_FORCEPOINT_PASSWORD
    forcepoint_forbidden_token: str = DEMO_FORBIDDEN_TOKEN
    # Aperture
    aperture_client_id: str = DEMO_APERTURE_CLIENT_ID
    aperture_client_secret: str = DEMO_APERTURE_CLIENT_SECRET
    aperture_backlog_per_type: int = 50  # enqueued at start, spread over the last 2 UTC days
    aperture_expires_in: int | None = 3600  # token lifetime; None: the answer has no expires_in
    aperture_ttl: float = 3600.0  # seconds an unread event stays in the queue
    aperture_bulk_max: int = 100
    long_poll: float = 0.2  # seconds a read waits on an empty queue before 204 (the real API: 20)
    aperture_broken_rate: float = 0.0  # share of 200 bodies that are not valid JSON
    aperture_max_concurrent: int = 8  # readers served at once; more get 429
    # Both
    latency: float = 0.0  # seconds added before every answer
    # Serve the detection scenarios' records (simulator/scenarios.py) on the last full day: the demo does.
    scenarios: bool = False

    def events_per_day(self, log_type: str) -> int:
        v = self.forcepoint_events_per_day
        if isinstance(v, dict):
            return int(v.get(log_type, DEFAULT_EVENTS_PER_DAY))
        return int(v)

    def end_time(self) -> datetime:
        """`end` as an aware UTC datetime (naive values and strings are read as UTC)."""
        end = self.end
        if end is None:
            return datetime.now(UTC)
        if isinstance(end, str):
            end = datetime.fromisoformat(end.replace("Z", "+00:00"))
        if end.tzinfo is None:
            end = end.replace(tzinfo=UTC)
        return end.astimezone(UTC)

    def with_(self, **changes) -> SimConfig:
        return replace(self, **changes)
