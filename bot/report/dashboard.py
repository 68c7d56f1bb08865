"""The dashboard issue (Renovate's dependency dashboard is the model): every target's state, one issue.

Each run rewrites the body. Targets the run did not process (another shard's, or ones a stopped run did
not reach) keep their last state, read back from a hidden block, a line of its own at the end of the previous
body: ``<!-- multiarch-bot:dashboard {json} -->``. That body is input like any other (anyone with triage
rights can edit an issue), so the block is read with bounds and every entry is checked; anything
malformed is dropped, never trusted. ``<`` and ``>`` are written as JSON escapes, so no text in the
block can close the comment, and the visible tables escape everything (``bot.forge.markdown``).

GitHub limits an issue body to 65,536 characters. The block is kept first (it is the state); when it
would not fit, reasons go, then the targets seen longest ago. The visible tables take what is left.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from bot.forge import markdown as md
from bot.outcome import RepoOutcome, Verdict
from bot.report.run import iso_utc, outcome_detail, plain, safe_url, verdict_counts

DASHBOARD_MARKER = "<!-- multiarch-bot:dashboard"
DASHBOARD_TITLE = "multiarch-bot: dashboard"
BODY_LIMIT = 65_536  # GitHub's limit on an issue body
MAX_TARGETS = 5_000  # entries read back from a previous body; more is not a body the bot wrote
_VERSION = 1
_REPO = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
_SEEN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
# the block is one line of its own; escaped visible text never starts a line with "<"
_BLOCK = re.compile("^" + re.escape(DASHBOARD_MARKER) + r" (\{[^\n]*\}) -->$", re.MULTILINE)
_VERDICTS = frozenset(str(v) for v in Verdict)
_SECTIONS = (
    ("Open pull requests", (Verdict.OPENED, Verdict.UPDATED, Verdict.UP_TO_DATE)),
    (
        "Needs a look: the build failed or the repository could not be processed",
        (Verdict.FAILED, Verdict.ERROR),
    ),
    ("Blocked: a base image lacks a platform", (Verdict.BLOCKED,)),
    ("Held by the pull-request limit: the next run opens them", (Verdict.HELD,)),
    ("Merged", (Verdict.MERGED,)),
    ("Declined: the maintainers closed the pull request", (Verdict.DECLINED,)),
    ("Nothing to do", (Verdict.NOTHING_TO_DO,)),
    ("Dry runs", (Verdict.SCANNED, Verdict.PATCHED, Verdict.VERIFIED)),
)


@dataclass(frozen=True)
class TargetState:
    repo: str  # owner/name
    verdict: Verdict
    seen: str  # when a run last processed it: 2026-11-28T09:12:05Z
    pr_number: int | None = None
    pr_url: str | None = None
    reason: str = ""  # the first reason, one line, clipped


def dashboard_body(
    outcomes: Sequence[RepoOutcome],
    previous_body: str | None,
    *,
    now: datetime | None = None,
    targets: Collection[str] | None = None,  # every configured target: others' states are dropped
    limit: int = BODY_LIMIT,
) -> str:
    seen = iso_utc(now or datetime.now(UTC))
    states = read_states(previous_body)
    for outcome in outcomes:
        state = _state(outcome, seen)
        if state is not None:
            states[state.repo.lower()] = state
    if targets is not None:
        wanted = {name.lower() for name in targets}
        states = {key: state for key, state in states.items() if key in wanted}
    block = _block(list(states.values()), limit - 2_000)
    visible = _visible(outcomes, states, targets, seen)
    text, _ = md.fit(visible, block, limit, "_{omitted} more lines are not shown: the issue is full._")
    return text


def read_states(previous_body: str | None) -> dict[str, TargetState]:
    """The states in a previous body's block, by lower-cased ``owner/name``; empty when there is none
    or it is not one the bot wrote. Entries that do not check out are dropped one by one."""
    if not isinstance(previous_body, str) or len(previous_body) > 2 * BODY_LIMIT:
        return {}
    found = [m[1] for m in _BLOCK.finditer(previous_body)]
    if not found:
        return {}
    try:
        document = json.loads(found[-1])
    except (ValueError, RecursionError):
        return {}
    if not isinstance(document, dict) or document.get("v") != _VERSION:
        return {}
    entries, seen = document.get("targets"), document.get("seen")
    if not isinstance(entries, dict) or not isinstance(seen, list) or len(seen) > MAX_TARGETS:
        return {}
    seen = [stamp if isinstance(stamp, str) and _SEEN.fullmatch(stamp) else "" for stamp in seen]
    states: dict[str, TargetState] = {}
    for repo, entry in list(entries.items())[:MAX_TARGETS]:
        state = _entry(repo, entry, seen)
        if state is not None:
            states[state.repo.lower()] = state
    return states


def _entry(repo: object, entry: object, seen: list[str]) -> TargetState | None:
    """``[verdict, run, pr, url, reason]`` (trailing nulls left out); ``run`` indexes the block's ``seen``."""
    if not isinstance(repo, str) or not _REPO.fullmatch(repo) or not isinstance(entry, list):
        return None
    if not 2 <= len(entry) <= 5:
        return None
    verdict, run, number, url, reason = [*entry, None, None, None][:5]
    if verdict not in _VERDICTS or type(run) is not int or not 0 <= run < len(seen) or not seen[run]:
        return None
    if number is not None and (type(number) is not int or not 0 < number < 10**9):
        return None
    if url is not None and (not isinstance(url, str) or safe_url(url) is None):
        return None
    text = plain(reason, 200) if isinstance(reason, str) else ""
    return TargetState(repo, Verdict(verdict), seen[run], number, url, text)


def _state(outcome: RepoOutcome, seen: str) -> TargetState | None:
    if not _REPO.fullmatch(outcome.target):
        return None  # not a repository name: reported by the run, never stored
    pr = outcome.pr
    reason = "" if pr is not None else plain(outcome_detail(outcome), 200)
    if pr is None:
        return TargetState(outcome.target, outcome.verdict, seen, reason=reason)
    return TargetState(outcome.target, outcome.verdict, seen, pr.number, safe_url(pr.html_url))


def _block(states: list[TargetState], budget: int) -> str:
    """The hidden block within ``budget``: reasons go first, then the targets seen longest ago."""
    states = sorted(states, key=lambda s: (s.seen, s.repo.lower()), reverse=True)
    text = _encode(states)
    if md.size(text) > budget:
        states = [replace(s, reason="") for s in states]
        text = _encode(states)
    while md.size(text) > budget and states:
        states = states[: max(0, len(states) - max(1, len(states) // 10))]
        text = _encode(states)
    return text


def _encode(states: list[TargetState]) -> str:
    """One compact line: a fleet of hundreds must fit beside the tables."""
    runs = sorted({s.seen for s in states})
    entries: dict[str, list[Any]] = {}
    for s in sorted(states, key=lambda s: s.repo.lower()):
        entry: list[Any] = [str(s.verdict), runs.index(s.seen), s.pr_number, s.pr_url, s.reason or None]
        while entry[-1] is None:
            entry.pop()
        entries[s.repo] = entry
    data = json.dumps(
        {"v": _VERSION, "seen": runs, "targets": entries}, ensure_ascii=True, separators=(",", ":")
    )
    # no text inside can end the comment (or open another), whatever a reason says
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f"{DASHBOARD_MARKER} {data} -->\n"


def _visible(
    outcomes: Sequence[RepoOutcome],
    states: dict[str, TargetState],
    targets: Collection[str] | None,
    seen: str,
) -> list[str]:
    counts = ", ".join(f"{n} {verdict}" for verdict, n in verdict_counts(outcomes).items())
    lines = [
        "This issue lists every repository multiarch-bot works on and where each one stands. The bot "
        "rewrites it after every run, so edits to it do not last.",
        "",
        f"Last run: {seen[:10]} {seen[11:16]} UTC, {len(outcomes)} processed"
        + (f" ({counts})." if counts else "."),
        "",
    ]
    for title, verdicts in _SECTIONS:
        chosen = sorted((s for s in states.values() if s.verdict in verdicts), key=lambda s: s.repo.lower())
        if chosen:
            lines += [f"## {title} ({len(chosen)})", ""]
            lines += md.table(
                ["repository", "state", "pull request or reason", "checked"], [_row(s) for s in chosen]
            )
            lines.append("")
    waiting = sorted({name for name in targets or () if name.lower() not in states}, key=str.lower)
    if waiting:
        lines += [f"## Not processed yet ({len(waiting)})", ""]
        lines += [f"- {md.inline(name, 140)}" for name in waiting] + [""]
    return lines


def _row(state: TargetState) -> list[str]:
    if state.pr_number is not None and state.pr_url:
        detail = f"[#{state.pr_number}]({state.pr_url})"
    elif state.pr_number is not None:
        detail = f"#&#8203;{state.pr_number}"
    else:
        detail = md.inline(state.reason, 200)
    return [md.inline(state.repo, 140), str(state.verdict), detail, f"{state.seen[:10]} {state.seen[11:16]}"]
