"""What every hand-written HTTP fake of the tests shares: a quiet HTTP/1.1 handler with the answer
and request helpers, and a server on 127.0.0.1 (a free port) served from a daemon thread.

A fake exists only where the simulator (log_assets/simulator) cannot say what a test needs: bodies
that are not the documented envelope, hostile servers, TLS, scripted token answers, a second
implementation of the vendors' APIs written from their documentation alone (tests/independent).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeHandler(BaseHTTPRequestHandler):
    """A handler that logs nothing and speaks HTTP/1.1; subclasses write `do_GET`/`do_POST`."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *a) -> None:
        pass

    def query(self) -> dict[str, str]:
        """The request's query parameters (the first value of each)."""
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}

    def read_body(self) -> bytes:
        """The request's body, as long as its Content-Length says."""
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def answer(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        content_type: str | None = "application/json",
        truncate: bool = False,
    ) -> None:
        """`status` with `body` and its Content-Length; with `truncate`, only the first half of the body
        is sent and the connection closed (a body cut off mid-way)."""
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if truncate:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


class FakeServer:
    """`handler` served on 127.0.0.1 at a free port from a daemon thread: started by `start()` or
    `with`, stopped (and its port closed) by `stop()` or leaving the block."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def url(self, path: str = "", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
