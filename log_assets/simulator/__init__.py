"""A faithful local simulator of the Forcepoint ONE SSE and Aperture log APIs.

    from log_assets.simulator import Simulator, SimConfig
    with Simulator(SimConfig(seed=7), port=0) as sim:
        sim.env()  # point the resources at it
        sim.forcepoint.distinct_events("access", day="2026-11-20")  # ground truth

Command line: `python -m log_assets.simulator --help`.
"""

from log_assets.simulator.config import SimConfig
from log_assets.simulator.simulator import Simulator

__all__ = ["SimConfig", "Simulator"]
