"""Faults a test (or the admin endpoint) arms so the bot meets GitHub's bad days on purpose.

Each armed fault answers the next ``count`` matching requests, then disarms itself. ``route`` is the
OpenAPI path template (``/repos/{owner}/{repo}/pulls``) and ``method`` the HTTP method; None matches any.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal[
    "server_error", "server_error_after", "secondary_limit", "primary_limit", "too_many_requests"
]
PULLS_ROUTE = "/repos/{owner}/{repo}/pulls"


@dataclass
class Fault:
    kind: FaultKind
    count: int
    status: int
    method: str | None = None
    route: str | None = None
    retry_after: int | None = None

    def matches(self, method: str, route: str) -> bool:
        return (self.method is None or self.method == method) and (self.route is None or self.route == route)


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[Fault] = []
        self._push_rejections: list[str] = []
        self.fork_delay = 0.0  # seconds a new fork's git data stays unavailable

    # Arming: one method per fault mode, named for what the bot will see.

    def server_errors(
        self, count: int = 1, *, status: int = 502, method: str | None = None, route: str | None = None
    ) -> None:
        """The next ``count`` matching requests fail with ``status`` before doing anything."""
        self._arm(Fault("server_error", count, status, method, route))

    def server_error_after_create(
        self, count: int = 1, *, status: int = 502, method: str = "POST", route: str = PULLS_ROUTE
    ) -> None:
        """The request does its work (creates the PR), then answers ``status``: PyGithub retries the POST."""
        self._arm(Fault("server_error_after", count, status, method, route))

    def secondary_limit(
        self, count: int = 1, *, retry_after: int | None = 1, status: int = 403, route: str | None = None
    ) -> None:
        self._arm(Fault("secondary_limit", count, status, None, route, retry_after))

    def primary_limit(self, count: int = 1, *, status: int = 403, route: str | None = None) -> None:
        """Remaining 0 with the reset about one second ahead."""
        self._arm(Fault("primary_limit", count, status, None, route))

    def too_many_requests(self, count: int = 1, *, route: str | None = None) -> None:
        """429 without Retry-After: PyGithub does not retry it and hands the bot a GithubException(429)."""
        self._arm(Fault("too_many_requests", count, 429, None, route))

    def reject_pushes(
        self, count: int = 1, *, message: str = "push declined by the sandbox (fault injection)"
    ) -> None:
        with self._lock:
            self._push_rejections.extend([message] * count)

    def slow_forks(self, seconds: float) -> None:
        self.fork_delay = seconds

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()
            self._push_rejections.clear()
            self.fork_delay = 0.0

    # Taking: the server asks once per request (and once more after the work, for "after" faults).

    def take(self, method: str, route: str, *, after: bool) -> Fault | None:
        with self._lock:
            for fault in self._armed:
                if (fault.kind == "server_error_after") == after and fault.matches(method, route):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._armed.remove(fault)
                    return fault
        return None

    def take_push_rejection(self) -> str | None:
        with self._lock:
            return self._push_rejections.pop(0) if self._push_rejections else None

    def _arm(self, fault: Fault) -> None:
        if fault.count < 1:
            raise ValueError("a fault needs count >= 1")
        with self._lock:
            self._armed.append(fault)
