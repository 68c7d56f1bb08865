"""One request/response pair as the local GitHub answered it, handed to an observer.

The tests' OpenAPI check observes every exchange: ``route`` is the OpenAPI path template the server
matched (``/repos/{owner}/{repo}/pulls``), so the check finds the operation without guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Exchange:
    method: str  # "GET", "POST", …
    route: str  # OpenAPI path template, without the API base path; "" when no route matched
    path: str  # the request path as sent, without the API base path
    query: str  # the raw query string
    request_body: bytes
    status: int
    headers: Mapping[str, str]  # response headers
    body: bytes  # response body


Observer = Callable[[Exchange], None]
