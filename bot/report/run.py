"""A fleet run's outcomes → a terminal summary table, the versioned JSON report and a Markdown job summary.

Repository names, reasons and build errors are untrusted (a request issue names the repository; a
Dockerfile writes the build's error line), so every renderer strips control characters (an escape
sequence in a reason must not drive the terminal) and the Markdown escapes them. The HTML report, with
its repositories × platforms matrix, is in ``run_html``; the matrix (``platform_matrix``) is in the
JSON report too.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.forge import markdown as md
from bot.model import Platform, PlatformResult, VerifyResult
from bot.outcome import Gate, RepoOutcome, Verdict
from bot.report.platform_matrix import platform_cell, platform_columns

RUN_SCHEMA = "multiarch-bot/run/v1"
SUMMARY_LIMIT = 300_000  # characters; GitHub takes up to 1 MiB of UTF-8 per step summary
_C1 = re.compile(r"[\x80-\x9f]")  # 8-bit control codes: \x9b alone starts an escape sequence
_SAFE_URL = re.compile(r"https?://[^\s<>\"'()\[\]`\\]{1,300}")


@dataclass(frozen=True)
class RunFacts:
    """What the run was, beside its outcomes."""

    started: datetime
    finished: datetime
    gate: Gate | None = None  # the --dry-run gate; None: the run went as far as pull requests
    shard: str | None = None  # as given to --shard, e.g. "2/4"
    targets: int | None = None  # targets this run was given; None: as many as there are outcomes
    stopped: str | None = None  # why the run stopped before every target (Ctrl-C, the API budget)

    @property
    def seconds(self) -> float:
        return max(0.0, (self.finished - self.started).total_seconds())


def verdict_counts(outcomes: Sequence[RepoOutcome]) -> dict[str, int]:
    """Per verdict, in the order of ``Verdict``, without zeros."""
    counted = Counter(outcome.verdict for outcome in outcomes)
    return {str(verdict): counted[verdict] for verdict in Verdict if counted[verdict]}


def headline(outcomes: Sequence[RepoOutcome], facts: RunFacts) -> str:
    """``3 repositories in 1m05s: 1 opened, 2 blocked; dry run (build gate); shard 2/4``."""
    count = len(outcomes)
    text = f"{count} repositor{'y' if count == 1 else 'ies'} in {duration(facts.seconds)}"
    counts = ", ".join(f"{n} {verdict}" for verdict, n in verdict_counts(outcomes).items())
    parts = [text + (f": {counts}" if counts else "")]
    if facts.targets is not None and facts.targets > count:
        parts.append(f"{facts.targets - count} not reached")
    if facts.gate is not None:
        parts.append(f"dry run ({facts.gate} gate)")
    if facts.shard:
        parts.append(f"shard {plain(facts.shard, 20)}")
    if facts.stopped:
        parts.append(f"stopped: {plain(facts.stopped, 200)}")
    return "; ".join(parts)


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def plain(text: str, limit: int) -> str:
    """Untrusted text for a terminal or a log: one line, no control codes, at most ``limit`` characters."""
    return md.one_line(_C1.sub("", text), limit)


def safe_url(url: str) -> str | None:
    """The URL when it is a plain http(s) URL that cannot break out of a link or an attribute."""
    return url if _SAFE_URL.fullmatch(url) else None


def outcome_detail(outcome: RepoOutcome) -> str:
    """The pull request's URL, else the first reason (untrusted, not yet cleaned)."""
    if outcome.pr is not None:
        return outcome.pr.html_url
    return outcome.reasons[0] if outcome.reasons else ""


# ---------------------------------------------------------------------------------------------- terminal


def summary_table(outcomes: Sequence[RepoOutcome], facts: RunFacts, *, width: int = 100) -> str:
    """An aligned table (repository, verdict, pull request or reason, time) that fits in ``width``."""
    header = ("repository", "verdict", "pull request / reason", "time")
    rows = [
        (plain(o.target, 40), str(o.verdict), plain(outcome_detail(o), 500), duration(o.seconds))
        for o in outcomes
    ]
    repo_width = max(len(r[0]) for r in [header, *rows])
    verdict_width = max(len(r[1]) for r in [header, *rows])
    time_width = max(len(r[3]) for r in [header, *rows])
    detail_width = max(20, width - repo_width - verdict_width - time_width - 6)
    lines = [
        f"{repo:<{repo_width}}  {verdict:<{verdict_width}}  {md.clip(detail, detail_width):<{detail_width}}  "
        f"{time:>{time_width}}"
        for repo, verdict, detail, time in [header, *rows]
    ]
    return "\n".join([*(line.rstrip() for line in lines), "", headline(outcomes, facts)]) + "\n"


# ---------------------------------------------------------------------------------------------- JSON


def run_to_json(outcomes: Sequence[RepoOutcome], facts: RunFacts) -> str:
    return json.dumps(run_document(outcomes, facts), indent=2) + "\n"


def run_document(outcomes: Sequence[RepoOutcome], facts: RunFacts) -> dict[str, Any]:
    columns = platform_columns(outcomes)
    return {
        "schema": RUN_SCHEMA,
        "started": iso_utc(facts.started),
        "finished": iso_utc(facts.finished),
        "seconds": round(facts.seconds, 2),
        "gate": None if facts.gate is None else str(facts.gate),
        "shard": facts.shard,
        "targets": len(outcomes) if facts.targets is None else facts.targets,
        "stopped": facts.stopped,
        "counts": verdict_counts(outcomes),
        "platforms": [str(p) for p in columns],
        "outcomes": [_outcome(o, columns) for o in outcomes],
    }


def _outcome(outcome: RepoOutcome, columns: Sequence[Platform]) -> dict[str, Any]:
    pr = outcome.pr
    cells = {str(p): platform_cell(outcome, p) for p in columns}
    return {
        "repo": outcome.target,
        "verdict": str(outcome.verdict),
        "reasons": list(outcome.reasons),
        "pr": None if pr is None else {"number": pr.number, "url": pr.html_url, "state": str(pr.state)},
        "pushed": outcome.pushed,
        "seconds": round(outcome.seconds, 2),
        "readiness": None if outcome.scan is None else str(outcome.scan.readiness),
        "changed": [] if outcome.patch is None else [edit.path for edit in outcome.patch.edits],
        "platforms": {name: {"state": str(c.state), "detail": c.detail} for name, c in cells.items()},
        "verification": None if outcome.verification is None else _verification(outcome.verification),
    }


def _verification(result: VerifyResult) -> dict[str, Any]:
    return {
        "status": str(result.status),
        "builds": [
            {
                "dockerfile": build.plan.dockerfile,
                "context": build.plan.context,
                "target": build.plan.target,
                "outcome": str(build.outcome),
                "cut": [{"platform": str(p), "reason": why} for p, why in build.plan.cut],
                "results": [_platform_result(r) for r in build.platforms],
            }
            for build in result.builds
        ],
    }


def _platform_result(result: PlatformResult) -> dict[str, Any]:
    build, smoke, binaries = result.build, result.smoke, result.binaries
    return {
        "platform": str(build.platform),
        "outcome": str(result.outcome),
        "build": {
            "outcome": str(build.outcome),
            "seconds": round(build.seconds, 2),
            "error": build.error or None,
        },
        "smoke": None
        if smoke is None
        else {
            "outcome": str(smoke.outcome),
            "exit_code": smoke.exit_code,
            "seconds": round(smoke.seconds, 2),
            "error": smoke.error or None,
        },
        "binaries": None
        if binaries is None
        else {
            "outcome": str(binaries.outcome),
            "checked": binaries.checked,
            "wrong": [{"path": w.path, "found": w.found, "expected": w.expected} for w in binaries.wrong],
            "error": binaries.error or None,
        },
    }


def iso_utc(moment: datetime) -> str:
    """``2026-11-28T09:12:05Z``; a naive time is taken as UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------- Markdown


def run_markdown(outcomes: Sequence[RepoOutcome], facts: RunFacts, *, limit: int = SUMMARY_LIMIT) -> str:
    """The job summary for ``$GITHUB_STEP_SUMMARY``: the headline and the same table, bounded."""
    rows = [[_md(o.target, 140), str(o.verdict), _markdown_detail(o), duration(o.seconds)] for o in outcomes]
    table = md.table(["repository", "verdict", "pull request or reason", "time"], rows)
    blocks = ["### multiarch-bot run", "", _md(headline(outcomes, facts), 1000), "", *table]
    tail = f"<sub>{RUN_SCHEMA} · {iso_utc(facts.finished)}</sub>\n"
    text, _ = md.fit(blocks, tail, limit, "{omitted} more rows are in the JSON report.")
    return text


def _markdown_detail(outcome: RepoOutcome) -> str:
    if outcome.pr is not None:
        url = safe_url(outcome.pr.html_url)
        label = f"#{outcome.pr.number}"
        return f"[{label}]({url})" if url else _md(outcome.pr.html_url, 300)
    return _md(outcome.reasons[0], 300) if outcome.reasons else ""


def _md(text: str, limit: int) -> str:
    return md.inline(_C1.sub("", text), limit)
