"""JSON bodies for issues, pull requests and comments (the key sets of GitHub's 2023–2025 recordings)."""

from __future__ import annotations

from bot.sandbox.github.records import Comment, Issue, Repo, State
from bot.sandbox.github.shapes import JSON, Urls, account, label, node_id, repository


def association(repo: Repo, login: str) -> str:
    if login == repo.owner:
        return "OWNER"
    return "COLLABORATOR" if login in repo.collaborators else "NONE"


def _reactions(url: str) -> JSON:
    counts = dict.fromkeys(("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"), 0)
    return {"url": f"{url}/reactions", "total_count": 0} | counts


def issue(urls: Urls, state: State, repo: Repo, item: Issue, *, score: float | None = None) -> JSON:
    repo_url = urls.repo(repo.full_name)
    url = f"{repo_url}/issues/{item.number}"
    kind = "pull" if item.pull else "issues"
    body: JSON = {
        "url": url,
        "repository_url": repo_url,
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": f"{urls.web}/{repo.full_name}/{kind}/{item.number}",
        "id": item.id,
        "node_id": node_id("PullRequest" if item.pull else "Issue", item.id),
        "number": item.number,
        "title": item.title,
        "user": account(urls, state.accounts.get(item.user)),
        "labels": _labels(urls, repo, item),
        "state": item.state,
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": len(item.comments),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "closed_at": item.closed_at,
        "author_association": association(repo, item.user),
        "active_lock_reason": None,
        "body": item.body,
        "closed_by": account(urls, state.accounts.get(item.closed_by or "")),
        "reactions": _reactions(url),
        "timeline_url": f"{url}/timeline",
        "performed_via_github_app": None,
        "state_reason": item.state_reason,
    }
    if item.pull:
        pull_url = f"{repo_url}/pulls/{item.number}"
        html = f"{urls.web}/{repo.full_name}/pull/{item.number}"
        body["draft"] = item.pull.draft
        body["pull_request"] = {
            "url": pull_url,
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "merged_at": None,
        }
    if score is not None:
        body["score"] = score
    return body


def _labels(urls: Urls, repo: Repo, item: Issue) -> list[JSON]:
    found = (repo.labels.get(name.lower()) for name in item.labels)
    return [label(urls, repo, entry) for entry in found if entry is not None]


def comment(urls: Urls, state: State, repo: Repo, item: Issue, entry: Comment) -> JSON:
    repo_url = urls.repo(repo.full_name)
    url = f"{repo_url}/issues/comments/{entry.id}"
    kind = "pull" if item.pull else "issues"
    return {
        "url": url,
        "html_url": f"{urls.web}/{repo.full_name}/{kind}/{item.number}#issuecomment-{entry.id}",
        "issue_url": f"{repo_url}/issues/{item.number}",
        "id": entry.id,
        "node_id": node_id("IssueComment", entry.id),
        "user": account(urls, state.accounts.get(entry.user)),
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
        "author_association": association(repo, entry.user),
        "body": entry.body,
        "reactions": _reactions(url),
        "performed_via_github_app": None,
    }


def _branch(urls: Urls, state: State, viewer: str | None, repo: Repo | None, ref: str, sha: str) -> JSON:
    if repo is None:  # the fork is gone: GitHub keeps ref and sha, nothing else
        return {"label": None, "ref": ref, "sha": sha, "user": None, "repo": None}
    return {
        "label": f"{repo.owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": account(urls, state.accounts.get(repo.owner)),
        "repo": repository(urls, state, repo, viewer),
    }


def pull(urls: Urls, state: State, repo: Repo, item: Issue, viewer: str | None, *, full: bool = True) -> JSON:
    """A pull request; ``full=False`` is the list shape, without the counters (PyGithub fetches them)."""
    facts = item.pull
    assert facts is not None
    repo_url = urls.repo(repo.full_name)
    url = f"{repo_url}/pulls/{item.number}"
    html = f"{urls.web}/{repo.full_name}/pull/{item.number}"
    issue_url = f"{repo_url}/issues/{item.number}"
    head_repo = state.repos.get(facts.head_repo or "")
    links = {
        "self": url,
        "html": html,
        "issue": issue_url,
        "comments": f"{issue_url}/comments",
        "review_comments": f"{url}/comments",
        "review_comment": f"{repo_url}/pulls/comments{{/number}}",
        "commits": f"{url}/commits",
        "statuses": f"{repo_url}/statuses/{facts.head_sha}",
    }
    body: JSON = {
        "url": url,
        "id": item.id,
        "node_id": node_id("PullRequest", item.id),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": issue_url,
        "number": item.number,
        "state": item.state,
        "locked": False,
        "title": item.title,
        "user": account(urls, state.accounts.get(item.user)),
        "body": item.body,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "closed_at": item.closed_at,
        "merged_at": None,
        "merge_commit_sha": None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "labels": _labels(urls, repo, item),
        "milestone": None,
        "draft": facts.draft,
        "commits_url": links["commits"],
        "review_comments_url": links["review_comments"],
        "review_comment_url": links["review_comment"],
        "comments_url": links["comments"],
        "statuses_url": links["statuses"],
        "head": _branch(urls, state, viewer, head_repo, facts.head_ref, facts.head_sha),
        "base": _branch(urls, state, viewer, repo, facts.base_ref, facts.base_sha),
        "_links": {key: {"href": value} for key, value in links.items()},
        "author_association": association(repo, item.user),
        "auto_merge": None,
        "active_lock_reason": None,
    }
    if full:
        body |= {
            "merged": facts.merged,
            "mergeable": facts.mergeable if item.state == "open" else None,
            "rebaseable": facts.mergeable if item.state == "open" else None,
            "mergeable_state": _mergeable_state(item),
            "merged_by": None,
            "comments": len(item.comments),
            "review_comments": 0,
            "maintainer_can_modify": facts.maintainer_can_modify,
            "commits": facts.commits,
            "additions": facts.additions,
            "deletions": facts.deletions,
            "changed_files": facts.changed_files,
        }
    return body


def _mergeable_state(item: Issue) -> str:
    facts = item.pull
    if facts is None or item.state != "open" or facts.mergeable is None:
        return "unknown"
    if facts.draft:
        return "draft"
    return "clean" if facts.mergeable else "dirty"
