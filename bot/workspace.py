"""A run's workspace: a temporary directory for its clones, locked for as long as the run lives.

A run that is killed (SIGKILL, the OOM killer, a lost machine) cannot delete its workspace, and every
crash would leave a directory of clones behind on a machine that runs the bot every night. So each
workspace holds an exclusive ``flock`` on a file inside it, which the kernel releases when the process
dies however it dies; a new run removes every workspace whose lock it can take. The lock file is locked
before it gets its name, so no run ever sees a live workspace unlocked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

PREFIX = "multiarch-run-"
LOCK = ".multiarch-run.lock"


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
        if candidate.is_symlink() or not candidate.is_dir() or candidate.lstat().st_uid != os.getuid():
            continue  # only our own directories, never through a link
        try:
            fd = os.open(candidate / LOCK, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue  # no lock: not a workspace of this kind, or not ours to judge
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # held: that run is alive
        finally:
            os.close(fd)  # closing releases the lock we may have taken
        if _empty_but_the_lock(candidate):
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


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
