"""The simulator fixture's factory: the one way a test starts the built-in simulator
(log_assets/simulator) and points the project's resources at it.

    def test_x(simulator):
        sim = simulator(seed=5, days=3, page_size=25)  # SimConfig fields; the test's env points at it
        ...

`simulator(config, **fields)` starts a `Simulator` on a free loopback port from `SimConfig(**fields)`
(or from `config` with `fields` changed: `sim_config(...)` of `log_assets.simulator.testing` for its
small test defaults), sets its `env()` in the test's environment (`env=False`: not at all, for a
test that hands it to a subprocess itself; `basic=True`: user name and password instead of the
token) and stops it when the test ends. `simulator.use(sim)` sets the env of a simulator the test
did not start here (a module's shared one). A hand-written fake exists only where the simulator
cannot say what a test needs (tests/infra/fake_http.py).
"""

from __future__ import annotations

import pytest

from log_assets.simulator import SimConfig, Simulator


class SimulatorFactory:
    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self._monkeypatch = monkeypatch
        self._started: list[Simulator] = []

    def __call__(
        self, config: SimConfig | None = None, *, env: bool = True, basic: bool = False, **fields
    ) -> Simulator:
        cfg = SimConfig(**fields) if config is None else config.with_(**fields)
        sim = Simulator(cfg, port=0)
        self._started.append(sim)
        sim.start()
        if env:
            self.use(sim, basic=basic)
        return sim

    def use(self, sim: Simulator, basic: bool = False) -> Simulator:
        """Point the test's environment at `sim` (undone when the test ends)."""
        for k, v in sim.env(basic=basic).items():
            self._monkeypatch.setenv(k, v)
        return sim

    def close(self) -> None:
        while self._started:
            self._started.pop().stop()
