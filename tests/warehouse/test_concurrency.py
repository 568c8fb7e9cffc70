"""Readers while writing: a reader process loops queries while writers sync and rebuild."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from log_assets.warehouse import connect_readonly, rebuild, sync
from log_assets.warehouse.sources import lake_of
from tests.warehouse import conftest as lake
from tests.warehouse.lakegen import write

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def _python(*args, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, *args], cwd=REPO, env=env, **kw)


def test_readers_never_see_a_lock_error_while_writers_run(home, tmp_path):
    sync(home)
    stop, report = tmp_path / "stop", tmp_path / "report.json"
    reader = _python("-m", "tests.warehouse.reader_loop", str(home.root), str(stop), str(report))
    try:
        deadline = time.monotonic() + 60
        while not Path(f"{report}.ready").exists():
            assert reader.poll() is None and time.monotonic() < deadline, "reader did not start"
            time.sleep(0.05)
        for i in range(3):
            write(
                home,
                [lake.access(f"L{i}", f"2026-03-0{i + 1} 20:00", "lee", "10.9.9.9", "Box", "Allowed")],
                f"late{i}",
            )
            # A second writer process at the same time: one waits for the other's lock, neither fails.
            other = _python(
                "-m",
                "log_assets.warehouse",
                "sync",
                "--home",
                str(home.root),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            sync(home) if i % 2 else rebuild(home)
            _, err = other.communicate(timeout=120)
            assert other.returncode == 0, err.decode()[-2000:]
    finally:
        stop.touch()
        reader.wait(timeout=60)
    got = json.loads(report.read_text())
    print("reader:", {k: v for k, v in got.items() if k != "errors"})
    assert got["error_count"] == 0, got["errors"]
    assert got["inconsistent"] == 0
    assert got["answered"] >= 10
    with closing(connect_readonly(home)) as c:
        assert c.execute("SELECT count(*) FROM forcepoint.access").fetchone() == (9,)  # 6 + L0, L1, L2


def test_a_reader_keeps_its_snapshot_until_maintenance_expires_it(home):
    sync(home)
    notebook = connect_readonly(home)  # opened before the next publish, kept open
    write(home, [lake.access("A7", "2026-03-02 15:00", "carol", "10.0.0.9", "Gmail", "Allowed")], "p1")
    sync(home)
    count = "SELECT count(*) FROM forcepoint.access"
    # Its views name the files of the snapshot it opened; the publish replaced D2 but removed nothing.
    assert notebook.execute(count).fetchone() == (6,)
    with closing(connect_readonly(home)) as c:
        assert c.execute(count).fetchone() == (7,)

    # The lake's maintenance, once that snapshot is past the retention, removes its replaced files.
    (report,) = lake_of(home).maintain(
        timedelta(0),
        now=datetime.now(UTC) + timedelta(days=1),
        tables=[("warehouse", "forcepoint_access")],
        compact_over=None,
    )
    assert report.expired_snapshots >= 1 and report.deleted_files >= 1
    with pytest.raises(duckdb.IOException):
        notebook.execute(count).fetchone()
    notebook.close()
    with closing(connect_readonly(home)) as c:
        assert c.execute(count).fetchone() == (7,)
