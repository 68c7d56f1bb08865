"""Bring up the Docker engine the sandbox builds with: dockerd, BuildKit's default builder, QEMU for arm64.

``ensure_engine`` is idempotent: it reuses a daemon that already answers on the default socket (and never
stops one it did not start), otherwise starts ``dockerd`` itself with its pid and log in ``state_dir``.
Everything it needs is installed by ``scripts/setup``; a missing piece is an ``EngineError`` that says which
and how to get it, never a skip.

The daemon runs without a bridge network (``"bridge": "none"``, no iptables): no private-range address is
ever created on the machine. RUN steps therefore use ``--network none`` or ``host`` (see ``base_images``).
The containerd image store is what lets the default (``docker``) builder build several platforms at once.

The daemon is checked through the Engine API (docker-py); buildx has no API, so it goes through the CLI.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import requests

from bot import proc
from bot.errors import BotError
from bot.model import ARM64, Platform
from bot.sandbox.locks import file_lock

# Debian's docker-cli, by absolute path: PATH may find another client first (this machine has a bare
# /usr/local/bin/docker without the buildx plugin); Debian's finds its plugin in /usr/libexec/docker.
DOCKER_CLI = Path("/usr/bin/docker")
DOCKERD = Path("/usr/sbin/dockerd")
DOCKER_HOST = "unix:///var/run/docker.sock"
DAEMON_JSON = Path("/etc/docker/daemon.json")
DAEMON_SETTINGS: dict[str, object] = {"bridge": "none", "iptables": False, "ip-masq": False}
DAEMON_FEATURES = {"containerd-snapshotter": True}
BINFMT_MISC = Path("/proc/sys/fs/binfmt_misc")
QEMU_AARCH64_BINFMT = Path("/usr/lib/binfmt.d/qemu-aarch64.conf")  # shipped by qemu-user-static
# Machine-wide: there is one default socket, so two callers must not both decide to start a daemon.
_LOCK = Path("/run/lock/multiarch-bot-engine.lock")
_CLI_TIMEOUT = 60.0
_SETUP = "run scripts/setup (as root)"


class EngineError(BotError):
    """The Docker engine cannot be brought up or lacks something multi-arch builds need."""


@dataclass(frozen=True)
class EngineInfo:
    docker_cli: Path
    buildx_version: str
    platforms: tuple[Platform, ...]  # what the default builder can build, emulated ones included
    started_by_us: bool  # a daemon whose pid file is in state_dir (this run or an earlier one)
    pid: int | None  # the daemon's pid when started_by_us


def docker_env() -> dict[str, str]:
    """The environment for the docker CLI: the daemon we checked and its default builder.

    Whatever the caller's DOCKER_HOST, DOCKER_CONTEXT or BUILDX_BUILDER say.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_CONTEXT", "BUILDX_BUILDER")}
    env["DOCKER_HOST"] = DOCKER_HOST
    return env


def ensure_engine(state_dir: Path, *, startup_timeout: float = 60.0) -> EngineInfo:
    """A running dockerd whose default builder lists linux/arm64; started (as root) if none answers."""
    state_dir = state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    for program, package in ((DOCKER_CLI, "docker-cli"), (DOCKERD, "docker.io")):
        if not program.exists():
            raise EngineError(f"{program} is missing (Debian package {package} from trixie): {_SETUP}")
    buildx_version = _buildx_version()
    ensure_qemu_aarch64()
    with _machine_lock():
        write_daemon_config()
        pid = _our_daemon(state_dir)
        if not _answers() or pid is not None:
            if pid is None:
                pid = _start_dockerd(state_dir)
            _wait_until_answers(pid, state_dir, startup_timeout)
    _require_containerd_store(pid)
    platforms = builder_platforms()
    if ARM64 not in platforms:
        raise EngineError(
            f"the default buildx builder cannot build linux/arm64 (it lists {_names(platforms)}): "
            "although qemu-aarch64 is registered with binfmt_misc; a daemon that was started before it may "
            "need a restart"
        )
    return EngineInfo(DOCKER_CLI, buildx_version, platforms, pid is not None, pid)


def stop_engine(state_dir: Path, *, timeout: float = 30.0) -> bool:
    """Stop the dockerd that ``ensure_engine`` started with this ``state_dir``; False if there is none."""
    state_dir = state_dir.resolve()
    with _machine_lock():
        pid = _our_daemon(state_dir)
        if pid is not None:
            proc.stop_daemon(pid, timeout=timeout)
        (state_dir / "dockerd.pid").unlink(missing_ok=True)
    return pid is not None


def ensure_qemu_aarch64() -> None:
    """Make the kernel run aarch64 binaries through QEMU (binfmt_misc, fix-binary flag from Debian)."""
    if not (BINFMT_MISC / "register").exists():
        try:
            proc.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT_MISC)], timeout=10)
        except proc.ProcError as exc:
            raise EngineError(f"cannot mount binfmt_misc (root is needed): {exc}") from None
    entry = BINFMT_MISC / "qemu-aarch64"
    try:
        if entry.exists():
            if entry.read_text().startswith("enabled"):
                return
            entry.write_text("1")  # registered but switched off
            return
        if not QEMU_AARCH64_BINFMT.exists():
            raise EngineError(f"QEMU's aarch64 emulator is missing (qemu-user-static): {_SETUP}")
        # Without binfmt-support or systemd nothing registers Debian's entry: do what systemd-binfmt does.
        lines = QEMU_AARCH64_BINFMT.read_text().splitlines()
        rule = next(line for line in lines if line.strip() and line[0] not in "#;")
        (BINFMT_MISC / "register").write_text(rule)
    except OSError as exc:
        raise EngineError(f"cannot register qemu-aarch64 with binfmt_misc (root is needed): {exc}") from None


def write_daemon_config(path: Path = DAEMON_JSON) -> bool:
    """Merge the settings the sandbox needs into daemon.json, keeping any others; True if it changed."""
    try:
        current = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError) as exc:
        raise EngineError(f"{path} is unreadable or not JSON ({exc}): fix or remove it") from None
    if not isinstance(current, dict):
        raise EngineError(f"{path} is not a JSON object: fix or remove it")
    features: dict[str, object] = current.get("features") or {}
    if not isinstance(features, dict):
        raise EngineError(f'{path}: "features" is not a JSON object: fix or remove it')
    wanted = current | DAEMON_SETTINGS | {"features": features | DAEMON_FEATURES}
    if wanted == current:
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(wanted, indent=2, sort_keys=True) + "\n")
        partial.replace(path)  # a daemon starting meanwhile reads the old file or the new, never half
    except OSError as exc:
        raise EngineError(f"cannot write {path} (root is needed): {exc}") from None
    return True


def builder_platforms() -> tuple[Platform, ...]:
    """The platforms ``docker buildx inspect default`` lists, in its order."""
    out = _cli("buildx", "inspect", "default").out
    for line in out.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Platforms":
            platforms = []
            for name in value.split(","):
                # An unknown one (a future linux/amd64/v5) is skipped rather than failing the engine.
                with contextlib.suppress(ValueError):
                    platforms.append(Platform.parse(name.strip()))
            return tuple(platforms)
    raise EngineError(f"docker buildx inspect default listed no platforms: {out.strip()[:300]}")


def _buildx_version() -> str:
    try:
        out = _cli("buildx", "version").out.split()
    except proc.ProcError as exc:
        raise EngineError(
            f"buildx plugin missing (Debian package docker-buildx from trixie): {_SETUP}"
        ) from exc
    return out[1] if len(out) > 1 else "unknown"  # github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3


def _cli(*args: str) -> proc.Completed:
    return proc.run([str(DOCKER_CLI), *args], timeout=_CLI_TIMEOUT, env=docker_env())


def _start_dockerd(state_dir: Path) -> int:
    # dockerd looks up containerd, runc and docker-init on PATH: Debian's, not whatever comes first.
    env = dict(os.environ, PATH="/usr/sbin:/usr/bin:/sbin:/bin")
    try:
        pid = proc.spawn_daemon([str(DOCKERD), f"--host={DOCKER_HOST}"], state_dir / "dockerd.log", env)
    except proc.ProcError as exc:
        raise EngineError(f"cannot start dockerd: {exc}") from None
    (state_dir / "dockerd.pid").write_text(f"{pid}\n")
    return pid


def _our_daemon(state_dir: Path) -> int | None:
    """The pid in state_dir's pid file if that process is still a dockerd; a stale file is removed."""
    pid_file = state_dir / "dockerd.pid"
    try:
        pid = int(pid_file.read_text())
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except (OSError, ValueError):
        pid_file.unlink(missing_ok=True)
        return None
    # The pid may have been reused by another program since: only a live dockerd counts as ours.
    if os.path.basename(argv0) == b"dockerd" and proc.is_running(pid):
        return pid
    pid_file.unlink(missing_ok=True)
    return None


def _answers() -> bool:
    if not Path(DOCKER_HOST.removeprefix("unix://")).exists():
        return False
    try:
        client = docker.DockerClient(base_url=DOCKER_HOST, timeout=5)
    except docker.errors.DockerException:
        return False
    try:
        return bool(client.ping())
    except (docker.errors.DockerException, requests.RequestException):
        return False
    finally:
        client.close()


def _wait_until_answers(pid: int, state_dir: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _answers():
            return
        if not proc.is_running(pid):
            (state_dir / "dockerd.pid").unlink(missing_ok=True)
            raise EngineError(f"dockerd exited while starting: {_log_tail(state_dir / 'dockerd.log')}")
        time.sleep(0.2)
    raise EngineError(
        f"dockerd (pid {pid}) did not answer on {DOCKER_HOST} within {timeout:g}s; "
        f"its log is {state_dir / 'dockerd.log'}: {_log_tail(state_dir / 'dockerd.log')}"
    )


def _require_containerd_store(pid: int | None) -> None:
    client = docker.DockerClient(base_url=DOCKER_HOST, timeout=10)
    try:
        info = client.info()
    except (docker.errors.DockerException, requests.RequestException) as exc:
        raise EngineError(f"the Docker daemon answered a ping but not /info: {exc}") from None
    finally:
        client.close()
    status = dict(tuple(pair) for pair in info.get("DriverStatus") or [] if len(pair) == 2)
    if status.get("driver-type") != "io.containerd.snapshotter.v1":
        whose = "ours" if pid is not None else "not started by multiarch-bot"
        raise EngineError(
            f"the running Docker daemon ({whose}) does not use the containerd image store, which "
            f"multi-platform builds need: restart it so it reads {DAEMON_JSON} as now written"
        )


@contextlib.contextmanager
def _machine_lock() -> Iterator[None]:
    lock_path = _LOCK if _LOCK.parent.is_dir() else Path("/tmp") / _LOCK.name  # noqa: S108
    with file_lock(lock_path):
        yield


def _names(platforms: tuple[Platform, ...]) -> str:
    return ", ".join(map(str, platforms)) or "nothing"


def _log_tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return proc.redact(" | ".join(text.strip().splitlines()[-lines:]))
