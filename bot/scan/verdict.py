"""Turn a registry's answer into a verdict for the platforms a build wants. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence

from bot.model import ImagePlatforms, ImageVerdict, LookupFailure, Platform, Unverified, VerdictStatus


def judge(answer: ImagePlatforms | LookupFailure, wanted: Sequence[Platform]) -> ImageVerdict:
    """MULTI_ARCH when every wanted platform is there, MISSING (listing which) otherwise.

    Platforms compare normalised, as containerd matches them: ``arm64/v8`` satisfies ``arm64``,
    ``arm/v7`` never does. A failed look-up is NOT_FOUND or UNVERIFIED, never MISSING: "we could not
    tell" must not read as "it does not support arm64".
    """
    wanted_normal = tuple(dict.fromkeys(_normal(p) for p in wanted))
    if isinstance(answer, LookupFailure):
        if answer.not_found:
            return ImageVerdict(answer.ref, VerdictStatus.NOT_FOUND, wanted_normal, detail=answer.detail)
        return ImageVerdict(
            answer.ref,
            VerdictStatus.UNVERIFIED,
            wanted_normal,
            reason=answer.reason or Unverified.PROTOCOL,
            detail=answer.detail,
        )
    available = {_normal(p) for p in answer.platforms}
    missing = tuple(p for p in wanted_normal if p not in available)
    return ImageVerdict(
        answer.ref,
        VerdictStatus.MISSING if missing else VerdictStatus.MULTI_ARCH,
        wanted_normal,
        platforms=answer.platforms,
        missing=missing,
        digest=answer.digest,
    )


def _normal(platform: Platform) -> Platform:
    return Platform.of(platform.os, platform.architecture, platform.variant)
