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


_REFS = "/repos/{owner}/{repo}/git"

QUIRKS: tuple[Quirk, ...] = (
    # Schemas: what GitHub sends that the description's schema refuses.
    Quirk(
        "*",
        "**",
        "A nullable enum leaves null out of its values (issue state_reason is null while an issue is open): "
        "GitHub's style, kept on purpose, but OAS 3.0.3 (the OAI's Clarify-Nullable proposal, #1900) lets "
        "null through an enum only when listed, and the validator follows that",
        issue=3667,
        message="None is not one of [",
    ),
    *(
        Quirk(
            "GET /repos/{owner}/{repo}/pulls*",
            f"$**.head.{key}",
            "A pull request whose head fork was deleted has head.repo, head.user and head.label null "
            "(recorded on api.github.com); pull-request.head still says repository, user and string",
            issue=424,
            message="None is not of type",
        )
        for key in ("repo", "user", "label")
    ),
    *(
        Quirk(
            f"GET /repos/{{owner}}/{{repo}}/{route}",
            f"{at}.{key}",
            "A commit whose author or committer email is no GitHub account has them null (GitHub's answer "
            "in #1981); the schema puts nullable next to oneOf without a type, where OAS 3.0.3 ignores it "
            "(#366)",
            issue=1981,
            message="None for not nullable",
        )
        for route, at in (
            ("branches/{branch}", "$.commit"),
            ("commits/{ref}", "$"),
            ("pulls/*/commits", "$[*]"),
        )
        for key in ("author", "committer")
    ),
    Quirk(
        "GET /repos/{owner}/{repo}/contents/{path}",
        "$",
        "A directory's listing is an array, but the discriminator added after #2974 (propertyName type, "
        "mapping array: content-directory) can only read a property of an object; checked as "
        "content-directory instead",
        issue=2974,
        message="items] is not of type 'object'",
        validate_as="content-directory",
    ),
    Quirk(
        "GET /search/issues",
        "$.items[*].body",
        "An issue without a body has body null, in search results as everywhere else (the issue schema made "
        "it nullable in rest-api-description#767); issue-search-result-item still says string",
        issue=767,
        message="None is not of type 'string'",
    ),
    # Statuses GitHub answers on every operation, which the description lists on a few; the body must still
    # be GitHub's error (basic-error).
    Quirk(
        "*",
        "status",
        "307 answers a write to a renamed repository's old name on every operation (301 answers reads: "
        "GitHub's repository redirects); the description lists 307 on PATCH and DELETE of a repo only",
        message="307 is not documented",
        validate_as="basic-error",
    ),
    Quirk(
        "*",
        "status",
        "401 Bad credentials answers a wrong token on every operation (docs: Troubleshooting the REST API)",
        message="401 is not documented",
        validate_as="basic-error",
    ),
    Quirk(
        "*",
        "status",
        "403 answers a primary or secondary rate limit, and a token lacking the permission, on every "
        "operation (docs: Rate limits for the REST API)",
        message="403 is not documented",
        validate_as="basic-error",
    ),
    Quirk(
        "*",
        "status",
        "429 answers a rate limit on every operation (docs: Rate limits for the REST API)",
        message="429 is not documented",
        validate_as="basic-error",
    ),
    Quirk(
        "*",
        "status",
        "502 answers when GitHub's backend fails, on any operation; PyGithub retries it",
        message="502 is not documented",
        validate_as="basic-error",
    ),
    Quirk(
        "GET /users/{username}/repos",
        "status",
        "404 Not Found answers an account that does not exist, as on GET /users/{username} (which documents "
        "it); the listing documents only 200",
        message="404 is not documented",
        validate_as="basic-error",
    ),
    # Operations GitHub serves that the description dropped.
    Quirk(
        f"GET {_REFS}/refs",
        "operation",
        "The list of all refs (PyGithub's get_git_refs) still answers on api.github.com (@octokit/fixtures' "
        "git-refs recording); the description keeps only matching-refs, which answers the same list",
        validate_as=f"GET {_REFS}/matching-refs/{{ref}}",
    ),
    Quirk(
        f"GET {_REFS}/refs/{{ref}}",
        "operation",
        "The old git/refs/{ref} read answers one ref for an exact name and the list under a prefix; the "
        "description keeps git/ref/{ref} and matching-refs/{ref} for those",
        validate_as=f"GET {_REFS}/ref/{{ref}} | GET {_REFS}/matching-refs/{{ref}}",
    ),
    *(
        Quirk(
            f"{method} {_REFS}/ref/{{ref}}",
            "operation",
            "Refs read with git/ref/{ref} carry that URL into later updates and deletes, and GitHub answers "
            "them there as on git/refs/{ref} (PyGithub's recorded DELETE git/ref/heads/… → 204)",
            validate_as=f"{method} {_REFS}/refs/{{ref}}",
        )
        for method in ("PATCH", "DELETE")
    ),
)
