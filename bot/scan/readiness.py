"""The one overall answer of a scan: can this repo's image be built for the wanted platforms?

Order matters: a base that lacks a platform blocks; anything we could not verify makes the answer
``unverified`` (never ``blocked``); only then do build scripts and hazards decide between
``needs-script-changes`` and ``ready``.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.model import (
    BaseKind,
    BaseUse,
    BuildPath,
    DockerfileInfo,
    Hazard,
    ImageVerdict,
    Platform,
    Readiness,
    VerdictStatus,
)
from bot.scan.image_ref import familiar


def judge_readiness(
    *,
    dockerfiles: Sequence[DockerfileInfo],
    build_paths: Sequence[BuildPath],
    uses: Sequence[BaseUse],
    verdicts: Sequence[ImageVerdict],
    hazards: Sequence[Hazard],
    wanted: Sequence[Platform],
) -> tuple[Readiness, list[str]]:
    if not any(info.stages for info in dockerfiles):
        return Readiness.BLOCKED, ["no Dockerfile that builds an image was found"]

    blocking = [
        f"{familiar(v.ref)} is {v.label} (has {_platforms(v.platforms)}), used by {u.dockerfile}:{u.line}"
        if v.status is VerdictStatus.MISSING
        else f"{familiar(v.ref)} was not found in its registry, used by {u.dockerfile}:{u.line}"
        for u, v in zip(uses, verdicts, strict=True)
        if v.status in (VerdictStatus.MISSING, VerdictStatus.NOT_FOUND)
    ]
    if blocking:
        return Readiness.BLOCKED, _unique(blocking)

    unknown = [
        f"{familiar(v.ref)} could not be verified ({v.reason}: {v.detail})"
        for v in verdicts
        if v.status is VerdictStatus.UNVERIFIED
    ] + [
        f"{info.path}:{stage.line}: base {stage.base_written!r} is unresolved ({stage.unresolved_reason})"
        for info in dockerfiles
        for stage in info.stages
        if stage.base_kind is BaseKind.UNRESOLVED
    ]
    if unknown:
        return Readiness.UNVERIFIED, _unique(unknown)

    changes = [
        f"{bp.path}:{bp.line} ({bp.kind} {bp.name or bp.command}) builds {_platforms_named(bp)}"
        for bp in build_paths
        if not _covers(bp, wanted)
    ]
    if not build_paths:
        changes.append("no build script builds the image yet; a multi-platform build job must be added")
    changes += [f"{h.path}:{h.line}: {h.message}" for h in hazards]
    if changes:
        return Readiness.NEEDS_SCRIPT_CHANGES, _unique(changes)
    return Readiness.READY, [f"every base has {_platforms(wanted)} and every build path builds them"]


def _covers(bp: BuildPath, wanted: Sequence[Platform]) -> bool:
    named: set[Platform] = set()
    for text in bp.platforms:
        if "$" in text or "{" in text:
            return True  # a variable the project sets per run: the script is already platform-aware
        try:
            named.add(Platform.parse(text))
        except ValueError:
            continue
    return set(wanted) <= named


def _platforms_named(bp: BuildPath) -> str:
    return ", ".join(bp.platforms) if bp.platforms else "only the runner's native platform"


def _platforms(platforms: Sequence[Platform]) -> str:
    return ", ".join(map(str, platforms)) or "no platforms"


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
