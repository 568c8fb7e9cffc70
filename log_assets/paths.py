"""Where everything lives under $LOG_ASSETS_HOME (see INTERFACE.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = "./data"


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def from_env(cls, root: str | os.PathLike | None = None) -> Home:
        return cls(Path(root or os.environ.get("LOG_ASSETS_HOME") or DEFAULT_HOME).resolve())

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def spool(self) -> Path:
        return self.root / "spool"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def staging(self) -> Path:
        # Inside the lake's file system so that renames into the lake are atomic; hidden from
        # readers because it is outside lake/<vendor>/<type>/date=*/.
        return self.root / "lake" / ".staging"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    def partition_dir(self, vendor: str, log_type: str, day: str) -> Path:
        return self.lake / vendor / log_type / f"date={day}"

    def type_dir(self, vendor: str, log_type: str) -> Path:
        return self.lake / vendor / log_type
