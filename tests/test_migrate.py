"""`python -m log_assets.migrate`: a home in the one-machine layout (hive lake, JSON state) moves into
the database and the Iceberg tables with every row and every saved position, and again is a no-op."""

import shutil
import subprocess
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.lake.catalog import database_url_from_env
from log_assets.lake.errors import LakeError
from log_assets.lake.lake import Lake
from log_assets.legacy import MIGRATED_MARKER, unmigrated_lake
from log_assets.legacy.migrate import lake_day_folders, migrate
from log_assets.paths import Home
from log_assets.state.store import StateStore, stream_name
from log_assets.storage import Storage
from tests.conftest import ROOT
from tests.pipeline_state import make_old_home

pytestmark = [pytest.mark.slow]


# Three tables of the demo's: a log_id type, a window type with list columns, an Aperture type.
KEEP = {("forcepoint", "access"), ("forcepoint", "swgweb"), ("aperture", "incident")}


@pytest.fixture
def old_home(warehouse_home, tmp_path):
    """A home in the layout of earlier versions, made from a copy of a demo-built home (the session's
    is shared with other tests): the lake tables of KEEP written out as `lake/<vendor>/<type>/date=*/`
    Parquet folders, the Forcepoint state as the JSON files, and the database removed."""
    home = tmp_path / "home"
    shutil.copytree(warehouse_home, home, symlinks=True, ignore=shutil.ignore_patterns("dagster_home"))
    url = database_url_from_env(home=home)
    with Lake.open(url, Storage.from_env(home=home)) as lake:
        for vendor, log_type in sorted(KEEP):
            for day in lake.days(vendor, log_type):
                folder = home / "lake" / vendor / log_type / f"date={day.isoformat()}"
                folder.mkdir(parents=True)
                table = lake.read_day(vendor, log_type, day).drop_columns(["event_day"])
                pq.write_table(table, folder / "part-0.parquet")
    make_old_home(home, sorted(FORCEPOINT_TYPES))
    for f in home.glob("log_assets.db*"):
        shutil.rmtree(f) if f.is_dir() else f.unlink()
    for d in (home / "lake").glob("*.db"):
        shutil.rmtree(d)
    return Home(home)


def _ids(folder):
    return sorted(pq.read_table(folder, columns=["event_id"]).column("event_id").to_pylist())


def test_every_row_and_every_position_moves_and_a_second_run_moves_nothing(old_home):
    folders = lake_day_folders(old_home)
    assert {(v, t) for v, t, *_ in folders} == KEEP and len(folders) > 10
    walk_files = sorted((old_home.state / "forcepoint").glob("*.json"))
    assert walk_files, "the demo home has no walk state to move"

    assert unmigrated_lake(old_home), "a run would start an empty lake beside the old one"
    report = migrate(old_home)
    assert report.days_moved == len(folders)
    assert (old_home.lake / MIGRATED_MARKER).exists() and unmigrated_lake(old_home) is None
    assert report.rows_moved == sum(pq.read_metadata(f).num_rows for *_, d in folders for f in d.glob("*.parquet"))
    assert len(report.state_imported) >= len(walk_files)

    url = database_url_from_env(home=old_home.root)
    with Lake.open(url, Storage.from_env(home=old_home.root)) as lake:
        for vendor, log_type, day, folder in folders:
            got = lake.read_day(vendor, log_type, day, columns=["event_id", "event_day"])
            assert sorted(got.column("event_id").to_pylist()) == _ids(folder), (vendor, log_type, day)
            assert pc.all(pc.equal(got.column("event_day"), day)).as_py()
    with StateStore.open(old_home.root, url=url) as store:
        for f in walk_files:
            days = store.days(stream_name("forcepoint", f.stem.removesuffix(".json")))
            assert days and any(d.complete for d in days.values()), f
    assert not list((old_home.state / "forcepoint").glob("*.json")), "imported files are set aside"

    again = migrate(old_home)
    assert again.days_moved == 0 and not again.state_imported
    assert len(again.days) == len(folders)


def test_the_command_says_what_would_move_and_changes_nothing(old_home):
    proc = subprocess.run(
        [sys.executable, "-m", "log_assets.migrate", "--home", str(old_home.root), "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "would move:" in proc.stdout and "lake days moved: 0" not in proc.stdout
    assert list((old_home.state / "forcepoint").glob("*.json")), "a dry run imports nothing"


def test_a_home_with_the_old_folders_is_refused_until_migrated(tmp_path):
    folder = tmp_path / "lake" / "forcepoint" / "access" / "date=2026-11-20"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"event_id": ["a"]}), folder / "part-0.parquet")
    with pytest.raises(LakeError, match=r"python -m log_assets.migrate --home"):
        Lake.for_home(Home(tmp_path))
    (tmp_path / "lake" / MIGRATED_MARKER).write_text("done\n")
    Lake.for_home(Home(tmp_path)).close()


def test_a_named_tenants_old_folders_name_the_command_with_its_tenant(tmp_path, capsys):
    """The refusal names the command that migrates into the tenant's own catalog and binding."""
    from log_assets.migrate import main
    from log_assets.tenant import Tenant

    folder = tmp_path / "lake" / "forcepoint" / "access" / "date=2026-11-20"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"event_id": ["a"]}), folder / "part-0.parquet")
    with pytest.raises(LakeError, match=r"python -m log_assets.migrate --home \S+ --tenant acme"):
        Lake.for_home(Home(tmp_path, Tenant("acme", database_url_env=None)))
    # and the command takes it (a dry run, which changes nothing: this file is not a day file, refused)
    assert main(["--home", str(tmp_path), "--tenant", "acme", "--dry-run"]) == 1
    assert "would refuse" in (err := capsys.readouterr().err) and "--tenant acme again" in err
    assert not (tmp_path / "log_assets.db").exists()
