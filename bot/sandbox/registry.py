"""Run Debian's distribution registry (``docker-registry``) on 127.0.0.1 for the demo and the tests.

A real registry rather than a fake: the bot's registry client must agree with the reference implementation
of the distribution API, including its token authentication, content negotiation and error bodies.

Its storage is in memory, not on disk. Registry 2.8's filesystem driver writes a file by truncating it in
place, then writing (upstream now writes a temporary file and renames it), so a request that reads a tag's
``current/link`` while a PUT rewrites it reads an empty digest: ``invalid checksum digest format``, a 500.
Pushers do write one tag concurrently: dockerd (containerd image store; ``docker buildx build --push``
ends with "pushing … with docker") HEADs and PUTs the same tag from parallel handlers, and about one push
in 50 failed, more under load; HEADs racing PUTs of one tag got a 500 one time in ten. The in-memory
driver reads and writes under one lock: the same race gives none. The price: what was pushed goes when
the process does (the sandbox's base images are rebuilt from BuildKit's cache, in seconds).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

from bot.errors import RegistryError

REGISTRY_BINARY = "docker-registry"
_HOST = "127.0.0.1"
# Combined log format, as written by the registry's access logger:
# 127.0.0.1 - - [28/Nov/2025:06:10:00 +0000] "HEAD /v2/library/node/manifests/lts HTTP/1.1" 200 0 "" "ua"
_ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) ')


@dataclass(frozen=True)
class TokenAuth:
    """``auth: token`` settings: the registry trusts JWTs signed by a key in ``rootcertbundle``."""

    realm: str  # URL of the token issuer
    service: str  # the JWT audience
    issuer: str  # the JWT iss claim
    rootcertbundle: Path  # PEM certificates whose public keys may sign tokens


@dataclass(frozen=True)
class AccessLogEntry:
    method: str
    path: str  # with query string
    status: int


class LocalRegistry:
    """A ``docker-registry serve`` process whose config, logs and pid live in one directory."""

    def __init__(self, state_dir: Path, port: int, pid: int) -> None:
        self.state_dir = state_dir
        self.port = port
        self.pid = pid

    def __repr__(self) -> str:
        return f"LocalRegistry({self.address}, pid={self.pid}, state_dir={str(self.state_dir)!r})"

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``: the registry part of an image reference."""
        return f"{_HOST}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    @property
    def access_log(self) -> Path:
        return self.state_dir / "access.log"

    @property
    def log(self) -> Path:
        return self.state_dir / "registry.log"

    @classmethod
    def start(
        cls,
        state_dir: Path,
        port: int = 0,
        *,
        token_auth: TokenAuth | None = None,
        log_level: str = "info",
        startup_timeout: float = 15.0,
    ) -> LocalRegistry:
        """Start a registry serving ``state_dir``, or reuse the one already serving it with this config.

        ``port=0`` picks a free port. Raises RegistryError when the registry does not come up.
        """
        state_dir = state_dir.resolve()
        state_dir.mkdir(parents=True, exist_ok=True)
        running = cls.running(state_dir)
        if running is not None:
            same_config = _config_text(running.port, token_auth, log_level) == _read(state_dir / "config.yml")
            if same_config and port in (0, running.port):
                return running
            raise RegistryError(
                f"a registry already serves {state_dir} on port {running.port} with another configuration;"
                f" stop it first (pid {running.pid})"
            )
        # A free port can be taken between our probe and the registry's bind: try a few times.
        attempts = 1 if port else 3
        for attempt in range(attempts):
            chosen = port or _free_port()
            try:
                return cls._spawn(state_dir, chosen, token_auth, log_level, startup_timeout)
            except RegistryError:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    @classmethod
    def _spawn(
        cls, state_dir: Path, port: int, token_auth: TokenAuth | None, log_level: str, timeout: float
    ) -> LocalRegistry:
        config = state_dir / "config.yml"
        config.write_text(_config_text(port, token_auth, log_level))
        with (state_dir / "access.log").open("ab") as out, (state_dir / "registry.log").open("ab") as err:
            try:
                # Its own session: a registry reused by a later run must not die with this one's terminal.
                process = subprocess.Popen(
                    [REGISTRY_BINARY, "serve", str(config)],
                    stdin=subprocess.DEVNULL,
                    stdout=out,  # the registry writes its access log to stdout
                    stderr=err,
                    start_new_session=True,
                )
            except FileNotFoundError:
                raise RegistryError(f"{REGISTRY_BINARY} is not installed: run scripts/setup") from None
        registry = cls(state_dir, port, process.pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RegistryError(
                    f"docker-registry exited with {process.returncode}: {_tail(registry.log)}"
                )
            # Still alive after answering: the answer was ours, not another server's on a raced port.
            if _answers(registry.url, timeout=0.5) and process.poll() is None:
                (state_dir / "registry.pid").write_text(str(process.pid))
                (state_dir / "registry.port").write_text(str(port))
                return registry
            time.sleep(0.05)
        process.kill()
        process.wait()
        raise RegistryError(f"docker-registry did not answer on {registry.address} within {timeout}s")

    @classmethod
    def running(cls, state_dir: Path) -> LocalRegistry | None:
        """The registry a previous start left running on ``state_dir``, if it is still alive and answering."""
        state_dir = state_dir.resolve()  # its command line names the config by absolute path
        try:
            pid = int(_read(state_dir / "registry.pid"))
            port = int(_read(state_dir / "registry.port"))
        except ValueError:
            return None
        registry = cls(state_dir, port, pid)
        if registry._is_ours_and_alive() and _answers(registry.url, timeout=1.0):
            return registry
        return None

    def _is_ours_and_alive(self) -> bool:
        # The pid file may be stale and the pid reused by another program: check its command line.
        try:
            argv = Path(f"/proc/{self.pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        return str(self.state_dir / "config.yml").encode() in argv and any(
            arg.endswith(REGISTRY_BINARY.encode()) for arg in argv
        )

    def stop(self, timeout: float = 5.0) -> None:
        """Stop this registry's own process (by pid, never by name), and with it what was pushed."""
        if self._is_ours_and_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self._is_ours_and_alive() and time.monotonic() < deadline:
                _reap(self.pid)
                time.sleep(0.05)
            if self._is_ours_and_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
            _reap(self.pid)
        for name in ("registry.pid", "registry.port"):
            (self.state_dir / name).unlink(missing_ok=True)

    def access_entries(self) -> list[AccessLogEntry]:
        """Every request the registry has answered so far, oldest first (for counting in tests and demos)."""
        entries = []
        for line in _read(self.access_log).splitlines():
            match = _ACCESS_LINE.search(line)
            if match:
                entries.append(AccessLogEntry(match["method"], match["path"], int(match["status"])))
        return entries


def _config_text(port: int, token_auth: TokenAuth | None, log_level: str) -> str:
    config: dict[str, object] = {
        "version": 0.1,
        "log": {"level": log_level, "formatter": "text", "accesslog": {"disabled": False}},
        "storage": {
            "inmemory": {},  # atomic writes: see the module docstring
            "delete": {"enabled": True},
            # Purging runs at start-up and walks the storage: pointless for a throw-away registry.
            "maintenance": {"uploadpurging": {"enabled": False}},
        },
        "http": {"addr": f"{_HOST}:{port}"},
    }
    if token_auth:
        config["auth"] = {
            "token": {
                "realm": token_auth.realm,
                "service": token_auth.service,
                "issuer": token_auth.issuer,
                "rootcertbundle": str(token_auth.rootcertbundle),
            }
        }
    return yaml.safe_dump(config, sort_keys=True)


def _answers(url: str, timeout: float) -> bool:
    """True when ``/v2/`` answers like a registry (200 open, 401 behind auth)."""
    try:
        response = requests.get(f"{url}/v2/", timeout=timeout)
    except requests.RequestException:
        return False
    return response.status_code in (200, 401) and "Docker-Distribution-Api-Version" in response.headers


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _reap(pid: int) -> None:
    # Our child becomes a zombie on exit until waited for; a registry started by an earlier run is not ours.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _tail(path: Path, lines: int = 5) -> str:
    return " | ".join(_read(path).strip().splitlines()[-lines:])
