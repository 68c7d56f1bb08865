"""The forge stage for one repository: fork, commit, push with a lease, and the one pull request.

The checkout is a clone of the upstream's default branch that the patch was computed on. Everything
that decides "nothing to do" is answered before anything is written: a declined pull request, a fork
branch that already holds this very commit (the bot's commits are reproducible: same patch, same base,
same sha), a branch someone else has pushed to. A run that stops half-way leaves nothing a rerun
cannot pick up: the branch is pushed before the pull request is opened, and both are found again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from github import Github
from github.Repository import Repository

from bot.config import GitHubSettings
from bot.errors import ForgeError, InputError
from bot.forge import github as forge
from bot.forge.dco import candidate_paths, dco_requirement
from bot.forge.git_publish import (
    GitIdentity,
    commit_date,
    commit_message,
    commit_patch,
    head_sha,
    push_branch,
)
from bot.forge.pr_body import PrText
from bot.forge.records import Identity, PrRef, PrSpec, PrState
from bot.model import Patch, Platform
from bot.scan.tree import RepoTree

WORKFLOWS = ".github/workflows/"


@dataclass(frozen=True)
class Publication:
    """What the forge stage did for one repository."""

    pr: PrRef | None  # None when no pull request exists (the per-run cap held it back)
    pushed: bool  # False: the fork's branch already held this commit, or was left alone
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Forge:
    """A connected forge: the client, the token (for git), who it is, and how to behave."""

    gh: Github
    token: str
    identity: Identity
    settings: GitHubSettings
    behaviour: forge.ForgeSettings


def commit_change(
    checkout: Path, patch: Patch, settings: GitHubSettings, platforms: tuple[Platform, ...]
) -> str:
    """Commit the patch on the checkout's HEAD, dated like HEAD, so a rerun makes the very same commit.

    The build then runs on this commit's tree: the evidence is about the pull request's own content."""
    if not patch.edits:
        raise ForgeError("nothing to propose: the patch changes no file")
    return commit_patch(
        checkout,
        patch,
        identity=GitIdentity(settings.author_name, settings.author_email),
        message=commit_message(patch, platforms),
        signoff=_needs_signoff(checkout),
        date=commit_date(checkout),
    )


def publish(
    session: Forge,
    upstream_repo: Repository,
    checkout: Path,
    patch: Patch,
    text: PrText,
    *,
    may_open: Callable[[], bool] = lambda: True,
) -> Publication:
    """Push the checkout's HEAD (``commit_change``'s commit) to the fork and propose it. ``may_open`` is
    asked only when a new pull request would be opened (the run's cap takes one from its budget); an
    existing one is kept up to date regardless."""
    settings, notes = session.settings, []
    if any(edit.path.startswith(WORKFLOWS) for edit in patch.edits):
        forge.check_can_push_workflows(session.identity)
    forge.check_budget(session.gh, session.behaviour.reserve)
    fork = forge.ensure_fork(
        session.gh, upstream_repo, session.behaviour, organization=settings.fork_organization
    )
    owner = fork.owner.login
    head = f"{owner}:{settings.branch}"
    existing = forge.find_pull(upstream_repo, head)
    if existing is not None and existing.state != "open" and not settings.reopen_declined:
        state = PrState.MERGED if existing.merged else PrState.DECLINED
        return Publication(PrRef(existing.number, existing.html_url, state), False)
    if existing is None and not may_open():
        return Publication(None, False, ("the run's pull-request limit is reached; the next run opens it",))

    synced = forge.sync_fork(fork, upstream_repo.default_branch)
    if synced:
        notes.append(synced)
    sha = head_sha(checkout)
    tip = forge.branch_tip(fork, settings.branch)
    remote, author = tip if tip else (None, None)
    pushed = remote != sha
    if pushed and remote is not None and author != settings.author_email:
        # a maintainer may push to the bot's branch (maintainer_can_modify): their work is not overwritten
        notes.append(f"{head} holds commits by others; it was not overwritten")
        pushed = False
    elif pushed:
        push_branch(checkout, fork.clone_url, settings.branch, session.token, expected_sha=remote)

    spec = PrSpec(
        text.title,
        text.body,
        settings.branch,
        draft=settings.draft,
        labels=settings.labels,
        maintainer_can_modify=settings.fork_organization is None,  # GitHub refuses it for org forks
        fingerprint=text.fingerprint,
    )
    pr = forge.settle(upstream_repo, existing, head, spec, reopen_declined=settings.reopen_declined)
    return Publication(pr, pushed, tuple(notes))


def _needs_signoff(checkout: Path) -> bool:
    """DCO: a project that asks for Signed-off-by gets it (the bot's own, for its own change)."""
    tree = RepoTree(checkout)
    files = {}
    for path in candidate_paths(tree.files()):
        try:
            files[path] = tree.read_text(path)
        except InputError:
            continue  # unreadable (binary, huge, a symlink out): it cannot be asking for anything
    return dco_requirement(files) is not None
