"""`python -m log_assets.migrate` moves every folder of the old lake or refuses: what it cannot move (a
folder that is not a real day, a damaged Parquet file) is named with what to do, the move is not
marked done, nothing is lost, and a run of the home says the same until it is fixed."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.lake.catalog import database_url_from_env
from log_assets.lake.errors import LakeError
from log_assets.lake.lake import Lake
from log_assets.lake.schema import Coercer, build_table
from log_assets.legacy import MIGRATED_MARKER, REFUSED_NOTE, unmigrated_lake
from log_assets.legacy.migrate import MigrationRefused, migrate
from log_assets.paths import Home
from log_assets.storage import Storage
from tests.conftest import ROOT
from tests.lakeview import lake_event_ids

ACCESS = FORCEPOINT_TYPES["access"]


def _day_table(day: date, ids: list[str]) -> pa.Table:
    at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    rows = [
        {
            "event_id": i,
            "event_time": at,
            "vendor": "forcepoint",
            "log_type": "access",
            "raw": f'{{"transactionid":"{i}"}}',
            "ingested_at": at,
            "fields": {"transactionid": i, "user": "anna"},
        }
        for i in ids
    ]
    return build_table(ACCESS, rows, Coercer())


def _write(home: Path, folder: str, table: pa.Table, name: str = "part-0.parquet") -> Path:
    path = home / "lake" / "forcepoint" / "access" / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def _fingerprint(home: Path) -> dict[str, str]:
    """Every file under the old lake folders and its content's hash."""
    root = home / "lake" / "forcepoint"
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def _run_fixes(message: str) -> None:
    """Run the `mkdir -p … && mv …` commands the refusal suggests, as a user would."""
    for line in message.splitlines():
        if "mkdir -p " in line:
            subprocess.run(line[line.index("mkdir -p ") :], shell=True, check=True)


def _moved_days(home: Home) -> dict[date, int]:
    """The days the Iceberg table holds (a home refused until migrated is opened by its URLs)."""
    with Lake.open(database_url_from_env(home=home.root), Storage.from_env(home=home.root)) as lake:
        if lake.table("forcepoint", "access") is None:
            return {}
        return {d: s.rows for d, s in lake.days("forcepoint", "access").items()}


@pytest.fixture
def home(tmp_path) -> Home:
    root = tmp_path / "home"
    _write(root, "date=2026-11-20", _day_table(date(2026, 11, 20), ["a1", "a2"]))
    return Home(root)


def test_folders_that_are_not_real_days_are_named_and_nothing_moves_until_they_are_dealt_with(home):
    # `2026-11-31` is no day; `.bak` a backup copy. Before, both were passed over and the move marked done.
    _write(home.root, "date=2026-11-31", _day_table(date(2026, 11, 30), ["b1"]))
    _write(home.root, "date=2026-11-01.bak", _day_table(date(2026, 11, 1), ["c1"]))
    before = _fingerprint(home.root)

    with pytest.raises(MigrationRefused, match="date=2026-11-31"):
        migrate(home, dry_run=True)  # --dry-run says it would refuse, and writes nothing
    assert not (home.lake / REFUSED_NOTE).exists()
    with pytest.raises(MigrationRefused) as refused:
        migrate(home)
    message = str(refused.value)
    bad = [home.lake / "forcepoint" / "access" / n for n in ("date=2026-11-31", "date=2026-11-01.bak")]
    for folder in bad:
        assert f"{folder}: is not a day folder" in message
    assert "Nothing was moved" in message and "python -m log_assets.migrate --home" in message
    assert not (home.lake / MIGRATED_MARKER).exists()
    assert _fingerprint(home.root) == before, "the old folders are as they were"
    assert _moved_days(home) == {}, "nothing moved before the refusal"

    # A run of the home is refused with the command and what the migration named.
    why = unmigrated_lake(home)
    assert why and "python -m log_assets.migrate --home" in why and str(bad[0]) in why and str(bad[1]) in why
    with pytest.raises(LakeError, match="date=2026-11-31"):
        Lake.for_home(home)

    # Moved out of the lake as the message says, the migration finishes and nothing is lost.
    _run_fixes(message)
    assert not any(f.exists() for f in bad)
    assert (home.root / "set-aside" / "forcepoint" / "access" / "date=2026-11-31" / "part-0.parquet").exists()
    report = migrate(home)
    assert report.days_moved == 1 and report.rows_moved == 2
    assert (home.lake / MIGRATED_MARKER).exists() and not (home.lake / REFUSED_NOTE).exists()
    assert unmigrated_lake(home) is None
    assert sorted(lake_event_ids(home, "forcepoint", "access", "2026-11-20")) == ["a1", "a2"]


def test_a_truncated_parquet_file_is_named_with_the_fix(home):
    damaged = _write(home.root, "date=2026-11-21", _day_table(date(2026, 11, 21), ["d1", "d2"]))
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])

    with pytest.raises(MigrationRefused) as refused:
        migrate(home)
    message = str(refused.value)
    assert f"{damaged}: is not a readable Parquet file" in message
    assert "Restore it from a backup" in message and "move it out of the lake" in message
    assert not (home.lake / MIGRATED_MARKER).exists()
    assert str(damaged) in (unmigrated_lake(home) or "")

    # The command says the same on one screen, without a trace, and fails.
    proc = subprocess.run(
        [sys.executable, "-m", "log_assets.migrate", "--home", str(home.root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1
    assert f"{damaged}: is not a readable Parquet file" in proc.stderr and "Traceback" not in proc.stderr


def test_a_file_damaged_past_its_footer_stops_the_marker_and_the_other_days_move(home):
    damaged = _write(home.root, "date=2026-11-22", _day_table(date(2026, 11, 22), [f"e{i}" for i in range(500)]))
    data = bytearray(damaged.read_bytes())
    meta = pq.ParquetFile(damaged).metadata
    chunk = meta.row_group(0).column(0)
    start = chunk.data_page_offset
    data[start : start + chunk.total_compressed_size] = b"\xff" * chunk.total_compressed_size
    damaged.write_bytes(bytes(data))

    with pytest.raises(MigrationRefused) as refused:
        migrate(home)
    message = str(refused.value)
    assert f"{damaged}: is not a readable Parquet file" in message
    assert "1 day folder(s) were moved" in message
    assert not (home.lake / MIGRATED_MARKER).exists()
    assert _moved_days(home) == {date(2026, 11, 20): 2}

    _run_fixes(message)
    report = migrate(home)
    assert report.days_moved == 0 and len(report.days) == 1  # 2026-11-20 is not moved twice
    assert (home.lake / MIGRATED_MARKER).exists()


def test_unfinished_writes_of_the_old_version_are_counted_not_moved(home):
    tmp = home.lake / "forcepoint" / "access" / "date=2026-11-20" / ".part-1.parquet.x1y2.tmp"
    tmp.write_bytes(b"PAR1 half")
    report = migrate(home)
    assert report.unfinished_writes == [str(tmp)] and report.days_moved == 1
    assert "unfinished writes of the old version left in place (never part of its lake): 1" in report.summary()
