"""Resources shared by every domain."""

from __future__ import annotations

import dagster as dg

from log_assets.paths import Home


class LogAssetsHome(dg.ConfigurableResource):
    """Root of all data. Unset means $LOG_ASSETS_HOME, else ./data (read when a run starts; with
    LOG_ASSETS_DEMO=1, $LOG_ASSETS_DEMO_HOME, else ./data-demo). A real run refuses the demo's home."""

    root: str | None = None

    def get(self) -> Home:
        return Home.for_run(self.root)
