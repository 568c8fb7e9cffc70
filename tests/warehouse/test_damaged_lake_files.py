"""A lake data file cut off (a full disk, a partial copy or restore): the warehouse names the table, the
day, the file and the way back instead of DuckDB's "No magic bytes found", and `lake_maintenance` fails
naming it instead of reporting success over it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from log_assets.defs.maintenance import lake_maintenance_job
from log_assets.defs.resources import LogAssetsHome
from log_assets.lake.damage import LakeDamaged
from log_assets.lake.lake import Lake
from log_assets.warehouse import rebuild, sync


def _cut_a_file(home) -> tuple[date, str]:
    """Cut one data file of forcepoint.access to half its size (what a full disk leaves)."""
    with Lake.for_home(home) as lake:
        day, files = next(iter(lake.day_files("forcepoint", "access").items()))
    path = Path(files[0].removeprefix("file://"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return day, files[0]


def _assert_names_it(message: str, day: date, location: str) -> None:
    assert "forcepoint.access" in message and day.isoformat() in message and location in message
    assert "refetch: true" in message and "backup" in message, message


@pytest.mark.parametrize("build", [rebuild, sync], ids=["rebuild", "sync"])
def test_the_warehouse_names_the_table_day_and_file_of_a_cut_off_data_file(home, build):
    day, location = _cut_a_file(home)
    with pytest.raises(LakeDamaged) as refused:
        build(home.root)
    _assert_names_it(str(refused.value), day, location)


def test_lake_maintenance_fails_over_a_cut_off_data_file(home):
    day, location = _cut_a_file(home)
    result = lake_maintenance_job.execute_in_process(
        resources={"home": LogAssetsHome(root=str(home.root))}, raise_on_error=False
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    _assert_names_it(str(failure.event_specific_data.user_failure_data.description), day, location)
    assert Path(location.removeprefix("file://")).exists(), "the damaged file is kept (its bytes may be recovered)"
