"""The only PyGithub code: who the token is, the upstream, the bot's fork of it, and the one pull request.

Transient failures are PyGithub's to retry (``GithubRetry``: 5xx, 403 with Retry-After, secondary and
primary limits, bounded by ``max_rate_limit_wait``); no tenacity on top of it. What is left reaches the
caller as a ``ForgeError`` with a message that names the repository and never the token. The one wait
that is ours is a fork's readiness: GitHub creates forks asynchronously.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests
from github import Auth, Github, GithubException, GithubRetry, UnknownObjectException
from github.PullRequest import PullRequest
from github.Repository import Repository

from bot.errors import BudgetExhausted, ForgeError
from bot.forge.calls import call, describe, messages
from bot.forge.owners import PER_PAGE
from bot.forge.pr_body import read_fingerprint
from bot.forge.records import Identity, PrRef, PrSpec, PrState
from bot.proc import register_secret

CANNOT_FORK_WITH_INTEGRATION = (
    "the token is an installation token (GitHub Actions' GITHUB_TOKEN or a GitHub App's): it has no user "
    "account to own a fork, and the GITHUB_TOKEN cannot push to or open pull requests in other "
    "repositories; use a personal access token (classic: public_repo and workflow scopes; fine-grained: "
    "Administration and Contents write on the bot's account, Pull requests write) in a secret"
)
_T = TypeVar("_T")
_DUPLICATE = "a pull request already exists for"
_NO_COMMITS = "no commits between"


@dataclass(frozen=True)
class ForgeSettings:
    api_url: str = "https://api.github.com"
    timeout: int = 15
    retries: int = 5
    secondary_rate_wait: float = 60.0  # GitHub asks for at least a minute when it gives no Retry-After
    max_rate_limit_wait: float = 300.0  # a longer wait ends the run instead (the next run resumes)
    seconds_between_requests: float | None = 0.07  # under GitHub's 900 REST points a minute (a read is 1)
    seconds_between_writes: float | None = 1.0  # GitHub's guidance for content-creating bots
    fork_ready_timeout: float = 300.0  # GitHub supports forks that take up to five minutes
    reserve: int = 50  # requests kept back: stop before the primary budget runs out


def connect(token: str, settings: ForgeSettings) -> Github:
    register_secret(token)
    retry = GithubRetry(
        total=settings.retries,
        secondary_rate_wait=settings.secondary_rate_wait,
        max_rate_limit_wait=settings.max_rate_limit_wait,
    )
    return Github(
        base_url=settings.api_url.rstrip("/"),
        auth=Auth.Token(token),
        timeout=settings.timeout,
        retry=retry,
        seconds_between_requests=settings.seconds_between_requests,
        seconds_between_writes=settings.seconds_between_writes,
        per_page=PER_PAGE,
    )


def whoami(gh: Github) -> Identity:
    """``GET /user``: the fork's owner, and the scopes a classic token reports."""
    try:
        login = call("reading the token's user", lambda: gh.get_user().login)
    except ForgeError as error:
        if "not accessible by integration" in str(error).lower():
            raise ForgeError(CANNOT_FORK_WITH_INTEGRATION) from None
        raise
    scopes = gh.oauth_scopes
    return Identity(login, None if scopes is None else frozenset(s.strip() for s in scopes if s.strip()))


def check_can_push_workflows(identity: Identity) -> None:
    """GitHub refuses a push that changes ``.github/workflows/*`` from a token without ``workflow``."""
    if identity.scopes is not None and "workflow" not in identity.scopes:
        have = ", ".join(sorted(identity.scopes)) or "none"
        raise ForgeError(
            f"the change edits .github/workflows, and GitHub refuses such pushes from a token without the "
            f"`workflow` scope (this token has: {have}); add the scope or leave workflows out"
        )


def upstream(gh: Github, full_name: str, listed: Repository | None = None) -> Repository:
    """The upstream repository, read (or as its owner's listing showed it), if it takes pull requests."""
    repo = listed if listed is not None else call(f"reading {full_name}", lambda: gh.get_repo(full_name))
    if repo.archived:
        raise ForgeError(f"{full_name} is archived: it takes no pull requests")
    if getattr(repo, "disabled", False):
        raise ForgeError(f"{full_name} is disabled")
    return repo


def ensure_fork(
    gh: Github,
    upstream_repo: Repository,
    settings: ForgeSettings,
    *,
    organization: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Repository:
    """The bot's fork of ``upstream_repo``: reused if it exists (GitHub answers 202 with it), else created;
    returned once its default branch can be read."""
    name = upstream_repo.full_name

    def create() -> Repository:
        if organization:
            return upstream_repo.create_fork(organization=organization, default_branch_only=True)
        return upstream_repo.create_fork(default_branch_only=True)

    fork = call(f"forking {name}", create)
    parent = fork.parent.full_name if fork.fork and fork.parent else None
    if parent != name:
        raise ForgeError(f"{fork.full_name} exists but is not a fork of {name}: rename it or set a fork org")
    _wait_until_ready(fork, upstream_repo.default_branch, settings.fork_ready_timeout, sleep)
    return fork


def sync_fork(fork: Repository, branch: str) -> str | None:
    """Bring the fork's default branch up to its upstream (merge-upstream), so a push from a stale fork
    does not carry the upstream's newer workflow changes. Returns a note when it could not."""
    try:
        fork.merge_upstream(branch)
    except GithubException as error:
        return f"the fork's {branch} could not be synced with upstream ({error.status}); pushing anyway"
    except requests.RequestException as error:
        return f"the fork's {branch} could not be synced with upstream ({type(error).__name__})"
    return None


def branch_tip(repo: Repository, branch: str) -> tuple[str, str | None] | None:
    """The sha ``branch`` points at on ``repo`` and its commit's author email (one request), or None
    when the branch does not exist."""
    try:
        commit = repo.get_branch(branch).commit
        author = commit.commit.author
        return str(commit.sha), (str(author.email) if author and author.email else None)
    except UnknownObjectException:
        return None
    except GithubException as error:
        raise ForgeError(describe(f"reading {repo.full_name}@{branch}", error)) from None


def branch_head(repo: Repository, branch: str) -> str | None:
    """The sha ``branch`` points at on ``repo``, or None when it does not exist."""
    tip = branch_tip(repo, branch)
    return tip[0] if tip else None


def find_pull(upstream_repo: Repository, head_label: str) -> PullRequest | None:
    """The bot's pull request from ``head_label`` (``owner:branch``): the open one, else the latest closed.

    The list is filtered by GitHub (``head=owner:branch``), not by search, whose index lags behind."""
    pulls = call(
        f"listing pull requests of {upstream_repo.full_name}",
        lambda: list(upstream_repo.get_pulls(state="all", head=head_label, sort="created", direction="desc")),
    )
    ours = [pr for pr in pulls if pr.head.label == head_label]
    return next((pr for pr in ours if pr.state == "open"), ours[0] if ours else None)


def propose(
    upstream_repo: Repository, fork_owner: str, spec: PrSpec, *, reopen_declined: bool = False
) -> PrRef:
    """Open the pull request, or bring the existing one up to date; never a second one."""
    head = f"{fork_owner}:{spec.branch}"
    return settle(upstream_repo, find_pull(upstream_repo, head), head, spec, reopen_declined=reopen_declined)


def settle(
    upstream_repo: Repository,
    existing: PullRequest | None,
    head: str,
    spec: PrSpec,
    *,
    reopen_declined: bool = False,
) -> PrRef:
    """``propose`` for a caller that has already looked the bot's pull request up (``find_pull``)."""
    if existing is None:
        created = _create(upstream_repo, head, spec)
        _label(created, spec.labels)
        return PrRef(created.number, created.html_url, PrState.OPENED)
    if existing.state != "open":
        if existing.merged:
            return PrRef(existing.number, existing.html_url, PrState.MERGED)
        if not reopen_declined:
            return PrRef(existing.number, existing.html_url, PrState.DECLINED)
        call(f"reopening #{existing.number}", lambda: existing.edit(state="open"))
    elif _says_the_same(existing, spec):
        return PrRef(existing.number, existing.html_url, PrState.UP_TO_DATE)
    call(f"updating #{existing.number}", lambda: existing.edit(title=spec.title, body=spec.body))
    return PrRef(existing.number, existing.html_url, PrState.UPDATED)


def _says_the_same(pr: PullRequest, spec: PrSpec) -> bool:
    """Same title, and the same change: by the body's fingerprint when both have one (the evidence's
    timings differ from run to run), else by the whole body."""
    if pr.title != spec.title:
        return False
    if spec.fingerprint is not None and read_fingerprint(pr.body) is not None:
        return read_fingerprint(pr.body) == spec.fingerprint
    return bool(pr.body == spec.body)


def comment(repo: Repository, number: int, body: str) -> str:
    """Comment on an issue or pull request; returns the comment's URL."""
    issue = call(f"reading {repo.full_name}#{number}", lambda: repo.get_issue(number))
    made = call(f"commenting on {repo.full_name}#{number}", lambda: issue.create_comment(body))
    return str(made.html_url)


def check_budget(gh: Github, reserve: int) -> None:
    """Stop cleanly (the next run resumes) before the primary rate limit would stop us mid-repository."""
    remaining, limit = gh.rate_limiting
    if limit > 0 and remaining < reserve:
        reset = time.strftime("%H:%M:%S UTC", time.gmtime(gh.rate_limiting_resettime))
        raise BudgetExhausted(f"{remaining} of {limit} API requests left (reserve {reserve}); resets {reset}")


def _create(upstream_repo: Repository, head: str, spec: PrSpec) -> PullRequest:
    """The new pull request; when PyGithub retried a POST that had created it after all, that one."""

    def create() -> PullRequest:
        return upstream_repo.create_pull(
            base=upstream_repo.default_branch,
            head=head,
            title=spec.title,
            body=spec.body,
            draft=spec.draft,
            maintainer_can_modify=spec.maintainer_can_modify,
        )

    try:
        return create()
    except GithubException as error:
        said = " ".join(messages(error)).lower()
        if error.status == 422 and _DUPLICATE in said:
            # PyGithub retried a POST whose first attempt had created the pull request after all
            found = find_pull(upstream_repo, head)
            if found is not None:
                return found
        if error.status == 422 and _NO_COMMITS in said:
            raise ForgeError(f"nothing to propose: no commits between the base and {head}") from None
        raise ForgeError(describe(f"opening a pull request from {head}", error)) from None
    except requests.RequestException as error:
        raise ForgeError(f"opening a pull request from {head}: {type(error).__name__}") from None


def _label(pr: PullRequest, labels: tuple[str, ...]) -> None:
    """Labels are a courtesy: a contributor without triage rights cannot set them, and that is fine."""
    if labels:
        try:
            pr.add_to_labels(*labels)
        except GithubException:
            return


def _wait_until_ready(fork: Repository, branch: str, timeout: float, sleep: Callable[[float], None]) -> None:
    deadline, delay = time.monotonic() + timeout, 0.5
    while True:
        try:
            fork.get_branch(branch)
            return
        except GithubException as error:
            if error.status not in (404, 409) or time.monotonic() + delay > deadline:
                raise ForgeError(
                    f"the fork {fork.full_name} was not ready after {timeout:.0f} s ({error.status})"
                ) from None
        sleep(delay)
        delay = min(delay * 2, 15.0)
