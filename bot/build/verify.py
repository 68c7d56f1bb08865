"""scan → plan → build each platform → smoke run → binary check → one verdict with evidence.

The imperative shell of the build stage: the steps themselves live in buildx.py, smoke.py and
inspect.py; the verdict is decided by ``judge_verification``, which is pure.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from bot.build.buildx import mirrored_bases
from bot.build.confirm import join_hazards
from bot.build.container import RUN_LABEL
from bot.build.inspect import check_binaries
from bot.build.janitor import Janitor
from bot.build.run import build_platform, buildx_available
from bot.build.smoke import smoke_run
from bot.build.verify_tags import verify_tag
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
from bot.sandbox.engine import DOCKER_HOST

RunPlatform = Callable[[BuildPlan, Platform], PlatformResult]


@dataclass(frozen=True)
class VerifySettings:
    builder: str | None = None  # a buildx builder by name: remote or native arm64 builders scale this out
    build_timeout: float = 1800.0
    smoke_timeout: float = 60.0
    smoke_command: tuple[str, ...] | None = None  # None: the image's own entrypoint with a probe
    cgroup_parent: str | None = None  # RUN steps' memory and pids ceiling (bot.build.cgroup); None: none


def verify(
    scan: ScanResult, plans: Sequence[BuildPlan], run_platform: RunPlatform, *, missing: str | None
) -> VerifyResult:
    """Build and check every plan's platforms, unless the scan already says it cannot work."""
    if scan.readiness is Readiness.BLOCKED or missing is not None:
        return judge_verification(scan, (), missing=missing)
    builds = tuple(
        BuildResult(plan, tuple(run_platform(plan, platform) for platform in plan.platforms))
        for plan in plans
    )
    return judge_verification(scan, builds, missing=None)


def verify_checkout(
    checkout: Path,
    scan: ScanResult,
    plans: Sequence[BuildPlan],
    settings: VerifySettings,
    mirrors: Mapping[str, str],
    *,
    run: str | None = None,
    janitor: Janitor | None = None,
) -> VerifyResult:
    """``verify`` on the engine: what is missing said first (no engine, no buildx, no arm64 builder),
    else every plan built and checked with the bases served by their ``mirrors``."""
    missing = buildx_available(settings.builder, sorted({p for plan in plans for p in plan.platforms}))
    if missing is not None:  # nothing to connect to: say what is missing, build nothing
        return judge_verification(scan, (), missing=missing)
    bases = mirrored_bases({use.ref for use in scan.base_uses}, mirrors)
    with contextlib.closing(docker.DockerClient(base_url=DOCKER_HOST, timeout=120)) as client:
        runner = docker_runner(checkout, client, settings, bases, run=run, janitor=janitor)
        return verify(scan, plans, runner, missing=None)


def docker_runner(
    checkout: Path,
    client: docker.DockerClient,
    settings: VerifySettings,
    base_images: Mapping[str, str],
    *,
    run: str | None = None,
    janitor: Janitor | None = None,
) -> RunPlatform:
    """Build one platform for real, then smoke-run it and read its binaries; the image is removed after.

    ``run`` (``bot.workspace.run_id``) is put on the image's tag and the containers' labels: if this
    process is killed before it removes them, a later run does. With a ``janitor`` the containers and
    the image are removed on its thread, while the next platform builds; without one, at once.
    """
    labels = {RUN_LABEL: run} if run is not None else None
    dispose = janitor.remove_container if janitor is not None else None

    def run_platform(plan: BuildPlan, platform: Platform) -> PlatformResult:
        build = build_platform(
            plan,
            platform,
            checkout,
            builder=settings.builder,
            timeout=settings.build_timeout,
            tag=verify_tag(plan, platform, checkout, run),
            base_images=base_images,
            cgroup_parent=settings.cgroup_parent,
        )
        if build.outcome is not Outcome.PASSED or build.image is None:
            return PlatformResult(build)
        try:
            smoke = smoke_run(
                client,
                build.image,
                platform,
                command=settings.smoke_command,
                timeout=settings.smoke_timeout,
                labels=labels,
                dispose=dispose,
            )
            binaries = check_binaries(client, build.image, platform, labels=labels, dispose=dispose)
            return PlatformResult(build, smoke, binaries)
        finally:
            if janitor is not None:
                janitor.remove_image(build.image)
            else:
                with contextlib.suppress(docker.errors.DockerException):
                    client.images.remove(build.image, force=True)

    return run_platform


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
