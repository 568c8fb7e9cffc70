"""The servers of cluster mode, one of each for a whole test session or bench run: PostgreSQL (the
Iceberg catalog and the pipeline state, `postgres.py`) and an S3-compatible server (moto: the lake's
files, the spools, the staged pages, quarantine, `s3.py`). Each is started at its first use and
stopped by `close()`. A test, a fault trial or a measurement takes a `Space` of its own: a fresh
database and a fresh bucket (`Cluster.fresh`).

The tests get it as the session fixture `cluster` (tests/conftest.py; `postgres` and `s3` are its two
servers), the fault suite's cluster trials build their faults on it (tests/faults/harness.py), the
benchmarks hold one per run (benchmarks/common.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.infra.postgres import PostgresServer
from tests.infra.s3 import S3Server


@dataclass(frozen=True)
class Space:
    """A fresh database and a fresh bucket of the cluster: what one test or measurement uses alone."""

    database_url: str
    bucket: str
    storage_url: str  # s3://<bucket>/<prefix>
    s3_env: dict[str, str] = field(repr=False)  # the standard AWS_* variables of the S3 server

    def env(self) -> dict[str, str]:
        """The variables a run of this space needs: LOG_ASSETS_DATABASE_URL, LOG_ASSETS_STORAGE_URL, AWS_*."""
        return {
            "LOG_ASSETS_DATABASE_URL": self.database_url,
            "LOG_ASSETS_STORAGE_URL": self.storage_url,
            **self.s3_env,
        }

    def storage(self):
        """The space's store, as a run reaches it."""
        from log_assets.storage import Storage

        return Storage.from_url(self.storage_url, self.env())


class Cluster:
    """PostgreSQL and the S3 server, each started at first use and kept until `close()`."""

    def __init__(self, announce: Callable[[str], None] | None = None) -> None:
        self._announce = announce or (lambda text: None)  # told when the servers start or cannot
        self._stack = contextlib.ExitStack()
        self._postgres: PostgresServer | None = None
        self._s3: S3Server | None = None
        self._why: str | None = None  # None: not tried yet; "": both running

    @property
    def postgres(self) -> PostgresServer:
        if self._postgres is None:
            self._postgres = PostgresServer()
            self._stack.callback(self._postgres.close)
        return self._postgres

    @property
    def s3(self) -> S3Server:
        if self._s3 is None:
            self._s3 = S3Server()
            self._stack.callback(self._s3.close)
        return self._s3

    def unavailable(self) -> str:
        """Why the servers cannot run, or "" when both run (started by the first call). For callers that
        report a missing server instead of failing (the benchmarks' cluster rows)."""
        if self._why is None:
            self._announce("cluster mode: starting PostgreSQL and the S3 server (moto)")
            try:
                self.postgres, self.s3  # noqa: B018 - started here
                import boto3  # noqa: F401 - the buckets are made with it

                self._why = ""
            except Exception as e:  # noqa: BLE001 - the reason is returned, never a crash
                self.close()
                text = str(e).strip()
                self._why = f"cluster servers: {type(e).__name__}: {text.splitlines()[0] if text else ''}"[:300]
                self._announce(f"cluster mode unavailable: {self._why}")
        return self._why

    def fresh(self, prefix: str = "logs") -> Space:
        """A new database and a new bucket; the store's root is `s3://<bucket>/<prefix>`."""
        bucket = self.s3.create_bucket()
        return Space(self.postgres.create_database(), bucket, f"s3://{bucket}/{prefix}", self.s3.env())

    def close(self) -> None:
        self._stack.close()
        self._postgres = self._s3 = None
