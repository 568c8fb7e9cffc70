"""The warehouse's DuckDB resource."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from dagster_duckdb import DuckDBResource
from pydantic import Field

from log_assets.paths import Home


class WarehouseDuckDB(DuckDBResource):
    """DuckDB on the warehouse's private build file; analysts read the published
    `warehouse.duckdb` instead (`log_assets.warehouse.connect_readonly`).

    Every use goes through `writer()` / `rebuild()`, which take the writer lock first.
    """

    database: str = Field(
        default="",
        description="Build file; empty means <LOG_ASSETS_HOME>/.warehouse/build.duckdb (follows the `home` "
        "resource).",
    )

    def connect(self, path: Path):
        return DuckDBResource(database=str(path), connection_config=self.connection_config).get_connection()

    @contextmanager
    def writer(self, home: Home, log=None):
        from log_assets.warehouse import writer  # the writer's Iceberg code: imported when a run uses it

        with writer.open_writer(home, self.database or None, self.connect, log) as w:
            yield w

    def rebuild(self, home: Home, log=None) -> dict:
        from log_assets.warehouse import writer

        return writer.rebuild(home, self.database or None, self.connect, log)
