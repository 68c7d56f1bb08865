"""The local GitHub on one port of 127.0.0.1, laid out like GitHub Enterprise Server:

    /api/v3/…                 REST API (``Github(base_url=…/api/v3)``)
    /{owner}/{repo}.git/…     git over smart HTTP (the ``clone_url``)
    /_sandbox/…               admin endpoint (accounts, seeding, faults)
    everything else           the web view: ``LocalGitHub.web_app``, a WSGI app (404 until one is set)

``LocalGitHub.start`` runs it in a background thread for tests; daemon.py runs it as a process.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug import Response
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from bot.sandbox.github import forks
from bot.sandbox.github.admin import Admin, set_flags
from bot.sandbox.github.exchange import Observer
from bot.sandbox.github.faults import Faults
from bot.sandbox.github.githttp import GitHttp
from bot.sandbox.github.ratelimit import RateLimits
from bot.sandbox.github.records import AccountType, Repo, TokenKind
from bot.sandbox.github.rest import RestApi
from bot.sandbox.github.store import Store, now_iso

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

API_PREFIX = "/api/v3"
# /{owner}/{repo}.git and anything under it; a web path that merely contains ".git/" deeper is the web's.
_GIT_REPO_PATH = re.compile(r"/[^/]+/[^/]+\.git(?:/|$)")
HOST = "127.0.0.1"


class Dispatcher:
    """Sends each request to the API, git, admin or web app by its path."""

    def __init__(self, store: Store, faults: Faults) -> None:
        self.observer: Observer | None = None
        self.api = RestApi(store, faults, RateLimits(), lambda: self.observer)
        self.git = GitHttp(store, faults, lambda full_name: _mark_pushed(store, full_name))
        self.admin = Admin(store, faults)
        self.web_app: WSGIApplication | None = None  # the HTML view plugs in here

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + API_PREFIX
            environ["PATH_INFO"] = path[len(API_PREFIX) :]
            return self.api(environ, start_response)
        if path.startswith("/_sandbox/"):
            return self.admin(environ, start_response)
        if _GIT_REPO_PATH.match(path):
            return self.git(environ, start_response)
        if self.web_app is not None:
            return self.web_app(environ, start_response)
        return Response("Not Found\n", status=404, content_type="text/plain")(environ, start_response)


def _mark_pushed(store: Store, full_name: str) -> None:
    with store.changing() as state:
        repo = state.repos.get(full_name)
        if repo is not None:
            repo.pushed_at = repo.updated_at = now_iso()


class _QuietHandler(WSGIRequestHandler):
    # The dev server logs every request to stderr; tests and the daemon's log do not need that noise.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error":
            logging.getLogger("bot.sandbox.github").error(message, *args)


class Endpoints:
    """Where a local GitHub on ``port`` answers: one origin for the web view, git and (under a prefix)
    the API, as GitHub Enterprise Server lays them out."""

    port: int

    @property
    def web_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def git_url(self) -> str:
        """Where ``{owner}/{repo}.git`` is cloned from: the same origin as the web view, as on GitHub."""
        return self.web_url

    @property
    def api_url(self) -> str:
        return self.web_url + API_PREFIX


class LocalGitHub(Endpoints):
    """A running local GitHub. Create with ``start``; the rest sets it up and inspects it."""

    def __init__(self, store: Store, faults: Faults, dispatcher: Dispatcher, server: BaseWSGIServer) -> None:
        self.store = store
        self.faults = faults
        self.dispatcher = dispatcher
        self._server = server
        self.port = int(server.server_port)
        self._thread: threading.Thread | None = None

    @classmethod
    def create(
        cls, state_dir: Path, *, port: int = 0, observer: Observer | None = None, fork_delay: float = 0.0
    ) -> LocalGitHub:
        """Bind the port and load the state, without serving yet (``serve_forever`` or ``start`` serve)."""
        store = Store(state_dir)
        faults = Faults(store.last_id, fork_delay=fork_delay)
        dispatcher = Dispatcher(store, faults)
        dispatcher.observer = observer
        server = make_server(HOST, port, dispatcher, threaded=True, request_handler=_QuietHandler)
        return cls(store, faults, dispatcher, server)

    @classmethod
    def start(
        cls, state_dir: Path, *, port: int = 0, observer: Observer | None = None, fork_delay: float = 0.0
    ) -> LocalGitHub:
        """Serve ``state_dir`` from a background thread; ``port=0`` picks a free port."""
        github = cls.create(state_dir, port=port, observer=observer, fork_delay=fork_delay)
        github._thread = threading.Thread(target=github.serve_forever, name="local-github", daemon=True)
        github._thread.start()
        return github

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.1)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LocalGitHub:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def admin_token(self) -> str:
        return self.store.admin_token

    @property
    def observer(self) -> Observer | None:
        return self.dispatcher.observer

    @observer.setter
    def observer(self, value: Observer | None) -> None:
        self.dispatcher.observer = value

    def clone_url(self, full_name: str) -> str:
        return f"{self.git_url}/{full_name}.git"

    # Setting up: accounts, tokens and repositories that GitHub's own API cannot create.

    def add_user(
        self,
        login: str,
        *,
        type: AccountType = "User",
        members: tuple[str, ...] = (),
        kind: TokenKind = "pat",
        scopes: tuple[str, ...] = ("repo", "workflow"),
    ) -> str:
        """Create ``login`` (if new) and return a new token for it."""
        self.store.ensure_account(login, type=type, members=members)
        return self.store.issue_token(login, kind=kind, scopes=scopes)

    def add_organization(self, login: str, members: tuple[str, ...]) -> None:
        self.store.ensure_account(login, type="Organization", members=members)

    def import_directory(self, directory: Path, owner: str, name: str, **options: Any) -> Repo:
        return forks.import_directory(self.store, directory, owner, name, **options)

    def set_flags(self, full_name: str, **flags: Any) -> None:
        set_flags(self.store, full_name, flags)

    def rename_repo(self, full_name: str, new_name: str) -> Repo:
        return forks.rename_repo(self.store, full_name, new_name)

    def delete_repo(self, full_name: str) -> bool:
        return forks.delete_repo(self.store, full_name)

    def repo(self, full_name: str) -> Repo | None:
        with self.store.reading() as state:
            found = state.repos.get(full_name)
            return found.model_copy(deep=True) if found else None

    def git_dir(self, full_name: str) -> Path:
        return self.store.git_dir(full_name)
