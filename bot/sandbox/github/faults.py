"""Faults a test (or the admin endpoint) arms so the bot meets GitHub's bad days on purpose.

Each armed fault answers the next ``count`` matching requests, then disarms itself. ``route`` is the
OpenAPI path template (``/repos/{owner}/{repo}/pulls``) and ``method`` the HTTP method; None matches any.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal[
    "server_error",
    "server_error_after",
    "secondary_limit",
    "primary_limit",
    "too_many_requests",
    "drop",
    "drop_after",
]
_AFTER: frozenset[FaultKind] = frozenset({"server_error_after", "drop_after"})
PULLS_ROUTE = "/repos/{owner}/{repo}/pulls"


@dataclass
class Fault:
    kind: FaultKind
    count: int
    status: int
    method: str | None = None
    route: str | None = None
    retry_after: int | None = None

    @property
    def after(self) -> bool:
        """Whether the request does its work before the fault answers (or drops) it."""
        return self.kind in _AFTER

    @property
    def drops(self) -> bool:
        """Whether the connection is closed without any answer, as a dying proxy or server does."""
        return self.kind in ("drop", "drop_after")

    def matches(self, method: str, route: str) -> bool:
        return (self.method is None or self.method == method) and (self.route is None or self.route == route)


class Faults:
    def __init__(self, last_id: Callable[[], int] = lambda: 0, *, fork_delay: float = 0.0) -> None:
        self._last_id = last_id  # the newest id the state has handed out: where a search lag starts
        self._lock = threading.Lock()
        self._armed: list[Fault] = []
        self._push_rejections: list[str] = []
        self._default_fork_delay = fork_delay  # the server's setting, which clear() returns to
        self.fork_delay = fork_delay  # seconds a new fork's git data stays unavailable
        self._search_lag: tuple[int, int] | None = None  # searches left, and the last id still indexed
        self._incomplete = 0

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

    def drop_connections(
        self, count: int = 1, *, method: str | None = None, route: str | None = None, after: bool = False
    ) -> None:
        """The next ``count`` matching requests get no answer at all: the connection is closed. With
        ``after`` the request does its work first (the answer is what gets lost)."""
        self._arm(Fault("drop_after" if after else "drop", count, 0, method, route))

    def reject_pushes(
        self, count: int = 1, *, message: str = "push declined by the sandbox (fault injection)"
    ) -> None:
        with self._lock:
            self._push_rejections.extend([message] * count)

    def slow_forks(self, seconds: float) -> None:
        self.fork_delay = seconds

    def search_lag(self, count: int = 1) -> None:
        """The next ``count`` searches miss issues and PRs created from now on (the index trails)."""
        with self._lock:
            self._search_lag = (count, self._last_id())

    def incomplete_search(self, count: int = 1) -> None:
        """The next ``count`` searches say ``incomplete_results: true`` (GitHub's search timed out)."""
        with self._lock:
            self._incomplete += count

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()
            self._push_rejections.clear()
            self.fork_delay = self._default_fork_delay
            self._search_lag = None
            self._incomplete = 0

    # Taking: the server asks once per request (and once more after the work, for "after" faults).

    def take(self, method: str, route: str, *, after: bool) -> Fault | None:
        with self._lock:
            for fault in self._armed:
                if fault.after == after and fault.matches(method, route):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._armed.remove(fault)
                    return fault
        return None

    def take_push_rejection(self) -> str | None:
        with self._lock:
            return self._push_rejections.pop(0) if self._push_rejections else None

    def take_search_lag(self) -> int | None:
        """The last id this search sees as indexed (newer items are not); None: all are."""
        with self._lock:
            if self._search_lag is None:
                return None
            count, since = self._search_lag
            self._search_lag = (count - 1, since) if count > 1 else None
            return since

    def take_incomplete_search(self) -> bool:
        with self._lock:
            if self._incomplete <= 0:
                return False
            self._incomplete -= 1
            return True

    def _arm(self, fault: Fault) -> None:
        if fault.count < 1:
            raise ValueError("a fault needs count >= 1")
        with self._lock:
            self._armed.append(fault)
