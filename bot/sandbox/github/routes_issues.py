"""REST handlers for issues, issue comments and labels."""

from __future__ import annotations

import re
from typing import Any

from werkzeug import Response

from bot.sandbox.github.records import Comment, Issue, Label, Repo, State
from bot.sandbox.github.rest_base import (
    ApiError,
    Ctx,
    Route,
    json_response,
    not_found,
    paginate,
    validation_failed,
)
from bot.sandbox.github.shapes import label
from bot.sandbox.github.shapes_issues import comment, issue
from bot.sandbox.github.store import now_iso

_LABEL_DOC = "https://docs.github.com/rest/issues/labels#create-a-label"
_ISSUE_DOC = "https://docs.github.com/rest/issues/issues#create-an-issue"
_HEX = re.compile(r"[0-9a-fA-F]{6}")


def _find(repo: Repo, number: str) -> Issue:
    found = repo.issues.get(int(number)) if number.isdigit() else None
    if found is None:
        raise not_found()
    return found


def _ensure_label(state: State, repo: Repo, name: str) -> Label:
    existing = repo.labels.get(name.lower())
    if existing is None:  # adding an unknown label to an issue creates it, as GitHub does
        existing = Label(id=state.new_id(), name=name, color="ededed")
        repo.labels[name.lower()] = existing
    return existing


def list_issues(ctx: Ctx, owner: str, repo: str) -> Response:
    args = ctx.request.args
    wanted = args.get("state", "open")
    labels = {n.strip().lower() for n in args.get("labels", "").split(",") if n.strip()}
    with ctx.store.reading() as state:
        found = ctx.repo(state, owner, repo)
        chosen = [
            i
            for i in found.issues.values()
            if (wanted == "all" or i.state == wanted)
            and labels <= {n.lower() for n in i.labels}
            and args.get("creator", i.user) == i.user
        ]
        chosen.sort(key=lambda i: (i.created_at, i.number), reverse=args.get("direction", "desc") != "asc")
        return paginate(ctx, [issue(ctx.urls, state, found, i) for i in chosen])


def create_issue(ctx: Ctx, owner: str, repo: str) -> Response:
    login = ctx.require_login()
    fields = ctx.fields()
    if not isinstance(fields.get("title"), str) or not fields["title"]:
        raise validation_failed(_ISSUE_DOC, {"resource": "Issue", "field": "title", "code": "missing_field"})
    with ctx.store.changing() as state:
        found = ctx.repo(state, owner, repo)
        stamp = now_iso()
        number = found.next_number
        names = [_ensure_label(state, found, str(n)).name for n in fields.get("labels") or []]
        found.issues[number] = Issue(
            number=number,
            id=state.new_id(),
            user=login,
            title=fields["title"],
            body=fields.get("body"),
            labels=names,
            created_at=stamp,
            updated_at=stamp,
        )
        found.next_number += 1
        body = issue(ctx.urls, state, found, found.issues[number])
        return json_response(body, 201, {"Location": body["url"]})


def get_issue(ctx: Ctx, owner: str, repo: str, issue_number: str) -> Response:
    with ctx.store.reading() as state:
        found = ctx.repo(state, owner, repo)
        return json_response(issue(ctx.urls, state, found, _find(found, issue_number)))


def update_issue(ctx: Ctx, owner: str, repo: str, issue_number: str) -> Response:
    """Title, body, state (with ``state_reason``) and labels; the author may edit without push rights."""
    login = ctx.require_login()
    fields = ctx.fields()
    with ctx.store.changing() as state:
        found = ctx.repo(state, owner, repo)
        item = _find(found, issue_number)
        if item.user != login or "labels" in fields:
            ctx.repo(state, owner, repo, push=True)
        if isinstance(fields.get("title"), str) and fields["title"]:
            item.title = fields["title"]
        if "body" in fields:
            item.body = fields["body"]
        if isinstance(fields.get("labels"), list):
            item.labels = [_ensure_label(state, found, str(n)).name for n in fields["labels"]]
        wanted = fields.get("state")
        if wanted == "closed" and item.state == "open":
            item.state, item.closed_at, item.closed_by = "closed", now_iso(), login
            item.state_reason = fields.get("state_reason") or "completed"
        elif wanted == "open" and item.state == "closed":
            item.state, item.closed_at, item.closed_by, item.state_reason = "open", None, None, "reopened"
        item.updated_at = now_iso()
        return json_response(issue(ctx.urls, state, found, item))


def list_comments(ctx: Ctx, owner: str, repo: str, issue_number: str) -> Response:
    since = ctx.request.args.get("since", "")
    with ctx.store.reading() as state:
        found = ctx.repo(state, owner, repo)
        item = _find(found, issue_number)
        entries = [c for c in item.comments if c.updated_at >= since]
        return paginate(ctx, [comment(ctx.urls, state, found, item, c) for c in entries])


def create_comment(ctx: Ctx, owner: str, repo: str, issue_number: str) -> Response:
    login = ctx.require_login()
    text = ctx.fields().get("body")
    if not isinstance(text, str) or not text:
        raise validation_failed(
            _ISSUE_DOC, {"resource": "IssueComment", "field": "body", "code": "missing_field"}
        )
    with ctx.store.changing() as state:
        found = ctx.repo(state, owner, repo)
        item = _find(found, issue_number)
        stamp = now_iso()
        entry = Comment(id=state.new_id(), user=login, body=text, created_at=stamp, updated_at=stamp)
        item.comments.append(entry)
        item.updated_at = stamp
        body = comment(ctx.urls, state, found, item, entry)
        return json_response(body, 201, {"Location": body["url"]})


def get_comment(ctx: Ctx, owner: str, repo: str, comment_id: str) -> Response:
    with ctx.store.reading() as state:
        found = ctx.repo(state, owner, repo)
        for item in found.issues.values():
            for entry in item.comments:
                if str(entry.id) == comment_id:
                    return json_response(comment(ctx.urls, state, found, item, entry))
        raise not_found()


def list_labels(ctx: Ctx, owner: str, repo: str) -> Response:
    with ctx.store.reading() as state:
        found = ctx.repo(state, owner, repo)
        return paginate(ctx, [label(ctx.urls, found, entry) for entry in found.labels.values()])


def get_label(ctx: Ctx, owner: str, repo: str, name: str) -> Response:
    with ctx.store.reading() as state:
        found = ctx.repo(state, owner, repo)
        entry = found.labels.get(name.lower())
        if entry is None:
            raise not_found()
        return json_response(label(ctx.urls, found, entry))


def create_label(ctx: Ctx, owner: str, repo: str) -> Response:
    fields = ctx.fields()
    name, color = fields.get("name"), str(fields.get("color", "ededed")).lstrip("#")
    if not isinstance(name, str) or not name:
        raise validation_failed(_LABEL_DOC, {"resource": "Label", "code": "missing_field", "field": "name"})
    if not _HEX.fullmatch(color):
        raise validation_failed(_LABEL_DOC, {"resource": "Label", "code": "invalid", "field": "color"})
    with ctx.store.changing() as state:
        found = ctx.repo(state, owner, repo, push=True)
        if name.lower() in found.labels:
            raise validation_failed(
                _LABEL_DOC, {"resource": "Label", "code": "already_exists", "field": "name"}
            )
        entry = Label(
            id=state.new_id(), name=name, color=color.lower(), description=fields.get("description")
        )
        found.labels[name.lower()] = entry
        body = label(ctx.urls, found, entry)
        return json_response(body, 201, {"Location": body["url"]})


def _label_names(payload: Any) -> list[str]:
    # PyGithub sends a bare array, octokit {"labels": [...]}; items may be names or {"name": ...}.
    items = payload.get("labels", []) if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise ApiError(400, "Problems parsing JSON")
    return [str(i["name"]) if isinstance(i, dict) and "name" in i else str(i) for i in items]


def add_labels(ctx: Ctx, owner: str, repo: str, issue_number: str) -> Response:
    names = _label_names(ctx.body())
    with ctx.store.changing() as state:
        found = ctx.repo(state, owner, repo, push=True)
        item = _find(found, issue_number)
        if ctx.request.method == "PUT":
            item.labels = []
        for name in names:
            entry = _ensure_label(state, found, name)
            if entry.name.lower() not in {n.lower() for n in item.labels}:
                item.labels.append(entry.name)
        item.updated_at = now_iso()
        return json_response([label(ctx.urls, found, found.labels[n.lower()]) for n in item.labels])


def remove_label(ctx: Ctx, owner: str, repo: str, issue_number: str, name: str) -> Response:
    with ctx.store.changing() as state:
        found = ctx.repo(state, owner, repo, push=True)
        item = _find(found, issue_number)
        kept = [n for n in item.labels if n.lower() != name.lower()]
        if len(kept) == len(item.labels):
            raise ApiError(404, "Label does not exist")
        item.labels = kept
        return json_response([label(ctx.urls, found, found.labels[n.lower()]) for n in item.labels])


_N = "/repos/<owner>/<repo>/issues/<issue_number>"
ROUTES = (
    Route("/repos/<owner>/<repo>/issues", "GET", list_issues),
    Route("/repos/<owner>/<repo>/issues", "POST", create_issue),
    Route(_N, "GET", get_issue),
    Route(_N, "PATCH", update_issue),
    Route(f"{_N}/comments", "GET", list_comments),
    Route(f"{_N}/comments", "POST", create_comment),
    Route("/repos/<owner>/<repo>/issues/comments/<comment_id>", "GET", get_comment),
    Route(f"{_N}/labels", "POST", add_labels),
    Route(f"{_N}/labels", "PUT", add_labels),
    Route(f"{_N}/labels/<name>", "DELETE", remove_label),
    Route("/repos/<owner>/<repo>/labels", "GET", list_labels),
    Route("/repos/<owner>/<repo>/labels", "POST", create_label),
    Route("/repos/<owner>/<repo>/labels/<name>", "GET", get_label),
)
