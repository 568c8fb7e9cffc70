"""Sensors: land spooled events into their day partitions; warn when drains stop."""

import hashlib
import time
import warnings

import dagster as dg

from log_assets.aperture.spool import Spool
from log_assets.defs.aperture.assets import DEFAULT_LANDING_KEYS, LandingKeys
from log_assets.defs.aperture.checks import drain_freshness_checks
from log_assets.defs.aperture.partitions import aperture_daily_partitions
from log_assets.defs.resources import LogAssetsHome
from log_assets.defs.scope import DEFAULT_SCOPE, Scope

# Inbox files still there this long after they were written mean an earlier landing run failed or
# was lost; a new run key every interval asks again (landing is idempotent).
RETRY_STALE_SECONDS = 600


def inbox_run_requests(
    spool: Spool,
    now: float | None = None,
    keys: LandingKeys = DEFAULT_LANDING_KEYS,
    partitions: dg.PartitionsDefinition = aperture_daily_partitions,
) -> tuple[list[dg.RunRequest], list[str]]:
    """One run per day with inbox data, selecting the log type assets (of `keys`) that have some.

    Returns (run requests, days that are not partitions yet/anymore, left waiting in the inbox).
    """
    now = time.time() if now is None else now
    by_day: dict[str, dict[str, list]] = {}
    for (log_type, day), files in spool.pending_partitions().items():
        by_day.setdefault(day, {})[log_type] = files
    requests, waiting = [], []
    for day, types in sorted(by_day.items()):
        if not partitions.has_partition_key(day):
            waiting.append(day)
            continue
        selected = set()
        fingerprint = hashlib.sha256()
        oldest = now
        for log_type, files in sorted(types.items()):
            selected.add(keys.of(log_type))
            for f in files:
                fingerprint.update(f"{log_type}/{f.key.rsplit('/', 1)[-1]}\n".encode())
                if f.mtime is not None:
                    oldest = min(oldest, f.mtime.timestamp())
        run_key = f"aperture-inbox:{day}:{fingerprint.hexdigest()[:16]}"
        if now - oldest > RETRY_STALE_SECONDS:
            run_key += f":retry{int(now // RETRY_STALE_SECONDS)}"
        requests.append(
            dg.RunRequest(
                run_key=run_key, partition_key=day, asset_selection=sorted(selected, key=lambda k: tuple(k.path))
            )
        )
    return requests, waiting


def build_inbox_sensor(
    scope: Scope, keys: LandingKeys, partitions: dg.PartitionsDefinition = aperture_daily_partitions
) -> dg.SensorDefinition:
    home_key = scope.home_key

    @dg.sensor(
        name=scope.name("aperture_inbox_sensor"),
        target=keys.all,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Requests runs of the aperture/<log_type> day partitions that have new spooled events.",
        required_resource_keys={home_key},
    )
    def aperture_inbox_sensor(context: dg.SensorEvaluationContext, **resources: object):
        # Dagster passes a sensor's required resources as keyword arguments named by their keys.
        home = resources[home_key]
        assert isinstance(home, LogAssetsHome)
        with Spool(home.get()) as spool:
            requests, waiting = inbox_run_requests(spool, keys=keys, partitions=partitions)
        if waiting:
            context.log.warning(
                f"spooled events for days outside the partitions ({', '.join(waiting)}) wait in the inbox; "
                + (
                    "set APERTURE_PARTITIONS_START earlier to land days before the start"
                    if scope.tenant.is_default
                    else f"set aperture.partitions_start of {scope.tenant.describe()} earlier to land days "
                    "before the start"
                )
            )
        if not requests:
            return dg.SkipReason(
                "no new spooled events" + (f" (waiting: {', '.join(waiting)})" if waiting else "")
            )
        return requests

    return aperture_inbox_sensor


def build_drain_freshness_sensor(
    scope: Scope, freshness_checks: list[dg.AssetChecksDefinition]
) -> dg.SensorDefinition:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*build_sensor_for_freshness_checks.*superseded")
        # Re-evaluates the drain freshness check once the last drain could have become too old; a WARN
        # shows on aperture/spool until a drain succeeds again.
        return dg.build_sensor_for_freshness_checks(
            freshness_checks=freshness_checks,
            name=scope.name("aperture_drain_freshness_sensor"),
            minimum_interval_seconds=60,
            default_status=dg.DefaultSensorStatus.RUNNING,
        )


# The default tenant's.
aperture_inbox_sensor = build_inbox_sensor(DEFAULT_SCOPE, DEFAULT_LANDING_KEYS)
aperture_drain_freshness_sensor = build_drain_freshness_sensor(DEFAULT_SCOPE, drain_freshness_checks)
