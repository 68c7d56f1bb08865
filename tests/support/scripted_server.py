"""A loopback HTTP server that answers from a script: for registries misbehaving on purpose.

The real registry cannot be made to rate-limit, fail with 503 or answer garbage; this can. It records
every request, so tests can tell how often the client asked and how long it waited between asks.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""  # an iterable is streamed without Content-Length


@dataclass(frozen=True)
class Hit:
    method: str
    path: str
    headers: Mapping[str, str]
    seen: int  # how many requests came before this one
    at: float  # time.monotonic()


Script = Callable[[Hit], Reply]


class ScriptedServer:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.scripted = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True, name="scripted"
        )

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def reply_to(self, method: str, path: str, headers: Mapping[str, str]) -> Reply:
        with self._lock:
            hit = Hit(method, path, headers, len(self.hits), time.monotonic())
            self.hits.append(hit)
        return self.script(hit)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextlib.contextmanager
def scripted(script: Script) -> Iterator[ScriptedServer]:
    with ScriptedServer(script) as server:
        yield server


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._reply("GET")

    def do_HEAD(self) -> None:
        self._reply("HEAD")

    def _reply(self, method: str) -> None:
        headers = dict(self.headers.items())
        reply = self.server.scripted.reply_to(method, self.path, headers)  # type: ignore[attr-defined]
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if isinstance(reply.body, bytes):
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(reply.body)
            return
        self.end_headers()  # no length: HTTP/1.0 ends the body by closing the connection
        if method != "HEAD":
            with contextlib.suppress(OSError):  # the client may hang up once it has read enough
                for chunk in reply.body:
                    self.wfile.write(chunk)

    def log_message(self, format: str, *args: object) -> None:
        pass
