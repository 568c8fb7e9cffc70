"""The request and answer shapes the HTTP layer and the two simulated services exchange."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes = b""
    # Query parameters merged with form or JSON body parameters (the body wins).
    params: dict[str, str] = field(default_factory=dict)
    # Set by fault injection: the answer will be cut mid-body (Aperture records its events as lost).
    dropped: bool = False

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "application/json"


def json_response(status: int, obj, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(obj).encode(), dict(headers or {}))
