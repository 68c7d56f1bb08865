"""Does a repository require a Developer Certificate of Origin sign-off on every commit?

Pure: a few files' text in, a reason (or None) out. A commit without ``Signed-off-by`` to a DCO
repository fails its check and wastes a maintainer's time; a sign-off where none is asked for costs
nothing, so a clear mention is enough to say yes. A mention that says it is *not* needed is not one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Where projects say it: contributing guides, PR templates, the DCO app's config, the DCO text itself.
_GUIDES = re.compile(
    r"^(?:\.github/|docs/|\.gitlab/)?(?:contributing|pull_request_template|governance|readme)(?:\.[a-z]+)?$",
    re.IGNORECASE,
)
_DCO_APP = (".github/dco.yml", ".github/dco.yaml")  # the probot DCO app (github.com/apps/dco)
_DCO_TEXT = re.compile(r"^(?:dco|dco\.(?:txt|md))$", re.IGNORECASE)
_WORKFLOW = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
_DCO_ACTIONS = re.compile(r"uses:\s*['\"]?[\w.-]+/[\w.-]*dco[\w.-]*@", re.IGNORECASE)
_MENTION = re.compile(
    r"signed-off-by|developer certificate of origin|\bDCO\b|git commit[^\n]*\s(?:-s|--signoff)\b|--signoff",
    re.IGNORECASE,
)
_SIGN_OFF = r"(?:\bdco\b|sign(?:ed)?[- ]?off(?:-by)?)"
_NEGATED = re.compile(
    rf"\b(?:not|no longer|don't|do not|doesn't|does not|never|no need to)\b[^.\n]{{0,40}}{_SIGN_OFF}"
    rf"|{_SIGN_OFF}[^.\n]{{0,40}}\b(?:is not|isn't|are not|aren't|not)\s+(?:required|needed|necessary)",
    re.IGNORECASE,
)


def candidate_paths(paths: Iterable[str]) -> list[str]:
    """The files worth reading to decide (a checkout's file list in, a few paths out)."""
    return sorted(p for p in paths if _kind(p) is not None)


def dco_requirement(files: Mapping[str, str]) -> str | None:
    """Why sign-off is required (for the log), or None. ``files``: repo-relative path → text."""
    for path in sorted(files):
        kind = _kind(path)
        text = files[path]
        if kind == "app":
            return f"{path} configures the DCO app"
        if kind == "text":
            return f"{path} holds the Developer Certificate of Origin"
        if kind == "workflow" and _DCO_ACTIONS.search(text):
            return f"{path} runs a DCO check"
        if kind == "guide":
            line = _asking_line(text)
            if line is not None:
                return f"{path} asks for it: {line[:120]}"
    return None


def _kind(path: str) -> str | None:
    if path.lower() in _DCO_APP:
        return "app"
    if _DCO_TEXT.match(path):
        return "text"
    if _WORKFLOW.match(path):
        return "workflow"
    return "guide" if _GUIDES.match(path) else None


def _asking_line(text: str) -> str | None:
    for line in text.splitlines():
        if _MENTION.search(line) and not _NEGATED.search(line):
            return line.strip()
    return None
