"""JSON bodies with GitHub's full key sets (accounts, repositories, labels, refs), URLs pointing here.

PyGithub builds its next request from the ``url`` fields it was given, and completes a nested object
by fetching its ``url`` when a key is missing: so every key is sent, and every URL is built from the
Host the client used (``Urls``), never from a fixed name.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass
from typing import Any

from bot.sandbox.github.records import Account, Label, Repo, State

JSON = dict[str, Any]


@dataclass(frozen=True)
class Urls:
    api: str  # http://127.0.0.1:P/api/v3
    web: str  # http://127.0.0.1:P

    def repo(self, full_name: str) -> str:
        return f"{self.api}/repos/{full_name}"

    def user(self, login: str) -> str:
        return f"{self.api}/users/{login}"


def node_id(kind: str, id: int) -> str:
    return base64.b64encode(f"0:{kind}{id}".encode()).decode().rstrip("=")


def account(urls: Urls, who: Account | None) -> JSON | None:
    if who is None:
        return None
    url = urls.user(who.login)
    return {
        "login": who.login,
        "id": who.id,
        "node_id": node_id("User", who.id),
        "avatar_url": f"{urls.web}/avatars/{who.login}",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{urls.web}/{who.login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": who.type,
        "user_view_type": "public",
        "site_admin": False,
    }


def authenticated_user(urls: Urls, who: Account, state: State) -> JSON:
    body = account(urls, who) or {}
    owned = [r for r in state.repos.values() if r.owner == who.login]
    body |= {
        "name": who.name,
        "company": None,
        "blog": "",
        "location": None,
        "email": who.email,
        "hireable": None,
        "bio": None,
        "twitter_username": None,
        "notification_email": who.email,
        "public_repos": sum(not r.private for r in owned),
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": who.created_at,
        "updated_at": who.created_at,
    }
    return body


def permissions(state: State, repo: Repo, login: str | None) -> JSON:
    admin = can_push(state, repo, login) and login is not None and _owns(state, repo, login)
    push = can_push(state, repo, login)
    return {
        "admin": admin,
        "maintain": admin,
        "push": push,
        "triage": push,
        "pull": can_read(state, repo, login),
    }


def _owns(state: State, repo: Repo, login: str) -> bool:
    owner = state.accounts.get(repo.owner)
    return repo.owner == login or (owner is not None and login in owner.members)


def can_push(state: State, repo: Repo, login: str | None) -> bool:
    if login is None or repo.archived or repo.disabled:
        return False
    return _owns(state, repo, login) or login in repo.collaborators


def can_read(state: State, repo: Repo, login: str | None) -> bool:
    if not repo.private:
        return True
    return login is not None and (_owns(state, repo, login) or login in repo.collaborators)


_REPO_TEMPLATES = {
    "forks_url": "/forks",
    "keys_url": "/keys{/key_id}",
    "collaborators_url": "/collaborators{/collaborator}",
    "teams_url": "/teams",
    "hooks_url": "/hooks",
    "issue_events_url": "/issues/events{/number}",
    "events_url": "/events",
    "assignees_url": "/assignees{/user}",
    "branches_url": "/branches{/branch}",
    "tags_url": "/tags",
    "blobs_url": "/git/blobs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "trees_url": "/git/trees{/sha}",
    "statuses_url": "/statuses/{sha}",
    "languages_url": "/languages",
    "stargazers_url": "/stargazers",
    "contributors_url": "/contributors",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "commits_url": "/commits{/sha}",
    "git_commits_url": "/git/commits{/sha}",
    "comments_url": "/comments{/number}",
    "issue_comment_url": "/issues/comments{/number}",
    "contents_url": "/contents/{+path}",
    "compare_url": "/compare/{base}...{head}",
    "merges_url": "/merges",
    "archive_url": "/{archive_format}{/ref}",
    "downloads_url": "/downloads",
    "issues_url": "/issues{/number}",
    "pulls_url": "/pulls{/number}",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "labels_url": "/labels{/name}",
    "releases_url": "/releases{/id}",
    "deployments_url": "/deployments",
}


def repository(urls: Urls, state: State, repo: Repo, viewer: str | None, *, family: bool = False) -> JSON:
    """A repository; ``family`` adds ``parent`` and ``source`` (single-repo GET and POST forks only)."""
    url = urls.repo(repo.full_name)
    html = f"{urls.web}/{repo.full_name}"
    host = urls.web.split("://", 1)[-1]
    forks = [r for r in state.repos.values() if r.parent == repo.full_name]
    open_issues = sum(issue.state == "open" for issue in repo.issues.values())
    owner = state.accounts.get(repo.owner)
    body: JSON = {
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
        "owner": account(urls, owner),
        "html_url": html,
        "description": repo.description,
        "fork": repo.fork,
        "url": url,
    }
    body |= {key: url + suffix for key, suffix in _REPO_TEMPLATES.items()}
    body |= {
        "created_at": repo.created_at,
        "updated_at": repo.updated_at,
        "pushed_at": repo.pushed_at,
        "git_url": f"git://{host}/{repo.full_name}.git",
        "ssh_url": f"git@{host.split(':')[0]}:{repo.full_name}.git",
        "clone_url": f"{html}.git",
        "svn_url": html,
        "homepage": None,
        "size": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": None,
        "has_issues": True,
        "has_projects": True,
        "has_downloads": True,
        "has_wiki": True,
        "has_pages": False,
        "has_discussions": False,
        "forks_count": len(forks),
        "mirror_url": None,
        "archived": repo.archived,
        "disabled": repo.disabled,
        "open_issues_count": open_issues,
        "license": None,
        "allow_forking": True,
        "is_template": False,
        "web_commit_signoff_required": False,
        "topics": [],
        "visibility": "private" if repo.private else "public",
        "forks": len(forks),
        "open_issues": open_issues,
        "watchers": 0,
        "default_branch": repo.default_branch,
        "permissions": permissions(state, repo, viewer),
        "temp_clone_token": "",  # as GitHub sends it; null is not in `repository`'s schema
        "allow_squash_merge": True,
        "allow_merge_commit": True,
        "allow_rebase_merge": True,
        "allow_auto_merge": False,
        "delete_branch_on_merge": False,
        "allow_update_branch": False,
        "use_squash_pr_title_as_default": False,
        "squash_merge_commit_title": "COMMIT_OR_PR_TITLE",
        "squash_merge_commit_message": "COMMIT_MESSAGES",
        "merge_commit_title": "MERGE_MESSAGE",
        "merge_commit_message": "PR_TITLE",
        "network_count": len(forks),
        "subscribers_count": 0,
    }
    if owner is not None and owner.type == "Organization":
        body["organization"] = account(urls, owner)
    if family and repo.parent and repo.source:
        for key, name in (("parent", repo.parent), ("source", repo.source)):
            related = state.repos.get(name)
            if related is not None:
                body[key] = repository(urls, state, related, viewer)
    return body


def label(urls: Urls, repo: Repo, item: Label) -> JSON:
    return {
        "id": item.id,
        "node_id": node_id("Label", item.id),
        "url": f"{urls.repo(repo.full_name)}/labels/{item.name}",
        "name": item.name,
        "color": item.color,
        "default": item.default,
        "description": item.description,
    }


def git_ref(urls: Urls, repo: Repo, ref: str, sha: str, kind: str) -> JSON:
    base = urls.repo(repo.full_name)
    plural = {"commit": "commits", "tag": "tags", "tree": "trees", "blob": "blobs"}.get(kind, kind + "s")
    return {
        "ref": ref,
        "node_id": node_id("Ref", zlib.crc32(f"{repo.full_name}:{ref}".encode())),
        "url": f"{base}/git/{ref}",
        "object": {"sha": sha, "type": kind, "url": f"{base}/git/{plural}/{sha}"},
    }
