"""``GET /search/issues``: the search budget, GitHub's 422 for unknown repositories, index faults."""

from __future__ import annotations

from werkzeug import Response

from bot.sandbox.github import search
from bot.sandbox.github.rest_base import Ctx, Route, paginate, validation_failed
from bot.sandbox.github.shapes import can_read
from bot.sandbox.github.shapes_issues import issue

_SEARCH_DOC = "https://docs.github.com/v3/search/"
_SEARCH_LIMIT = 1000  # GitHub never returns more search results than this


def search_issues(ctx: Ctx) -> Response:
    q = ctx.request.args.get("q", "")
    if not q.strip():
        raise validation_failed(_SEARCH_DOC, {"resource": "Search", "field": "q", "code": "missing"})
    query = search.parse(q)
    with ctx.store.reading() as state:
        for name in query.repos:
            repo = next((r for r in state.repos.values() if r.full_name.lower() == name), None)
            if repo is None or not can_read(state, repo, ctx.login):
                message = (
                    "The listed users and repositories cannot be searched either because the resources do not"
                    " exist or you do not have permission to view them."
                )
                error = {"message": message, "resource": "Search", "field": "q", "code": "invalid"}
                raise validation_failed(_SEARCH_DOC, error)
        # An armed lag hides what was created since: GitHub's index trails its database.
        lag = ctx.faults.take_search_lag()
        found = [
            (repo, item)
            for repo in state.repos.values()
            if can_read(state, repo, ctx.login)
            for item in repo.issues.values()
            if search.matches(query, repo, item) and (lag is None or item.id <= lag)
        ]
        key = ctx.request.args.get("sort", "created")
        sort_key = {"updated": lambda p: p[1].updated_at, "comments": lambda p: len(p[1].comments)}.get(
            key, lambda p: p[1].created_at
        )
        found.sort(key=sort_key, reverse=ctx.request.args.get("order", "desc") != "asc")
        items = [issue(ctx.urls, state, repo, item, score=1.0) for repo, item in found[:_SEARCH_LIMIT]]
        total = len(found)
        incomplete = ctx.faults.take_incomplete_search()
        return paginate(
            ctx,
            items,
            lambda chosen: {
                "total_count": total,
                "incomplete_results": incomplete,
                "items": chosen,
                "search_type": "lexical",
            },
        )


ROUTES = (Route("/search/issues", "GET", search_issues, resource="search"),)
