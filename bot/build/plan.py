"""Which images a repository publishes, and which of the wanted platforms the bot builds of each. Pure.

One plan per distinct (Dockerfile, context, target, literal build args) among the build paths that
publish: when any build path of a Dockerfile pushes, only the pushing ones say what is published (a
``--target test`` build in CI is not the image users pull); otherwise every build path of it counts.
A Dockerfile no build path builds still gets a plan (its directory, its last stage): the bot proposes
the build job for it.

Platforms: the wanted ones, cut down per the scan's verdicts. A wanted platform P is cut only when a base
used by one of the plan's needed stages was needed for P (``BaseUse.needs``, where the scan already
encoded that a ``--platform=$BUILDPLATFORM`` stage needs only the build platform) and its verdict says the
registry lacks P, or that the image does not exist at all. An unverified base cuts nothing: the scan
reports it, and the build itself is the better test than a guess (a 401 is not "no arm64").

Limits, on purpose:
* Build args keep only literal values: ``$VERSION``, a backquoted command or a value taken from the
  environment cannot be known here, and BuildKit's own default is what such a build then uses. Platform
  args (``TARGETARCH``…) are dropped too: passed literally they pin every platform to one architecture,
  which is the very thing the patch removes.
* A build path whose target is not a stage of its Dockerfile makes no plan: the scan reports it as a
  problem, and its build could only fail.
* The scan's base uses are keyed by Dockerfile and stage, not by build args: when a stage's base depends
  on a build arg (``FROM node:${NODE}``) and the project builds several values, each plan of that
  Dockerfile is judged by all of them. That can only cut too much, never build a platform a base lacks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from bot.model import (
    BaseUse,
    BuildPath,
    BuildPlan,
    DockerfileInfo,
    ImageVerdict,
    Platform,
    ScanResult,
    VerdictStatus,
)
from bot.scan.dockerfile import PLATFORM_ARGS, stages_needed
from bot.scan.image_ref import familiar

_NOT_LITERAL = ("$", "`")  # a variable or a command substitution: its value is decided at build time


@dataclass(frozen=True)
class _Key:
    """What makes two build paths build the same image."""

    dockerfile: str
    context: str
    target: str | None
    build_args: tuple[tuple[str, str], ...]


def plan_builds(scan: ScanResult, wanted: Sequence[Platform]) -> tuple[BuildPlan, ...]:
    """The images to build, in the order the scan found their build paths; then unbuilt Dockerfiles."""
    infos = {info.path: info for info in scan.dockerfiles if info.stages}
    wanted = tuple(dict.fromkeys(_normal(p) for p in wanted))
    uses = tuple(zip(scan.base_uses, scan.verdicts, strict=True))

    publishing = _publishing_keys(scan.build_paths)
    groups: dict[_Key, list[BuildPath]] = {}
    for build_path in scan.build_paths:
        key = _key(build_path)
        info = infos.get(key.dockerfile) if key else None
        if key is None or info is None or key not in publishing.get(key.dockerfile, set()):
            continue
        if key.target is not None and info.stage_named(key.target) is None:
            continue  # reported by the scan; the build could only fail
        groups.setdefault(key, []).append(build_path)

    plans = [_plan(key, members, infos[key.dockerfile], uses, wanted) for key, members in groups.items()]
    built = {build_path.dockerfile for build_path in scan.build_paths}
    for path, info in infos.items():
        if path not in built:
            key = _Key(path, PurePosixPath(path).parent.as_posix(), None, ())
            plans.append(_plan(key, [], info, uses, wanted))
    return tuple(plans)


def literal_build_args(build_args: Iterable[tuple[str, str | None]]) -> tuple[tuple[str, str], ...]:
    """The build args whose value is known before the build, sorted; platform args left out."""
    literal = {
        name: value
        for name, value in build_args
        if value is not None and not any(mark in value for mark in _NOT_LITERAL) and name not in PLATFORM_ARGS
    }
    return tuple(sorted(literal.items()))


def _publishing_keys(build_paths: Sequence[BuildPath]) -> dict[str, set[_Key]]:
    """Per Dockerfile: the keys of its pushing build paths, or of all of them when none pushes."""
    every: dict[str, set[_Key]] = {}
    pushing: dict[str, set[_Key]] = {}
    for build_path in build_paths:
        key = _key(build_path)
        if key is None:
            continue
        every.setdefault(key.dockerfile, set()).add(key)
        if build_path.pushes:
            pushing.setdefault(key.dockerfile, set()).add(key)
    return {dockerfile: pushing.get(dockerfile) or keys for dockerfile, keys in every.items()}


def _key(build_path: BuildPath) -> _Key | None:
    if build_path.dockerfile is None:
        return None  # the scan could not tell which Dockerfile: nothing to build
    context = build_path.context or PurePosixPath(build_path.dockerfile).parent.as_posix()
    target = build_path.target
    if target is not None and any(mark in target for mark in _NOT_LITERAL):
        return None  # a target chosen at build time: which stage is built cannot be known
    return _Key(
        build_path.dockerfile,
        context,
        target.lower() if target else None,  # stage names are case-insensitive, as in BuildKit
        literal_build_args(build_path.build_args),
    )


def _plan(
    key: _Key,
    members: Sequence[BuildPath],
    info: DockerfileInfo,
    uses: Sequence[tuple[BaseUse, ImageVerdict]],
    wanted: tuple[Platform, ...],
) -> BuildPlan:
    needed = set(stages_needed(info, key.target))
    relevant = [
        (use, verdict) for use, verdict in uses if use.dockerfile == key.dockerfile and use.stage in needed
    ]
    cut = _cut(relevant, wanted)
    # The pushing build paths first: they are the ones the plan stands for.
    ordered = sorted(members, key=lambda build_path: not build_path.pushes)
    return BuildPlan(
        dockerfile=key.dockerfile,
        context=key.context,
        target=key.target,
        build_args=key.build_args,
        tags=tuple(dict.fromkeys(tag for build_path in members for tag in build_path.tags)),
        platforms=tuple(platform for platform in wanted if platform not in cut),
        cut=tuple((platform, "; ".join(cut[platform])) for platform in wanted if platform in cut),
        sources=tuple(dict.fromkeys(f"{bp.path}:{bp.line}" for bp in ordered)),
    )


def _cut(
    uses: Sequence[tuple[BaseUse, ImageVerdict]], wanted: tuple[Platform, ...]
) -> dict[Platform, list[str]]:
    """Each wanted platform some needed base lacks, with the reasons (one per base, in order)."""
    cut: dict[Platform, list[str]] = {}
    for use, verdict in uses:
        needs = {_normal(p) for p in use.needs}
        missing = {_normal(p) for p in verdict.missing}
        for platform in wanted:
            if platform not in needs:
                continue
            if verdict.status is VerdictStatus.MISSING and platform in missing:
                reason = f"{familiar(use.ref)} has no {platform}"
            elif verdict.status is VerdictStatus.NOT_FOUND:
                reason = f"{familiar(use.ref)} was not found in its registry"
            else:
                continue  # multi-arch, or unverified: the build will tell
            reasons = cut.setdefault(platform, [])
            if reason not in reasons:
                reasons.append(reason)
    return cut


def _normal(platform: Platform) -> Platform:
    return Platform.of(platform.os, platform.architecture, platform.variant)
