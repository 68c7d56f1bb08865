"""Hazard rules about stages: which platform a stage runs on, and whether its output reaches the image.

These rules need the whole Dockerfile: a `--platform=$BUILDPLATFORM` stage is fine when it cross-compiles
and wrong when its build-machine binaries are copied into the final image; a binary COPY'd from the
context matters only in the image that is published.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from bot.model import BaseKind, DockerfileInfo, Hazard, Platform, Severity
from bot.scan.hazards.findings import command_text
from bot.scan.hazards.sources import instruction_words, mount_options
from bot.scan.shell_commands import Lexed

CODE_PINNED = "platform-pinned"
CODE_BUILDPLATFORM = "buildplatform-native"

TARGET_AWARE = re.compile(r"TARGET(?:ARCH|OS|PLATFORM|VARIANT)|(?<![\w-])xx-[a-z]")
_MAX_COMMAND = 2000  # enough of a download command to see where its file goes
_HOST_ARCH = re.compile(r"uname[ \t]+-m|dpkg[ \t]+--print-architecture|\$\(arch\)|`arch`")
VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]{0,80})\}?")
# `make` is not here: the Makefile's recipes are read and speak for themselves (see hazards.py)
_COMPILERS = frozenset(
    {"gcc", "g++", "cc", "c++", "clang", "clang++", "cmake", "ninja", "meson", "rustc", "zig", "configure"}
    | {"./configure", "pyinstaller", "nuitka"}
)
_COMPILE_SUBCOMMANDS = {"go": ("build", "install"), "cargo": ("build", "install"), "dotnet": ("publish",)}
_INSTALLERS = {
    "apt-get": ("install",),
    "apt": ("install",),
    "apk": ("add",),
    "yum": ("install",),
    "dnf": ("install",),
    "microdnf": ("install",),
    "pip": ("install", "wheel"),
    "pip3": ("install", "wheel"),
    "npm": ("ci", "install", "i"),
    "yarn": ("install", ""),
    "pnpm": ("install", "i"),
    "bundle": ("install",),
    "gem": ("install",),
    "poetry": ("install",),
    "uv": ("sync", "pip"),
}
# Copied paths that carry what package managers install (native modules, wheels, shared libraries).
_NATIVE_COPY = re.compile(
    r"node_modules|site-packages|dist-packages|(?:^|/)\.?venv(?:/|$)|^/$"
    r"|^/(?:usr/(?:local/)?)?(?:bin|sbin|lib|lib64|libexec)(?:/|$)|^/(?:opt|root/\.local|install|usr/lib/jvm)(?:/|$)"
)


class PlatformKind(StrEnum):
    TARGET = "target"  # follows the platform being built (the default)
    BUILD = "build"  # --platform=$BUILDPLATFORM: the machine running the build
    PINNED_AMD64 = "pinned-amd64"
    OTHER = "other"  # pinned to something else, or not resolvable


@dataclass(frozen=True)
class StageModel:
    final: frozenset[int]
    image: frozenset[int]  # final stages and the stages they are built FROM: their files are the image
    reachable: frozenset[int]  # everything BuildKit builds for the final stages
    kind: dict[int, PlatformKind]  # effective platform of each stage
    root: dict[int, int]  # the stage whose FROM line decides that platform

    def runs_build_tools(self, stage: int) -> bool:
        """Runs on the (amd64) build machine, or pinned to amd64, and is not itself the published image.

        What such a stage downloads or installs are build tools; whether its output is wrong for arm64 is
        judged for the stage as a whole (buildplatform-native, platform-pinned). A published stage with the
        flag is reported as such, and its downloads too: the fix, dropping the flag, exposes them.
        """
        return (
            self.kind.get(stage) in (PlatformKind.BUILD, PlatformKind.PINNED_AMD64)
            and stage not in self.image
        )


def stage_model(info: DockerfileInfo, final_stages: Collection[int] | None) -> StageModel:
    stages = {s.index: s for s in info.stages}
    final = frozenset(final_stages if final_stages is not None else ([max(stages)] if stages else []))
    image: set[int] = set()
    for index in final:
        current: int | None = index
        while current is not None and current in stages and current not in image:
            image.add(current)
            current = stages[current].base_stage
    reachable: set[int] = set()
    pending = [i for i in final if i in stages]
    while pending:
        index = pending.pop()
        if index in reachable:
            continue
        reachable.add(index)
        stage = stages[index]
        pending.extend(
            s for s in (stage.base_stage, *stage.copy_from_stages) if s is not None and s in stages
        )
    kind: dict[int, PlatformKind] = {}
    root: dict[int, int] = {}
    global_args = dict(info.global_args)
    for stage in info.stages:  # stages only build FROM earlier stages, so bases are classified first
        if stage.platform_flag is None and stage.base_stage is not None and stage.base_stage in kind:
            kind[stage.index] = kind[stage.base_stage]
            root[stage.index] = root[stage.base_stage]
        else:
            kind[stage.index] = _platform_kind(stage.platform_flag, global_args)
            root[stage.index] = stage.index
    return StageModel(final, frozenset(image), frozenset(reachable), kind, root)


def _platform_kind(flag: str | None, global_args: dict[str, str | None]) -> PlatformKind:
    if flag is None:
        return PlatformKind.TARGET
    text: str | None = flag.strip().strip("\"'")
    for _ in range(4):  # FROM --platform=$PLATFORM with a global ARG PLATFORM=linux/amd64
        if text is None:
            return PlatformKind.OTHER
        m = VARIABLE.fullmatch(text)
        if m is None:
            break
        name = m.group(1)
        if name.startswith("BUILD"):
            return PlatformKind.BUILD
        if name.startswith("TARGET"):
            return PlatformKind.TARGET
        text = global_args.get(name)
    if text is None:
        return PlatformKind.OTHER
    if "$" in text:  # `$BUILDOS/$BUILDARCH`, `${BUILDPLATFORM:-linux/amd64}`
        if "BUILD" in text:
            return PlatformKind.BUILD
        return PlatformKind.TARGET if "TARGET" in text else PlatformKind.OTHER
    try:
        platform = Platform.parse(text)
    except ValueError:
        return PlatformKind.OTHER
    return PlatformKind.PINNED_AMD64 if platform.architecture == "amd64" else PlatformKind.OTHER


# ---------------------------------------------------------------------------------------- stage signals


@dataclass
class StageSignals:
    """What a stage's RUN steps (and the scripts they run) do that makes their output arch-specific."""

    compiles: list[str] = field(default_factory=list)  # "go build", "gcc", …
    installs: list[str] = field(default_factory=list)  # "npm ci", "apt-get install", …
    # commands that download by architecture (amd64 URLs, `uname -m`): on the build machine they fetch amd64
    downloads: list[str] = field(default_factory=list)
    target_aware: bool = False  # uses TARGETARCH & co. or tonistiigi/xx helpers

    def note(self, lexed: Lexed) -> None:
        if TARGET_AWARE.search(lexed.code):
            self.target_aware = True
        for m in _HOST_ARCH.finditer(lexed.code):
            self.downloads.append(command_text(lexed, m.start())[:_MAX_COMMAND])
        for command in lexed.commands:
            argv = [w.value for w in command.argv()]
            if not argv:
                continue
            name, sub = posixpath.basename(argv[0]), next((a for a in argv[1:] if not a.startswith("-")), "")
            if argv[0] in _COMPILERS or name in _COMPILERS or sub in _COMPILE_SUBCOMMANDS.get(name, ()):
                self.compiles.append(f"{name} {sub}".strip() if name in _COMPILE_SUBCOMMANDS else name)
            elif sub in _INSTALLERS.get(name, ()):
                self.installs.append(f"{name} {sub}".strip())


def note_text(signals: StageSignals, text: str) -> None:
    """ENV/ARG values count for target awareness: `ENV GOARCH=$TARGETARCH`."""
    if TARGET_AWARE.search(text):
        signals.target_aware = True


# -------------------------------------------------------------------------------------------- the rules


def platform_rules(
    info: DockerfileInfo, model: StageModel, signals: dict[int, StageSignals]
) -> Iterator[Hazard]:
    """platform-pinned and buildplatform-native, judged per platform root (the FROM line with the flag)."""
    copied = _copied_paths(info, model)
    for root in sorted({model.root[i] for i in model.reachable}):
        kind = model.kind[root]
        if kind not in (PlatformKind.BUILD, PlatformKind.PINNED_AMD64):
            continue
        stage = next(s for s in info.stages if s.index == root)
        members = [i for i in model.reachable if model.root[i] == root]
        group = StageSignals()
        for i in members:
            s = signals.get(i, StageSignals())
            group.compiles += s.compiles
            group.installs += s.installs
            group.downloads += s.downloads
            group.target_aware |= s.target_aware
        paths = [p for i in members for p in copied.get(i, [])]
        in_image = [i for i in members if i in model.image]
        label = f"stage {stage.name!r}" if stage.name else f"stage {stage.index}"
        excerpt = f"FROM --platform={stage.platform_flag} {stage.base_written}"
        if kind is PlatformKind.PINNED_AMD64:
            reason = "it is part of the published image" if in_image else _native_reason(group, paths)
            if reason and (in_image or not group.target_aware):
                yield Hazard(
                    CODE_PINNED,
                    info.path,
                    stage.line,
                    Severity.WRONG_IMAGE,
                    f"`--platform={stage.platform_flag}` pins {label} to amd64 for every target and "
                    f"{reason}: the arm64 image would contain amd64 code (built through emulation).",
                    "Drop the --platform flag so the stage follows the target platform; if it only runs "
                    "build tools, use `--platform=$BUILDPLATFORM` and cross-compile with "
                    "`ARG TARGETOS TARGETARCH`.",
                    excerpt,
                )
            continue
        if in_image:
            if stage.base_kind is BaseKind.SCRATCH:
                continue
            yield Hazard(
                CODE_BUILDPLATFORM,
                info.path,
                stage.line,
                Severity.WRONG_IMAGE,
                f"{label.capitalize()} runs on the build machine (`--platform={stage.platform_flag}`) but "
                "is part of the published image: its base layers and everything it installs are the build "
                "machine's architecture (amd64 on an amd64 runner), also in the arm64 image.",
                "Drop `--platform=$BUILDPLATFORM` from this stage; keep it only on builder stages that "
                "cross-compile for TARGETARCH, and COPY their output into a stage without the flag.",
                excerpt,
            )
            continue
        reason = _native_reason(group, paths)
        if reason and not group.target_aware:
            yield Hazard(
                CODE_BUILDPLATFORM,
                info.path,
                stage.line,
                Severity.WRONG_IMAGE,
                f"{label.capitalize()} runs on the build machine (`--platform={stage.platform_flag}`) and "
                f"{reason} without using TARGETARCH; its output is copied into the image, so the arm64 "
                "image would get the build machine's (amd64) binaries.",
                _buildplatform_fix(group),
                excerpt,
            )


def _native_reason(signals: StageSignals, copied: list[str]) -> str:
    if not copied:
        return ""  # nothing leaves the stage
    if signals.compiles:
        specific = [c for c in signals.compiles if " " in c]  # `go build` says more than a bare `make`
        return f"runs `{(specific or signals.compiles)[0]}`"
    for download in signals.downloads:
        # only when what is copied out is what was downloaded: a codegen stage's sources are portable
        for path in copied:
            name = posixpath.basename(path.rstrip("/"))
            if path == "/" or (name and re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w.])", download)):
                return f"downloads by the build machine's architecture (`{download.strip()[:100]}`)"
    native = [p for p in copied if _NATIVE_COPY.search(p)]
    if signals.installs and native:
        return f"runs `{signals.installs[0]}`, then {native[0]} is copied out"
    return ""


def _buildplatform_fix(signals: StageSignals) -> str:
    compiles = " ".join(signals.compiles)
    if "go " in compiles:
        return (
            "Cross-compile for the target: `ARG TARGETOS TARGETARCH` and "
            "`GOOS=$TARGETOS GOARCH=$TARGETARCH go build …`."
        )
    if "cargo" in compiles or "rustc" in compiles:
        return (
            "Cross-compile for the target (tonistiigi/xx: `xx-cargo build`), or drop "
            "`--platform=$BUILDPLATFORM` so the stage runs on the target platform."
        )
    return (
        "Drop `--platform=$BUILDPLATFORM` so the stage runs on the target platform, or cross-compile with a "
        "TARGETARCH toolchain (tonistiigi/xx: xx-clang, xx-apt-get)."
    )


def _copied_paths(info: DockerfileInfo, model: StageModel) -> dict[int, list[str]]:
    """Stage index → source paths other reachable stages COPY --from it (or mount from it)."""
    copied: dict[int, list[str]] = {}
    for ins in info.instructions:
        if ins.stage not in model.reachable or ins.keyword not in ("COPY", "ADD", "RUN"):
            continue
        sources: list[tuple[str, str]] = []
        if ins.keyword == "RUN":
            for options in mount_options(ins.value):
                if "from" in options:
                    sources.append((options["from"], options.get("source") or options.get("src") or "/"))
        else:
            flags, words = instruction_words(ins.value)
            if "from" in flags:
                sources.extend((flags["from"], s) for s in words[:-1])
        for name, path in sources:
            stage = info.stage_named(name)
            if stage is not None and model.root.get(stage.index) != model.root.get(ins.stage):
                copied.setdefault(stage.index, []).append(path)
    return copied
