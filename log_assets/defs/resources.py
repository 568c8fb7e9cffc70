"""Resources shared by every domain."""

from __future__ import annotations

import dagster as dg

from log_assets.paths import Home


class LogAssetsHome(dg.ConfigurableResource):
    """Root of all data. Unset means $LOG_ASSETS_HOME, else ./data (read when a run starts)."""

    root: str | None = None

    def get(self) -> Home:
        return Home.from_env(self.root)
