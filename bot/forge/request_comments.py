"""What the bot says on a request issue: ask for a name, acknowledge, and the outcome, each with a marker.

Pure. Every comment ends with a hidden marker so a rerun can tell it already said this: the ask and
the acknowledgement are said once per issue, an outcome again only when it differs from the last one
said (its marker carries a fingerprint of the outcome's substance, not of its timings). Repository,
scan and log text is untrusted and goes through ``bot.forge.markdown``; comments are kept short.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from bot.forge.markdown import code, fenced, fit, inline, prose_with_code
from bot.model import Outcome, Platform, PlatformResult, ScanResult, VerifyResult
from bot.outcome import IssueRef, RepoOutcome, Verdict

COMMENT_LIMIT = 6000  # far below GitHub's 65,536: a request thread should stay readable
ASK_MARKER = "<!-- multiarch-bot:request ask -->"
ACK_MARKER = "<!-- multiarch-bot:request ack -->"
_OUTCOME_MARKER = re.compile(r"<!-- multiarch-bot:outcome ([0-9a-f]{16}) -->")
_MAX_REASONS = 10
_MAX_HAZARDS = 8
_LOG_LINES = 20
_CUT = "… ({omitted} more lines not shown; the run report has everything)"
# Verdicts worth telling the requester. Dry-run gates and a pull request held by the run's cap are not:
# the next full run says what happened.
_SAID = {
    Verdict.OPENED: "pr",
    Verdict.UPDATED: "pr",
    Verdict.UP_TO_DATE: "pr",
    Verdict.MERGED: "merged",
    Verdict.DECLINED: "declined",
    Verdict.NOTHING_TO_DO: "nothing-to-do",
    Verdict.BLOCKED: "blocked",
    Verdict.FAILED: "failed",
    Verdict.ERROR: "error",
}


def ask_text() -> str:
    return "\n".join(
        [
            "Thanks for the request! I could not find which repository it is about. Please name it in the "
            "title or the description as `owner/repo` or as its URL (`https://github.com/owner/repo`); "
            "I will pick it up on my next run.",
            "",
            ASK_MARKER,
        ]
    )


def ack_text(repo: str, platforms: Sequence[Platform]) -> str:
    wanted = ", ".join(str(p) for p in platforms)
    return "\n".join(
        [
            f"On it: I will check whether {code(repo)} can publish its Docker images for {inline(wanted)}, "
            "and comment here with what I find (a pull request, or why not).",
            "",
            ACK_MARKER,
        ]
    )


def duplicate_text(repo: str, first: IssueRef) -> str:
    # owner/repo#N: GitHub links it (both parts are validated names), and the first request links back
    return "\n".join(
        [
            f"{code(repo)} is already requested in {first.repo}#{first.number}; "
            "I will post the outcome there.",
            "",
            ACK_MARKER,
        ]
    )


def has_marker(bodies: Sequence[str], marker: str) -> bool:
    return any(marker in body for body in bodies)


def outcome_fingerprint(outcome: RepoOutcome) -> str | None:
    """The outcome's substance (kind, pull request, reasons without their numbers, which vary from run to
    run as durations and counts); None when this outcome is not worth a comment."""
    kind = _SAID.get(outcome.verdict)
    if kind is None:
        return None
    digest = hashlib.sha256(b"multiarch-bot/outcome/v1\0" + kind.encode())
    if outcome.pr is not None:
        digest.update(b"\0" + outcome.pr.html_url.encode())
    if kind not in ("pr", "merged", "declined"):  # a PR's own page tells the rest
        for reason in outcome.reasons:
            digest.update(b"\0" + re.sub(r"\d+", "0", reason).encode())
    return digest.hexdigest()[:16]


def last_outcome(bodies: Sequence[str]) -> str | None:
    """The fingerprint of the last outcome the bot said in these comments (oldest first)."""
    found = [match for body in bodies for match in _OUTCOME_MARKER.findall(body)]
    return found[-1] if found else None


def outcome_text(outcome: RepoOutcome, fingerprint: str) -> str:
    """The comment for ``outcome``, within ``COMMENT_LIMIT``, ending with its marker."""
    repo = code(outcome.target)
    url = outcome.pr.html_url if outcome.pr else None
    blocks: list[str]
    if outcome.verdict in (Verdict.OPENED, Verdict.UPDATED, Verdict.UP_TO_DATE) and url:
        blocks = [f"The pull request for {repo} is open: {_link(url)}. Thanks for asking!"]
    elif outcome.verdict is Verdict.MERGED and url:
        blocks = [f"The pull request for {repo} was merged: {_link(url)}. 🎉"]
    elif outcome.verdict is Verdict.DECLINED and url:
        blocks = [
            f"The maintainers of {repo} closed the pull request ({_link(url)}) without merging it; "
            "I leave it closed."
        ]
    elif outcome.verdict is Verdict.NOTHING_TO_DO:
        blocks = [f"Nothing to do for {repo}:", "", *_reasons(outcome.reasons)]
    elif outcome.verdict is Verdict.BLOCKED:
        blocks = [
            f"No pull request for {repo} yet: it is blocked, and no change in the repository can help until "
            "this changes:",
            "",
            *_reasons(outcome.reasons),
            *_hazards(outcome.scan),
        ]
    elif outcome.verdict is Verdict.FAILED:
        blocks = [
            f"No pull request for {repo}: the multi-platform build of the change failed its checks.",
            "",
            *_reasons(outcome.reasons),
            *_hazards(outcome.scan),
            *_failure_log(outcome.verification),
        ]
    else:
        blocks = [f"I could not process {repo}:", "", *_reasons(outcome.reasons)]
    tail = f"<!-- multiarch-bot:outcome {fingerprint} -->"
    text, _ = fit(blocks, tail, COMMENT_LIMIT, _CUT)
    return text


def _link(url: str) -> str:
    # URLs come from GitHub's own answers; an autolink still must not carry spaces or angle brackets
    return f"<{url}>" if re.fullmatch(r"https?://[^\s<>]+", url) else code(url)


def _reasons(reasons: Sequence[str]) -> list[str]:
    lines = [f"- {prose_with_code(reason)}" for reason in reasons[:_MAX_REASONS]]
    if len(reasons) > _MAX_REASONS:
        lines.append(f"- … and {len(reasons) - _MAX_REASONS} more")
    return lines or ["- (no reason given)"]


def _hazards(scan: ScanResult | None) -> list[str]:
    if scan is None or not scan.hazards:
        return []
    lines = ["", "Architecture hazards found:", ""]
    for hazard in scan.hazards[:_MAX_HAZARDS]:
        where = code(f"{hazard.path}:{hazard.line}")
        lines.append(f"- {where} ({hazard.severity}): {prose_with_code(hazard.message)}")
    if len(scan.hazards) > _MAX_HAZARDS:
        lines.append(f"- … and {len(scan.hazards) - _MAX_HAZARDS} more")
    return lines


def _failure_log(verification: VerifyResult | None) -> list[str]:
    """The first failed platform's error and the end of its log: enough to see why, short enough to read."""
    failed = _first_failure(verification)
    if failed is None:
        return []
    platform, error, tail = failed
    lines = ["", f"The first failure, on {code(str(platform))}:"]
    if error:
        lines += ["", f"> {inline(error, 400)}"]
    if tail:
        lines += ["", fenced("\n".join(tail), max_lines=_LOG_LINES, line_limit=200)]
    return lines


def _first_failure(verification: VerifyResult | None) -> tuple[Platform, str, Sequence[str]] | None:
    if verification is None:
        return None
    for build in verification.builds:
        for result in build.platforms:
            found = _step_failure(result)
            if found is not None:
                return found
    return None


def _step_failure(result: PlatformResult) -> tuple[Platform, str, Sequence[str]] | None:
    bad = (Outcome.FAILED, Outcome.TIMEOUT)
    build, smoke, binaries = result.build, result.smoke, result.binaries
    if build.outcome in bad:
        return build.platform, build.error or f"the build ended: {build.outcome}", build.log_tail
    if smoke is not None and smoke.outcome in bad:
        return smoke.platform, smoke.error or f"the smoke run ended: {smoke.outcome}", smoke.output_tail
    if binaries is not None and binaries.outcome in bad:
        wrong = [f"{w.path} is {w.found}, expected {w.expected}" for w in binaries.wrong]
        return binaries.platform, binaries.error or "programs of the wrong architecture", wrong
    return None
