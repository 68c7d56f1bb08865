"""``/_sandbox/…``: the admin endpoint, for what GitHub's API cannot do (set up accounts, seed repositories,
arm faults) when the server runs as a daemon. Every call but ``GET /_sandbox/health`` needs the admin token.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug import Request, Response
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from bot.sandbox.github import forks
from bot.sandbox.github.faults import Faults
from bot.sandbox.github.rest import token_from_header
from bot.sandbox.github.store import Store

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

_FAULTS = (
    "server_errors",
    "server_error_after_create",
    "drop_connections",
    "secondary_limit",
    "primary_limit",
    "too_many_requests",
    "reject_pushes",
    "slow_forks",
    "search_lag",
    "incomplete_search",
)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


class Admin:
    def __init__(self, store: Store, faults: Faults) -> None:
        self.store = store
        self.faults = faults
        self.map = Map(
            [
                Rule("/_sandbox/health", endpoint="health", methods=["GET"]),
                Rule("/_sandbox/users", endpoint="user", methods=["POST"]),
                Rule("/_sandbox/repos", endpoint="seed", methods=["POST"]),
                Rule("/_sandbox/repos/<owner>/<name>", endpoint="flags", methods=["PATCH"]),
                Rule("/_sandbox/repos/<owner>/<name>", endpoint="delete", methods=["DELETE"]),
                Rule("/_sandbox/faults", endpoint="arm", methods=["POST"]),
                Rule("/_sandbox/faults", endpoint="clear", methods=["DELETE"]),
            ]
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            endpoint, params = self.map.bind_to_environ(environ).match()
        except HTTPException:
            return _json({"message": "Not Found"}, 404)(environ, start_response)
        header = request.headers.get("Authorization", "")
        given = token_from_header(header) or ""
        if endpoint != "health" and not hmac.compare_digest(given, self.store.admin_token):
            return _json({"message": "Bad credentials"}, 401)(environ, start_response)
        try:
            fields = json.loads(request.get_data() or b"{}")
            response: Response = getattr(self, f"_{endpoint}")(fields, **params)
        except (ValueError, KeyError, TypeError, FileNotFoundError) as error:
            response = _json({"message": str(error)}, 422)
        return response(environ, start_response)

    def _health(self, _: Any) -> Response:
        return _json({"ok": True})

    def _user(self, fields: dict[str, Any]) -> Response:
        """``{"login", "type"?, "members"?, "token"?: {"kind", "scopes"}}``; answers the token asked for."""
        account = self.store.ensure_account(
            fields["login"], type=fields.get("type", "User"), members=tuple(fields.get("members", ()))
        )
        body: dict[str, Any] = {"login": account.login, "id": account.id}
        if isinstance(fields.get("token"), dict):
            wanted = fields["token"]
            scopes = tuple(wanted.get("scopes", ("repo", "workflow")))
            body["token"] = self.store.issue_token(
                account.login, kind=wanted.get("kind", "pat"), scopes=scopes
            )
        return _json(body, 201)

    def _seed(self, fields: dict[str, Any]) -> Response:
        repo = forks.import_directory(
            self.store,
            Path(fields["path"]),
            fields["owner"],
            fields["name"],
            description=fields.get("description"),
            private=bool(fields.get("private")),
            branch=fields.get("branch", "main"),
        )
        return _json({"full_name": repo.full_name, "default_branch": repo.default_branch}, 201)

    def _flags(self, fields: dict[str, Any], owner: str, name: str) -> Response:
        """Flags as ``set_flags`` takes them, plus ``name`` to rename (the old name then redirects)."""
        set_flags(self.store, f"{owner}/{name}", fields)
        if isinstance(fields.get("name"), str) and fields["name"] != name:
            name = forks.rename_repo(self.store, f"{owner}/{name}", fields["name"]).name
        return _json({"full_name": f"{owner}/{name}"})

    def _delete(self, _: Any, owner: str, name: str) -> Response:
        return Response(status=204 if forks.delete_repo(self.store, f"{owner}/{name}") else 404)

    def _arm(self, fields: dict[str, Any]) -> Response:
        kind = fields.pop("kind")
        if kind not in _FAULTS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(_FAULTS)}")
        getattr(self.faults, kind)(**fields)
        return _json({"armed": kind}, 201)

    def _clear(self, _: Any) -> Response:
        self.faults.clear()
        return Response(status=204)


def set_flags(store: Store, full_name: str, fields: dict[str, Any]) -> None:
    """Set ``archived``, ``disabled``, ``private`` or ``collaborators`` on a repository."""
    with store.changing() as state:
        repo = state.repos[full_name]
        for flag in ("archived", "disabled", "private"):
            if flag in fields:
                setattr(repo, flag, bool(fields[flag]))
        if "collaborators" in fields:
            repo.collaborators = [str(login) for login in fields["collaborators"]]
