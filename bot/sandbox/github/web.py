"""The local GitHub's read-only web view: what a person opens from the links the REST API hands out.

    /                                  public repositories
    /{owner}                           an account's repositories (an account's ``html_url``)
    /{owner}/{repo}                    default branch, files at its head, forks, open pull requests
    /{owner}/{repo}/pulls              pull requests;  /issues  issues
    /{owner}/{repo}/pull/{n}           a pull request: body (Markdown), comments, commits, diff
    /{owner}/{repo}/issues/{n}         an issue
    /{owner}/{repo}/blob|tree/{ref}/{path}   a file or directory (the contents API's ``html_url``)

Nobody signs in, so the view shows what an anonymous visitor of GitHub sees: private repositories answer
404. Every page passes through ``proc.redact`` with the state's tokens (the admin token included), so a
token pasted into a PR body or committed to a file never shows. Nothing here changes anything but the
lazy update of an open PR's head (``pulls.refresh``), which the API does on every read too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from werkzeug import Request, Response
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect

from bot import proc
from bot.sandbox.github import gitdata, pulls, web_pulls
from bot.sandbox.github.records import Repo, State
from bot.sandbox.github.shapes import can_read
from bot.sandbox.github.store import Store
from bot.sandbox.github.web_html import CONTENT_SECURITY_POLICY, esc, link, page, state_badge, table

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

_log = logging.getLogger(__name__)
MAX_FILES = 1000
MAX_BLOB = 1 << 20


class Moved(Exception):
    """A renamed repository's old address: GitHub's web answers 301 to the same page under the new name."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class WebView:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.map = Map(
            [
                Rule("/", endpoint="index", methods=["GET"]),
                Rule("/<owner>", endpoint="account", methods=["GET"]),
                Rule("/<owner>/<name>", endpoint="repo", methods=["GET"]),
                Rule("/<owner>/<name>/pulls", endpoint="pulls", methods=["GET"]),
                Rule("/<owner>/<name>/issues", endpoint="issues", methods=["GET"]),
                Rule("/<owner>/<name>/pull/<int:number>", endpoint="pull", methods=["GET"]),
                Rule("/<owner>/<name>/issues/<int:number>", endpoint="issue", methods=["GET"]),
                Rule("/<owner>/<name>/blob/<path:rest>", endpoint="blob", methods=["GET"]),
                Rule("/<owner>/<name>/tree/<path:rest>", endpoint="blob", methods=["GET"]),
            ],
            strict_slashes=False,
            merge_slashes=False,
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        try:
            endpoint, params = self.map.bind_to_environ(request.environ).match()
            html = getattr(self, f"_{endpoint}")(request, **params)
            response = Response(html, content_type="text/html; charset=utf-8")
        except Moved as moved:
            response = redirect(moved.location, 301)
        except NotFound:
            response = Response(page("Not Found", "<h1>404</h1><p>This is not a page.</p>"), status=404)
            response.content_type = "text/html; charset=utf-8"
        except HTTPException as error:  # a write method: the view is read-only
            response = Response(f"{error.code} {error.name}\n", status=error.code or 500)
            response.content_type = "text/plain; charset=utf-8"
        except Exception:  # a bug here: a plain 500 for the browser, the trace in the server's log
            _log.exception("GET %s failed", request.path)
            response = Response("500 Internal Server Error\n", status=500, content_type="text/plain")
        with self.store.reading() as state:
            secrets = [state.admin_token, *state.tokens]
        response.set_data(proc.redact(response.get_data(as_text=True), secrets))
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    def _index(self, _: Request) -> str:
        with self.store.reading() as state:
            repos = [repo.model_copy() for repo in state.repos.values() if can_read(state, repo, None)]
        return page("Local GitHub", "<h1>Repositories</h1>" + _repo_table(repos))

    def _account(self, _: Request, owner: str) -> str:
        with self.store.reading() as state:
            account = state.accounts.get(owner)
            if account is None:
                raise NotFound()
            repos = [
                r.model_copy() for r in state.repos.values() if r.owner == owner and can_read(state, r, None)
            ]
        heading = f"<h1>{esc(owner)}</h1><p class='meta'>{esc(account.type)}</p>"
        return page(owner, heading + _repo_table(repos), [(f"/{owner}", owner)])

    def _repo(self, request: Request, owner: str, name: str) -> str:
        repo, forks = self._lookup(request, owner, name, _forks_of)
        git_dir = self.store.git_dir(repo.full_name)
        branch = repo.default_branch
        files = _files(git_dir, f"refs/heads/{branch}")
        clone = f"{request.host_url.rstrip('/')}/{repo.full_name}.git"
        parts = [f"<h1>{esc(repo.full_name)}</h1>"]
        if repo.parent:
            parts.append(f"<p class='meta'>forked from {link('/' + repo.parent, repo.parent)}</p>")
        if repo.description:
            parts.append(f"<p>{esc(repo.description)}</p>")
        if repo.archived:
            parts.append("<p class='meta'>This repository has been archived. It is now read-only.</p>")
        parts.append(f"<p>Default branch <code>{esc(branch)}</code> · clone <code>{esc(clone)}</code></p>")
        parts.append(f"<h2>Files on {esc(branch)}</h2>")
        if files is None:
            parts.append("<p class='meta'>This repository is empty.</p>")
        else:
            base = f"/{repo.full_name}/blob/{branch}/"
            listed = "".join(f"<li>{link(base + path, path)}</li>" for path in files[:MAX_FILES])
            more = f"<li class='meta'>… {len(files) - MAX_FILES} more</li>" if len(files) > MAX_FILES else ""
            parts.append(f"<ul>{listed}{more}</ul>")
        parts.append("<h2>Forks</h2>")
        fork_rows = [[link("/" + fork.full_name, fork.full_name)] for fork in forks]
        parts.append(table(["repository"], fork_rows, "No forks."))
        parts.append(f"<h2>Open pull requests</h2>{web_pulls.pull_table(repo, only_open=True)}")
        parts.append(f"<p>{link(f'/{repo.full_name}/pulls', 'All pull requests')} · ")
        parts.append(f"{link(f'/{repo.full_name}/issues', 'Issues')}</p>")
        return page(repo.full_name, "".join(parts), _crumbs(repo))

    def _pulls(self, request: Request, owner: str, name: str) -> str:
        repo, _ = self._lookup(request, owner, name)
        body = f"<h1>Pull requests</h1>{web_pulls.pull_table(repo, only_open=False)}"
        return page(f"Pull requests · {repo.full_name}", body, _crumbs(repo))

    def _issues(self, request: Request, owner: str, name: str) -> str:
        repo, _ = self._lookup(request, owner, name)
        rows = [
            [f"#{i.number}", link(f"/{repo.full_name}/issues/{i.number}", i.title), state_badge(i.state)]
            for i in sorted(repo.issues.values(), key=lambda i: i.number, reverse=True)
            if i.pull is None
        ]
        body = "<h1>Issues</h1>" + table(["#", "title", "state"], rows, "No issues.")
        return page(f"Issues · {repo.full_name}", body, _crumbs(repo))

    def _pull(self, request: Request, owner: str, name: str, number: int) -> str:
        return self._conversation(request, owner, name, number, pull=True)

    def _issue(self, request: Request, owner: str, name: str, number: int) -> str:
        return self._conversation(request, owner, name, number, pull=False)

    def _conversation(self, request: Request, owner: str, name: str, number: int, *, pull: bool) -> str:
        # changing(), not reading(): an open PR first follows pushes to its head, as a REST read does.
        with self.store.changing() as state:
            repo = find_repo(state, request.path, owner, name)
            issue = repo.issues.get(number)
            if issue is None:
                raise NotFound()
            if (issue.pull is not None) != pull:  # GitHub sends /issues/N of a PR to /pull/N and back
                raise Moved(f"/{repo.full_name}/{'pull' if issue.pull else 'issues'}/{number}")
            pulls.refresh(self.store, state, repo, issue)
            repo = repo.model_copy(deep=True)
        return web_pulls.issue_page(self.store.git_dir(repo.full_name), repo, repo.issues[number])

    def _blob(self, request: Request, owner: str, name: str, rest: str) -> str:
        repo, _ = self._lookup(request, owner, name)
        git_dir = self.store.git_dir(repo.full_name)
        ref, path = _split_ref(git_dir, rest)
        entry = gitdata.tree_entry(git_dir, ref, path) if path else None
        crumbs = [*_crumbs(repo), (f"/{repo.full_name}/tree/{ref}", ref)]
        title = f"{path or ref} · {repo.full_name}"
        if entry is None or entry.type == "tree":
            listing = gitdata.list_tree(git_dir, ref, path or ".")  # "" is no pathspec to git
            if path and not listing:
                raise NotFound()
            rows = [[link(f"/{repo.full_name}/{_kind(e.type)}/{ref}/{e.path}", e.name)] for e in listing]
            return page(title, f"<h1>{esc(path or ref)}</h1>" + table(["name"], rows, "Empty."), crumbs)
        if entry.type != "blob":
            raise NotFound()
        data = gitdata.read_blob(git_dir, entry.sha) if entry.size <= MAX_BLOB else b""
        try:
            text = data.decode() if data and b"\0" not in data else None
        except UnicodeDecodeError:
            text = None
        shown = f"<pre>{esc(text)}</pre>" if text is not None else f"<p class='meta'>{entry.size} bytes.</p>"
        return page(title, f"<h1>{esc(path)}</h1>{shown}", crumbs)

    def _lookup(
        self, request: Request, owner: str, name: str, extra: Related | None = None
    ) -> tuple[Repo, list[Repo]]:
        """A copy of a repository anyone may see, and ``extra`` taken under the same lock; else 404/301."""
        with self.store.reading() as state:
            repo = find_repo(state, request.path, owner, name)
            return repo.model_copy(deep=True), extra(state, repo) if extra else []


Related = Callable[[State, Repo], list[Repo]]


def find_repo(state: State, path: str, owner: str, name: str) -> Repo:
    """``owner/name`` if an anonymous visitor may see it; 404, or 301 from a renamed repository's old name."""
    full_name = f"{owner}/{name}"
    repo = state.repos.get(full_name)
    if repo is None and full_name in state.renamed:
        moved = state.repos.get(state.renamed[full_name])
        if moved is not None and can_read(state, moved, None):
            raise Moved(path.replace(f"/{full_name}", f"/{moved.full_name}", 1))
    if repo is None or not can_read(state, repo, None):
        raise NotFound()
    return repo


def _forks_of(state: State, repo: Repo) -> list[Repo]:
    forks = [r for r in state.repos.values() if r.parent == repo.full_name and can_read(state, r, None)]
    return [fork.model_copy() for fork in forks]


def _repo_table(repos: list[Repo]) -> str:
    rows = [
        [
            link(f"/{r.full_name}", r.full_name),
            esc(r.description or ""),
            link(f"/{r.parent}", f"fork of {r.parent}") if r.parent else "",
            str(sum(i.state == "open" and i.pull is not None for i in r.issues.values())),
        ]
        for r in sorted(repos, key=lambda r: r.full_name.lower())
    ]
    return table(["repository", "description", "", "open PRs"], rows, "No repositories yet.")


def _crumbs(repo: Repo) -> list[tuple[str, str]]:
    return [(f"/{repo.owner}", repo.owner), (f"/{repo.full_name}", repo.name)]


def _kind(git_type: str) -> str:
    return "tree" if git_type == "tree" else "blob"


def _files(git_dir: Path, ref: str) -> list[str] | None:
    """Every file at ``ref``, or None when there is no such branch yet (an empty repository)."""
    if gitdata.resolve(git_dir, ref) is None:
        return None
    return gitdata.git(git_dir, "ls-tree", "-r", "-z", "--name-only", ref).out.split("\0")[:-1]


def _split_ref(git_dir: Path, rest: str) -> tuple[str, str]:
    """``main/docs/a.md`` → (``main``, ``docs/a.md``); a branch name may hold slashes, so try each cut."""
    parts = rest.split("/")
    for cut in range(1, len(parts) + 1):
        ref = "/".join(parts[:cut])
        # A ref from the URL reaches git as an argument: nothing that git could read as an option or range.
        if ref.startswith("-") or ".." in ref:
            raise NotFound()
        if gitdata.resolve(git_dir, ref) is not None:
            return ref, "/".join(parts[cut:])
    raise NotFound()
