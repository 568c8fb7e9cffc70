"""An S3-compatible server on 127.0.0.1: moto in server mode, in its own process (so a test can stop,
restart or slow it like a real store). Credentials are moto's fixed test ones."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator

from tests.infra.postgres import free_port

ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"
REGION = "us-east-1"


class S3Server:
    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        # moto's request recorder writes here while `recording()` is on (off otherwise: no cost).
        fd, self._recording = tempfile.mkstemp(prefix="log-assets-moto-", suffix=".jsonl")
        os.close(fd)
        self.start()

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["MOTO_RECORDER_FILEPATH"] = self._recording
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto server exited with {self.proc.returncode}")
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1).read()  # noqa: S310 (loopback)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("moto server did not answer within 60 s")

    def pause(self) -> None:
        """Freeze the server (requests hang until resume): a store that stops answering."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def _api(self, what: str) -> None:
        req = urllib.request.Request(f"{self.endpoint}/moto-api/recorder/{what}", method="POST")
        urllib.request.urlopen(req, timeout=10).read()  # noqa: S310 (loopback)

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[tuple[str, str]]]:
        """The requests the server receives during the block, as (method, path?query) in order: the
        list is filled when the block ends. Tests that use it must not share the server meanwhile."""
        got: list[tuple[str, str]] = []
        self._api("reset-recording")
        self._api("start-recording")
        try:
            yield got
        finally:
            self._api("stop-recording")
            for entry in self.recorded():
                url = entry["url"].split("://", 1)[-1]
                got.append((entry["method"], url[url.index("/") :] if "/" in url else "/"))

    def recorded(self) -> list[dict]:
        """moto's entries of the requests of the last `recording()` block (method, url, headers, ...)."""
        with open(self._recording) as f:
            return [json.loads(line) for line in f]

    def env(self) -> dict[str, str]:
        """The standard variables a client of this store needs."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": REGION,
        }

    def create_bucket(self, name: str | None = None) -> str:
        import boto3

        name = name or f"lake-{uuid.uuid4().hex[:10]}"
        boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        ).create_bucket(Bucket=name)
        return name

    def close(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._recording)
