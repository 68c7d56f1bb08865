"""The REST API as a WSGI app mounted at ``/api/v3``: routing, credentials, rate limits, faults, observers.

Order per request, as on GitHub: route (unknown route or method: 404), credentials (an unknown token:
401 whatever the route), injected faults, the primary budget, the handler, then an injected "after"
fault. Every answer carries the rate-limit and request-id headers and is reported to the observer; a
dropped connection (a fault) gets no answer, so the observer hears of nothing either.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import logging
import socket
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NoReturn

from werkzeug import Request, Response
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from bot.sandbox.github import (
    routes_accounts,
    routes_branches,
    routes_git,
    routes_issues,
    routes_pulls,
    routes_repos,
    routes_search,
)
from bot.sandbox.github.exchange import Exchange, Observer
from bot.sandbox.github.faults import Fault, Faults
from bot.sandbox.github.ratelimit import Budget, RateLimits, exhausted
from bot.sandbox.github.records import Token
from bot.sandbox.github.rest_base import ApiError, Ctx, Route, json_response, not_found
from bot.sandbox.github.shapes import Urls
from bot.sandbox.github.store import Store

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

API_VERSION = "2022-11-28"
_log = logging.getLogger(__name__)
_RATE_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
_SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach"
    " out to GitHub Support for help, please include the request ID {}."
)
# Requests that count against GitHub's secondary limit on content creation.
CONTENT_CREATION = {
    ("POST", "/repos/{owner}/{repo}/pulls"),
    ("POST", "/repos/{owner}/{repo}/issues"),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
}
ROUTES: tuple[Route, ...] = (
    *routes_accounts.ROUTES,
    *routes_repos.ROUTES,
    *routes_branches.ROUTES,
    *routes_pulls.ROUTES,
    *routes_issues.ROUTES,
    *routes_search.ROUTES,
    *routes_git.ROUTES,
)


def token_from_header(value: str) -> str | None:
    """The token in ``token T``, ``Bearer T`` or ``Basic base64(anyone:T)``; None for anything else."""
    scheme, _, credential = value.strip().partition(" ")
    if scheme.lower() in ("token", "bearer"):
        return credential.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credential.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


class RestApi:
    def __init__(
        self, store: Store, faults: Faults, limits: RateLimits, observer: Callable[[], Observer | None]
    ) -> None:
        self.store = store
        self.faults = faults
        self.limits = limits
        self._observer = observer
        rules = [
            Rule(route.rule, endpoint=index, methods=[route.method]) for index, route in enumerate(ROUTES)
        ]
        # No slash merging or redirects: GitHub answers 404 to a path with a trailing slash.
        self.map = Map(rules, strict_slashes=True, merge_slashes=False)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        request_body = request.get_data(cache=True)
        route, response = self.respond(request)
        if isinstance(response, _Dropped):
            _drop(environ)
        observer = self._observer()
        if observer is not None:
            observer(
                Exchange(
                    method=request.method,
                    route=route.template if route else "",
                    path=request.path,
                    query=request.query_string.decode(errors="replace"),
                    request_body=request_body,
                    status=response.status_code,
                    headers=dict(response.headers.items()),
                    body=response.get_data(),
                )
            )
        return response(environ, start_response)

    def respond(self, request: Request) -> tuple[Route | None, Response]:
        request_id = uuid.uuid4().hex[:16].upper()
        adapter = self.map.bind_to_environ(request.environ)
        route: Route | None = None
        try:
            index, params = adapter.match()
            route = ROUTES[index]
        except HTTPException:  # NotFound and MethodNotAllowed alike: GitHub answers 404 to both
            params = {}
        token, credential_error = self._credentials(request)
        who = hashlib.sha256(token_key.encode()).hexdigest() if (token_key := _raw_token(request)) else None
        resource = route.resource if route and route.resource else "core"
        budget = self.limits.peek(who or f"ip:{request.remote_addr}", resource, token is not None)
        if route is None:
            response = json_response(not_found().body(), 404)
        elif credential_error is not None:
            response = json_response(credential_error.body(), credential_error.status)
        else:
            budget, response = self._handle(request, route, dict(params), token, who, request_id)
        headers = response.headers
        for key, value in budget.headers().items():
            headers.setdefault(key, value)
        headers["X-GitHub-Request-Id"] = request_id
        headers["x-github-api-version-selected"] = API_VERSION
        headers["X-GitHub-Media-Type"] = "github.v3; format=json"
        if token is not None and token.kind == "pat":
            headers["X-OAuth-Scopes"] = ", ".join(token.scopes)
        return route, response

    def _credentials(self, request: Request) -> tuple[Token | None, ApiError | None]:
        raw = _raw_token(request)
        if raw is None:
            return None, None
        with self.store.reading() as state:
            token = state.tokens.get(raw)
        if token is None:
            return None, ApiError(401, "Bad credentials")
        return token.model_copy(), None

    def _handle(
        self,
        request: Request,
        route: Route,
        params: dict[str, str],
        token: Token | None,
        who: str | None,
        request_id: str,
    ) -> tuple[Budget, Response]:
        who = who or f"ip:{request.remote_addr}"
        authenticated = token is not None
        resource = route.resource or "core"
        fault = self.faults.take(request.method, route.template, after=False)
        if fault is not None:
            budget = self.limits.peek(who, resource, authenticated)
            return _fault_answer(fault, budget, request_id)
        if route.resource:
            budget, within = self.limits.charge(who, route.resource, authenticated)
            if not within:
                message = f"API rate limit exceeded for {token.login if token else request.remote_addr}."
                return budget, json_response(ApiError(403, message, doc=_RATE_DOCS).body(), 403)
        else:
            budget = self.limits.peek(who, "core", authenticated)
        if (request.method, route.template) in CONTENT_CREATION and not self.limits.create_content(who):
            body = ApiError(403, _SECONDARY.format(request_id), doc=_RATE_DOCS).body()
            return budget, json_response(body, 403, {"Retry-After": "60"})
        base = request.host_url.rstrip("/")
        urls = Urls(api=base + request.script_root, web=base)
        ctx = Ctx(request, self.store, self.faults, urls, token, self.limits, who)
        try:
            response = route.handler(ctx, **params)
        except ApiError as error:
            response = json_response(error.body(), error.status, error.headers)
        except Exception:  # a bug here must look like GitHub's 500, and leave a trace for whoever debugs it
            _log.exception("%s %s failed", request.method, request.path)
            response = json_response({"message": "Server Error"}, 500)
        # "Failed after doing the work" only makes sense for work that was done: a 4xx keeps the fault armed.
        if response.status_code < 400:
            after = self.faults.take(request.method, route.template, after=True)
            if after is not None:
                return _fault_answer(after, budget, request_id)
        return budget, response


def _raw_token(request: Request) -> str | None:
    header = request.headers.get("Authorization")
    return token_from_header(header) if header else None


class _Dropped(Response):
    """Stands for no answer at all: the connection is closed instead (see ``_drop``)."""


def _drop(environ: WSGIEnvironment) -> NoReturn:
    """Close the client's connection without an answer. The dev server takes a ConnectionError from the
    app for a client gone away and writes nothing more."""
    connection = environ.get("werkzeug.socket")
    if isinstance(connection, socket.socket):
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
    raise ConnectionAbortedError("the local GitHub dropped the connection (fault injection)")


def _fault_answer(fault: Fault, budget: Budget, request_id: str) -> tuple[Budget, Response]:
    if fault.drops:
        return budget, _Dropped(status=502)  # never sent
    if fault.kind in ("server_error", "server_error_after"):
        return budget, json_response({"message": "Server Error"}, fault.status)
    if fault.kind == "too_many_requests":
        return budget, json_response(ApiError(429, "Too Many Requests", doc=_RATE_DOCS).body(), 429)
    if fault.kind == "primary_limit":
        drained = exhausted(budget.resource, budget.limit)
        message = "API rate limit exceeded for user ID 1."
        return drained, json_response(ApiError(fault.status, message, doc=_RATE_DOCS).body(), fault.status)
    body = ApiError(fault.status, _SECONDARY.format(request_id), doc=_RATE_DOCS).body()
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    return budget, json_response(body, fault.status, headers)
