"""REST handlers for repositories, forks (create, list, sync) and file contents."""

from __future__ import annotations

import base64
from pathlib import Path

from werkzeug import Response

from bot.sandbox.github import forks, gitdata
from bot.sandbox.github.records import Repo
from bot.sandbox.github.rest_base import ApiError, Ctx, Route, json_response, not_found, paginate
from bot.sandbox.github.shapes import JSON, repository

_REPOS_DOC = "https://docs.github.com/rest/repos"


def get_repo(ctx: Ctx, owner: str, repo: str) -> Response:
    with ctx.store.reading() as state:
        found = ctx.repo(state, owner, repo)
        return json_response(repository(ctx.urls, state, found, ctx.login, family=True))


def create_fork(ctx: Ctx, owner: str, repo: str) -> Response:
    login = ctx.require_login()
    fields = ctx.fields()
    organization = fields.get("organization")
    name = fields.get("name")
    if not isinstance(organization, str | None) or not isinstance(name, str | None):
        raise ApiError(400, "Problems parsing JSON")
    with ctx.store.changing() as state:
        upstream = ctx.repo(state, owner, repo)
        target = organization or login
        org = state.accounts.get(target)
        if organization and (org is None or org.type != "Organization" or login not in org.members):
            raise not_found()
        try:
            fork = forks.create_fork(
                ctx.store,
                state,
                upstream,
                target,
                name=name,
                branch_only=bool(fields.get("default_branch_only")),
                delay=ctx.faults.fork_delay,
            )
        except forks.ForkError as error:
            raise ApiError(error.status, str(error), doc=_REPOS_DOC) from None
        # 202 even for a fork that already existed: GitHub's answer to "fork this" is always the fork.
        return json_response(repository(ctx.urls, state, fork, login, family=True), 202)


def list_forks(ctx: Ctx, owner: str, repo: str) -> Response:
    with ctx.store.reading() as state:
        upstream = ctx.repo(state, owner, repo)
        found = [r for r in state.repos.values() if r.parent == upstream.full_name]
        order = ctx.request.args.get("sort", "newest")
        found.sort(key=lambda r: r.created_at, reverse=order != "oldest")
        return paginate(ctx, [repository(ctx.urls, state, r, ctx.login) for r in found])


def ready_git_dir(ctx: Ctx, repo: Repo, status: int = 409) -> Path:
    """The repository's git directory; 409 (or ``status``) while a new fork is still being copied."""
    if not forks.is_ready(repo):
        raise ApiError(status, "Git Repository is empty." if status == 409 else "Not Found")
    return ctx.store.git_dir(repo.full_name)


def merge_upstream(ctx: Ctx, owner: str, repo: str) -> Response:
    branch = ctx.fields().get("branch")
    if not isinstance(branch, str) or not branch:
        raise ApiError(422, 'Invalid request.\n\n"branch" wasn\'t supplied.', doc=_REPOS_DOC)
    with ctx.store.changing() as state:
        fork = ctx.repo(state, owner, repo, push=True)
        ready_git_dir(ctx, fork)
        try:
            return json_response(forks.merge_upstream(ctx.store, state, fork, branch))
        except forks.ForkError as error:
            raise ApiError(error.status, str(error), doc=_REPOS_DOC) from None


def get_contents(ctx: Ctx, owner: str, repo: str, path: str) -> Response:
    with ctx.store.reading() as state:
        found = ctx.repo(state, owner, repo)
        git_dir = ready_git_dir(ctx, found, 404)
        ref = ctx.request.args.get("ref") or found.default_branch
        commit = gitdata.resolve(git_dir, ref) or gitdata.resolve(git_dir, f"refs/heads/{ref}")
        if commit is None:
            raise ApiError(404, f"No commit found for the ref {ref}")
        entry = gitdata.tree_entry(git_dir, commit, path)
        if entry is None:
            raise not_found()
        if entry.type == "tree":
            entries = gitdata.list_tree(git_dir, commit, path)
            return json_response([_content(ctx, found, e, ref, None) for e in entries])
        return json_response(_content(ctx, found, entry, ref, gitdata.read_blob(git_dir, entry.sha)))


def _content(ctx: Ctx, repo: Repo, entry: gitdata.TreeEntry, ref: str, data: bytes | None) -> JSON:
    base = ctx.urls.repo(repo.full_name)
    kind = {"blob": "file", "tree": "dir", "commit": "submodule"}.get(entry.type, "file")
    plural = "trees" if entry.type == "tree" else "blobs"
    html = f"{ctx.urls.web}/{repo.full_name}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{entry.path}"
    body: JSON = {
        "type": kind,
        "size": entry.size,
        "name": entry.name,
        "path": entry.path,
        "sha": entry.sha,
        "url": f"{base}/contents/{entry.path}?ref={ref}",
        "git_url": f"{base}/git/{plural}/{entry.sha}",
        "html_url": html,
        "download_url": f"{ctx.urls.web}/{repo.full_name}/raw/{ref}/{entry.path}" if kind == "file" else None,
    }
    if data is not None:
        encoded = base64.b64encode(data).decode()
        # GitHub wraps base64 at 60 columns; PyGithub's decoded_content copes with the newlines.
        body["content"] = "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60)) + "\n"
        body["encoding"] = "base64"
    body["_links"] = {"self": body["url"], "git": body["git_url"], "html": html}
    return body


ROUTES = (
    Route("/repos/<owner>/<repo>", "GET", get_repo),
    Route("/repos/<owner>/<repo>/forks", "POST", create_fork),
    Route("/repos/<owner>/<repo>/forks", "GET", list_forks),
    Route("/repos/<owner>/<repo>/merge-upstream", "POST", merge_upstream),
    Route("/repos/<owner>/<repo>/contents/<path:path>", "GET", get_contents),
)
