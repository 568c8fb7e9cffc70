"""Fixtures for end-to-end Forcepoint tests: a simulator, a temporary home, materialization helpers."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.defs.forcepoint.assets import FORCEPOINT_ASSETS
from log_assets.defs.forcepoint.resources import ForcepointResource
from log_assets.defs.resources import LogAssetsHome
from log_assets.forcepoint.parse import IdStrategy
from tests.lakeview import lake_event_ids

warnings.filterwarnings("ignore", category=dg.BetaWarning) if hasattr(dg, "BetaWarning") else None

FP_ENV = (
    "FORCEPOINT_API_URL",
    "FORCEPOINT_API_TOKEN",
    "FORCEPOINT_USERNAME",
    "FORCEPOINT_PASSWORD",
    "FORCEPOINT_RESPONSE_FORMAT",
    "FORCEPOINT_DAILY_BUDGET",
    "FORCEPOINT_CV",
)


@pytest.fixture
def clean_env(monkeypatch):
    for k in FP_ENV:
        monkeypatch.delenv(k, raising=False)
    return monkeypatch


def today() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def day_str(offset: int) -> str:
    return (today() + timedelta(days=offset)).strftime("%Y-%m-%d")


def asset_for(log_type: str):
    return next(a for a in FORCEPOINT_ASSETS if a.key.path[-1] == log_type)


def materialize(
    log_type: str, first: str, last: str, home: Path, raise_on_error=True, refetch=False, instance=None, **resource
):
    tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
    return dg.materialize(
        [asset_for(log_type)],
        instance=instance,
        resources={
            "forcepoint": ForcepointResource(retries=2, backoff=0.01, **resource),
            "home": LogAssetsHome(root=str(home)),
        },
        tags=tags,
        raise_on_error=raise_on_error,
        run_config={"ops": {f"forcepoint__{log_type}": {"config": {"refetch": refetch}}}} if refetch else None,
    )


def lake_ids(home: Path, log_type: str, day: str) -> list[str]:
    return lake_event_ids(home, "forcepoint", log_type, day)


def truth_ids(sim, log_type: str, day: str, cv: str = "1.1.5") -> list[str]:
    ids = IdStrategy(FORCEPOINT_TYPES[log_type])
    return [ids(r) for r in sim.forcepoint.distinct_events(log_type, day=day, cv=cv)]


def metadata(result, log_type: str) -> dict:
    mats = result.asset_materializations_for_node(f"forcepoint__{log_type}")
    return {k: v.value for k, v in mats[-1].metadata.items()}


def assert_lake_matches_truth_once(sim, home: Path, log_type: str, day: str) -> None:
    from collections import Counter

    got = lake_ids(home, log_type, day)
    want = truth_ids(sim, log_type, day)
    assert want, f"simulator has no {log_type} events on {day}: the test would prove nothing"
    dup = [k for k, n in Counter(got).items() if n > 1]
    assert not dup, f"{log_type} {day}: duplicated in the lake: {dup[:3]}"
    assert sorted(got) == sorted(want), f"{log_type} {day}: lake has {len(got)}, truth {len(want)}"
