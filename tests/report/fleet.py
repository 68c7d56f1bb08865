"""Constructed outcomes of a small fleet run, hostile ones included, for the report tests."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.forge.records import PrRef, PrState
from bot.model import (
    BinaryCheck,
    BuildPlan,
    BuildResult,
    ImageRef,
    ImageVerdict,
    Outcome,
    Platform,
    PlatformBuild,
    PlatformResult,
    Readiness,
    ScanResult,
    SmokeRun,
    VerdictStatus,
    VerifyResult,
    VerifyStatus,
    WrongArchBinary,
)
from bot.outcome import RepoOutcome, Verdict
from bot.report.run import RunFacts

AMD64, ARM64, ARMV7 = Platform("linux", "amd64"), Platform("linux", "arm64"), Platform("linux", "arm", "v7")
WANTED = (AMD64, ARM64)
LEGACY = ImageRef("docker.io", "acme/legacy-runtime", "2.4")
HOSTILE_NAME = "evil/<script>alert(1)</script>|x"
HOSTILE_REASON = (
    "clone failed: \x1b[2J\x1b]0;pwned\x07 <img src=x onerror=alert(1)> | @everyone #1 --> `tick`\n"
    "::add-mask::secret \x9b31m"
)
FACTS = RunFacts(
    started=datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC),
    finished=datetime(2026, 11, 28, 9, 12, 5, tzinfo=UTC),
)


def scan(
    readiness: Readiness = Readiness.NEEDS_SCRIPT_CHANGES, verdicts: tuple[ImageVerdict, ...] = ()
) -> ScanResult:
    return ScanResult("repo", WANTED, (), (), (), verdicts, (), (), readiness)


def passed(platform: Platform) -> PlatformResult:
    return PlatformResult(
        PlatformBuild(platform, Outcome.PASSED, 42.0, image=f"local/{platform.architecture}"),
        SmokeRun(platform, Outcome.PASSED, ("tool", "--version"), 0, 0.5),
        BinaryCheck(platform, Outcome.PASSED, 12),
    )


def verification(*results: PlatformResult, cut: tuple[tuple[Platform, str], ...] = ()) -> VerifyResult:
    plan = BuildPlan("Dockerfile", ".", platforms=tuple(r.build.platform for r in results), cut=cut)
    failed = any(r.outcome is not Outcome.PASSED for r in results)
    status = VerifyStatus.FAILED if failed else VerifyStatus.PASSED
    return VerifyResult(scan(), (BuildResult(plan, results),), (), status)


WRONG_TINI = PlatformResult(
    PlatformBuild(ARM64, Outcome.PASSED, 50.0),
    SmokeRun(ARM64, Outcome.PASSED, ("tool",), 0, 0.4),
    BinaryCheck(ARM64, Outcome.FAILED, 12, (WrongArchBinary("/sbin/tini", "amd64", "arm64"),)),
)

OPENED = RepoOutcome(
    "acme/tool",
    Verdict.OPENED,
    pr=PrRef(12, "http://127.0.0.1:8080/acme/tool/pull/12", PrState.OPENED),
    pushed=True,
    seconds=95.25,
    scan=scan(),
    verification=verification(passed(AMD64), passed(ARM64), cut=((ARMV7, "node:lts has no linux/arm/v7"),)),
)
BLOCKED = RepoOutcome(
    "acme/legacy",
    Verdict.BLOCKED,
    ("docker.io/acme/legacy-runtime:2.4 has no linux/arm64",),
    seconds=3.0,
    scan=scan(
        Readiness.BLOCKED,
        (ImageVerdict(LEGACY, VerdictStatus.MISSING, WANTED, (AMD64,), (ARM64,)),),
    ),
)
FAILED = RepoOutcome(
    "acme/wrong-arch",
    Verdict.FAILED,
    ("linux/arm64: /sbin/tini is amd64",),
    seconds=130.0,
    scan=scan(),
    verification=verification(passed(AMD64), WRONG_TINI),
)
HOSTILE = RepoOutcome(HOSTILE_NAME, Verdict.ERROR, (HOSTILE_REASON, "second reason"), seconds=0.2)
SCANNED = RepoOutcome("acme/dry", Verdict.SCANNED, seconds=1.0, scan=scan())
FLEET = (OPENED, BLOCKED, FAILED, HOSTILE, SCANNED)
