"""Reading a checkout safely: the only place the scan touches the file system.

A repository is untrusted input. Nothing is read through a symlink that leaves the checkout, nothing
huge or binary is decoded, and walking stops at a bounded number of files.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from bot.errors import InputError

MAX_TEXT_BYTES = 1 << 20  # build files and Dockerfiles are small; 1 MiB is generous
MAX_FILES = 200_000
MAX_DEPTH = 40
SKIPPED_DIRS = frozenset({".git", "node_modules", ".hg", ".svn", "__pycache__"})


@dataclass
class RepoTree:
    """A checkout on disk, addressed by repo-relative POSIX paths."""

    root: Path
    truncated: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        if not self.root.is_dir():
            raise InputError(f"{self.root}: not a directory")

    def files(self) -> list[str]:
        """Every regular file and symlink under the root, sorted; symlinks are listed, not followed.

        A symlink to a directory is listed too (os.walk counts it as a directory it will not enter): a
        ``package.json`` pointing at ``../..`` is then reported when it is read, not silently skipped.
        """
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            rel_dir = Path(dirpath).relative_to(self.root)
            if len(rel_dir.parts) >= MAX_DEPTH:
                dirnames.clear()
            dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
            linked = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
            for name in [*filenames, *linked]:
                found.append((rel_dir / name).as_posix())
                if len(found) >= MAX_FILES:
                    self.truncated = True
                    return sorted(found)
        return sorted(found)

    def exists(self, rel: str) -> bool:
        try:
            self._inside(rel)
        except InputError:
            return False
        return True

    def read_text(self, rel: str) -> str:
        """The file's text, or InputError saying exactly why it cannot be used."""
        path = self._inside(rel)
        try:
            # O_NONBLOCK: a FIFO planted in a repo must not hang the scan; O_NOFOLLOW: path is resolved
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode):
                    raise InputError(f"{rel}: not a regular file")
                if info.st_size > MAX_TEXT_BYTES:
                    raise InputError(f"{rel}: too large to scan ({_size(info.st_size)}; the limit is 1 MiB)")
                data = handle.read(MAX_TEXT_BYTES + 1)
        except OSError as err:
            raise InputError(f"{rel}: cannot be read ({err.strerror})") from None
        if b"\x00" in data[:8192]:
            raise InputError(f"{rel}: binary file (contains NUL bytes), not scanned")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InputError(f"{rel}: not UTF-8 text (invalid byte at offset {err.start})") from None
        return text.removeprefix("\ufeff")

    def _inside(self, rel: str) -> Path:
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts:
            raise InputError(f"{rel}: path leaves the repository")
        candidate = self.root.joinpath(*pure.parts)
        if not os.path.lexists(candidate):
            raise InputError(f"{rel}: no such file")
        try:
            resolved = candidate.resolve()
        except (RuntimeError, OSError):  # a symlink loop: RuntimeError before Python 3.13, OSError after
            raise InputError(f"{rel}: symlink loop, not read") from None
        if not resolved.is_relative_to(self.root):
            raise InputError(f"{rel}: symlink to a path outside the repository, not read")
        return resolved


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n} bytes"
