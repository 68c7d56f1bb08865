"""REST handlers for pull requests: list (with GitHub's ``head`` filter quirk), create, get, update."""

from __future__ import annotations

from werkzeug import Response

from bot.sandbox.github import gitdata, pulls
from bot.sandbox.github.records import Issue, Repo
from bot.sandbox.github.rest_base import Ctx, Route, json_response, not_found, paginate, validation_failed
from bot.sandbox.github.routes_branches import commit_json, file_json
from bot.sandbox.github.shapes_issues import pull


def _find(repo: Repo, number: str) -> Issue:
    issue = repo.issues.get(int(number)) if number.isdigit() else None
    if issue is None or issue.pull is None:
        raise not_found()
    return issue


def list_pulls(ctx: Ctx, owner: str, repo: str) -> Response:
    args = ctx.request.args
    wanted_state = args.get("state", "open")
    head = args.get("head", "")
    base_ref = args.get("base")
    with ctx.store.changing() as state:
        found = ctx.repo(state, owner, repo)
        chosen = []
        for issue in found.issues.values():
            facts = issue.pull
            if facts is None or (wanted_state != "all" and issue.state != wanted_state):
                continue
            # GitHub filters on head only for "owner:branch"; a bare branch name is silently ignored.
            if ":" in head and (facts.head_repo is None or head != f"{facts.head_owner}:{facts.head_ref}"):
                continue
            if base_ref and facts.base_ref != base_ref:
                continue
            pulls.refresh(ctx.store, state, found, issue)
            chosen.append(issue)
        key = "updated_at" if args.get("sort") == "updated" else "created_at"
        chosen.sort(key=lambda i: (getattr(i, key), i.number), reverse=args.get("direction", "desc") != "asc")
        return paginate(ctx, [pull(ctx.urls, state, found, i, ctx.login, full=False) for i in chosen])


def create_pull(ctx: Ctx, owner: str, repo: str) -> Response:
    login = ctx.require_login()
    fields = ctx.fields()
    with ctx.store.changing() as state:
        base = ctx.repo(state, owner, repo)
        issue = pulls.open_pull(ctx.store, state, base, login, fields)
        body = pull(ctx.urls, state, base, issue, login)
        return json_response(body, 201, {"Location": body["url"]})


def get_pull(ctx: Ctx, owner: str, repo: str, pull_number: str) -> Response:
    with ctx.store.changing() as state:
        found = ctx.repo(state, owner, repo)
        issue = _find(found, pull_number)
        pulls.refresh(ctx.store, state, found, issue)
        return json_response(pull(ctx.urls, state, found, issue, ctx.login))


def update_pull(ctx: Ctx, owner: str, repo: str, pull_number: str) -> Response:
    login = ctx.require_login()
    fields = ctx.fields()
    with ctx.store.changing() as state:
        found = ctx.repo(state, owner, repo)
        issue = _find(found, pull_number)
        # The author may edit their own PR without push rights on the base, as on GitHub.
        if issue.user != login:
            ctx.repo(state, owner, repo, push=True)
        new_base = fields.get("base")
        if (
            isinstance(new_base, str)
            and gitdata.resolve(ctx.store.git_dir(found.full_name), f"refs/heads/{new_base}") is None
        ):
            raise validation_failed(
                pulls.UPDATE_DOC, {"resource": "PullRequest", "field": "base", "code": "invalid"}
            )
        pulls.edit_pull(state, found, issue, login, fields)
        pulls.refresh(ctx.store, state, found, issue)
        return json_response(pull(ctx.urls, state, found, issue, login))


def list_pull_commits(ctx: Ctx, owner: str, repo: str, pull_number: str) -> Response:
    with ctx.store.changing() as state:
        found = ctx.repo(state, owner, repo)
        issue = _find(found, pull_number)
        pulls.refresh(ctx.store, state, found, issue)
        assert issue.pull is not None
        git_dir = ctx.store.git_dir(found.full_name)
        shas = gitdata.commits_between(git_dir, issue.pull.base_sha, issue.pull.head_sha)
        return paginate(ctx, [commit_json(ctx, found, git_dir, sha) for sha in shas])


def list_pull_files(ctx: Ctx, owner: str, repo: str, pull_number: str) -> Response:
    with ctx.store.changing() as state:
        found = ctx.repo(state, owner, repo)
        issue = _find(found, pull_number)
        pulls.refresh(ctx.store, state, found, issue)
        facts = issue.pull
        assert facts is not None
        git_dir = ctx.store.git_dir(found.full_name)
        files = [
            # a removed file's URLs point at the base, where it still exists
            file_json(ctx, found, facts.base_sha if change.status == "removed" else facts.head_sha, change)
            for change in gitdata.changed_files(git_dir, facts.base_sha, facts.head_sha)
        ]
        return paginate(ctx, files)


ROUTES = (
    Route("/repos/<owner>/<repo>/pulls", "GET", list_pulls),
    Route("/repos/<owner>/<repo>/pulls", "POST", create_pull),
    Route("/repos/<owner>/<repo>/pulls/<pull_number>", "GET", get_pull),
    Route("/repos/<owner>/<repo>/pulls/<pull_number>", "PATCH", update_pull),
    Route("/repos/<owner>/<repo>/pulls/<pull_number>/commits", "GET", list_pull_commits),
    Route("/repos/<owner>/<repo>/pulls/<pull_number>/files", "GET", list_pull_files),
)
