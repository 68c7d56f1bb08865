"""REST handlers for branches and commits, read from the bare repository."""

from __future__ import annotations

from pathlib import Path

from werkzeug import Response

from bot.sandbox.github import forks, gitdata
from bot.sandbox.github.records import Repo
from bot.sandbox.github.rest_base import ApiError, Ctx, Route, json_response, paginate
from bot.sandbox.github.shapes import JSON

_BRANCH_DOC = "https://docs.github.com/rest/branches/branches#get-a-branch"


def list_branches(ctx: Ctx, owner: str, repo: str) -> Response:
    with ctx.store.reading() as state:
        found = ctx.repo(state, owner, repo)
        if not forks.is_ready(found):
            return paginate(ctx, [])
        base = ctx.urls.repo(found.full_name)
        entries = gitdata.list_refs(ctx.store.git_dir(found.full_name), "refs/heads/")
        return paginate(
            ctx,
            [
                {
                    "name": (name := e.ref.removeprefix("refs/heads/")),
                    "commit": {"sha": e.sha, "url": f"{base}/commits/{e.sha}"},
                    "protected": False,
                    "protection": {"enabled": False, "required_status_checks": _no_checks()},
                    "protection_url": f"{base}/branches/{name}/protection",
                }
                for e in entries
            ],
        )


def _no_checks() -> JSON:
    return {"enforcement_level": "off", "contexts": [], "checks": []}


def get_branch(ctx: Ctx, owner: str, repo: str, branch: str) -> Response:
    with ctx.store.reading() as state:
        found = ctx.repo(state, owner, repo)
        if not forks.is_ready(found):
            raise ApiError(404, "Branch not found")
        git_dir = ctx.store.git_dir(found.full_name)
        sha = gitdata.resolve(git_dir, f"refs/heads/{branch}")
        if sha is None:
            raise ApiError(404, "Branch not found", doc=_BRANCH_DOC)
        base = ctx.urls.repo(found.full_name)
        html = f"{ctx.urls.web}/{found.full_name}"
        return json_response(
            {
                "name": branch,
                "commit": commit_json(ctx, found, git_dir, sha),
                "_links": {"self": f"{base}/branches/{branch}", "html": f"{html}/tree/{branch}"},
                "protected": False,
                "protection": {
                    "enabled": False,
                    "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []},
                },
                "protection_url": f"{base}/branches/{branch}/protection",
            }
        )


def commit_json(ctx: Ctx, repo: Repo, git_dir: Path, sha: str) -> JSON:
    info = gitdata.commit_summary(git_dir, sha)
    base = ctx.urls.repo(repo.full_name)
    return {
        "sha": sha,
        "node_id": "C_" + sha[:20],
        "commit": {
            "author": {
                "name": info["author_name"],
                "email": info["author_email"],
                "date": info["author_date"],
            },
            "committer": {
                "name": info["committer_name"],
                "email": info["committer_email"],
                "date": info["committer_date"],
            },
            "message": info["message"].rstrip("\n"),
            "tree": {"sha": info["tree"], "url": f"{base}/git/trees/{info['tree']}"},
            "url": f"{base}/git/commits/{sha}",
            "comment_count": 0,
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
        "url": f"{base}/commits/{sha}",
        "html_url": f"{ctx.urls.web}/{repo.full_name}/commit/{sha}",
        "comments_url": f"{base}/commits/{sha}/comments",
        "author": None,
        "committer": None,
        "parents": [
            {
                "sha": p,
                "url": f"{base}/commits/{p}",
                "html_url": f"{ctx.urls.web}/{repo.full_name}/commit/{p}",
            }
            for p in gitdata.parents(git_dir, sha)
        ],
    }


def get_commit(ctx: Ctx, owner: str, repo: str, ref: str) -> Response:
    """One commit with its stats and files, as ``Commit`` objects complete themselves from their url."""
    with ctx.store.reading() as state:
        found = ctx.repo(state, owner, repo)
        if not forks.is_ready(found):
            raise ApiError(409, "Git Repository is empty.")
        git_dir = ctx.store.git_dir(found.full_name)
        sha = gitdata.resolve(git_dir, ref) or gitdata.resolve(git_dir, f"refs/heads/{ref}")
        if sha is None:
            raise ApiError(422, f"No commit found for SHA: {ref}")
        body = commit_json(ctx, found, git_dir, sha)
        parents = gitdata.parents(git_dir, sha)
        # A root commit is compared with the empty tree, as GitHub shows it.
        before = parents[0] if parents else gitdata.EMPTY_TREE
        changes = gitdata.changed_files(git_dir, before, sha, two_dot=True)
        additions = sum(c.additions for c in changes)
        deletions = sum(c.deletions for c in changes)
        body["stats"] = {"total": additions + deletions, "additions": additions, "deletions": deletions}
        body["files"] = [file_json(ctx, found, sha, c) for c in changes]
        return json_response(body)


def file_json(ctx: Ctx, repo: Repo, sha: str, change: gitdata.FileChange) -> JSON:
    """One changed file as the commit and pull-request files endpoints list it, its URLs at ``sha``."""
    entry: JSON = {
        "sha": change.blob_sha,
        "filename": change.path,
        "status": change.status,
        "additions": change.additions,
        "deletions": change.deletions,
        "changes": change.additions + change.deletions,
        "blob_url": f"{ctx.urls.web}/{repo.full_name}/blob/{sha}/{change.path}",
        "raw_url": f"{ctx.urls.web}/{repo.full_name}/raw/{sha}/{change.path}",
        "contents_url": f"{ctx.urls.repo(repo.full_name)}/contents/{change.path}?ref={sha}",
    }
    if change.patch is not None:
        entry["patch"] = change.patch
    return entry


ROUTES = (
    Route("/repos/<owner>/<repo>/branches", "GET", list_branches),
    Route("/repos/<owner>/<repo>/branches/<path:branch>", "GET", get_branch),
    Route("/repos/<owner>/<repo>/commits/<path:ref>", "GET", get_commit),
)
