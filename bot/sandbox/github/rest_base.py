"""What every REST handler shares: the request context, GitHub's error bodies, JSON and paginated answers."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from werkzeug import Request, Response

from bot.sandbox.github.faults import Faults
from bot.sandbox.github.ratelimit import RateLimits
from bot.sandbox.github.records import Repo, State, Token
from bot.sandbox.github.shapes import JSON, Urls, can_push, can_read
from bot.sandbox.github.store import Store

DOCS = "https://docs.github.com/rest"
_MAX_PER_PAGE = 100


class ApiError(Exception):
    """An answer other than success, with GitHub's body: message, documentation_url, errors, status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[Any] | None = None,
        doc: str = DOCS,
        url: str | None = None,  # a redirect's target, in the body as GitHub sends it
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.doc = doc
        self.url = url
        self.headers = headers or {}

    def body(self) -> JSON:
        body: JSON = {"message": self.message}
        if self.url is not None:
            body["url"] = self.url
        if self.errors is not None:
            body["errors"] = self.errors
        return body | {"documentation_url": self.doc, "status": str(self.status)}


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def validation_failed(doc: str, *errors: JSON) -> ApiError:
    return ApiError(422, "Validation Failed", errors=list(errors), doc=doc)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers, content_type="application/json; charset=utf-8"
    )


@dataclass
class Ctx:
    request: Request
    store: Store
    faults: Faults
    urls: Urls
    token: Token | None
    limits: RateLimits  # GET /rate_limit reads the caller's budgets without charging them
    caller: str  # the key the caller's budgets are kept under

    @property
    def login(self) -> str | None:
        return self.token.login if self.token else None

    def body(self) -> Any:
        data = self.request.get_data(cache=True)
        if not data.strip():
            return {}
        try:
            return json.loads(data)
        except ValueError:
            raise ApiError(400, "Problems parsing JSON") from None

    def fields(self) -> dict[str, Any]:
        body = self.body()
        if not isinstance(body, dict):
            raise ApiError(400, "Problems parsing JSON")
        return body

    def require_login(self) -> str:
        if self.token is None:
            raise ApiError(401, "Requires authentication")
        return self.token.login

    def repo(self, state: State, owner: str, name: str, *, push: bool = False) -> Repo:
        """The repository the caller may see (with ``push``: write); else 404, as GitHub hides it."""
        repo = state.repos.get(f"{owner}/{name}")
        if repo is None and f"{owner}/{name}" in state.renamed:
            self._moved(state, f"{owner}/{name}")
        if repo is None or not can_read(state, repo, self.login):
            raise not_found()
        if push and not can_push(state, repo, self.login):
            if repo.archived:
                raise ApiError(403, "Repository was archived so is read-only.")
            raise ApiError(403, "Resource not accessible by personal access token")
        return repo

    def _moved(self, state: State, old: str) -> None:
        """A renamed repository: 301 for GET (307 otherwise) to the same path under its new name."""
        new = state.renamed[old]
        target = state.repos.get(new)
        if target is None or not can_read(state, target, self.login):
            return
        path = self.request.path.replace(f"/repos/{old}", f"/repos/{new}", 1)
        query = self.request.query_string.decode()
        location = f"{self.urls.api}{path}" + (f"?{query}" if query else "")
        status = 301 if self.request.method in ("GET", "HEAD") else 307
        message = "Moved Permanently" if status == 301 else "Temporary Redirect"
        doc = "https://docs.github.com/v3/#http-redirects"
        raise ApiError(status, message, doc=doc, url=location, headers={"Location": location})


def page_numbers(request: Request) -> tuple[int, int]:
    def number(key: str, default: int) -> int:
        text = request.args.get(key, "")
        return int(text) if text.isdigit() and int(text) > 0 else default

    return min(number("per_page", 30), _MAX_PER_PAGE), number("page", 1)


def paginate(
    ctx: Ctx,
    items: Sequence[Any],
    wrap: Callable[[list[Any]], Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> Response:
    """One page of ``items`` with GitHub's ``Link`` header (next/last, then prev/first on later pages)."""
    per_page, page = page_numbers(ctx.request)
    chosen = list(items[(page - 1) * per_page : page * per_page])
    last = max(1, math.ceil(len(items) / per_page))
    links = []
    if page < last:
        links += [(page + 1, "next"), (last, "last")]
    if page > 1:
        links = [(min(page - 1, last), "prev"), *links, (1, "first")]
    all_headers = dict(headers or {})
    if links:
        all_headers["Link"] = ", ".join(f'<{_page_url(ctx, number)}>; rel="{rel}"' for number, rel in links)
    return json_response(wrap(chosen) if wrap else chosen, headers=all_headers)


def _page_url(ctx: Ctx, page: int) -> str:
    args = [(key, value) for key, value in ctx.request.args.items(multi=True) if key != "page"]
    # PyGithub's totalCount reads page= from the last link; keep the client's own parameters in order.
    return f"{ctx.urls.api}{ctx.request.path}?{urlencode([*args, ('page', str(page))])}"


@dataclass(frozen=True)
class Route:
    rule: str  # werkzeug rule: /repos/<owner>/<repo>/contents/<path:path>
    method: str
    handler: Callable[..., Response]
    resource: str = "core"  # the rate-limit budget it draws on; "" for none (GET /rate_limit)

    @property
    def template(self) -> str:
        """The OpenAPI path template: /repos/{owner}/{repo}/contents/{path}."""
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.rule)
