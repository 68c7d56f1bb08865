"""A git smart-HTTP server for tests: ``git http-backend`` behind a token check, on 127.0.0.1.

Reads are anonymous (like a public repository); pushes need ``Authorization: Basic`` with the token as
the password, as GitHub's git server does. Every request's path and Authorization header are recorded
so tests can see what git sent, and where.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bot import proc


@dataclass
class GitServer:
    root: Path  # holds bare repositories: <root>/<owner>/<name>.git
    token: str
    port: int = 0
    seen: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, Authorization

    def url(self, repo: str) -> str:
        return f"http://127.0.0.1:{self.port}/{repo}.git"


def _handler(server: GitServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def _serve(self) -> None:
            authorization = self.headers.get("Authorization")
            server.seen.append((self.command, self.path, authorization))
            path, _, query = self.path.partition("?")
            writes = "git-receive-pack" in path or "service=git-receive-pack" in query
            user = self._user(authorization)
            if writes and user is None:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="GitHub"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = self._body()
            env = {
                "PATH": "/usr/bin:/bin",
                "GIT_PROJECT_ROOT": str(server.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REQUEST_METHOD": self.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "REMOTE_ADDR": "127.0.0.1",
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                "HTTP_GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            }
            if user:
                env["REMOTE_USER"] = user
            result = proc.run(["git", "http-backend"], timeout=60, env=env, input=body, check=False)
            head, _, payload = result.stdout.partition(b"\r\n\r\n")
            status = 200
            headers = []
            for line in head.decode(errors="replace").split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _user(self, authorization: str | None) -> str | None:
            scheme, _, encoded = (authorization or "").partition(" ")
            if scheme.lower() != "basic":
                return None
            user, _, password = base64.b64decode(encoded).decode(errors="replace").partition(":")
            return user if password == server.token else None

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    return Handler


def serve(server: GitServer) -> Iterator[GitServer]:
    """Run ``server`` until the generator is closed (use it as a fixture body)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
