"""The DuckDB warehouse: deduplicated per-type tables, latest-state tables and analytics, built
from the lake's Iceberg tables with SQL (`sql/*.sql`), published for readers as `warehouse.duckdb`.

Dagster-free; `log_assets.defs.warehouse` puts assets on top. See README.md in this folder.
"""

from log_assets.warehouse.reader import connect_readonly

__all__ = ["connect_readonly", "open_writer", "rebuild", "sync"]


def __getattr__(name: str):
    # The writer (and the lake's Iceberg code under it) is imported when first used, not by every
    # process that imports the package's Dagster definitions.
    if name in ("open_writer", "rebuild", "sync"):
        from log_assets.warehouse import writer

        return getattr(writer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
