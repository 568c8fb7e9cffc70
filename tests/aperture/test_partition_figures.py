"""A multi-day landing run: each Aperture partition gets its own figures; the lake checks run."""

from __future__ import annotations

import dagster as dg

from log_assets.defs.aperture.assets import aperture_landing, aperture_spool
from log_assets.defs.aperture.resources import ApertureApi
from log_assets.defs.resources import LogAssetsHome

from .conftest import make_event


def test_each_partition_of_a_range_run_has_its_own_figures(fake, home, monkeypatch):
    for k, v in fake.env().items():
        monkeypatch.setenv(k, v)
    counts = {"2026-11-18": 2, "2026-11-19": 5, "2026-11-20": 3}
    fake.add_events(
        [make_event("incident", f"{day}T0{i}:00:00Z") for day, n in counts.items() for i in range(n)], per_body=4
    )
    resources = {"home": LogAssetsHome(root=str(home.root)), "aperture": ApertureApi()}
    assert dg.materialize([aperture_spool], resources=resources).success
    result = dg.materialize(
        [aperture_landing],
        selection=["aperture/incident"],
        resources=resources,
        tags={
            "dagster/asset_partition_range_start": "2026-11-18",
            "dagster/asset_partition_range_end": "2026-11-20",
        },
    )
    assert result.success
    mats = [e.materialization for e in result.get_asset_materialization_events()]
    assert sorted(m.partition for m in mats) == sorted(counts)  # one per partition
    for m in mats:
        md = {k: v.value for k, v in m.metadata.items()}
        n = counts[m.partition]
        assert md["rows"] == md["dagster/row_count"] == md["events_landed"] == n
        assert md["first_event"] is not None
        assert md["events_landed_per_day"] == counts  # the run's total stays beside
    evals = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evals) == {"event_ids_unique", "rows_as_reported"}
    assert all(e.passed for e in evals.values()) and all(
        e.asset_key == dg.AssetKey(["aperture", "incident"]) for e in evals.values()
    )
    assert evals["rows_as_reported"].metadata["lake_rows"].value == sum(counts.values())
