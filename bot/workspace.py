"""A run's workspace: a temporary directory for its clones, locked for as long as the run lives.

A run that is killed (SIGKILL, the OOM killer, a lost machine) cannot delete its workspace, and every
crash would leave a directory of clones behind on a machine that runs the bot every night. So each
workspace holds an exclusive ``flock`` on a file inside it, which the kernel releases when the process
dies however it dies; a new run removes every workspace whose lock it can take. The lock file is locked
before it gets its name, so no run ever sees a live workspace unlocked.

The same lock says whether a run's leftovers in the Docker engine may go: a run's images and containers
carry its ``run_id``, and ``dead_runs`` tells which of those runs are over (see ``bot.build.leftovers``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

PREFIX = "multiarch-run-"
LOCK = ".multiarch-run.lock"
RUN_ID = re.compile(r"[0-9a-f]{10}-[0-9a-f]{10}")  # <where the workspaces are>-<which one>


@contextlib.contextmanager
def run_workspace(parent: Path | None = None) -> Iterator[Path]:
    """A new locked workspace below ``parent`` (the temporary directory), after removing dead runs' ones."""
    root = Path(parent or tempfile.gettempdir())
    remove_abandoned(root)
    with tempfile.TemporaryDirectory(prefix=PREFIX, dir=root) as directory:
        workspace = Path(directory)
        fd, pending = tempfile.mkstemp(prefix=".lock-", dir=workspace)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.replace(pending, workspace / LOCK)
            yield workspace
        finally:
            os.close(fd)


def remove_abandoned(root: Path) -> list[Path]:
    """Remove the workspaces below ``root`` whose run is gone (their lock is free); the removed ones."""
    removed = []
    for candidate in sorted(root.glob(PREFIX + "*")):
        if _lock_is_free(candidate) and _empty_but_the_lock(candidate):
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


def run_id(workspace: Path) -> str | None:
    """The name a run's images and containers carry, for ``dead_runs`` to judge; None for a directory
    that is not a run workspace (nothing could ever judge its run, so its leftovers are never reaped).

    Hashes, because image references allow few characters: one of the machine and the directory the
    workspace is in, one of the workspace's name. The first keeps runs judged only where they can be:
    several machines or containers may share one engine, each with its own ``/tmp``.
    """
    if not workspace.name.startswith(PREFIX) or not (workspace / LOCK).is_file():
        return None
    return f"{run_place(workspace.parent)}-{_digest(workspace.name)}"


def dead_runs(root: Path, run_ids: Iterable[str]) -> set[str]:
    """The runs among ``run_ids`` that are over: their workspace was below ``root`` on this machine and
    is gone, or is there with its lock free. Runs of other places, other users' workspaces, live runs and
    anything that is not a run id are not dead as far as this can tell."""
    place = run_place(root)
    wanted = {rid for rid in run_ids if RUN_ID.fullmatch(rid) and rid.startswith(f"{place}-")}
    if not wanted:
        return set()
    try:
        names = [name for name in os.listdir(root) if name.startswith(PREFIX)]
    except OSError:
        return set()  # a root we cannot list shows no workspace, and "gone" would be a guess
    here = {f"{place}-{_digest(name)}": root / name for name in names}
    return {rid for rid in wanted if rid not in here or _lock_is_free(here[rid])}


def _lock_is_free(candidate: Path) -> bool:
    """True for a workspace of this user whose run is gone: its lock could be taken (and is let go)."""
    try:
        if candidate.is_symlink() or not candidate.is_dir() or candidate.lstat().st_uid != os.getuid():
            return False  # only our own directories, never through a link
        fd = os.open(candidate / LOCK, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False  # no lock: not a workspace of this kind, or not ours to judge
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # held: that run is alive
    finally:
        os.close(fd)  # closing releases the lock we may have taken
    return True


def run_place(root: Path) -> str:
    """The first half of the ``run_id`` of every workspace below ``root`` on this machine."""
    return _digest(f"{socket.gethostname()}\0{root.resolve()}")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _empty_but_the_lock(workspace: Path) -> bool:
    """Empty the workspace, the lock last: a dead run's children (a clone, a build) may still be writing
    there, and what they leave is for the next run, which finds the lock again."""
    for child in workspace.iterdir():
        if child.name == LOCK:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
    return all(child.name == LOCK for child in workspace.iterdir())
