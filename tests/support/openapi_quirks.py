"""Where GitHub's OpenAPI description is known to be wrong, so the check allows what GitHub really does.

An entry belongs here only when the description disagrees with GitHub itself, never to hide a mistake of
the local GitHub. Each names the operation (``METHOD route``, ``*`` wildcards), where the violation is
(a JSON path with ``[*]`` for any index and ``*`` for any key, or ``status`` / ``operation``), the text
the message must contain, and why, with the github/rest-api-description issue when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Quirk:
    operation: str  # "GET /repos/{owner}/{repo}/pulls/{pull_number}", fnmatch wildcards allowed
    where: str  # "$.head.repo", "$[*].head.repo", "status", "operation"
    reason: str
    issue: int | None = None  # github/rest-api-description issue number
    message: str = ""  # a substring of the violation's message; "" matches any
    # For "status": the component schema the body is checked against instead ("basic-error").
    # For "operation": the documented "METHOD route" the exchange is checked as instead.
    validate_as: str = ""


QUIRKS: tuple[Quirk, ...] = ()
