"""`python -m log_assets <command>`: the same as `log-assets <command>` (log_assets/cli.py)."""

import sys

from log_assets.cli import main

if __name__ == "__main__":
    sys.exit(main())
