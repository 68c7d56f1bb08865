"""Git over smart HTTP at ``/{owner}/{repo}.git``: ``git http-backend`` run as CGI, pipes streamed.

Access as on GitHub: anyone may fetch a public repository; pushing needs a token (Basic auth with any
user name and the token as password, or ``Authorization: Bearer``/``token``) whose account may push to
that repository. The pre-receive hook (hooks.py) does GitHub's push-time refusals.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import IO, TYPE_CHECKING

from werkzeug import Request, Response

from bot import proc
from bot.sandbox.github import forks
from bot.sandbox.github.faults import Faults
from bot.sandbox.github.gitdata import git_env
from bot.sandbox.github.hooks import push_environment
from bot.sandbox.github.records import Token
from bot.sandbox.github.rest import token_from_header
from bot.sandbox.github.shapes import can_push, can_read
from bot.sandbox.github.store import Store

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

GIT_PATH = re.compile(
    r"/(?P<owner>[^/]+)/(?P<name>[^/]+)\.git/(?P<rest>info/refs|git-upload-pack|git-receive-pack)"
)
_CHUNK = 64 * 1024
_CGI_TIMEOUT = 120.0


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(message + "\n", status=status, headers=headers, content_type="text/plain; charset=utf-8")


def _challenge(message: str = "") -> Response:
    return _text(401, message, {"WWW-Authenticate": 'Basic realm="GitHub"'})


class GitHttp:
    def __init__(self, store: Store, faults: Faults, after_push: Callable[[str], None]) -> None:
        self.store = store
        self.faults = faults
        self.after_push = after_push

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        return self.respond(request)(environ, start_response)

    def respond(self, request: Request) -> Response:
        match = GIT_PATH.fullmatch(request.path)
        service = match["rest"] if match and match["rest"] != "info/refs" else request.args.get("service")
        if match is None or service not in ("git-upload-pack", "git-receive-pack"):
            return _text(404, "Not Found")  # no dumb HTTP protocol, as on GitHub
        full_name = f"{match['owner']}/{match['name']}"
        header = request.headers.get("Authorization")
        raw = token_from_header(header) if header else None
        with self.store.reading() as state:
            token = state.tokens.get(raw) if raw else None
            repo = state.repos.get(full_name)
            readable = repo is not None and can_read(state, repo, token.login if token else None)
            pushable = repo is not None and can_push(state, repo, token.login if token else None)
            ready = repo is not None and forks.is_ready(repo)
            moved_to = state.renamed.get(full_name) if repo is None else None
        if moved_to is not None:  # a renamed repository: git follows GitHub's redirect to the new name
            location = request.url.replace(f"/{full_name}.git/", f"/{moved_to}.git/", 1)
            return Response(status=301, headers={"Location": location})
        if raw is not None and token is None:
            return _challenge(
                "Invalid username or token. Password authentication is not supported for Git operations."
            )
        writing = service == "git-receive-pack"
        if not readable or (writing and token is None):
            # GitHub asks anonymous clients for credentials rather than telling whether a repo exists.
            return _challenge() if token is None else _text(404, "Repository not found.")
        if not ready:
            return _text(404, "Repository not found.")
        if writing and not pushable:
            assert token is not None
            return _text(403, f"Permission to {full_name}.git denied to {token.login}.")
        hook_env: dict[str, str] = {}
        if writing and token is not None:
            rejection = self.faults.take_push_rejection() if request.method == "POST" else None
            hook_env = push_environment(token, rejection)
        return self._run_backend(request, f"/{full_name}.git/{match['rest']}", token, hook_env, full_name)

    def _run_backend(
        self, request: Request, path_info: str, token: Token | None, hook_env: dict[str, str], full_name: str
    ) -> Response:
        environ = request.environ
        env = git_env(hook_env)
        env |= {
            "GIT_PROJECT_ROOT": str(self.store.repos_dir),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path_info,
            "REQUEST_METHOD": request.method,
            "QUERY_STRING": environ.get("QUERY_STRING", ""),
            "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""),
            "REMOTE_ADDR": request.remote_addr or "127.0.0.1",
            "GATEWAY_INTERFACE": "CGI/1.1",
        }
        if token is not None:
            env["REMOTE_USER"] = token.login  # http-backend enables receive-pack only for a known user
        if request.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = request.headers["Git-Protocol"]
        if request.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = request.headers["Content-Encoding"]
        if environ.get("CONTENT_LENGTH") and "chunked" not in request.headers.get("Transfer-Encoding", ""):
            env["CONTENT_LENGTH"] = environ["CONTENT_LENGTH"]
        process = proc.start_piped(("git", "http-backend"), env=env)
        assert process.stdin is not None
        assert process.stdout is not None
        assert process.stderr is not None
        feeder = threading.Thread(target=_feed, args=(request.stream, process.stdin), daemon=True)
        # Drained so a chatty backend never blocks on a full stderr pipe; what it says is not needed.
        drainer = threading.Thread(target=process.stderr.read, daemon=True)
        feeder.start()
        drainer.start()
        status, headers = _cgi_headers(process.stdout)
        pushed = request.method == "POST" and path_info.endswith("git-receive-pack")

        def body() -> Iterator[bytes]:
            try:
                while chunk := process.stdout.read1(_CHUNK):  # type: ignore[union-attr]
                    yield chunk
            finally:
                proc.end_piped(process, timeout=_CGI_TIMEOUT)
                feeder.join(timeout=1)
                drainer.join(timeout=1)
                if pushed:
                    self.after_push(full_name)

        return Response(body(), status=status, headers=headers, direct_passthrough=True)


def _feed(source: IO[bytes], sink: IO[bytes]) -> None:
    # OSError: the backend stopped reading (an error it reports on stdout).
    with contextlib.suppress(OSError):
        while chunk := source.read(_CHUNK):
            sink.write(chunk)
    with contextlib.suppress(OSError):
        sink.close()


def _cgi_headers(stdout: IO[bytes]) -> tuple[int, list[tuple[str, str]]]:
    status, headers = 200, []
    while True:
        line = stdout.readline()
        if not line or line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "status":
            status = int(value.strip().split()[0])
        else:
            headers.append((name.strip(), value.strip()))
    return status, headers
