"""scan → plan → build each platform → smoke run → binary check → one verdict with evidence.

The imperative shell of the build stage: the steps themselves live in buildx.py, smoke.py and
inspect.py; the verdict is decided by ``judge_verification``, which is pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from bot.build.confirm import join_hazards
from bot.model import (
    BuildPlan,
    BuildResult,
    JoinedHazard,
    Outcome,
    Platform,
    PlatformResult,
    Readiness,
    ScanResult,
    VerifyResult,
    VerifyStatus,
)


def verify(
    scan: ScanResult,
    plans: Sequence[BuildPlan],
    run_platform: Callable[[BuildPlan, Platform, str], PlatformResult],
    *,
    missing: str | None,
    image_name: str,
) -> VerifyResult:
    """Build and check every plan's platforms, unless the scan already says it cannot work."""
    if scan.readiness is Readiness.BLOCKED:
        return judge_verification(scan, (), missing=None)
    if missing is not None:
        return judge_verification(scan, (), missing=missing)
    builds = []
    for index, plan in enumerate(plans):
        results = tuple(
            run_platform(plan, platform, f"{image_name}:{index}-{_slug(str(platform))}")
            for platform in plan.platforms
        )
        builds.append(BuildResult(plan, results))
    return judge_verification(scan, tuple(builds), missing=None)


def judge_verification(
    scan: ScanResult, builds: tuple[BuildResult, ...], *, missing: str | None
) -> VerifyResult:
    findings = join_hazards(scan.hazards, builds)
    if scan.readiness is Readiness.BLOCKED:
        return VerifyResult(scan, builds, findings, VerifyStatus.BLOCKED, scan.reasons)
    if missing is not None:
        return VerifyResult(
            scan, builds, findings, VerifyStatus.UNVERIFIED, (f"cannot build here: {missing}",)
        )
    reasons = _failures(builds) + _confirmed(findings)
    if reasons:
        return VerifyResult(scan, builds, findings, VerifyStatus.FAILED, tuple(reasons))
    unverified = [
        f"{b.plan.dockerfile} on {r.build.platform}: {_step_error(r)}"
        for b in builds
        for r in b.platforms
        if r.outcome is Outcome.UNVERIFIED
    ]
    if unverified:
        return VerifyResult(scan, builds, findings, VerifyStatus.UNVERIFIED, tuple(unverified))
    cut = [
        f"{b.plan.dockerfile}: {platform} left out ({why})" for b in builds for platform, why in b.plan.cut
    ]
    if not builds or not any(b.platforms for b in builds):
        return VerifyResult(scan, builds, findings, VerifyStatus.BLOCKED, tuple(cut) or ("nothing to build",))
    passed = [f"{b.plan.dockerfile}: built, ran and checked on {_platforms(b)}" for b in builds]
    return VerifyResult(scan, builds, findings, VerifyStatus.PASSED, tuple(passed + cut))


def _failures(builds: Sequence[BuildResult]) -> list[str]:
    return [
        f"{b.plan.dockerfile} on {r.build.platform}: {_step_error(r)}"
        for b in builds
        for r in b.platforms
        if r.outcome in (Outcome.FAILED, Outcome.TIMEOUT)
    ]


def _confirmed(findings: Sequence[JoinedHazard]) -> list[str]:
    reasons = []
    for finding in findings:
        for confirmation in finding.confirmed:
            where = f" (predicted at {finding.hazard.path}:{finding.hazard.line})" if finding.hazard else ""
            binary = confirmation.binary
            reasons.append(
                f"{binary.path} is an {binary.found} program in the {confirmation.platform} image{where}"
            )
    return list(dict.fromkeys(reasons))


def _step_error(result: PlatformResult) -> str:
    for step, name in (
        (result.build, "build"),
        (result.smoke, "smoke run"),
        (result.binaries, "binary check"),
    ):
        if step is not None and step.outcome is not Outcome.PASSED:
            return f"{name} {step.outcome}" + (f": {step.error}" if step.error else "")
    return "passed"


def _platforms(build: BuildResult) -> str:
    return ", ".join(str(result.build.platform) for result in build.platforms)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
