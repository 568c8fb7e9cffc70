"""`python -m log_assets.migrate` (also `log-assets migrate`): move a home written in the one-machine
layout into the cluster-mode layout, without fetching anything. The command lives with the rest of what
reads homes of earlier versions, in log_assets.legacy (legacy.migrate)."""

from __future__ import annotations

import sys

from log_assets.legacy import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
