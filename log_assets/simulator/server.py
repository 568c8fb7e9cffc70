"""HTTP/1.1 on 127.0.0.1 (keep-alive, Content-Length) in front of the two simulated services."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from log_assets.simulator.forcepoint.service import PATHS as FORCEPOINT_PATHS
from log_assets.simulator.messages import Request, Response, json_response

if TYPE_CHECKING:
    from log_assets.simulator.simulator import Simulator

log = logging.getLogger("log_assets.simulator")

_FORCEPOINT = {p.rstrip("/") for p in FORCEPOINT_PATHS}
_APERTURE_READS = {"/api/v1/log_events", "/api/v1/log_events_bulk"}
_APERTURE_TOKEN = "/oauth/token"


def area_of(path: str) -> str | None:
    p = path.rstrip("/")
    if p in _FORCEPOINT:
        return "forcepoint"
    if p in _APERTURE_READS:
        return "aperture"
    if p == _APERTURE_TOKEN:
        return "aperture_token"
    return None


def _params(query: dict[str, str], headers: dict[str, str], body: bytes) -> dict[str, str]:
    """Query parameters, overridden by a JSON or form body (the vendor page says POST + JSON)."""
    params = dict(query)
    if not body:
        return params
    text = body.decode("utf-8", "replace")
    ctype = headers.get("content-type", "")
    parsed: dict | None = None
    if "json" in ctype or text.lstrip().startswith("{"):
        try:
            obj = json.loads(text)
            parsed = obj if isinstance(obj, dict) else None
        except ValueError:
            parsed = None
    if parsed is None:
        parsed = dict(parse_qsl(text, keep_blank_values=True))
    for k, v in parsed.items():
        if v is not None:
            params[str(k)] = v if isinstance(v, str) else json.dumps(v) if isinstance(v, (dict, list)) else str(v)
    return params


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "log-assets-simulator"
    sys_version = ""
    disable_nagle_algorithm = True
    server: SimulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - signature of the base class
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        sim = self.server.simulator
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = self._read_body()
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        req = Request(self.command, url.path, query, headers, body)
        area = area_of(url.path)
        if area == "forcepoint":
            req.params = _params(query, headers, body)
        fault = sim.faults.take(area, url.path, req.params.get("type")) if area else None
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        drop = fault is not None and fault.kind == "drop"
        req.dropped = drop
        try:
            if area is None:
                resp = json_response(404, {"error": "not_found", "path": url.path})
            elif fault is not None and fault.kind not in ("slow", "drop"):
                svc = sim.forcepoint if area == "forcepoint" else sim.aperture
                resp = svc.fault(fault.kind, req)
            elif area == "forcepoint":
                if self.command not in ("GET", "POST"):
                    resp = json_response(405, {"status": "Method not allowed"})
                else:
                    resp = sim.forcepoint.handle(req)
            else:
                resp = sim.aperture.handle(req)
        except Exception:  # a bug here must show as a 500, never as a hung client
            log.exception("simulator error on %s %s", self.command, self.path)
            resp = json_response(500, {"status": "Internal server error"})
        if sim.config.latency > 0:
            time.sleep(sim.config.latency)
        self._write(resp, drop)

    def _write(self, resp: Response, drop: bool) -> None:
        try:
            phrase = HTTPStatus(resp.status).phrase
        except ValueError:
            phrase = ""
        lines = [
            f"HTTP/1.1 {resp.status} {phrase}",
            f"Date: {formatdate(usegmt=True)}",
            f"Server: {self.server_version}",
        ]
        if resp.content_type:
            lines.append(f"Content-Type: {resp.content_type}")
        if resp.status != 204:
            lines.append(f"Content-Length: {len(resp.body)}")
        lines += [f"{k}: {v}" for k, v in resp.headers.items()]
        if drop or self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if not drop:
            if len(resp.body) < 65536:
                self.wfile.write(head + resp.body)
            else:  # no copy of a large body just to prepend the head
                self.wfile.write(head)
                self.wfile.write(resp.body)
            return
        # Cut the connection mid-body: the client sees fewer bytes than Content-Length.
        self.close_connection = True
        if resp.body:
            self.wfile.write(head + resp.body[: len(resp.body) // 2])
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class SimulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port: int, simulator: Simulator):
        self.simulator = simulator
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        self.connections_opened = 0
        super().__init__(("127.0.0.1", port), Handler)

    def handle_error(self, request, client_address) -> None:
        # A client that hangs up mid-answer (a killed run, `curl | head`) is normal here, not an error.
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def track(self, conn: socket.socket, is_open: bool) -> None:
        with self._conn_lock:
            if is_open:
                self._connections.add(conn)
                self.connections_opened += 1
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        """Close idle keep-alive connections so that stop() does not leave clients hanging."""
        with self._conn_lock:
            conns = list(self._connections)
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
