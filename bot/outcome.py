"""The records of one repository's way through a run: what to process, how far, and what came of it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.forge.records import PrRef
from bot.model import Patch, Platform, ScanResult, VerifyResult


class Gate(StrEnum):
    SCAN = "scan"
    PATCH = "patch"
    BUILD = "build"


class Verdict(StrEnum):
    OPENED = "opened"  # a new pull request
    UPDATED = "updated"  # the open pull request got the new change or text
    UP_TO_DATE = "up-to-date"  # nothing new: nothing pushed, nothing edited
    DECLINED = "declined"  # the maintainers closed the bot's pull request: left closed
    MERGED = "merged"
    HELD = "held"  # the run's pull-request limit: the next run opens it
    NOTHING_TO_DO = "nothing-to-do"  # already multi-arch, or nothing the bot can change
    BLOCKED = "blocked"  # a base image lacks a wanted platform: no PR can help yet
    FAILED = "failed"  # the patched build failed its checks: no PR
    ERROR = "error"  # the repository could not be processed (reason given)
    SCANNED = "scanned"  # stopped at the scan gate
    PATCHED = "patched"  # stopped at the patch gate
    VERIFIED = "verified"  # stopped at the build gate, the patched build passed


@dataclass(frozen=True)
class IssueRef:
    repo: str  # owner/name
    number: int

    def __str__(self) -> str:
        return f"{self.repo}#{self.number}"


@dataclass(frozen=True)
class RepoTarget:
    """One upstream repository to process, with its per-repository overrides of the config."""

    full_name: str  # owner/name upstream
    platforms: tuple[Platform, ...] | None = None  # None: the config's
    skip_dockerfiles: tuple[str, ...] = ()  # repo-relative Dockerfiles the bot must not build or change
    image: str | None = None  # the image the project publishes: already multi-arch means nothing to do
    build_args: tuple[tuple[str, str], ...] = ()
    smoke_command: tuple[str, ...] | None = None  # None: the image's own entrypoint with a probe
    draft: bool | None = None  # None: the config's
    labels: tuple[str, ...] | None = None  # None: the config's
    request: IssueRef | None = None  # the request issue it came from: the outcome is commented there
    related: tuple[IssueRef, ...] = ()  # upstream issues asking for arm64: the pull request links them


@dataclass(frozen=True)
class RepoOutcome:
    target: str
    verdict: Verdict
    reasons: tuple[str, ...] = ()
    pr: PrRef | None = None
    pushed: bool = False
    seconds: float = 0.0
    scan: ScanResult | None = None
    patch: Patch | None = None
    verification: VerifyResult | None = None
