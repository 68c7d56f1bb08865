"""What the forge stage passes around: the pull request it wants, and the one it ended up with.

(Kept beside the forge rather than in ``bot.model``, which holds the scan/build/patch records and is
already at its size budget.)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Identity:
    """Who the token is, as GitHub says: the account that owns the fork."""

    login: str
    scopes: frozenset[str] | None  # a classic token's X-OAuth-Scopes; None when the kind reports none


@dataclass(frozen=True)
class PrSpec:
    """The pull request the bot proposes: the head branch lives on the bot's fork."""

    title: str
    body: str
    branch: str
    draft: bool = False
    labels: tuple[str, ...] = ()
    maintainer_can_modify: bool = True
    fingerprint: str | None = None  # of the change: an open PR whose body carries it says this already


class PrState(StrEnum):
    OPENED = "opened"  # a new pull request
    UPDATED = "updated"  # the open one got a new title or body
    UP_TO_DATE = "up-to-date"  # the open one already says this
    DECLINED = "declined"  # closed without merging: left closed unless the config says reopen
    MERGED = "merged"  # nothing left to propose


@dataclass(frozen=True)
class PrRef:
    number: int
    html_url: str
    state: PrState
