"""``judge``: from a registry's answer to a verdict. Pure, so no registry here."""

from __future__ import annotations

from bot.model import (
    AMD64,
    ARM64,
    DEFAULT_PLATFORMS,
    Digest,
    ImagePlatforms,
    ImageRef,
    LookupFailure,
    Platform,
    Unverified,
    VerdictStatus,
)
from bot.scan.verdict import judge

REF = ImageRef("127.0.0.1:5000", "library/node", "lts-alpine3.10")
DIGEST = Digest("sha256:" + "a" * 64)


def has(*platforms: Platform, is_index: bool = True) -> ImagePlatforms:
    return ImagePlatforms(REF, DIGEST, tuple(platforms), is_index)


def test_all_wanted_platforms_present_is_multi_arch() -> None:
    verdict = judge(has(AMD64, ARM64, Platform.parse("linux/s390x")), DEFAULT_PLATFORMS)

    assert verdict.status is VerdictStatus.MULTI_ARCH
    assert verdict.missing == ()
    assert verdict.digest == DIGEST
    assert verdict.wanted == DEFAULT_PLATFORMS


def test_missing_platforms_are_listed_with_what_the_image_has() -> None:
    verdict = judge(has(AMD64), DEFAULT_PLATFORMS)

    assert verdict.status is VerdictStatus.MISSING
    assert verdict.missing == (ARM64,)
    assert verdict.platforms == (AMD64,)
    assert verdict.label == "missing-arm64"


def test_arm64_v8_satisfies_arm64_either_way_round() -> None:
    written_with_variant = Platform("linux", "arm64", "v8")  # not normalised, as a registry may list it

    assert judge(has(AMD64, written_with_variant), DEFAULT_PLATFORMS).status is VerdictStatus.MULTI_ARCH
    assert judge(has(AMD64, ARM64), [AMD64, written_with_variant]).status is VerdictStatus.MULTI_ARCH


def test_32_bit_arm_never_satisfies_arm64() -> None:
    verdict = judge(has(AMD64, Platform.parse("linux/arm/v7"), Platform.parse("linux/arm/v6")), [ARM64])

    assert verdict.status is VerdictStatus.MISSING
    assert verdict.missing == (ARM64,)


def test_arm_means_arm_v7() -> None:
    wanted = [Platform("linux", "arm")]

    assert judge(has(Platform.parse("linux/arm/v7")), wanted).status is VerdictStatus.MULTI_ARCH
    assert judge(has(Platform.parse("linux/arm/v6")), wanted).status is VerdictStatus.MISSING


def test_wanted_platforms_are_deduplicated_after_normalising() -> None:
    verdict = judge(has(AMD64), [ARM64, Platform("linux", "arm64", "v8"), AMD64])

    assert verdict.wanted == (ARM64, AMD64)
    assert verdict.missing == (ARM64,)


def test_single_arch_manifest_is_judged_like_any_other() -> None:
    verdict = judge(has(ARM64, is_index=False), DEFAULT_PLATFORMS)

    assert verdict.status is VerdictStatus.MISSING
    assert verdict.missing == (AMD64,)


def test_not_found() -> None:
    verdict = judge(LookupFailure(REF, True, None, "manifest unknown"), DEFAULT_PLATFORMS)

    assert verdict.status is VerdictStatus.NOT_FOUND
    assert verdict.detail == "manifest unknown"
    assert verdict.missing == ()


def test_failure_is_unverified_with_its_reason_never_missing() -> None:
    verdict = judge(LookupFailure(REF, False, Unverified.RATE_LIMIT, "HTTP 429"), DEFAULT_PLATFORMS)

    assert verdict.status is VerdictStatus.UNVERIFIED
    assert verdict.reason is Unverified.RATE_LIMIT
    assert verdict.detail == "HTTP 429"
    assert verdict.missing == ()
    assert verdict.label == "unverified (rate-limit)"
