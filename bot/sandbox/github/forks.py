"""Repositories and forks as GitHub makes them: seeding from a directory, forking, syncing a fork.

Plain functions on a ``Store``, shared by the REST handlers, the admin endpoint and in-process tests.
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.sandbox.github import gitdata
from bot.sandbox.github.records import REPO_NAME, Repo, State
from bot.sandbox.github.store import Store, now_iso


class ForkError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def is_ready(repo: Repo) -> bool:
    """False while a new fork's git data is still "being copied" (the readiness delay)."""
    return time.time() >= repo.ready_at


def import_directory(
    store: Store,
    directory: Path,
    owner: str,
    name: str,
    *,
    description: str | None = None,
    private: bool = False,
    branch: str = "main",
    message: str = "Initial commit",
) -> Repo:
    """Make ``owner/name`` from a local directory: a bare repository whose ``branch`` holds its files.

    Importing again onto an existing repository adds a commit with the directory's current content.
    """
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a directory")
    if not REPO_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a repository name")
    store.ensure_account(owner)
    full_name = f"{owner}/{name}"
    with store.changing() as state:
        repo = state.repos.get(full_name)
        if repo is None:
            stamp = now_iso()
            repo = Repo(
                id=state.new_id(),
                owner=owner,
                name=name,
                description=description,
                private=private,
                default_branch=branch,
                created_at=stamp,
                updated_at=stamp,
                pushed_at=stamp,
            )
            gitdata.init_bare(store.git_dir(full_name), branch)
            state.repos[full_name] = repo
        gitdata.commit_directory(store.git_dir(full_name), directory.resolve(), branch, message)
        repo.pushed_at = now_iso()
        return repo.model_copy(deep=True)


def existing_fork(state: State, upstream: Repo, owner: str) -> Repo | None:
    network = upstream.source or upstream.full_name
    for repo in state.repos.values():
        if (
            repo.owner == owner
            and repo.fork
            and (repo.source == network or repo.parent == upstream.full_name)
        ):
            return repo
    return None


def create_fork(
    store: Store,
    state: State,
    upstream: Repo,
    owner: str,
    *,
    name: str | None,
    branch_only: bool,
    delay: float,
) -> Repo:
    """``owner``'s fork of ``upstream``: the one that exists, or a new one (GitHub answers 202 to both)."""
    found = existing_fork(state, upstream, owner)
    if found is not None:
        return found
    if owner == upstream.owner:
        raise ForkError(422, "Repository cannot be forked into the same account")
    wanted = name or upstream.name
    if not REPO_NAME.fullmatch(wanted):
        raise ForkError(422, "name is not a valid repository name")
    chosen, suffix = wanted, 0
    while f"{owner}/{chosen}" in state.repos:  # GitHub picks the next free name: repo-1, repo-2, …
        suffix += 1
        chosen = f"{wanted}-{suffix}"
    stamp = now_iso()
    fork = Repo(
        id=state.new_id(),
        owner=owner,
        name=chosen,
        description=upstream.description,
        private=upstream.private,
        parent=upstream.full_name,
        source=upstream.source or upstream.full_name,
        default_branch=upstream.default_branch,
        created_at=stamp,
        updated_at=stamp,
        pushed_at=upstream.pushed_at,
        ready_at=time.time() + delay,
    )
    gitdata.copy_for_fork(
        store.git_dir(upstream.full_name),
        store.git_dir(fork.full_name),
        branch=upstream.default_branch if branch_only else None,
    )
    state.repos[fork.full_name] = fork
    return fork


def merge_upstream(store: Store, state: State, fork: Repo, branch: str) -> dict[str, str]:
    """``POST /repos/{o}/{r}/merge-upstream``: bring the fork's ``branch`` level with the parent's."""
    if fork.parent is None or fork.parent not in state.repos:
        raise ForkError(
            422, "This repository is not a fork"
        )  # what GitHub says is not recorded; close enough
    parent = state.repos[fork.parent]
    label = f"{parent.owner}:{branch}"
    fork_dir, parent_dir = store.git_dir(fork.full_name), store.git_dir(parent.full_name)
    ours = gitdata.resolve(fork_dir, f"refs/heads/{branch}")
    theirs = gitdata.resolve(parent_dir, f"refs/heads/{branch}")
    if ours is None or theirs is None:
        raise ForkError(422, "Branch not found")
    if gitdata.is_ancestor(fork_dir, theirs, ours):
        return {
            "message": f"This branch is not behind the upstream {label}.",
            "merge_type": "none",
            "base_branch": label,
        }
    if gitdata.is_ancestor(fork_dir, ours, theirs):
        gitdata.update_ref(fork_dir, f"refs/heads/{branch}", theirs)
        merge_type = "fast-forward"
        message = f"Successfully fetched and fast-forwarded from upstream {label}."
    else:
        merged = gitdata.merge_commit(
            fork_dir, ours, theirs, f"Merge branch '{branch}' of {parent.full_name}"
        )
        if merged is None:
            raise ForkError(409, "There are merge conflicts")
        gitdata.update_ref(fork_dir, f"refs/heads/{branch}", merged)
        merge_type, message = "merge", f"Successfully fetched and merged from upstream {label}."
    fork.pushed_at = now_iso()
    return {"message": message, "merge_type": merge_type, "base_branch": label}


def delete_repo(store: Store, full_name: str) -> bool:
    """Delete a repository (the "fork deleted mid-run" fault). Its PRs elsewhere keep a null head repo, and
    the open ones are closed, as GitHub closes a PR whose head branch goes ("closed this by deleting the
    head repository")."""
    with store.changing() as state:
        repo = state.repos.pop(full_name, None)
        if repo is None:
            return False
        for other in state.repos.values():
            for issue in other.issues.values():
                if issue.pull and issue.pull.head_repo == full_name:
                    issue.pull.head_repo = None
                    if issue.state == "open":
                        issue.state, issue.closed_at, issue.closed_by = "closed", now_iso(), repo.owner
    gitdata.remove(store.git_dir(full_name))
    return True


def rename_repo(store: Store, full_name: str, new_name: str) -> Repo:
    """Rename a repository; its old name then answers 301 (API) and redirects git, as GitHub does."""
    if not REPO_NAME.fullmatch(new_name):
        raise ValueError(f"{new_name!r} is not a repository name")
    with store.changing() as state:
        repo = state.repos.pop(full_name)
        old_dir = store.git_dir(full_name)
        repo.name = new_name
        new = repo.full_name
        if new in state.repos:
            raise ValueError(f"{new} already exists")
        state.repos[new] = repo
        old_dir.rename(store.git_dir(new))
        for other in state.repos.values():
            other.parent = new if other.parent == full_name else other.parent
            other.source = new if other.source == full_name else other.source
            for issue in other.issues.values():
                if issue.pull and issue.pull.head_repo == full_name:
                    issue.pull.head_repo = new
        state.renamed = {
            old: (new if target == full_name else target) for old, target in state.renamed.items()
        }
        state.renamed[full_name] = new
        state.renamed.pop(new, None)
        return repo.model_copy(deep=True)
