"""Read a fleet's repositories a hundred at a time: their owners' listings instead of one call each.

Every repository costs a run one ``GET /repos/{owner}/{repo}`` (its ``pushed_at`` decides whether the
last outcome still stands, its default branch what to clone). ``GET /users/{owner}/repos`` answers the
same fields for 100 repositories a page, so an owner with many targets is listed instead, at most one
page fewer than reading its targets one by one would cost. Whatever a listing does not show (a private
repository, one past the pages read, a renamed one) is read one by one later, as before; a listing that
fails costs only the requests it made.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from github import Github, GithubException
from github.Repository import Repository
from requests import RequestException

PER_PAGE = 100  # GitHub's largest page
MIN_TARGETS = 3  # below this a listing cannot save a request often enough to be worth a miss

_log = logging.getLogger(__name__)


def list_owned(gh: Github, targets: Iterable[str]) -> dict[str, Repository]:
    """The targets (``owner/name``) their owners' listings hold, by lower-case full name."""
    by_owner: defaultdict[str, set[str]] = defaultdict(set)
    for full_name in targets:
        owner, _, _ = full_name.partition("/")
        by_owner[owner.lower()].add(full_name.lower())
    found: dict[str, Repository] = {}
    for owner, wanted in sorted(by_owner.items()):
        if len(wanted) >= MIN_TARGETS:
            found |= _from_listing(gh, owner, wanted, max_pages=len(wanted) - 1)
    return found


def _from_listing(gh: Github, owner: str, wanted: set[str], *, max_pages: int) -> dict[str, Repository]:
    found: dict[str, Repository] = {}
    listing = gh.get_user(owner, lazy=True).get_repos(type="owner")
    try:
        for page in range(max_pages):
            repos = listing.get_page(page)
            found |= {repo.full_name.lower(): repo for repo in repos if repo.full_name.lower() in wanted}
            if len(repos) < PER_PAGE or len(found) == len(wanted):
                break
    except (GithubException, RequestException) as error:
        _log.info(
            "listing %s's repositories failed (%s): reading them one by one", owner, type(error).__name__
        )
    return found
