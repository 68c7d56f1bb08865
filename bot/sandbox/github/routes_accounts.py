"""REST handlers for accounts (the authenticated user, users, organisations) and the rate-limit overview."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug import Response

from bot.sandbox.github.records import Repo
from bot.sandbox.github.rest_base import ApiError, Ctx, Route, json_response, not_found, paginate
from bot.sandbox.github.shapes import account, authenticated_user, repository

_USER_DOC = "https://docs.github.com/rest/users/users#get-the-authenticated-user"


def get_authenticated_user(ctx: Ctx) -> Response:
    login = ctx.require_login()
    if ctx.token is not None and ctx.token.kind == "installation":
        raise ApiError(403, "Resource not accessible by integration", doc=_USER_DOC)
    with ctx.store.reading() as state:
        return json_response(authenticated_user(ctx.urls, state.accounts[login], state))


def get_user(ctx: Ctx, username: str) -> Response:
    with ctx.store.reading() as state:
        who = state.accounts.get(username)
        if who is None:
            raise not_found()
        body = authenticated_user(ctx.urls, who, state)
        body.pop("notification_email", None)
        return json_response(body)


def list_user_repos(ctx: Ctx, username: str) -> Response:
    """``GET /users/{username}/repos``: the account's public repositories (organisations' too), as GitHub
    lists them: ``type`` owner (the default) or all, sorted by ``full_name`` (ascending) or by
    ``created``/``updated``/``pushed`` (descending), ``direction`` to turn either round."""
    args = ctx.request.args
    sort = args.get("sort", "full_name")
    if sort not in _REPO_ORDER:
        sort = "full_name"
    descending = args.get("direction", "asc" if sort == "full_name" else "desc") == "desc"
    with ctx.store.reading() as state:
        login = next((name for name in state.accounts if name.lower() == username.lower()), None)
        if login is None:
            raise not_found()
        shown = [r for r in state.repos.values() if r.owner == login and not r.private]
        shown.sort(key=_REPO_ORDER[sort], reverse=descending)
        return paginate(ctx, shown, lambda page: [repository(ctx.urls, state, r, ctx.login) for r in page])


_REPO_ORDER: dict[str, Callable[[Repo], str]] = {
    "full_name": lambda repo: repo.full_name.lower(),
    "created": lambda repo: repo.created_at,
    "updated": lambda repo: repo.updated_at,
    "pushed": lambda repo: repo.pushed_at,
}


def get_organization(ctx: Ctx, org: str) -> Response:
    with ctx.store.reading() as state:
        who = state.accounts.get(org)
        if who is None or who.type != "Organization":
            raise not_found()
        body = account(ctx.urls, who) or {}
        url = body["url"] = f"{ctx.urls.api}/orgs/{org}"
        body |= {
            "hooks_url": f"{url}/hooks",
            "issues_url": f"{url}/issues",
            "members_url": f"{url}/members{{/member}}",
            "public_members_url": f"{url}/public_members{{/member}}",
            "description": None,
            "name": who.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": who.email,
            "is_verified": False,
            "has_organization_projects": True,
            "has_repository_projects": True,
            "public_repos": sum(r.owner == org and not r.private for r in state.repos.values()),
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "html_url": f"{ctx.urls.web}/{org}",
            "created_at": who.created_at,
            "updated_at": who.created_at,
            "archived_at": None,
        }
        for key in ("gravatar_id", "followers_url", "following_url", "gists_url", "starred_url"):
            body.pop(key, None)
        for key in ("subscriptions_url", "organizations_url", "received_events_url", "site_admin"):
            body.pop(key, None)
        body.pop("user_view_type", None)
        for key in ("name", "company", "location", "email"):  # left out while unset, as GitHub does
            if body[key] is None:
                del body[key]
        return json_response(body)


def get_rate_limit(ctx: Ctx) -> Response:
    authenticated = ctx.token is not None
    budgets = {
        r: ctx.limits.peek(ctx.caller, r, authenticated).as_json() for r in ("core", "search", "graphql")
    }
    budgets["code_search"] = {"limit": 10, "remaining": 10, "reset": budgets["search"]["reset"], "used": 0}
    return json_response({"resources": budgets, "rate": budgets["core"]})


ROUTES = (
    Route("/user", "GET", get_authenticated_user),
    Route("/users/<username>", "GET", get_user),
    Route("/users/<username>/repos", "GET", list_user_repos),
    Route("/orgs/<org>", "GET", get_organization),
    Route("/rate_limit", "GET", get_rate_limit, resource=""),
)
