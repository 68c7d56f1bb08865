"""Hazard rules about what the published image is made of: per-arch base namespaces, binaries built on
the host and COPY'd in, and bases pinned to one platform's manifest digest."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator

from bot.model import DockerfileInfo, Hazard, Platform, Severity
from bot.scan.hazards.findings import AMD64_TOKEN
from bot.scan.hazards.sources import instruction_words
from bot.scan.hazards.stages import TARGET_AWARE, VARIABLE, StageModel

CODE_NAMESPACE = "amd64-namespace-base"
CODE_HOST_BINARY = "host-binary-copied"
CODE_DIGEST = "single-arch-digest"

_PROJECT_BIN_DIRS = frozenset({"bin", "dist", "build", "out", "_output", "target", "release", "releases"})
_IMAGE_BIN_DIRS = frozenset({"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"})
_PORTABLE_SUFFIXES = (".jar", ".war", ".ear", ".py", ".js", ".sh", ".rb", ".pl", ".php", ".txt", ".json")
_SHARED_LIBRARY = re.compile(r"\.(?:so(?:\.\d+)*|node)$")
_RUST_RELEASE = re.compile(r"(?:^|/)target/(?:[\w.-]+/)?release/[^/.]+$")
_AMD64_NAMESPACE = re.compile(r"^(?:(?:index\.|registry-1\.)?docker\.io/)?(amd64|i386|x86_64)/([^\s:@/]+)")
_DOCKER_HUB = frozenset({"", "docker.io", "index.docker.io", "registry-1.docker.io"})


def namespace_rules(info: DockerfileInfo, model: StageModel) -> Iterator[Hazard]:
    """FROM amd64/ubuntu: the per-architecture copy of an official image, amd64 whatever the target."""
    for stage in info.stages:
        if stage.index not in model.reachable:
            continue
        written = stage.base_written
        if stage.base_ref is not None and stage.base_ref.registry in _DOCKER_HUB:
            written = stage.base_ref.repository
        m = _AMD64_NAMESPACE.match(written)
        if m is not None:
            yield _namespace_hazard(info.path, stage.line, m, f"FROM {stage.base_written}")
    for ins in info.instructions:
        if ins.stage in model.reachable and ins.keyword in ("COPY", "ADD"):
            flags, _ = instruction_words(ins.value)
            m = _AMD64_NAMESPACE.match(flags.get("from", ""))
            if m is not None:
                yield _namespace_hazard(info.path, ins.line, m, f"{ins.keyword} {ins.value}")


def _namespace_hazard(path: str, line: int, m: re.Match[str], excerpt: str) -> Hazard:
    namespace, image = m.group(1), m.group(2)
    return Hazard(
        CODE_NAMESPACE,
        path,
        line,
        Severity.WRONG_IMAGE,
        f"`{namespace}/{image}` is the {namespace}-only copy of the official `{image}` image: "
        f"the arm64 image would be built on {namespace} layers.",
        f"Use the multi-arch official image: `{image}` (drop the `{namespace}/` prefix, keep the tag).",
        excerpt[:200],
    )


def host_binary_rules(
    info: DockerfileInfo, model: StageModel, read_context_file: Callable[[str], str | None], context: str
) -> Iterator[Hazard]:
    """COPY of a binary built outside the Dockerfile (the host's architecture) into the published image."""
    for ins in info.instructions:
        if ins.stage not in model.image or ins.keyword not in ("COPY", "ADD"):
            continue
        flags, words = instruction_words(ins.value)
        if "from" in flags or len(words) < 2 or any(w.startswith("<<") for w in words):
            continue
        dest = words[-1]
        for source in words[:-1]:
            reason = _host_binary_reason(source, dest, read_context_file, context)
            if reason:
                yield Hazard(
                    CODE_HOST_BINARY,
                    info.path,
                    ins.line,
                    Severity.WRONG_IMAGE,
                    f"Copies {source} into the image, {reason}: the arm64 image would get the host's "
                    "(usually amd64) build.",
                    "Build it in a stage of this Dockerfile (`FROM --platform=$BUILDPLATFORM golang AS "
                    "build`, `GOOS=$TARGETOS GOARCH=$TARGETARCH go build`, then `COPY --from=build`), or "
                    "build one binary per architecture on the host and `COPY bin/${TARGETARCH}/…` after "
                    "`ARG TARGETARCH`.",
                    f"{ins.keyword} {ins.value}"[:200],
                )
                break


def _host_binary_reason(source: str, dest: str, read: Callable[[str], str | None], context: str) -> str:
    """Why this COPY source is a binary built outside the Dockerfile, or "" when nothing says so.

    Only strong signals: an amd64 name, a Rust release binary, a shared library, or an extension-less
    file under bin/, dist/… (or copied into a bin directory) that the repository does not hold as text.
    """
    if "://" in source or TARGET_AWARE.search(source):
        return ""
    literal = VARIABLE.sub("\x00", source).rstrip("/")
    lowered = literal.lower()
    if lowered.endswith(_PORTABLE_SUFFIXES):
        return ""
    if AMD64_TOKEN.search(literal):
        return "an amd64 build (by its name)"
    if "\x00" in literal or any(c in literal for c in "*?["):
        return ""
    if _RUST_RELEASE.search(literal):
        return "a Rust release binary built on the host"
    if _SHARED_LIBRARY.search(lowered):
        return "a prebuilt native library"
    segments = literal.strip("./").split("/")
    name = segments[-1]
    if "." in name or name in _PROJECT_BIN_DIRS:
        return ""
    in_project_bin = len(segments) > 1 and segments[0] in _PROJECT_BIN_DIRS
    into_image_bin = not dest.endswith("/") and posixpath.dirname(dest.rstrip("/")) in _IMAGE_BIN_DIRS
    if not (in_project_bin or into_image_bin):
        return ""
    text = read(posixpath.normpath(posixpath.join(context, literal)))
    if text is None:  # gitignored build output, or a binary the reader refuses
        return "a build output that is not in the repository (built before `docker build`)"
    if text.startswith("\x7fELF") or "\x00" in text[:8192]:
        return "a prebuilt binary checked into the repository"
    return ""  # a script or other text file


def single_arch_digest_hazard(path: str, line: int, ref_text: str, platform: Platform) -> Hazard:
    """FROM image@sha256:… where the digest is one platform's manifest, not the multi-arch index.

    The orchestrator finds these (it needs registry data); the wording lives here with the other rules.
    """
    return Hazard(
        CODE_DIGEST,
        path,
        line,
        Severity.WRONG_IMAGE,
        f"`{ref_text}` is pinned to the {platform} manifest, not to the multi-arch index: every "
        f"platform's image would be built on {platform} layers.",
        "Pin the digest of the image index instead (`docker buildx imagetools inspect <image>:<tag>` "
        "prints it as the top-level Digest), or pin the tag without a digest.",
        ref_text[:200],
    )
