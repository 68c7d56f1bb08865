"""Run each platform's image once, briefly, in the sandbox: does its program start on that platform?

A green multi-platform build proves nothing about running: an arm64 image whose entrypoint is an amd64
binary builds fine. ``smoke_run`` creates a container of ``platform``'s variant (``platform=`` on create,
so a multi-platform tag runs the right one), with no network (see ``container`` for the sandbox), and
waits a bounded time.

What runs (the policy, in order; the first attempt that decides wins):

* a configured ``command``: ``docker run IMAGE command…`` semantics (it replaces CMD, ENTRYPOINT stays).
  Exit 0 passes, non-zero fails, still running at ``timeout`` is TIMEOUT: it was meant to finish.
* otherwise, from the image's own config:
  - a shell image (no ENTRYPOINT, CMD is a shell, like busybox or debian): ``<shell> -c 'uname -m'``,
    and the machine it prints must be the platform's (an amd64 shell in an arm64 image says x86_64);
  - a program: ``--version``, then ``--help`` (after the CMD's program when the ENTRYPOINT is an init
    wrapper such as tini), then the image's own ENTRYPOINT + CMD as ``docker run`` would run it.
    A probe's non-zero exit (an unknown flag) moves on to the next attempt.
  - a shell-form command (``sh -c '…'``): only the image's own command; flags would not reach it.
  - nothing to run (no ENTRYPOINT, no CMD): UNVERIFIED, never a pass.
  A program still running at the end of its share of the time counts as PASSED with ``exit_code``
  None ("kept running"): servers (azurite …) never exit, and a binary the kernel cannot run fails in
  milliseconds. A hang under emulation looks the same; this run cannot tell them apart.

Failures that end the run at once, whatever attempt: the container cannot start the program (runc's
``exec format error``, ``no such file or directory`` for a file that exists — a missing ELF loader —,
a missing entrypoint, permission denied) and crashes by signal (SIGILL, SIGSEGV, …, OOM kill).

``timeout`` bounds the whole run: each probe gets a quarter of it, the image's own command what is left.
Every container is removed in ``finally``.
"""

from __future__ import annotations

import platform as host
import re
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import docker
import docker.errors

from bot.build.container import (
    Dispose,
    DockerFailure,
    ImageConfig,
    SandboxContainer,
    create_container,
    image_config,
    is_shell,
)
from bot.model import Outcome, Platform, SmokeRun

TAIL_LINES = 20
PROBE_SHARE = 0.25  # of the timeout, per probe
INIT_WRAPPERS = frozenset({"tini", "tini-static", "dumb-init", "catatonit", "docker-init"})
# What `uname -m` says on each platform; 32-bit ones are left out, their answer depends on the kernel.
MACHINES = {"amd64": "x86_64", "arm64": "aarch64"} | {name: name for name in ("ppc64le", "s390x", "riscv64")}
# runc reports an execve failure after the container started, as the container's only output.
_EXEC_FAILED = re.compile(r"^exec (?P<path>.+): (?P<why>exec format error|no such file or directory)$")
_START_FAILED = re.compile(r'exec: "(?P<path>[^"]*)": (?P<why>.*?)(?:: unknown)?$')


@dataclass(frozen=True)
class Attempt:
    argv: tuple[str, ...]  # recorded as what ran, entrypoint included
    entrypoint: tuple[str, ...] | None  # None: the image's own
    command: tuple[str, ...] | None  # None: the image's own
    share: float  # of the whole timeout; the last attempt gets what is left
    running_passes: bool  # still running at the end of its share counts as "kept running"
    machine_check: bool = False  # the output's last line must be the platform's `uname -m`


class _StartRefused(Exception):
    """The daemon would not start the container: runc could not exec the image's program."""


@dataclass(frozen=True)
class AttemptRun:
    attempt: Attempt
    exit_code: int | None  # None: still running when its time was up
    seconds: float
    tail: tuple[str, ...]
    oom_killed: bool = False


def smoke_run(
    client: docker.DockerClient,
    image: str,
    platform: Platform,
    *,
    command: Sequence[str] | None = None,
    timeout: float = 60,
    labels: Mapping[str, str] | None = None,
    dispose: Dispose | None = None,
) -> SmokeRun:
    """Run ``platform``'s variant of the local ``image`` by the policy above; never raises for the image.

    ``labels`` are added to the containers' (the ``multiarch-bot=smoke`` label is always there);
    ``dispose`` removes them (``bot.build.janitor``), else they are removed at once.
    """
    try:
        config = image_config(client, image)
    except docker.errors.ImageNotFound:
        return SmokeRun(platform, Outcome.UNVERIFIED, (), None, 0.0, error=f"{image} is not in the engine")
    except DockerFailure as exc:
        return SmokeRun(platform, Outcome.UNVERIFIED, (), None, 0.0, error=f"cannot inspect {image}: {exc}")
    if command is not None:
        attempts = [Attempt(config.entrypoint + tuple(command), None, tuple(command), 1.0, False)]
    else:
        attempts = default_attempts(config)
    if not attempts:
        error = "the image has neither ENTRYPOINT nor CMD: configure a smoke command"
        return SmokeRun(platform, Outcome.UNVERIFIED, (), None, 0.0, error=error)
    deadline = time.monotonic() + timeout
    tried: list[AttemptRun] = []
    for index, attempt in enumerate(attempts):
        last = index == len(attempts) - 1
        remaining = deadline - time.monotonic()
        budget = remaining if last else min(remaining, attempt.share * timeout)
        try:
            ran = _run_once(client, image, platform, attempt, budget, labels, dispose)
        except docker.errors.ImageNotFound:
            error = f"{image} has no {platform} variant (its config says {config.architecture or 'nothing'})"
            return SmokeRun(platform, Outcome.FAILED, attempt.argv, None, 0.0, error=error)
        except _StartRefused as refused:
            error = start_error(str(refused))
            return SmokeRun(platform, Outcome.FAILED, attempt.argv, None, 0.0, error=error)
        except DockerFailure as exc:
            return _unverified(platform, attempt, exc)
        tried.append(ran)
        outcome, error = judge(ran, platform)
        if outcome is not None:
            return _record(ran, platform, outcome, error)
        if last:
            return _record(ran, platform, Outcome.FAILED, _failed_attempts(tried))
    raise AssertionError("unreachable: the last attempt always decides")


def default_attempts(config: ImageConfig) -> list[Attempt]:
    """The attempts the policy above makes for an image with no configured smoke command."""
    own = Attempt(config.command, None, None, 1.0, True)
    if not config.command:
        return []
    program = config.command[0]
    if not config.entrypoint and is_shell(program) and len(config.cmd) == 1:
        check = (program, "-c", "uname -m")
        return [Attempt(check, check, (), PROBE_SHARE, False, machine_check=True), own]
    if is_shell(program) and "-c" in config.command[1:3]:
        return [own]
    if config.entrypoint and config.cmd and PurePosixPath(program).name in INIT_WRAPPERS:
        base = config.entrypoint + config.cmd[:1]  # tini -- node --version: the program tini starts
    elif config.entrypoint:
        base = config.entrypoint
    else:
        base = config.cmd[:1]
    probes = [
        Attempt((*base, flag), base[:1], (*base[1:], flag), PROBE_SHARE, True)
        for flag in ("--version", "--help")
    ]
    return [*probes, own]


def judge(ran: AttemptRun, platform: Platform) -> tuple[Outcome | None, str]:
    """The outcome one attempt decides, with its error text; (None, "") to go on to the next attempt."""
    if ran.exit_code is None:
        if ran.attempt.running_passes:
            return Outcome.PASSED, ""
        return Outcome.TIMEOUT, f"still running after {ran.seconds:.0f}s: stopped and removed"
    cannot_run = exec_error(ran.tail)
    if cannot_run:
        return Outcome.FAILED, cannot_run
    if ran.oom_killed:
        return Outcome.FAILED, "killed: out of memory (the smoke run's limit is 1 GiB)"
    if 128 < ran.exit_code <= 128 + 64:
        return Outcome.FAILED, crash_error(ran.exit_code - 128, platform)
    if ran.exit_code != 0:
        return None, ""
    if ran.attempt.machine_check:
        expected = MACHINES.get(platform.architecture)
        said = ran.tail[-1].strip() if ran.tail else ""
        if expected and said != expected:
            return Outcome.FAILED, f"uname -m says {said!r} in a {platform} container, not {expected!r}: " + (
                f"its {ran.attempt.argv[0]} is not a {platform.architecture} program"
            )
    return Outcome.PASSED, ""


def exec_error(tail: Sequence[str]) -> str:
    """What runc's "exec …: <error>" line means; "" when the output has none."""
    for line in tail[-2:]:
        match = _EXEC_FAILED.match(line.strip())
        if match is None:
            continue
        path = match["path"]
        if match["why"] == "exec format error":
            return (
                f"exec format error: the kernel cannot run {path}: a binary for another architecture "
                "with no emulator registered for it, or a script without a #! line"
            )
        return (
            f"no such file or directory running {path}, which exists: its ELF interpreter (dynamic "
            "loader) is missing — typically a binary for another architecture or libc (an amd64 or glibc "
            "program in an arm64 or musl image) — or a script's #! interpreter is missing"
        )
    return ""


def start_error(explanation: str) -> str:
    """The daemon's refusal to start the container, said as what it means for the image."""
    match = _START_FAILED.search(explanation)
    if match is None:
        return f"the container did not start: {explanation}"
    path, why = match["path"], match["why"]
    if "exec format error" in why:  # older runc reports the execve failure here, not in the output
        return exec_error([f"exec {path}: exec format error"])
    if "no such file or directory" in why:
        return f"the entrypoint {path} does not exist in the image"
    if "not found in $PATH" in why:
        return f"the entrypoint {path} is not on the image's PATH"
    if "permission denied" in why:
        return f"the entrypoint {path} is not executable (permission denied)"
    return f"the entrypoint {path} cannot start: {why}"


def crash_error(signum: int, platform: Platform) -> str:
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    text = f"crashed with {name}"
    if signum == signal.SIGILL:
        text += f": an instruction this CPU lacks (built for a newer {platform.architecture} than is run?)"
    if platform.architecture != _host_architecture():
        text += "; it ran under QEMU emulation, whose limits can cause this too: confirm on real hardware"
    return text


def kept_running(run: SmokeRun) -> bool:
    """True for a pass by a program still running when its time was up (a server), not by exit 0."""
    return run.outcome is Outcome.PASSED and run.exit_code is None


def _run_once(
    client: docker.DockerClient,
    image: str,
    platform: Platform,
    attempt: Attempt,
    budget: float,
    labels: Mapping[str, str] | None,
    dispose: Dispose | None,
) -> AttemptRun:
    container: SandboxContainer | None = None
    started = time.monotonic()
    try:
        overrides = {"entrypoint": attempt.entrypoint, "command": attempt.command}
        container = create_container(
            client, image, platform, role="smoke", labels=labels, dispose=dispose, **overrides
        )
        try:
            container.start()
        except docker.errors.APIError as exc:
            if exc.status_code is None or exc.status_code >= 500:
                raise  # the engine's trouble, not the image's
            raise _StartRefused(str(exc.explanation or exc)) from None
        started = time.monotonic()
        exit_code = container.wait(budget)
        seconds = time.monotonic() - started
        oom = exit_code == 128 + signal.SIGKILL and container.oom_killed()
        return AttemptRun(attempt, exit_code, seconds, container.output_tail(TAIL_LINES), oom)
    finally:
        if container is not None:
            container.remove()


def _record(ran: AttemptRun, platform: Platform, outcome: Outcome, error: str) -> SmokeRun:
    return SmokeRun(
        platform, outcome, ran.attempt.argv, ran.exit_code, round(ran.seconds, 2), ran.tail, error
    )


def _failed_attempts(tried: Sequence[AttemptRun]) -> str:
    last = tried[-1]
    text = f"exited with {last.exit_code}"
    if last.exit_code in (126, 127):
        text += " (a shell's 'not executable' / 'not found': a program or its loader may be missing)"
    if len(tried) > 1:
        probes = ", ".join(f"{' '.join(ran.attempt.argv)} → {ran.exit_code}" for ran in tried[:-1])
        text += f"; before it: {probes}"
    return text


def _unverified(platform: Platform, attempt: Attempt, exc: BaseException) -> SmokeRun:
    return SmokeRun(platform, Outcome.UNVERIFIED, attempt.argv, None, 0.0, error=f"the engine failed: {exc}")


def _host_architecture() -> str:
    return Platform.of("linux", host.machine()).architecture
