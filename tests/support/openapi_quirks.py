"""Where GitHub's OpenAPI description is known to be wrong, so the check allows what GitHub really does.

An entry belongs here only when the description disagrees with GitHub itself, never to hide a mistake of
the local GitHub. Each names the operation (``METHOD route``, ``*`` wildcards), where the violation is (a
JSON path with ``[*]`` for any index, ``*`` for any key and ``**`` for any path, or ``status`` /
``operation``), the text the message must contain, and why, with the github/rest-api-description issue
when there is one. The tests fail on an entry no exchange needed any more.
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


QUIRKS: tuple[Quirk, ...] = (
    Quirk(
        "*",
        "**",
        "A nullable enum leaves null out of its values (issue state_reason is null while an issue is open): "
        "GitHub's style, kept on purpose, but OAS 3.0.3 (the OAI's Clarify-Nullable proposal, #1900) lets "
        "null through an enum only when listed, and the validator follows that",
        issue=3667,
        message="None is not one of [",
    ),
)
