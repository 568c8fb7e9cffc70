"""Where the warehouse keeps its files, and the names of its tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from log_assets.paths import Home
from log_assets.warehouse.sqlfiles import ident

# Beside the lake: the writer's private build file and its lock.
BUILD_DIR = ".warehouse"


@dataclass(frozen=True)
class Layout:
    home: Home
    database: Path | None = None  # the build file; None means <home>/.warehouse/build.duckdb

    @property
    def root(self) -> Path:
        return self.home.root / BUILD_DIR

    @property
    def build_db(self) -> Path:
        return self.database or self.root / "build.duckdb"

    @property
    def lock(self) -> Path:
        return self.root / "writer.lock"

    @property
    def snapshot(self) -> Path:
        """What analysts open: `$LOG_ASSETS_HOME/warehouse.duckdb`."""
        return self.home.warehouse


@dataclass(frozen=True, order=True)
class TableRef:
    schema: str
    name: str

    @property
    def key(self) -> str:
        """`schema.table`, as logged in the bookkeeping tables."""
        return f"{self.schema}.{self.name}"

    @property
    def sql(self) -> str:
        return ident(self.schema, self.name)

    @classmethod
    def parse(cls, key: str) -> TableRef:
        schema, name = key.split(".", 1)
        return cls(schema, name)


_SAFE = re.compile(r"^[a-z][a-z0-9_]*$")


def is_table_name(name: str) -> bool:
    return bool(_SAFE.match(name))
