"""The one place the bot starts processes.

Everything external (docker, dpkg-deb, apt-get, git) goes through ``run``, ``spawn_daemon`` or, for a
program whose pipes the caller streams (a CGI program), ``start_piped``: argv sequences only, never a
shell, always a timeout, and errors whose text passes through ``redact`` so a token registered with
``register_secret`` never reaches a log, a report or an exception message.

Each child gets its own session (process group), so a timeout kills what the command started too: a
``docker buildx build`` that hangs takes its plugin process with it, not just the CLI.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.errors import BotError

_TAIL_LINES = 6
_LINE_LIMIT = 400  # one runaway line (a JSON blob on stderr) must not swamp the message
_MASK = "***"
_secrets: set[str] = set()
_secrets_lock = threading.Lock()
# Daemons we spawned, so they can be reaped (no zombies) and told apart from a reused pid.
_daemons: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes
    duration: float  # seconds, wall clock

    @property
    def out(self) -> str:
        """stdout as text (undecodable bytes replaced): most callers parse text."""
        return self.stdout.decode(errors="replace")


class ProcError(BotError):
    """A command failed or could not start. The message is already redacted."""

    def __init__(self, message: str, argv: Sequence[str], returncode: int | None, stderr: str = "") -> None:
        super().__init__(message)
        self.argv = tuple(redact(arg) for arg in argv)
        self.returncode = returncode
        self.stderr = stderr  # redacted tail


class ProcTimeout(ProcError):
    """A command ran past its timeout; its whole process group was killed."""


def register_secret(value: str) -> None:
    """Mask ``value`` in every later error message and redacted text. Empty values are ignored."""
    if value:
        with _secrets_lock:
            _secrets.add(value)


def holds_secret(text: str) -> bool:
    """Whether ``text`` contains a registered secret (e.g. an environment value a child must not inherit)."""
    with _secrets_lock:
        return any(secret in text for secret in _secrets)


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with every secret (the registered ones by default) replaced by ``***``."""
    if secrets is None:
        with _secrets_lock:
            secrets = tuple(_secrets)
    # Longest first: a secret that contains another must be masked whole, not leave a tail showing.
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, _MASK)
    return text


def command_name(argv: Sequence[str]) -> str:
    """``docker buildx build`` for ``/usr/bin/docker buildx build --push …``: the words a reader knows."""
    words = [Path(argv[0]).name] if argv else ["?"]
    for arg in argv[1:3]:
        if arg.startswith("-") or "/" in arg or "=" in arg:
            break
        words.append(arg)
    return redact(" ".join(words))


def run(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    input: bytes | None = None,  # the name subprocess uses
    check: bool = True,
) -> Completed:
    """Run ``argv`` to completion and capture its output.

    ``env`` replaces the environment when given (as in subprocess). Raises ProcError when the program is
    missing or, with ``check``, exits non-zero; ProcTimeout after ``timeout`` seconds.
    """
    args = _argv(argv)
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    except OSError as exc:
        raise ProcError(f"{command_name(args)}: cannot start: {exc.strerror}", args, None) from None
    try:
        stdout, stderr = process.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        try:
            stdout, stderr = process.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # a grandchild that left the group still holds the pipes
            for pipe in (process.stdin, process.stdout, process.stderr):
                if pipe is not None:
                    pipe.close()
            process.wait()
            stdout, stderr = b"", b""
        tail = _tail(stderr or stdout)
        message = f"{command_name(args)} timed out after {timeout:g}s and was killed"
        raise ProcTimeout(message + (f": {tail}" if tail else ""), args, None, tail) from None
    except BaseException:  # Ctrl-C included: leave nothing running behind us
        _kill_group(process)
        process.wait()
        raise
    completed = Completed(args, process.returncode, stdout, stderr, time.monotonic() - started)
    if check and completed.returncode != 0:
        tail = _tail(stderr or stdout)
        message = f"{command_name(args)} exited with {completed.returncode}"
        raise ProcError(message + (f": {tail}" if tail else ""), args, completed.returncode, tail)
    return completed


def spawn_daemon(argv: Sequence[str], log_path: Path, env: Mapping[str, str] | None = None) -> int:
    """Start a long-running service in its own session, output appended to ``log_path``; its pid.

    Its own session: the service must outlive neither more nor less than we decide, not our terminal's
    Ctrl-C. Stop it with ``stop_daemon``.
    """
    args = _argv(argv)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        try:
            process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                start_new_session=True,
            )
        except OSError as exc:
            raise ProcError(f"{command_name(args)}: cannot start: {exc.strerror}", args, None) from None
    _daemons[process.pid] = process
    return process.pid


def start_piped(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` with stdin, stdout and stderr as pipes, for callers that stream (a CGI program).

    The caller feeds and drains the pipes itself and must end the process with ``end_piped``.
    """
    args = _argv(argv)
    try:
        return subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    except OSError as exc:
        raise ProcError(f"{command_name(args)}: cannot start: {exc.strerror}", args, None) from None


def end_piped(process: subprocess.Popen[bytes], *, timeout: float = 5.0) -> int:
    """Wait up to ``timeout`` for a ``start_piped`` process, then kill its group; its exit status."""
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        return process.wait()


def is_running(pid: int) -> bool:
    """True while ``pid`` is a live process (a zombie of ours is reaped and counts as gone)."""
    process = _daemons.get(pid)
    if process is not None:
        return process.poll() is None
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def stop_daemon(pid: int, *, timeout: float = 20.0) -> None:
    """SIGTERM ``pid`` and wait; SIGKILL its whole process group if it outlives ``timeout``.

    Only the leader is asked first, so a service that manages children (dockerd and its containerd)
    can shut them down in order. The caller must know ``pid`` is the service it started.
    """
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if is_running(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        while is_running(pid) and time.monotonic() < deadline + 5:
            time.sleep(0.05)
    process = _daemons.pop(pid, None)
    if process is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=1)


def _argv(argv: Sequence[str]) -> tuple[str, ...]:
    # A str is a Sequence[str] too: "ls -l" would run the program named "l"… refuse it outright.
    if isinstance(argv, str | bytes):
        raise TypeError("argv must be a sequence of arguments, not a string")
    args = tuple(argv)
    if not args or not all(isinstance(arg, str) for arg in args):
        raise TypeError(f"argv must be a non-empty sequence of str, got {args!r}")
    return args


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    # start_new_session made the child a group leader: its pid is the group id.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _tail(output: bytes) -> str:
    lines = [line.strip() for line in output.decode(errors="replace").splitlines() if line.strip()]
    trimmed = [line if len(line) <= _LINE_LIMIT else line[:_LINE_LIMIT] + "…" for line in lines]
    return redact(" | ".join(trimmed[-_TAIL_LINES:]))
