"""What every patcher is: a pure function from a file's text to new text, nothing to do, or a refusal.

A patcher is a module with a ``patch`` function (the ``Patcher`` protocol), listed in ``all.py``. It never
reads or writes files and never runs the repository's tools: the pipeline hands it the text and the
build paths the scan found in that file, and writes what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.model import BuildPath, Hazard, LeftAlone, Platform


@dataclass(frozen=True)
class PatchContext:
    platforms: tuple[Platform, ...]  # the platforms to build: the build plan's, already cut to the bases
    build_paths: tuple[BuildPath, ...] = ()  # the build paths the scan found in this file
    hazards: tuple[Hazard, ...] = ()  # the scan's hazards in this file (for Dockerfile fixes)

    @property
    def platform_list(self) -> str:
        """The comma-separated form every tool accepts: ``linux/amd64,linux/arm64``."""
        return ",".join(str(p) for p in self.platforms)


@dataclass(frozen=True)
class Edited:
    text: str
    rationale: tuple[str, ...]  # one line per change, used in the PR body
    left_alone: tuple[LeftAlone, ...] = ()
    questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unchanged:
    """Nothing to do: already multi-arch, or nothing in this file publishes an image."""

    left_alone: tuple[LeftAlone, ...] = ()
    questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refused:
    """The patcher could not produce a file it can re-parse, or the file is beyond what it handles."""

    reason: str


PatchResult = Edited | Unchanged | Refused


class Patcher(Protocol):
    def patch(self, path: str, text: str, context: PatchContext) -> PatchResult: ...
