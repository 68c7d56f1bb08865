"""REST handlers for git references, read from and written to the bare repository itself.

PATCH and DELETE answer on both ``/git/ref/…`` and ``/git/refs/…``: a ref fetched with ``get_git_ref``
carries the singular URL, and GitHub accepts both.
"""

from __future__ import annotations

from pathlib import Path

from werkzeug import Response

from bot.sandbox.github import forks, gitdata
from bot.sandbox.github.records import Repo
from bot.sandbox.github.rest_base import ApiError, Ctx, Route, json_response, not_found, paginate
from bot.sandbox.github.shapes import git_ref

_DOC = "https://docs.github.com/rest/git/refs"


def _git_dir(ctx: Ctx, repo: Repo) -> Path:
    if not forks.is_ready(repo):  # a fork still "being copied" answers like an empty repository
        raise ApiError(409, "Git Repository is empty.", doc=_DOC)
    return ctx.store.git_dir(repo.full_name)


def _refs(ctx: Ctx, repo: Repo, prefix: str) -> list[gitdata.RefEntry]:
    return [e for e in gitdata.list_refs(_git_dir(ctx, repo)) if e.ref.startswith(prefix)]


def get_ref(ctx: Ctx, owner: str, repo: str, ref: str) -> Response:
    with ctx.store.reading() as state:
        found = ctx.repo(state, owner, repo)
        exact = [e for e in _refs(ctx, found, f"refs/{ref}") if e.ref == f"refs/{ref}"]
        if not exact:
            raise not_found()
        return json_response(git_ref(ctx.urls, found, exact[0].ref, exact[0].sha, exact[0].type))


def list_refs(ctx: Ctx, owner: str, repo: str) -> Response:
    with ctx.store.reading() as state:
        found = ctx.repo(state, owner, repo)
        entries = _refs(ctx, found, "refs/")
        return paginate(ctx, [git_ref(ctx.urls, found, e.ref, e.sha, e.type) for e in entries])


def get_refs_under(ctx: Ctx, owner: str, repo: str, ref: str) -> Response:
    """The old ``GET git/refs/{ref}``: one ref when the name is exact, else every ref under it."""
    with ctx.store.reading() as state:
        found = ctx.repo(state, owner, repo)
        entries = _refs(ctx, found, f"refs/{ref}")
        exact = [e for e in entries if e.ref == f"refs/{ref}"]
        if exact:
            return json_response(git_ref(ctx.urls, found, exact[0].ref, exact[0].sha, exact[0].type))
        entries = [e for e in entries if e.ref.startswith(f"refs/{ref.rstrip('/')}/")]
        if not entries:
            raise not_found()
        return json_response([git_ref(ctx.urls, found, e.ref, e.sha, e.type) for e in entries])


def matching_refs(ctx: Ctx, owner: str, repo: str, ref: str) -> Response:
    with ctx.store.reading() as state:
        found = ctx.repo(state, owner, repo)
        entries = _refs(ctx, found, f"refs/{ref}")
        return json_response([git_ref(ctx.urls, found, e.ref, e.sha, e.type) for e in entries])


def create_ref(ctx: Ctx, owner: str, repo: str) -> Response:
    fields = ctx.fields()
    ref, sha = fields.get("ref"), fields.get("sha")
    if not isinstance(ref, str) or not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name must start with 'refs/' and have at least two slashes.", doc=_DOC)
    if not isinstance(sha, str):
        raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.', doc=_DOC)
    with ctx.store.changing() as state:
        found = ctx.repo(state, owner, repo, push=True)
        git_dir = _git_dir(ctx, found)
        if gitdata.resolve(git_dir, ref) is not None:
            raise ApiError(422, "Reference already exists", doc=_DOC)
        kind = gitdata.object_type(git_dir, sha) if len(sha) == 40 else None
        if kind is None:
            raise ApiError(422, "Object does not exist", doc=_DOC)
        gitdata.update_ref(git_dir, ref, sha)
        body = git_ref(ctx.urls, found, ref, sha, kind)
        return json_response(body, 201, {"Location": body["url"]})


def update_ref(ctx: Ctx, owner: str, repo: str, ref: str) -> Response:
    fields = ctx.fields()
    sha, force = fields.get("sha"), bool(fields.get("force"))
    if not isinstance(sha, str):
        raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.', doc=_DOC)
    with ctx.store.changing() as state:
        found = ctx.repo(state, owner, repo, push=True)
        git_dir = _git_dir(ctx, found)
        full = f"refs/{ref}"
        current = gitdata.resolve(git_dir, full)
        if current is None:
            raise ApiError(422, "Reference does not exist", doc=_DOC)
        kind = gitdata.object_type(git_dir, sha) if len(sha) == 40 else None
        if kind is None:
            raise ApiError(422, "Object does not exist", doc=_DOC)
        if not force and not gitdata.is_ancestor(git_dir, current, sha):
            raise ApiError(422, "Update is not a fast forward", doc=_DOC)
        gitdata.update_ref(git_dir, full, sha)
        return json_response(git_ref(ctx.urls, found, full, sha, kind))


def delete_ref(ctx: Ctx, owner: str, repo: str, ref: str) -> Response:
    with ctx.store.changing() as state:
        found = ctx.repo(state, owner, repo, push=True)
        git_dir = _git_dir(ctx, found)
        if not any(e.ref == f"refs/{ref}" for e in gitdata.list_refs(git_dir)):
            raise ApiError(422, "Reference does not exist", doc=_DOC)
        gitdata.delete_ref(git_dir, f"refs/{ref}")
        return Response(status=204)


_R = "/repos/<owner>/<repo>/git"
ROUTES = (
    Route(f"{_R}/ref/<path:ref>", "GET", get_ref),
    Route(f"{_R}/refs", "GET", list_refs),
    Route(f"{_R}/refs/<path:ref>", "GET", get_refs_under),
    Route(f"{_R}/matching-refs/<path:ref>", "GET", matching_refs),
    Route(f"{_R}/refs", "POST", create_ref),
    Route(f"{_R}/refs/<path:ref>", "PATCH", update_ref),
    Route(f"{_R}/ref/<path:ref>", "PATCH", update_ref),
    Route(f"{_R}/refs/<path:ref>", "DELETE", delete_ref),
    Route(f"{_R}/ref/<path:ref>", "DELETE", delete_ref),
)
