"""The DuckDB warehouse: deduplicated per-type tables, latest-state tables and analytics, built
from the Parquet lake with SQL (`sql/*.sql`), published for readers as `warehouse.duckdb`.

Dagster-free; `log_assets.defs.warehouse` puts assets on top. See README.md in this folder.
"""

from log_assets.warehouse.reader import connect_readonly
from log_assets.warehouse.writer import open_writer, rebuild, sync

__all__ = ["connect_readonly", "open_writer", "rebuild", "sync"]
