"""Typed wrappers around the few docker-py calls the smoke run and the binary check make.

docker-py is untyped; everything it returns is converted here, so ``smoke`` and ``inspect`` see only
typed values. Every container the bot creates goes through ``create_container``, which applies the one
sandbox policy for untrusted images:

* ``network_mode="none"``: no network at all (the daemon has no bridge, and a smoke run needs none);
* no mounts, no devices, not privileged, Docker's default capabilities minus the few nothing needs
  offline (see ``DROPPED_CAPABILITIES``). Not ``cap_drop=ALL``: entrypoints that start as root and switch
  user (gosu, su-exec, chown of a data directory) need SETUID/SETGID/CHOWN, and failing them would blame
  the image for our sandbox. Not ``no-new-privileges`` either, for the same reason (setuid ``su``);
* memory, swap, pids and CPU limits, and a capped log, so a runaway program cannot hurt the host;
* a writable root filesystem: many entrypoints write config into /etc or /run before starting;
* the label ``multiarch-bot=<role>``, so leftovers can be found (and only ours are ever removed); a
  run's containers also carry ``multiarch-bot.run=<run id>`` (``RUN_LABEL``), so a later run can remove
  them once that run is dead (``bot.build.leftovers``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import docker
import docker.errors
import requests

from bot.model import Platform

LABEL = "multiarch-bot"
RUN_LABEL = "multiarch-bot.run"
# runc's fallback when an image sets no PATH.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DROPPED_CAPABILITIES = ("NET_RAW", "MKNOD", "AUDIT_WRITE", "SETFCAP")
MEMORY_LIMIT = "1g"  # QEMU adds its own overhead to an emulated program's
PIDS_LIMIT = 512
CPUS = 2
_LOG_CONFIG = {"type": "json-file", "config": {"max-size": "1m", "max-file": "1"}}
_LINE_LIMIT = 300
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_GO_DIR = 1 << 31  # Go's os.FileMode bits, which the archive stat header carries
_GO_SYMLINK = 1 << 27

# What a docker-py call raises when the daemon or the connection fails (not the image's fault).
DockerFailure = (docker.errors.DockerException, requests.RequestException)


@dataclass(frozen=True)
class ImageConfig:
    """The parts of an image's config that say what runs and where it is found."""

    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    working_dir: str
    architecture: str  # what the image config says (the host's variant for a multi-platform tag)

    @property
    def command(self) -> tuple[str, ...]:
        """What ``docker run`` runs: ENTRYPOINT followed by CMD."""
        return self.entrypoint + self.cmd

    @property
    def path_dirs(self) -> tuple[str, ...]:
        value = dict(self.env).get("PATH", DEFAULT_PATH)
        return tuple(dict.fromkeys(d for d in value.split(":") if d.startswith("/")))


@dataclass(frozen=True)
class PathStat:
    """The archive endpoint's stat of one path in a container."""

    name: str
    size: int
    is_dir: bool
    is_symlink: bool
    link_target: str  # fully resolved inside the container, "" unless a symlink


def image_config(client: docker.DockerClient, image: str) -> ImageConfig:
    """Raises docker.errors.ImageNotFound when ``image`` is not in the daemon's store."""
    attrs = client.images.get(image).attrs
    config = attrs.get("Config") or {}
    env = []
    for item in config.get("Env") or []:
        name, _, value = str(item).partition("=")
        env.append((name, value))
    return ImageConfig(
        entrypoint=tuple(str(word) for word in config.get("Entrypoint") or ()),
        cmd=tuple(str(word) for word in config.get("Cmd") or ()),
        env=tuple(env),
        working_dir=str(config.get("WorkingDir") or "/"),
        architecture=str(attrs.get("Architecture") or ""),
    )


Dispose = Callable[[str], None]  # removes a container by id, now or later (``bot.build.janitor``)


class SandboxContainer:
    """A container the bot created: start it, wait for it, read from it, remove it."""

    def __init__(self, container: Any, dispose: Dispose | None = None) -> None:
        self._container = container
        self._dispose = dispose

    @property
    def id(self) -> str:
        return str(self._container.id)

    def start(self) -> None:
        self._container.start()

    def wait(self, timeout: float) -> int | None:
        """The exit code, or None when still running after ``timeout`` seconds."""
        try:
            answer = self._container.wait(timeout=max(timeout, 0.1))
        except requests.RequestException:
            # docker-py reports its read timeout as a ConnectionError; ask the daemon what is true.
            self._container.reload()
            if self._container.status in ("running", "created", "restarting"):
                return None
            return int(self._container.attrs["State"]["ExitCode"])
        return int(answer["StatusCode"])

    def oom_killed(self) -> bool:
        self._container.reload()
        return bool(self._container.attrs["State"].get("OOMKilled"))

    def output_tail(self, lines: int) -> tuple[str, ...]:
        """The last ``lines`` lines of stdout and stderr, control characters and runaway length removed."""
        raw = self._container.logs(stdout=True, stderr=True, tail=lines)
        text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
        tail = []
        for line in text.splitlines()[-lines:]:
            clean = _CONTROL.sub("", line).rstrip()
            tail.append(clean if len(clean) <= _LINE_LIMIT else clean[:_LINE_LIMIT] + "…")
        return tuple(tail)

    @contextlib.contextmanager
    def archive(self, path: str) -> Iterator[tuple[PathStat, Iterator[bytes]]]:
        """The stat of ``path`` and a tar stream of it; raises docker.errors.NotFound when missing.

        The stream is closed on exit, read to the end or not.
        """
        chunks, stat = self._container.get_archive(path, chunk_size=None)
        try:
            yield _path_stat(stat or {}), iter(chunks)
        finally:
            chunks.close()

    def remove(self) -> None:
        """Kill and remove, anonymous volumes too (a VOLUME line creates one per container); by the
        ``dispose`` it was created with when there is one."""
        if self._dispose is not None:
            self._dispose(self.id)
            return
        with contextlib.suppress(docker.errors.NotFound):
            self._container.remove(force=True, v=True)


def create_container(
    client: docker.DockerClient,
    image: str,
    platform: Platform,
    *,
    role: str,
    entrypoint: Sequence[str] | None = None,
    command: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    dispose: Dispose | None = None,
) -> SandboxContainer:
    """A created (not started) container of ``platform``'s variant of ``image``, sandboxed as above.

    ``entrypoint``/``command`` override the image's as ``docker run --entrypoint … IMAGE command…`` would;
    None keeps the image's. Raises docker.errors.ImageNotFound when the image has no such variant.
    """
    options: dict[str, Any] = {
        "platform": str(platform),
        "labels": {**(labels or {}), LABEL: role},
        "network_mode": "none",
        "cap_drop": list(DROPPED_CAPABILITIES),
        "mem_limit": MEMORY_LIMIT,
        "memswap_limit": MEMORY_LIMIT,  # the same as memory: no swap
        "pids_limit": PIDS_LIMIT,
        "nano_cpus": CPUS * 1_000_000_000,
        "log_config": _LOG_CONFIG,
        "stdin_open": False,
        "tty": False,
    }
    if entrypoint is not None:
        options["entrypoint"] = list(entrypoint)
    return SandboxContainer(
        client.containers.create(image, list(command) if command is not None else None, **options), dispose
    )


def containers_labelled(client: docker.DockerClient, label: str, value: str) -> tuple[str, ...]:
    """Ids of every container (running or not) with ``label=value``."""
    found = client.containers.list(all=True, filters={"label": f"{label}={value}"})
    return tuple(str(container.id) for container in found)


def is_shell(program: str) -> bool:
    return PurePosixPath(program).name in {"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh"}


def _path_stat(stat: Mapping[str, Any]) -> PathStat:
    mode = int(stat.get("mode") or 0)
    return PathStat(
        name=str(stat.get("name") or ""),
        size=int(stat.get("size") or 0),
        is_dir=bool(mode & _GO_DIR),
        is_symlink=bool(mode & _GO_SYMLINK),
        link_target=str(stat.get("linkTarget") or ""),
    )
