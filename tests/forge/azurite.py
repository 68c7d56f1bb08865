"""The Azurite-style repository taken through the real scan, plan and patch, and a verification of it.

Records, not mocks: the example repository is scanned with the real scanner (a registry that answers
from a table stands in for Docker Hub), planned and patched with the real patchers; only the build
results are written by hand, the way ``verify`` would report a passing run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.build.confirm import join_hazards
from bot.build.plan import plan_builds
from bot.model import (
    AMD64,
    ARM64,
    BinaryCheck,
    BuildResult,
    Digest,
    ImagePlatforms,
    ImageRef,
    LookupFailure,
    Outcome,
    Patch,
    Platform,
    PlatformBuild,
    PlatformResult,
    ScanResult,
    SmokeRun,
    VerifyResult,
    VerifyStatus,
)
from bot.patch.all import DOCKERFILE_PATCHER, PATCHERS
from bot.patch.propose import propose_patch
from bot.scan.scanner import scan_tree
from bot.scan.tree import RepoTree

EXAMPLE = Path(__file__).parents[2] / "bot" / "sandbox" / "examples" / "azurite"
NODE_DIGEST = Digest("sha256:" + "3f1e9c7a5b2d" + "0" * 52)
WANTED = (AMD64, ARM64)


class TableRegistry:
    """Answers every look-up from a fixed table, as a registry with those manifests would."""

    def __init__(self, platforms: dict[str, tuple[Platform, ...]]) -> None:
        self.platforms = platforms

    def lookup(self, ref: ImageRef) -> ImagePlatforms | LookupFailure:
        found = self.platforms.get(f"{ref.repository}:{ref.tag}")
        if found is None:
            return LookupFailure(ref, True, None, "manifest unknown")
        return ImagePlatforms(ref, NODE_DIGEST, found, is_index=True)


def azurite_checkout(tmp_path: Path) -> Path:
    return shutil.copytree(EXAMPLE, tmp_path / "azurite")


def scan_and_patch(root: Path) -> tuple[ScanResult, Patch]:
    registry = TableRegistry(
        {"library/node:lts-alpine3.10": (AMD64, ARM64, Platform.of("linux", "arm", "v7"))}
    )
    scan = scan_tree(RepoTree(root), registry, WANTED, display_root="Azure/Azurite")  # type: ignore[arg-type]
    plans = plan_builds(scan, WANTED)
    return scan, propose_patch(RepoTree(root), scan, plans, PATCHERS, DOCKERFILE_PATCHER)


def passing_verify(scan: ScanResult, seconds: dict[Platform, float] | None = None) -> VerifyResult:
    seconds = seconds or {AMD64: 41.2, ARM64: 187.6}
    builds = []
    for plan in plan_builds(scan, WANTED):
        results = tuple(
            PlatformResult(
                PlatformBuild(
                    platform, Outcome.PASSED, seconds[platform], image=f"azurite:{platform.architecture}"
                ),
                SmokeRun(platform, Outcome.PASSED, ("azurite", "--version"), 0, 0.8, ("3.9.0",)),
                BinaryCheck(platform, Outcome.PASSED, 14),
            )
            for platform in plan.platforms
        )
        builds.append(BuildResult(plan, results))
    findings = join_hazards(scan.hazards, builds)
    return VerifyResult(scan, tuple(builds), findings, VerifyStatus.PASSED, ("every platform passed",))
