"""The simulator: both vendor APIs on one loopback port, with their ground truth and faults."""

from __future__ import annotations

import threading

from log_assets.simulator.aperture.service import ApertureService
from log_assets.simulator.config import SimConfig
from log_assets.simulator.faults import Faults
from log_assets.simulator.forcepoint.service import ForcepointService
from log_assets.simulator.server import SimulatorHTTPServer

FORCEPOINT_PATH = "/api/bitglassapi/logs/v1/"


class Simulator:
    """Serves both APIs on http://127.0.0.1:PORT.

    `forcepoint` and `aperture` hold each side's ground truth and controls; `faults` changes the
    next matching answers. Use as a context manager, or call start() and stop().
    """

    def __init__(self, config: SimConfig | None = None, port: int = 0, **overrides):
        cfg = config or SimConfig()
        if overrides:
            cfg = cfg.with_(**overrides)
        self.config = cfg
        self.end = cfg.end_time()
        self.faults = Faults()
        self.forcepoint = ForcepointService(cfg, self.end)
        self.aperture = ApertureService(cfg, self.end)
        self._port = port
        self._server: SimulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Simulator:
        if self._server is None:
            self.aperture.open()
            self._server = SimulatorHTTPServer(self._port, self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="log-assets-simulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self.aperture.close()
        self.forcepoint.close()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- where and how to connect ----------------------------------------------------------------

    @property
    def port(self) -> int:
        return self.address[1]

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) the running server is bound to: always loopback (127.0.0.1)."""
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def forcepoint_url(self) -> str:
        return self.base_url + FORCEPOINT_PATH

    @property
    def aperture_url(self) -> str:
        return self.base_url

    @property
    def connections_opened(self) -> int:
        """TCP connections accepted so far (clients that keep connections alive open few)."""
        return self._server.connections_opened if self._server is not None else 0

    def env(self, basic: bool = False) -> dict[str, str]:
        """Environment variables that point the project's resources at this simulator."""
        cfg = self.config
        env = {"FORCEPOINT_API_URL": self.forcepoint_url}
        if basic:
            env.update(FORCEPOINT_USERNAME=cfg.forcepoint_username, FORCEPOINT_PASSWORD=cfg.forcepoint_password)
        else:
            env["FORCEPOINT_API_TOKEN"] = cfg.forcepoint_token
        env.update(
            APERTURE_API_URL=self.aperture_url,
            APERTURE_CLIENT_ID=cfg.aperture_client_id,
            APERTURE_CLIENT_SECRET=cfg.aperture_client_secret,
        )
        return env
