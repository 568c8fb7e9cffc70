"""Fault injection: each added fault changes the next `count` matching requests."""

from __future__ import annotations

import threading
from dataclasses import dataclass

# Status faults answer with that status and the vendor's message instead of the real answer;
# "slow" waits before answering; "drop" sends the headers and part of the body, then closes.
STATUS_KINDS = ("401", "403", "429", "500", "502", "503")
KINDS = STATUS_KINDS + ("slow", "drop")
# Where a fault applies: the Forcepoint endpoint, Aperture's event reads, Aperture's token
# endpoint, anything; or a path prefix such as "/api/v1/log_events_bulk".
AREAS = ("forcepoint", "aperture", "aperture_token", "any")


@dataclass
class Fault:
    kind: str
    remaining: int
    path: str = "any"
    seconds: float = 0.0
    log_type: str | None = None

    def matches(self, area: str, path: str, log_type: str | None) -> bool:
        if self.path.startswith("/"):
            if not path.startswith(self.path):
                return False
        elif self.path not in ("any", area):
            return False
        return self.log_type is None or self.log_type == log_type


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.injected: list[tuple[str, str, str | None]] = []  # (kind, request path, log type)

    def add(
        self, kind: str, count: int = 1, path: str = "any", seconds: float = 0.0, log_type: str | None = None
    ) -> None:
        kind = str(kind)
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
        if not (path in AREAS or path.startswith("/")):
            raise ValueError(
                f"unknown fault path {path!r}; use one of {', '.join(AREAS)} or a path starting with /"
            )
        if kind == "slow" and seconds <= 0:
            seconds = 1.0
        with self._lock:
            self._faults.append(Fault(kind, int(count), path, float(seconds), log_type))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return [Fault(f.kind, f.remaining, f.path, f.seconds, f.log_type) for f in self._faults]

    def take(self, area: str, path: str, log_type: str | None) -> Fault | None:
        """The first fault that applies to this request, consuming one of its uses."""
        with self._lock:
            for f in self._faults:
                if f.remaining > 0 and f.matches(area, path, log_type):
                    f.remaining -= 1
                    if f.remaining == 0:
                        self._faults.remove(f)
                    self.injected.append((f.kind, path, log_type))
                    return f
        return None


def parse_fault(spec: str) -> dict:
    """`KIND[:COUNT[:PATH[:SECONDS]]]` from the command line, e.g. `503:3`, `drop:1:aperture`, `slow:2:any:5`."""
    parts = spec.split(":")
    out: dict = {"kind": parts[0]}
    if len(parts) > 1 and parts[1]:
        out["count"] = int(parts[1])
    if len(parts) > 2 and parts[2]:
        out["path"] = parts[2]
    if len(parts) > 3 and parts[3]:
        out["seconds"] = float(parts[3])
    if len(parts) > 4:
        raise ValueError(f"bad fault {spec!r}: expected KIND[:COUNT[:PATH[:SECONDS]]]")
    return out
