"""The records that pass between the pipeline's stages.

Every record is immutable. External input (Dockerfiles, registry JSON, YAML) is parsed into these at
the boundary; nothing downstream sees a raw dict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NewType

Digest = NewType("Digest", str)
"""A content digest such as ``sha256:9f86d0…``."""

_PLATFORM_PART = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


@dataclass(frozen=True, order=True)
class Platform:
    """An OCI platform, normalised the way containerd matches them.

    ``arm64`` and ``arm64/v8`` are the same platform; ``arm`` means ``arm/v7``; 32-bit arm is never arm64.
    """

    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def of(cls, os: str, architecture: str, variant: str = "") -> Platform:
        os, architecture, variant = os.lower(), architecture.lower(), variant.lower()
        aliases = {"aarch64": "arm64", "x86_64": "amd64", "x86-64": "amd64", "armhf": "arm", "armel": "arm"}
        architecture = aliases.get(architecture, architecture)
        if architecture == "arm64" and variant == "v8":
            variant = ""
        elif architecture == "arm" and not variant:
            variant = "v7"
        return cls(os, architecture, variant)

    @classmethod
    def parse(cls, text: str) -> Platform:
        """Parse ``os/arch[/variant]``; raise ValueError with a readable message otherwise."""
        parts = text.strip().split("/")
        if len(parts) not in (2, 3) or not all(_PLATFORM_PART.match(p.lower()) for p in parts):
            raise ValueError(f"{text!r} is not a platform (expected os/arch[/variant], e.g. linux/arm64)")
        platform = cls.of(*parts)
        if platform.os not in KNOWN_OSES or platform.architecture not in KNOWN_ARCHITECTURES:
            raise ValueError(f"{text!r} is not a platform (unknown os or architecture)")
        return platform

    def __str__(self) -> str:
        return f"{self.os}/{self.architecture}" + (f"/{self.variant}" if self.variant else "")


KNOWN_OSES = frozenset({"linux", "windows", "darwin", "freebsd"})
KNOWN_ARCHITECTURES = frozenset(
    {"amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "mips64le", "loong64"}
)
AMD64 = Platform("linux", "amd64")
ARM64 = Platform("linux", "arm64")
DEFAULT_PLATFORMS: tuple[Platform, ...] = (AMD64, ARM64)


@dataclass(frozen=True)
class ImageRef:
    """A fully qualified image reference: ``registry/repository[:tag][@digest]``."""

    registry: str
    repository: str
    tag: str | None = None
    digest: Digest | None = None

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def reference(self) -> str:
        """What goes after ``/manifests/`` in a registry URL: the digest when pinned, else the tag."""
        return self.digest or self.tag or "latest"

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


# ---------------------------------------------------------------------------------------------- Dockerfiles


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction after continuation lines are joined (comments dropped)."""

    keyword: str  # upper-case: FROM, RUN, COPY, …
    value: str  # everything after the keyword, flags included; continuations joined as BuildKit does
    line: int  # 1-based line of the keyword
    end_line: int  # 1-based last line, heredoc bodies included
    stage: int  # index of the stage it belongs to; -1 before the first FROM
    heredocs: tuple[str, ...] = ()  # heredoc bodies (RUN <<EOF … EOF), in order


class BaseKind(StrEnum):
    IMAGE = "image"  # an external image in a registry
    STAGE = "stage"  # an earlier stage of the same Dockerfile
    SCRATCH = "scratch"
    UNRESOLVED = "unresolved"  # a variable we could not resolve, or an invalid reference


@dataclass(frozen=True)
class Stage:
    index: int
    name: str | None  # the AS name, lower-cased
    line: int
    base_written: str  # the base exactly as written after FROM (before variable expansion)
    base_kind: BaseKind
    base_ref: ImageRef | None = None  # for IMAGE
    base_stage: int | None = None  # for STAGE: index of the stage it builds on
    platform_flag: str | None = None  # FROM --platform=… as written
    unresolved_reason: str | None = None  # for UNRESOLVED
    copy_from: tuple[ImageRef, ...] = ()  # external images used by COPY --from / RUN --mount=from
    copy_from_stages: tuple[int, ...] = ()  # earlier stages used by COPY --from / RUN --mount=from


@dataclass(frozen=True)
class DockerfileInfo:
    path: str  # repo-relative, POSIX separators
    stages: tuple[Stage, ...]
    instructions: tuple[Instruction, ...]
    global_args: tuple[tuple[str, str | None], ...] = ()  # ARGs before the first FROM, with effective values
    directives: tuple[tuple[str, str], ...] = ()  # parser directives, keys lower-cased
    warnings: tuple[str, ...] = ()  # recoverable oddities, reported but not fatal

    def stage_named(self, name_or_index: str) -> Stage | None:
        """The stage a ``--target``/``--from`` value names; like BuildKit, the last of a repeated name."""
        key = name_or_index.lower()
        if key.isascii() and key.isdigit():
            index = int(key)
            return self.stages[index] if index < len(self.stages) else None
        named = [stage for stage in self.stages if stage.name == key]
        return named[-1] if named else None


# ------------------------------------------------------------------------------------------------- registry


class VerdictStatus(StrEnum):
    MULTI_ARCH = "multi-arch"  # every wanted platform is there
    MISSING = "missing"  # rendered as missing-arm64 etc.
    NOT_FOUND = "not-found"
    UNVERIFIED = "unverified"  # we could not tell: never reported as unsupported


class Unverified(StrEnum):
    AUTH = "auth"
    RATE_LIMIT = "rate-limit"
    NETWORK = "network"
    PROTOCOL = "protocol"  # the registry answered something we cannot read


@dataclass(frozen=True)
class ImagePlatforms:
    """What a registry says an image reference resolves to."""

    ref: ImageRef
    digest: Digest | None
    platforms: tuple[Platform, ...]  # sorted, attestations removed
    is_index: bool
    # manifest digest per platform, so a digest-pinned child manifest can be recognised as single-arch
    platform_digests: tuple[tuple[Platform, Digest], ...] = ()


@dataclass(frozen=True)
class LookupFailure:
    ref: ImageRef
    not_found: bool
    reason: Unverified | None  # None when not_found
    detail: str


@dataclass(frozen=True)
class ImageVerdict:
    ref: ImageRef
    status: VerdictStatus
    wanted: tuple[Platform, ...]
    platforms: tuple[Platform, ...] = ()  # what the registry has
    missing: tuple[Platform, ...] = ()
    digest: Digest | None = None
    reason: Unverified | None = None
    detail: str = ""

    @property
    def label(self) -> str:
        if self.status is VerdictStatus.MISSING:
            names = (p.architecture + (f"/{p.variant}" if p.variant else "") for p in self.missing)
            return "missing-" + ",".join(names)
        if self.status is VerdictStatus.UNVERIFIED and self.reason:
            return f"unverified ({self.reason})"
        return str(self.status)


# ---------------------------------------------------------------------------------------------- build paths


class BuildKind(StrEnum):
    NPM = "npm"
    MAKE = "make"
    JUST = "just"
    SHELL = "shell"
    GITHUB_ACTIONS = "github-actions"
    AZURE_PIPELINES = "azure-pipelines"
    GITLAB_CI = "gitlab-ci"
    CIRCLECI = "circleci"
    BAKE = "bake"
    COMPOSE = "compose"


@dataclass(frozen=True)
class BuildCommand:
    """A parsed ``docker build``-like command line (docker build, docker buildx build, podman build, …)."""

    tool: str  # "docker build", "docker buildx build", "podman build", "buildah bud", "docker buildx bake"
    dockerfile: str | None  # -f value as written, None = <context>/Dockerfile
    context: str | None  # as written; None when it could not be determined
    tags: tuple[str, ...] = ()
    build_args: tuple[tuple[str, str | None], ...] = ()  # --build-arg K=V (V None when passed from env)
    platforms: tuple[str, ...] = ()  # as written, split on commas
    target: str | None = None
    push: bool = False
    load: bool = False
    outputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuildPath:
    """A place in a repository that builds an image."""

    kind: BuildKind
    path: str  # file, repo-relative
    line: int  # 1-based
    name: str  # npm script, make target, job/step name, bake target, compose service; "" for plain scripts
    command: str  # the build command or step as written (one line, trimmed)
    dockerfile: str | None  # repo-relative path of the Dockerfile it builds, resolved; None if unknown
    context: str | None  # repo-relative context directory ("." for the root); None if unknown
    tags: tuple[str, ...] = ()
    build_args: tuple[tuple[str, str | None], ...] = ()
    platforms: tuple[str, ...] = ()  # as named; () means the runner's native architecture
    target: str | None = None
    pushes: bool = False
    via: str | None = None  # for indirect paths: "npm run docker:build" → the path it calls is listed too


# ------------------------------------------------------------------------------------------------- hazards


class Severity(StrEnum):
    BREAKS_BUILD = "build-breaking"
    WRONG_IMAGE = "silently-wrong"  # the build succeeds but the arm64 image holds the wrong thing


@dataclass(frozen=True)
class Hazard:
    code: str  # stable id, e.g. "arch-in-url", "goarch-amd64", "platform-pinned"
    path: str  # repo-relative file
    line: int
    severity: Severity
    message: str
    fix: str  # a concrete suggestion
    excerpt: str = ""  # the offending text, trimmed


# ------------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Problem:
    """Bad input found while scanning: reported, never fatal."""

    path: str
    message: str


class Readiness(StrEnum):
    READY = "ready"
    NEEDS_SCRIPT_CHANGES = "needs-script-changes"
    BLOCKED = "blocked"
    UNVERIFIED = "unverified"


@dataclass(frozen=True)
class BaseUse:
    """One use of an external image by a stage, with the platforms that use needs."""

    dockerfile: str
    stage: int
    line: int
    ref: ImageRef
    needs: tuple[Platform, ...]  # wanted platforms, or the build platform for --platform=$BUILDPLATFORM


@dataclass(frozen=True)
class ScanResult:
    root: str
    wanted: tuple[Platform, ...]
    dockerfiles: tuple[DockerfileInfo, ...]
    build_paths: tuple[BuildPath, ...]
    base_uses: tuple[BaseUse, ...]
    verdicts: tuple[ImageVerdict, ...]  # one per BaseUse, same order
    hazards: tuple[Hazard, ...]
    problems: tuple[Problem, ...]
    readiness: Readiness
    reasons: tuple[str, ...] = field(default=())


# ------------------------------------------------------------------------------------------------- builds


@dataclass(frozen=True)
class BuildPlan:
    """One image the repository publishes, and what the bot will build of it."""

    dockerfile: str  # repo-relative
    context: str  # repo-relative directory, "." for the root
    target: str | None = None
    build_args: tuple[tuple[str, str], ...] = ()
    tags: tuple[str, ...] = ()  # as the project's own scripts name them (for the report only)
    platforms: tuple[Platform, ...] = ()  # the wanted platforms every external base supports
    cut: tuple[tuple[Platform, str], ...] = ()  # wanted platforms left out, each with the reason
    sources: tuple[str, ...] = ()  # the build paths ("file:line") this plan stands for


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"  # an earlier step failed, so this one did not run
    UNVERIFIED = "unverified"  # the machinery to check was missing; never a pass


def worst_outcome(outcomes: list[Outcome]) -> Outcome:
    """Failed beats timeout beats unverified beats skipped beats passed."""
    for worst in (Outcome.FAILED, Outcome.TIMEOUT, Outcome.UNVERIFIED, Outcome.SKIPPED):
        if worst in outcomes:
            return worst
    return Outcome.PASSED


@dataclass(frozen=True)
class PlatformBuild:
    platform: Platform
    outcome: Outcome
    seconds: float
    image: str | None = None  # local reference of the built single-platform image
    log_tail: tuple[str, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class SmokeRun:
    platform: Platform
    outcome: Outcome
    command: tuple[str, ...]  # what ran, entrypoint included
    exit_code: int | None
    seconds: float
    output_tail: tuple[str, ...] = ()
    error: str = ""  # e.g. "exec format error: the image's /tini is not an arm64 program"


@dataclass(frozen=True)
class WrongArchBinary:
    path: str  # absolute path inside the image
    found: str  # architecture of the file
    expected: str  # architecture of the platform


@dataclass(frozen=True)
class BinaryCheck:
    platform: Platform
    outcome: Outcome
    checked: int  # ELF files read
    wrong: tuple[WrongArchBinary, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class PlatformResult:
    build: PlatformBuild
    smoke: SmokeRun | None = None
    binaries: BinaryCheck | None = None

    @property
    def outcome(self) -> Outcome:
        return worst_outcome(
            [self.build.outcome] + [step.outcome for step in (self.smoke, self.binaries) if step is not None]
        )


@dataclass(frozen=True)
class BuildResult:
    plan: BuildPlan
    platforms: tuple[PlatformResult, ...]

    @property
    def outcome(self) -> Outcome:
        if not self.platforms:
            return Outcome.SKIPPED
        return worst_outcome([result.outcome for result in self.platforms])


@dataclass(frozen=True)
class Confirmation:
    """A wrong-architecture binary the build found in one platform's image."""

    platform: Platform
    binary: WrongArchBinary


@dataclass(frozen=True)
class JoinedHazard:
    """One problem, reported once: what the scan predicted and what the build confirmed."""

    hazard: Hazard | None  # None when only the build found it
    confirmed: tuple[Confirmation, ...] = ()


class VerifyStatus(StrEnum):
    PASSED = "passed"  # every planned platform built, ran, and holds only its own binaries
    FAILED = "failed"  # a build, smoke run or binary check failed
    BLOCKED = "blocked"  # the scan says it cannot work (a base without arm64, no Dockerfile)
    UNVERIFIED = "unverified"  # the machinery to check is missing; never a pass


@dataclass(frozen=True)
class VerifyResult:
    scan: ScanResult
    builds: tuple[BuildResult, ...]
    findings: tuple[JoinedHazard, ...]
    status: VerifyStatus
    reasons: tuple[str, ...] = ()


# ------------------------------------------------------------------------------------------------- patches


@dataclass(frozen=True)
class LeftAlone:
    """A build path the patch deliberately does not change, and why (local-only, unknown wrapper, …)."""

    path: str
    line: int
    reason: str


@dataclass(frozen=True)
class FileEdit:
    """One file's change: the exact text before and after, and a one-line rationale per change."""

    path: str
    before: str
    after: str
    rationale: tuple[str, ...]


@dataclass(frozen=True)
class Patch:
    """Everything the bot proposes for one repository."""

    edits: tuple[FileEdit, ...] = ()
    left_alone: tuple[LeftAlone, ...] = ()
    refused: tuple[LeftAlone, ...] = ()  # files a patcher would not change safely, with the reason
    questions: tuple[str, ...] = ()  # ambiguous hazards, asked in the PR body instead of guessed
