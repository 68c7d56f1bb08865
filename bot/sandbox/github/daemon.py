"""The local GitHub as a detached process, for ``multiarch-bot sandbox up``: pid and port files in the state
directory, reused while alive, stopped by pid (never by name).

    python -m bot.sandbox.github.daemon --state DIR [--port N] [--fork-delay SECONDS]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import requests

from bot import proc
from bot.sandbox.github.server import Endpoints, LocalGitHub
from bot.sandbox.github.store import STATE_FILE
from bot.sandbox.github.web import WebView

MODULE = "bot.sandbox.github.daemon"
PID_FILE = "github.pid"
PORT_FILE = "github.port"


@dataclass(frozen=True)
class GitHubDaemon(Endpoints):
    state_dir: Path
    port: int
    pid: int

    @property
    def admin_token(self) -> str:
        token: str = json.loads((self.state_dir / STATE_FILE).read_text())["admin_token"]
        proc.register_secret(token)
        return token

    def stop(self, timeout: float = 10.0) -> None:
        if _is_ours(self.pid, self.state_dir):
            proc.stop_daemon(self.pid, timeout=timeout)
        for name in (PID_FILE, PORT_FILE):
            (self.state_dir / name).unlink(missing_ok=True)


def running(state_dir: Path) -> GitHubDaemon | None:
    """The daemon serving ``state_dir``, if its pid is alive, is ours, and answers."""
    state_dir = state_dir.resolve()
    try:
        pid = int((state_dir / PID_FILE).read_text())
        port = int((state_dir / PORT_FILE).read_text())
    except (OSError, ValueError):
        return None
    daemon = GitHubDaemon(state_dir, port, pid)
    return daemon if _is_ours(pid, state_dir) and _answers(daemon.web_url) else None


def start_daemon(
    state_dir: Path, *, port: int = 0, fork_delay: float = 0.0, timeout: float = 15.0
) -> GitHubDaemon:
    """Start (or reuse) the daemon for ``state_dir``; its log goes to ``state_dir/github.log``."""
    state_dir = state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    existing = running(state_dir)
    if existing is not None:
        return existing
    (state_dir / PORT_FILE).unlink(missing_ok=True)
    argv = [sys.executable, "-m", MODULE, "--state", str(state_dir), "--port", str(port)]
    pid = proc.spawn_daemon([*argv, "--fork-delay", str(fork_delay)], state_dir / "github.log")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = running(state_dir)
        if found is not None and found.pid == pid:
            return found
        if not proc.is_running(pid):
            break
        time.sleep(0.05)
    proc.stop_daemon(pid, timeout=2)
    log = (state_dir / "github.log").read_text(errors="replace").strip().splitlines()[-5:]
    raise RuntimeError(f"the local GitHub did not come up within {timeout}s: {' | '.join(log)}")


def _is_ours(pid: int, state_dir: Path) -> bool:
    # A stale pid file may name a pid since reused by another program: check the command line too.
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return proc.is_running(pid) and MODULE.encode() in argv and str(state_dir).encode() in argv


def _answers(web_url: str) -> bool:
    try:
        return requests.get(f"{web_url}/_sandbox/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=MODULE, description="Serve the local GitHub from a state directory."
    )
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fork-delay", type=float, default=0.0)
    args = parser.parse_args(argv)
    state_dir: Path = args.state.resolve()
    github = LocalGitHub.create(state_dir, port=args.port, fork_delay=args.fork_delay)
    github.dispatcher.web_app = WebView(github.store)

    def shut_down(_signum: int, _frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever to return, so it must run off the serving thread.
        threading.Thread(target=github.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    (state_dir / PID_FILE).write_text(str(os.getpid()))
    (state_dir / PORT_FILE).write_text(str(github.port))
    print(f"local GitHub serving {state_dir} at {github.api_url}", flush=True)
    github.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
