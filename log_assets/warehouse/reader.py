"""Reading the warehouse: for analysts, notebooks and the asset checks."""

from __future__ import annotations

from pathlib import Path

import duckdb

from log_assets.paths import Home
from log_assets.warehouse.sqlfiles import literal


def connect_readonly(home: Home | str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse (`$LOG_ASSETS_HOME/warehouse.duckdb`).

    It never waits for nor blocks the pipeline: the writer publishes a new file beside it and this
    connection keeps reading the snapshot it opened (valid for hours, see README). Reconnect to see
    newer data. Session time zone is UTC, like every day in the warehouse.
    """
    home = home if isinstance(home, Home) else Home.from_env(home)
    path = home.warehouse
    if not path.exists():
        raise FileNotFoundError(
            f"no warehouse at {path}: materialize the warehouse assets or run `python -m log_assets.warehouse "
            "sync`"
        )
    # Attached to a fresh in-memory database rather than opened directly: duckdb.connect(path)
    # would hand back a cached instance of a snapshot this process opened before.
    conn = duckdb.connect(":memory:")
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute(f"ATTACH {literal(str(path))} AS warehouse (READ_ONLY)")
    conn.execute("USE warehouse")
    return conn
