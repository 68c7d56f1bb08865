"""One repository's state per platform: the repositories × platforms matrix of the run's reports.

A verified repository has a result for each platform it built; one that stopped earlier has "blocked"
for the platforms a base image lacks, and "not built" for the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.model import Outcome, Platform, PlatformResult, VerifyResult
from bot.outcome import RepoOutcome, Verdict


class Cell(StrEnum):
    """One repository's state for one platform."""

    PASSED = "passed"  # built, ran, and holds only its own platform's binaries
    FAILED = "failed"  # the build, the smoke run or the binary check failed (or timed out)
    UNVERIFIED = "unverified"  # the machinery to check was missing: never a pass
    NOT_PLANNED = "not-planned"  # left out of the build plan (a base lacks it)
    BLOCKED = "blocked"  # a base image lacks this platform: no pull request can help yet
    NOT_BUILT = "not-built"  # the run stopped before building (dry run, nothing to do, an error)


@dataclass(frozen=True)
class PlatformCell:
    state: Cell
    detail: str = ""  # why, in one line


def platform_columns(outcomes: Sequence[RepoOutcome]) -> tuple[Platform, ...]:
    """Every platform any outcome wanted or built, sorted."""
    found: set[Platform] = set()
    for outcome in outcomes:
        if outcome.scan is not None:
            found.update(outcome.scan.wanted)
        if outcome.verification is not None:
            found.update(r.build.platform for b in outcome.verification.builds for r in b.platforms)
    return tuple(sorted(found))


def platform_cell(outcome: RepoOutcome, platform: Platform) -> PlatformCell:
    if outcome.verification is not None:
        return _verified_cell(outcome.verification, platform)
    if outcome.scan is not None:
        lacking = [str(v.ref) for v in outcome.scan.verdicts if platform in v.missing]
        if lacking:
            return PlatformCell(Cell.BLOCKED, f"{', '.join(sorted(set(lacking)))} has no {platform}")
    return PlatformCell(Cell.NOT_BUILT, _not_built(outcome.verdict))


def _verified_cell(result: VerifyResult, platform: Platform) -> PlatformCell:
    results = [r for build in result.builds for r in build.platforms if r.build.platform == platform]
    if not results:
        cuts = [why for build in result.builds for p, why in build.plan.cut if p == platform]
        return PlatformCell(Cell.NOT_PLANNED, cuts[0] if cuts else "not in any build plan")
    failed = [r for r in results if r.outcome in (Outcome.FAILED, Outcome.TIMEOUT)]
    if failed:
        return PlatformCell(Cell.FAILED, _failure(failed[0]))
    if any(r.outcome is not Outcome.PASSED for r in results):
        return PlatformCell(
            Cell.UNVERIFIED, next(_failure(r) for r in results if r.outcome is not Outcome.PASSED)
        )
    return PlatformCell(Cell.PASSED, "built, ran, own binaries only")


def _failure(result: PlatformResult) -> str:
    build, smoke, binaries = result.build, result.smoke, result.binaries
    if build.outcome is not Outcome.PASSED:
        return f"build {build.outcome}" + (f": {build.error}" if build.error else "")
    if smoke is not None and smoke.outcome is not Outcome.PASSED:
        return f"smoke run {smoke.outcome}" + (f": {smoke.error}" if smoke.error else "")
    if binaries is not None and binaries.wrong:
        wrong = binaries.wrong[0]
        return f"{wrong.path} is {wrong.found}, expected {wrong.expected}"
    if binaries is not None and binaries.outcome is not Outcome.PASSED:
        return f"binary check {binaries.outcome}" + (f": {binaries.error}" if binaries.error else "")
    return str(result.outcome)


def _not_built(verdict: Verdict) -> str:
    return {
        Verdict.SCANNED: "stopped at the scan gate",
        Verdict.PATCHED: "stopped at the patch gate",
        Verdict.NOTHING_TO_DO: "nothing to do",
        Verdict.BLOCKED: "blocked before the build",
        Verdict.ERROR: "the repository could not be processed",
    }.get(verdict, "not built this run")
