"""A memory and process ceiling for untrusted RUN steps: the one limit buildx's docker driver honours.

``docker buildx build --memory`` does not exist, and BuildKit has no per-build memory option; but RUN
steps run in containers that BuildKit creates under ``--cgroup-parent`` when one is given. So the bot
makes one cgroup with ``memory`` and ``pids`` limits and names it in every build: every RUN step of
every build with the same limits counts against it together (QEMU-emulated steps included), and the
kernel OOM-kills a step that would pass it (BuildKit then reports ``exit code 137: Killed``).

That takes root, a writable cgroup file system and dockerd's ``cgroupfs`` driver (the ``systemd``
driver wants a slice and a systemd unit to own it). When any of that is missing the builds run without
a limit and ``build_cgroup`` says why; the time limit (``timeouts.build``) holds either way.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from bot import proc
from bot.build.run import scrubbed_env
from bot.config import Config
from bot.sandbox.engine import DOCKER_CLI

CGROUP_ROOT = Path("/sys/fs/cgroup")
_CHECK_TIMEOUT = 30.0
_SAID: set[str] = set()
_DRIVER: list[str] = []  # filled once dockerd has answered
_log = logging.getLogger(__name__)


def cgroup_name(memory_mb: int, pids: int) -> str:
    """One cgroup per pair of limits: runs with other limits never change this one's."""
    return f"multiarch-bot-builds-{memory_mb}m-{pids}p"


def build_cgroup(
    memory_mb: int, pids: int, *, root: Path = CGROUP_ROOT, name: str | None = None
) -> tuple[str | None, str]:
    """(``--cgroup-parent`` value, "") with the limits set, or (None, why the builds run without them)."""
    driver = _cgroup_driver()
    if driver != "cgroupfs":
        return None, f"dockerd's cgroup driver is {driver or 'unknown'}, not cgroupfs"
    name = name or cgroup_name(memory_mb, pids)
    limit = str(memory_mb << 20)
    try:
        if (root / "cgroup.controllers").exists():  # v2: one hierarchy, controllers enabled from the root
            enabled = (root / "cgroup.subtree_control").read_text().split()
            if not {"memory", "pids"} <= set(enabled):
                return None, "the cgroup v2 root does not delegate the memory and pids controllers"
            group = root / name
            group.mkdir(exist_ok=True)
            _write(group / "memory.max", limit)
            with contextlib.suppress(OSError):  # swap accounting may be off (no such file to write)
                _write(group / "memory.swap.max", "0")
            _write(group / "pids.max", str(pids))
        else:  # v1: the same path in each controller's hierarchy
            memory, tasks = root / "memory" / name, root / "pids" / name
            for group in (memory, tasks):
                group.mkdir(exist_ok=True)
            _write(memory / "memory.limit_in_bytes", limit)
            with contextlib.suppress(OSError):  # no swap accounting
                _write(memory / "memory.memsw.limit_in_bytes", limit)
            _write(tasks / "pids.max", str(pids))
    except OSError as exc:
        return None, f"cannot set up the cgroup {name}: {exc.strerror or exc}"
    return f"/{name}", ""


def remove_cgroup(parent: str, *, root: Path = CGROUP_ROOT) -> None:
    """Remove a cgroup ``build_cgroup`` made, and the empty ones BuildKit left inside it (tests' own)."""
    name = parent.strip("/")
    for hierarchy in (root, root / "memory", root / "pids"):
        group = hierarchy / name
        if group.is_dir():
            for inner in sorted(group.rglob("*"), key=lambda path: len(path.parts), reverse=True):
                if inner.is_dir():
                    with contextlib.suppress(OSError):
                        inner.rmdir()
            with contextlib.suppress(OSError):
                group.rmdir()


def build_limits(config: Config) -> str | None:
    """The ``--cgroup-parent`` for ``config.limits``, or None (off, or not possible here: logged once)."""
    limits = config.limits
    if limits.build_memory_mb is None:
        return None
    parent, why_not = build_cgroup(limits.build_memory_mb, limits.build_pids)
    if parent is None and why_not not in _SAID:
        _SAID.add(why_not)
        _log.warning("builds run without a memory limit: %s", why_not)
    return parent


def _cgroup_driver() -> str:
    """dockerd's cgroup driver, asked once per process (until it answers)."""
    if not _DRIVER:
        # the builds' scrubbed environment: no docker process of the bot's ever holds its token
        with scrubbed_env() as (env, _):
            try:
                argv = (str(DOCKER_CLI), "info", "--format", "{{.CgroupDriver}}")
                done = proc.run(argv, timeout=_CHECK_TIMEOUT, env=env, check=False)
            except proc.ProcError:
                return ""
        if done.returncode == 0 and done.out.strip():
            _DRIVER.append(done.out.strip())
    return _DRIVER[0] if _DRIVER else ""


def _write(path: Path, value: str) -> None:
    path.write_text(value)
