"""File modes: under umask 000 the real writers (the Forcepoint walk, the Aperture landing, the
warehouse build and publish) leave nothing world-writable; the lake and the warehouse are owner and
group only by default (LOG_ASSETS_FILE_MODE=group), owner-only with `private`, world-readable with
`public`; state, spool and quarantine stay owner-only whatever the setting."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from log_assets import warehouse
from log_assets.aperture.land import land_day
from log_assets.aperture.spool import Spool, sort_bodies
from log_assets.paths import Home
from tests.forcepoint.conftest import FP_ENV, day_str, materialize

pytestmark = pytest.mark.e2e

# setting -> the most a shared folder / file may allow (exactly these for what our code writes)
LIMITS = {"group": (0o750, 0o640), "private": (0o700, 0o600), "public": (0o755, 0o644)}


def build_home(simulator, home: Path, monkeypatch) -> None:
    """A home filled by the real writers, under umask 000."""
    for k in FP_ENV:
        monkeypatch.delenv(k, raising=False)
    simulator(seed=3, days=2, forcepoint_events_per_day=40, page_size=15, quota=100_000)
    old = os.umask(0)
    try:
        assert materialize("access", day_str(-1), day_str(0), home).success
        spool = Spool(Home(home)).ensure()
        day = day_str(-1)
        for i in range(2):  # two bodies landed one after the other, then compacted (a day rewrite)
            event = {"log_type": "incident", "timestamp": f"{day}T10:00:0{i}Z", "incident_id": f"i{i}"}
            spool.write_body(json.dumps({"events": [event]}).encode(), spool.new_body_name(0, i))
            sort_bodies(spool)
            land_day(spool, "incident", day, compact_at=1)
        warehouse.sync(home)
        warehouse.rebuild(home)
    finally:
        os.umask(old)


def modes(root: Path) -> dict[Path, int]:
    return {p: stat.S_IMODE(p.lstat().st_mode) for p in [root, *root.rglob("*")] if not p.is_symlink()}


@pytest.mark.parametrize("setting", [None, "private", "public"])
def test_nothing_world_writable_and_the_lake_and_warehouse_follow_the_setting(
    simulator, tmp_path, monkeypatch, setting
):
    if setting is None:
        monkeypatch.delenv("LOG_ASSETS_FILE_MODE", raising=False)
    else:
        monkeypatch.setenv("LOG_ASSETS_FILE_MODE", setting)
    home = tmp_path / "home"
    build_home(simulator, home, monkeypatch)
    dirs, files = LIMITS[setting or "group"]

    everything = modes(home)
    lake_files = [
        p for p in everything if p.suffix == ".parquet" and "lake" in p.parts and ".staging" not in p.parts
    ]
    assert lake_files and (home / "warehouse.duckdb") in everything, "nothing to check"
    # The vendors' tables, and the warehouse's tables published to the same catalog.
    assert {p.parts[p.parts.index("lake") + 1] for p in lake_files} == {
        "forcepoint.db",
        "aperture.db",
        "warehouse.db",
        "analytics.db",
        "ocsf.db",
    }

    writable = [f"{oct(m)} {p}" for p, m in everything.items() if m & 0o002]
    assert not writable, "world-writable under umask 000:\n" + "\n".join(writable[:20])

    for part in ("lake", ".warehouse", "warehouse.duckdb"):
        for p, m in modes(home / part).items():
            limit = dirs if p.is_dir() else files
            assert m & ~limit == 0, f"{oct(m)} {p}: more than {oct(limit)} ({setting or 'default'})"
    for p in [home / "lake", *lake_files, *[f.parent for f in lake_files], home / "warehouse.duckdb"]:
        assert everything[p] == (dirs if p.is_dir() else files), f"{oct(everything[p])} {p}"

    for part in ("state", "spool", "quarantine", "log_assets.db", "log_assets.db.locks"):
        loose = [f"{oct(m)} {p}" for p, m in modes(home / part).items() if m & 0o077]
        assert not loose, f"{part} is not owner-only:\n" + "\n".join(loose[:20])
    assert everything[home / "state"] == 0o700
    assert everything[home / "log_assets.db"] == 0o600  # the pipeline state: tokens, checkpoints, counts


def _umask0_state(home: Path) -> None:
    """Open the home's state as a run does, under umask 000, and write to it (while it is open)."""
    from log_assets.state import WalkState
    from log_assets.state.home import open_state

    old = os.umask(0)
    try:
        with open_state(Home(home)) as store, store.lock("forcepoint/access"):
            store.charge("forcepoint/access", "2026-11-20", 300)
            store.save_walk(WalkState("forcepoint/access"))
            db = home / "log_assets.db"
            files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
            assert all(f.exists() for f in files), "not in WAL mode: the test would prove nothing"
            got = {f.name: oct(stat.S_IMODE(f.stat().st_mode)) for f in files}
            assert got == {f.name: "0o600" for f in files}, got
            locks = home / "log_assets.db.locks"
            assert {p.name: oct(m) for p, m in modes(locks).items()} == {
                locks.name: "0o700",
                **{p.name: "0o600" for p in locks.iterdir()},
            }
    finally:
        os.umask(old)


def test_the_state_database_and_its_wal_and_shm_files_are_owner_only_under_umask_000(tmp_path):
    _umask0_state(tmp_path / "home")


def test_a_state_database_made_by_another_program_is_made_owner_only(tmp_path):
    """Another program on the same database (the Iceberg catalog opens it too) may make the file first
    with the umask's mode: opening the state makes it, and its -wal and -shm files, owner-only."""
    import sqlite3

    home = tmp_path / "home"
    home.mkdir()
    db = home / "log_assets.db"
    old = os.umask(0o022)
    try:
        con = sqlite3.connect(db)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE other (x)")
        con.commit()
        assert oct(stat.S_IMODE(db.stat().st_mode)) == "0o644", "the test would prove nothing"
        _umask0_state(home)  # while the other program still has it open (its -wal and -shm exist)
        con.close()
    finally:
        os.umask(old)
