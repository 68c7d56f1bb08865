"""The ``q`` of ``GET /search/issues``: qualifiers and words, parsed and matched without I/O.

Understood: ``repo:``, ``user:``/``org:``, ``is:``/``type:`` (pr, issue, open, closed), ``state:``,
``author:``, ``label:``, ``head:``, ``base:``, ``in:`` (title, body, comments) and plain words, quoted or
not, all ANDed. Unknown qualifiers are matched as words, as GitHub does with text it does not know.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from bot.sandbox.github.records import Issue, Repo

_QUALIFIERS = ("repo", "user", "org", "is", "type", "state", "author", "label", "head", "base", "in")


@dataclass
class IssueQuery:
    repos: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)  # "pr" / "issue"
    states: set[str] = field(default_factory=set)
    authors: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    heads: list[str] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)
    scopes: set[str] = field(default_factory=set)  # where words must appear; empty: title and body
    words: list[str] = field(default_factory=list)


def parse(q: str) -> IssueQuery:
    try:
        tokens = shlex.split(q)
    except ValueError:  # an unbalanced quote: GitHub searches the text as it is
        tokens = q.split()
    query = IssueQuery()
    for token in tokens:
        key, sep, value = token.partition(":")
        key = key.lower()
        if not sep or key not in _QUALIFIERS or not value:
            query.words.append(token.lower())
            continue
        value_lower = value.lower()
        if key == "repo":
            query.repos.append(value_lower)
        elif key in ("user", "org"):
            query.owners.append(value_lower)
        elif key in ("is", "type", "state"):
            if value_lower in ("pr", "pull-request", "issue"):
                query.kinds.add("pr" if value_lower != "issue" else "issue")
            elif value_lower in ("open", "closed"):
                query.states.add(value_lower)
        elif key == "author":
            query.authors.append(value_lower)
        elif key == "label":
            query.labels.append(value_lower)
        elif key == "head":
            query.heads.append(value)
        elif key == "base":
            query.bases.append(value)
        else:
            query.scopes |= {part.strip().lower() for part in value.split(",")}
    return query


def matches(query: IssueQuery, repo: Repo, issue: Issue) -> bool:
    if query.repos and repo.full_name.lower() not in query.repos:
        return False
    if query.owners and repo.owner.lower() not in query.owners:
        return False
    if query.kinds and ("pr" if issue.pull else "issue") not in query.kinds:
        return False
    if query.states and issue.state not in query.states:
        return False
    if query.authors and issue.user.lower() not in query.authors:
        return False
    names = {name.lower() for name in issue.labels}
    if any(wanted not in names for wanted in query.labels):
        return False
    if query.heads and (issue.pull is None or issue.pull.head_ref not in query.heads):
        return False
    if query.bases and (issue.pull is None or issue.pull.base_ref not in query.bases):
        return False
    return all(word in _text(query, issue) for word in query.words)


def _text(query: IssueQuery, issue: Issue) -> str:
    scopes = query.scopes or {"title", "body"}
    parts = []
    if "title" in scopes:
        parts.append(issue.title)
    if "body" in scopes:
        parts.append(issue.body or "")
    if "comments" in scopes:
        parts += [comment.body for comment in issue.comments]
    return "\n".join(parts).lower()
