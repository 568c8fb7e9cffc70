import sys

from log_assets.simulator.cli import main

sys.exit(main())
