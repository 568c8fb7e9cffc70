"""Resources shared by every domain."""

from __future__ import annotations

from typing import Optional

import dagster as dg

from log_assets.paths import Home


class LogAssetsHome(dg.ConfigurableResource):
    """Root of all data. Unset means $LOG_ASSETS_HOME, else ./data (read when a run starts)."""

    root: Optional[str] = None

    def get(self) -> Home:
        return Home.from_env(self.root)
