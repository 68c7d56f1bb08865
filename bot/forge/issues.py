"""Issues as the sources and the dashboard use them: requests read, comments said once, one issue kept."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from github import Github
from github.Issue import Issue
from github.Repository import Repository

from bot.forge.calls import call


@dataclass(frozen=True)
class IssueText:
    """An issue as the sources read it: where it is, and its (untrusted) text."""

    repo: str  # owner/name
    number: int
    title: str
    body: str
    html_url: str
    comments: int  # how many: none means there is nothing to read for markers
    is_pull: bool
    is_open: bool


def labelled_issues(gh: Github, full_name: str, label: str, limit: int) -> list[IssueText]:
    """Open issues of ``full_name`` that carry ``label``, oldest first, at most ``limit`` read."""

    def read() -> list[IssueText]:
        found = _lazy_repo(gh, full_name).get_issues(
            state="open", labels=[label], sort="created", direction="asc"
        )
        return _texts(found, limit)

    return call(f"listing open issues labelled {label!r} in {full_name}", read)


def search_issues(
    gh: Github, query: str, limit: int, *, sort: str = "created", order: str = "asc"
) -> tuple[list[IssueText], bool]:
    """``GET /search/issues``: at most ``limit`` results (30 a page), and whether GitHub said they are
    incomplete (its search timed out). Search has its own budget: 30 requests a minute."""

    def read() -> tuple[list[IssueText], bool]:
        results = gh.search_issues(query, sort=sort, order=order)
        found = _texts(results, limit)
        return found, limit > 0 and bool(results.incomplete_results)  # limit 0 read no page: nothing to ask

    return call(f"searching issues for {query!r}", read)


def comment_bodies(gh: Github, full_name: str, number: int, limit: int) -> list[str]:
    """The first ``limit`` comments of an issue, oldest first (the bot looks for its own markers)."""
    issue = _lazy_issue(gh, full_name, number)
    return call(
        f"reading the comments of {full_name}#{number}",
        lambda: [str(c.body or "") for c in itertools.islice(issue.get_comments(), limit)],
    )


def comment_on(gh: Github, full_name: str, number: int, body: str) -> str:
    """Comment on an issue by its number, without reading it first; returns the comment's URL."""
    issue = _lazy_issue(gh, full_name, number)
    made = call(f"commenting on {full_name}#{number}", lambda: issue.create_comment(body))
    return str(made.html_url)


def _lazy_repo(gh: Github, full_name: str) -> Repository:
    # Lazy: listing its issues needs the URL only, not a GET of the repository first.
    return Repository(gh.requester.withLazy(True), url=f"/repos/{full_name}")


def _lazy_issue(gh: Github, full_name: str, number: int) -> Issue:
    return Issue(gh.requester.withLazy(True), url=f"/repos/{full_name}/issues/{number}")


def _texts(issues: Iterable[Issue], limit: int) -> list[IssueText]:
    return [
        IssueText(
            repo="/".join(issue.repository_url.rstrip("/").split("/")[-2:]),
            number=issue.number,
            title=str(issue.title or ""),
            body=str(issue.body or ""),
            html_url=issue.html_url,
            comments=int(issue.comments or 0),
            is_pull=issue.pull_request is not None,
            is_open=issue.state == "open",
        )
        for issue in itertools.islice(issues, max(0, limit))
    ]


def upsert_issue(
    repo: Repository,
    title: str,
    body: str | Callable[[str | None], str],
    marker: str,
    *,
    creator: str | None = None,
) -> str:
    """The bot's one issue that carries ``marker`` (the dashboard): edited if it says something else,
    opened if there is none; returns its URL. ``body`` may be a function of the issue's current body (None
    when there is none yet), so what it says can build on what it said.

    Only open issues ``creator`` opened (default: the token's user) are candidates, found by the marker in
    the body, else by the exact title, so an issue someone else plants with the marker is never taken.
    An installation token has no user to ask: pass ``creator``, the login its issues show."""
    login = creator or _login(repo)
    found = call(
        f"listing {login}'s open issues in {repo.full_name}", lambda: _own_issue(repo, login, title, marker)
    )
    text = body(found.body if found is not None else None) if callable(body) else body
    if found is None:
        made = call(
            f"opening an issue in {repo.full_name}", lambda: repo.create_issue(title=title, body=text)
        )
        return str(made.html_url)
    if found.title != title or (found.body or "") != text:
        call(f"updating {repo.full_name}#{found.number}", lambda: found.edit(title=title, body=text))
    return str(found.html_url)


def _own_issue(repo: Repository, login: str, title: str, marker: str) -> Issue | None:
    """GitHub's ``creator`` filter first (one request when the issue exists); when it finds nothing, every
    open issue, read here, so a login the filter does not match (an app's bot) never means a duplicate."""
    listings = (  # lazy: the second costs nothing unless the first finds nothing
        # PyGithub sends a login as it is (it asserts str or NamedUser; its annotation says NamedUser)
        repo.get_issues(state="open", creator=login),  # type: ignore[arg-type]
        repo.get_issues(state="open"),
    )
    for listing in listings:
        by_title = None
        for issue in listing:
            if issue.pull_request is not None or issue.user.login.lower() != login.lower():
                continue
            if marker in (issue.body or ""):
                return issue
            by_title = by_title or (issue if issue.title == title else None)
        if by_title is not None:
            return by_title
    return None


def _login(repo: Repository) -> str:
    """The token's own login, through the repository's connection (``GET /user``)."""
    _, data = call("reading the token's user", lambda: repo.requester.requestJsonAndCheck("GET", "/user"))
    return str(data["login"])
