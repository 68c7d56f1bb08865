"""Pull requests backed by git: the head is fetched into the base repository's ``refs/pull/N/head`` and
the counters, "No commits between" and mergeability are git's answers, not bookkeeping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.sandbox.github import forks, gitdata
from bot.sandbox.github.records import Issue, PullFacts, Repo, State
from bot.sandbox.github.rest_base import ApiError, validation_failed
from bot.sandbox.github.store import Store, now_iso

CREATE_DOC = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"
UPDATE_DOC = "https://docs.github.com/rest/pulls/pulls#update-a-pull-request"


def _invalid(field: str) -> ApiError:
    return validation_failed(CREATE_DOC, {"resource": "PullRequest", "field": field, "code": "invalid"})


def _custom(message: str, doc: str = CREATE_DOC) -> ApiError:
    return validation_failed(doc, {"resource": "PullRequest", "code": "custom", "message": message})


def head_repository(state: State, base: Repo, owner: str, head_repo: str | None) -> Repo | None:
    """Where ``owner:branch`` lives: the base itself, or ``owner``'s repository in the same fork network."""
    if head_repo:
        return state.repos.get(f"{owner}/{head_repo.rsplit('/', 1)[-1]}")
    if owner == base.owner:
        return base
    return forks.existing_fork(state, base, owner)


def open_pull(store: Store, state: State, base: Repo, login: str, fields: dict[str, Any]) -> Issue:
    for required in ("head", "base", "title"):
        if not isinstance(fields.get(required), str) or not fields[required]:
            raise validation_failed(
                CREATE_DOC, {"resource": "PullRequest", "field": required, "code": "missing_field"}
            )
    head_owner, _, head_ref = fields["head"].rpartition(":")
    head_owner = head_owner or base.owner
    base_ref: str = fields["base"]
    head = head_repository(state, base, head_owner, fields.get("head_repo"))
    if head is None or not forks.is_ready(head):
        raise _invalid("head")
    head_dir, base_dir = store.git_dir(head.full_name), store.git_dir(base.full_name)
    head_sha = gitdata.resolve(head_dir, f"refs/heads/{head_ref}")
    if head_sha is None:
        raise _invalid("head")
    base_sha = gitdata.resolve(base_dir, f"refs/heads/{base_ref}")
    if base_sha is None:
        raise _invalid("base")
    label = f"{head.owner}:{head_ref}"
    for other in base.issues.values():
        facts = other.pull
        if other.state == "open" and facts and facts.base_ref == base_ref and _label(facts) == label:
            raise _custom(f"A pull request already exists for {label}.")
    # The head repository sees the base's objects (forks share them), so git can count from there.
    if gitdata.count_commits(head_dir, base_sha, head_sha) == 0:
        if head.full_name == base.full_name:
            raise _custom(f"No commits between {base_ref} and {head_ref}")
        raise _custom(f"No commits between {base.owner}:{base_ref} and {label}")
    number = base.next_number
    gitdata.fetch_into(base_dir, head_dir, f"refs/heads/{head_ref}", f"refs/pull/{number}/head")
    stamp = now_iso()
    facts = PullFacts(
        head_owner=head.owner,
        head_repo=head.full_name,
        head_ref=head_ref,
        head_sha=head_sha,
        base_ref=base_ref,
        base_sha=base_sha,
        draft=bool(fields.get("draft")),
        maintainer_can_modify=_maintainers_may_edit(state, head, base, fields),
    )
    _count(base_dir, facts)
    issue = Issue(
        number=number,
        id=state.new_id(),
        user=login,
        title=fields["title"],
        body=fields.get("body"),
        created_at=stamp,
        updated_at=stamp,
        pull=facts,
    )
    base.issues[number] = issue
    base.next_number += 1
    return issue


def _maintainers_may_edit(state: State, head: Repo, base: Repo, fields: dict[str, Any]) -> bool:
    # GitHub never lets maintainers edit branches of organisation-owned forks (Renovate's forkOrg notes).
    owner = state.accounts.get(head.owner)
    if head.full_name == base.full_name or (owner is not None and owner.type == "Organization"):
        return False
    return bool(fields.get("maintainer_can_modify", True))


def _label(facts: PullFacts) -> str | None:
    return f"{facts.head_owner}:{facts.head_ref}" if facts.head_repo else None


def _count(base_dir: Path, facts: PullFacts) -> None:
    diff = gitdata.compare(base_dir, facts.base_sha, facts.head_sha)
    facts.commits, facts.additions, facts.deletions = diff.commits, diff.additions, diff.deletions
    facts.changed_files, facts.mergeable = diff.changed_files, diff.mergeable


def refresh(store: Store, state: State, base: Repo, issue: Issue) -> None:
    """Follow pushes to an open PR's head branch (and moves of its base) as GitHub does on push."""
    facts = issue.pull
    if facts is None or issue.state != "open":
        return
    base_dir = store.git_dir(base.full_name)
    head = state.repos.get(facts.head_repo or "")
    head_sha = facts.head_sha
    if head is not None and forks.is_ready(head):
        head_sha = gitdata.resolve(store.git_dir(head.full_name), f"refs/heads/{facts.head_ref}") or head_sha
    base_sha = gitdata.resolve(base_dir, f"refs/heads/{facts.base_ref}") or facts.base_sha
    if (head_sha, base_sha) == (facts.head_sha, facts.base_sha):
        return
    if head is not None and head_sha != facts.head_sha:
        ref = f"refs/pull/{issue.number}/head"
        gitdata.fetch_into(base_dir, store.git_dir(head.full_name), f"refs/heads/{facts.head_ref}", ref)
    facts.head_sha, facts.base_sha = head_sha, base_sha
    _count(base_dir, facts)
    issue.updated_at = now_iso()


def edit_pull(state: State, base: Repo, issue: Issue, login: str, fields: dict[str, Any]) -> None:
    facts = issue.pull
    assert facts is not None
    if "title" in fields and isinstance(fields["title"], str):
        issue.title = fields["title"]
    if "body" in fields:
        issue.body = fields["body"]
    if "maintainer_can_modify" in fields:
        facts.maintainer_can_modify = bool(fields["maintainer_can_modify"])
    if isinstance(fields.get("base"), str) and fields["base"] != facts.base_ref:
        facts.base_ref = fields["base"]
    wanted = fields.get("state")
    if wanted == "closed" and issue.state == "open":
        issue.state, issue.closed_at, issue.closed_by = "closed", now_iso(), login
    elif wanted == "open" and issue.state == "closed":
        if facts.head_repo is None or facts.head_repo not in state.repos:
            raise _custom(
                "state cannot be changed. The repository that submitted this pull request has been deleted.",
                UPDATE_DOC,
            )
        label = _label(facts)
        for other in base.issues.values():
            if other is not issue and other.state == "open" and other.pull and _label(other.pull) == label:
                raise _custom(f"A pull request already exists for {label}.", UPDATE_DOC)
        issue.state, issue.closed_at, issue.closed_by = "open", None, None
    elif wanted not in (None, "open", "closed"):
        raise validation_failed(UPDATE_DOC, {"resource": "PullRequest", "field": "state", "code": "invalid"})
    issue.updated_at = now_iso()
