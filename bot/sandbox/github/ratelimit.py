"""Primary rate-limit budgets: a real count per credential and resource, reset when its window ends.

Limits are GitHub's: 5,000 an hour for a token, 60 anonymous; search 30 a minute with a token, 10
without. Kept in memory: a restarted server starts with fresh budgets, as a new hour would.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass

_WINDOWS = {"core": 3600, "search": 60, "graphql": 3600}
_LIMITS = {("core", True): 5000, ("core", False): 60, ("search", True): 30, ("search", False): 10}
_LIMITS |= {("graphql", True): 5000, ("graphql", False): 0}


@dataclass
class Budget:
    resource: str
    limit: int
    used: int
    reset: int  # epoch seconds

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
            "X-RateLimit-Used": str(self.used),
            "X-RateLimit-Resource": self.resource,
        }

    def as_json(self) -> dict[str, int | str]:
        return {"limit": self.limit, "remaining": self.remaining, "reset": self.reset, "used": self.used}


class RateLimits:
    def __init__(self, content_per_minute: int = 80) -> None:
        self._lock = threading.Lock()
        self._budgets: dict[tuple[str, str], Budget] = {}
        # GitHub's secondary limit on content creation (PRs, issues, comments): 80 a minute per caller.
        self.content_per_minute = content_per_minute
        self._created: dict[str, deque[float]] = {}

    def create_content(self, who: str) -> bool:
        """Count one content-creating request; False when it is over the per-minute secondary limit."""
        now = time.monotonic()
        with self._lock:
            recent = self._created.setdefault(who, deque())
            while recent and recent[0] <= now - 60:
                recent.popleft()
            if len(recent) >= self.content_per_minute:
                return False
            recent.append(now)
            return True

    def charge(self, who: str, resource: str, authenticated: bool) -> tuple[Budget, bool]:
        """Count one request; the budget after it, and whether the request is within the limit."""
        with self._lock:
            budget = self._current(who, resource, authenticated)
            if budget.used >= budget.limit:
                return Budget(budget.resource, budget.limit, budget.used, budget.reset), False
            budget.used += 1
            return Budget(budget.resource, budget.limit, budget.used, budget.reset), True

    def peek(self, who: str, resource: str, authenticated: bool) -> Budget:
        with self._lock:
            budget = self._current(who, resource, authenticated)
            return Budget(budget.resource, budget.limit, budget.used, budget.reset)

    def _current(self, who: str, resource: str, authenticated: bool) -> Budget:
        now = time.time()
        budget = self._budgets.get((who, resource))
        if budget is None or budget.reset <= now:
            reset = math.ceil(now + _WINDOWS[resource])
            budget = Budget(resource, _LIMITS[(resource, authenticated)], 0, reset)
            self._budgets[(who, resource)] = budget
        return budget


def exhausted(resource: str, limit: int) -> Budget:
    """The budget an injected primary limit shows: nothing left, reset about a second ahead."""
    return Budget(resource, limit, limit, int(time.time()) + 1)
