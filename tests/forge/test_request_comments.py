"""The comments on a request issue: short, escaped, marked, and fingerprinted by substance."""

from __future__ import annotations

from bot.forge import request_comments as say
from bot.forge.records import PrRef, PrState
from bot.model import (
    AMD64,
    ARM64,
    BuildPlan,
    BuildResult,
    Hazard,
    Outcome,
    PlatformBuild,
    PlatformResult,
    Readiness,
    ScanResult,
    Severity,
    VerifyResult,
    VerifyStatus,
)
from bot.outcome import IssueRef, RepoOutcome, Verdict


def _scan(*hazards: Hazard) -> ScanResult:
    return ScanResult(
        "acme/tool", (AMD64, ARM64), (), (), (), (), hazards, (), Readiness.NEEDS_SCRIPT_CHANGES
    )


def _failed(log: tuple[str, ...], error: str = "exec format error") -> RepoOutcome:
    build = PlatformBuild(ARM64, Outcome.FAILED, 12.5, log_tail=log, error=error)
    result = VerifyResult(
        _scan(),
        (BuildResult(BuildPlan("Dockerfile", "."), (PlatformResult(build),)),),
        (),
        VerifyStatus.FAILED,
    )
    hazard = Hazard(
        "arch-in-url", "Dockerfile", 4, Severity.BREAKS_BUILD, "downloads `tool-amd64.tgz`", "use TARGETARCH"
    )
    return RepoOutcome(
        "acme/tool", Verdict.FAILED, ("linux/arm64: build failed",), scan=_scan(hazard), verification=result
    )


def test_a_failed_build_shows_the_hazards_and_a_short_escaped_log_excerpt() -> None:
    log = (*tuple(f"step {i}" for i in range(200)), "@maintainer see #12 <script>alert(1)</script>", "```")
    outcome = _failed(log, error="RUN ./get.sh: exec format error @someone")
    text = say.outcome_text(outcome, say.outcome_fingerprint(outcome) or "")
    assert "failed its checks" in text
    assert "`Dockerfile:4`" in text
    assert "`tool-amd64.tgz`" in text
    assert "step 199" in text
    assert "step 100" not in text
    assert "````" in text  # a fence longer than the backticks inside the log
    assert "@&#8203;someone" in text  # no ping from the error line outside the code block
    assert len(text) <= say.COMMENT_LIMIT
    assert text.rstrip().endswith(f"<!-- multiarch-bot:outcome {say.outcome_fingerprint(outcome)} -->")


def test_a_huge_outcome_is_cut_to_the_limit_and_keeps_its_marker() -> None:
    outcome = RepoOutcome("acme/tool", Verdict.ERROR, tuple("x" * 390 for _ in range(50)))
    fingerprint = say.outcome_fingerprint(outcome) or ""
    text = say.outcome_text(outcome, fingerprint)
    assert len(text) <= say.COMMENT_LIMIT
    assert say.last_outcome([text]) == fingerprint
    assert "and 40 more" in text


def test_the_fingerprint_ignores_numbers_and_follows_the_pull_request() -> None:
    pr = PrRef(3, "https://github.com/acme/tool/pull/3", PrState.OPENED)
    opened = RepoOutcome("acme/tool", Verdict.OPENED, ("pushed in 3.2 s",), pr=pr)
    same = RepoOutcome("acme/tool", Verdict.UP_TO_DATE, ("nothing new",), pr=pr)
    assert say.outcome_fingerprint(opened) == say.outcome_fingerprint(same)
    merged = RepoOutcome("acme/tool", Verdict.MERGED, pr=pr)
    assert say.outcome_fingerprint(merged) != say.outcome_fingerprint(opened)
    slow = RepoOutcome("acme/tool", Verdict.FAILED, ("timed out after 1800 s",))
    slower = RepoOutcome("acme/tool", Verdict.FAILED, ("timed out after 2400 s",))
    assert say.outcome_fingerprint(slow) == say.outcome_fingerprint(slower)
    assert say.outcome_fingerprint(RepoOutcome("acme/tool", Verdict.HELD)) is None


def test_the_last_outcome_said_is_the_one_compared() -> None:
    bodies = [
        "<!-- multiarch-bot:outcome aaaaaaaaaaaaaaaa -->",
        "thanks!",
        "x\n<!-- multiarch-bot:outcome bbbbbbbbbbbbbbbb -->",
    ]
    assert say.last_outcome(bodies) == "bbbbbbbbbbbbbbbb"
    assert say.last_outcome(["no marker"]) is None


def test_acknowledgements_and_asks_carry_their_markers() -> None:
    assert say.ACK_MARKER in say.ack_text("acme/tool", (AMD64, ARM64))
    assert say.ACK_MARKER in say.duplicate_text("acme/tool", IssueRef("acme/requests", 4))
    assert "acme/requests#4" in say.duplicate_text("acme/tool", IssueRef("acme/requests", 4))
    assert say.has_marker(["a", say.ask_text()], say.ASK_MARKER)
