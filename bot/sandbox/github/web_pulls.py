"""Pull request and issue pages of the web view: conversation, commits and the diff, read from git.

A PR's changes are what GitHub shows under "Files changed": the three-dot diff of ``refs/pull/N/head``
(where the server keeps a copy of the head, in the base repository) against the base branch, that is
against their merge base. It still shows when the fork it came from has been deleted.
"""

from __future__ import annotations

from pathlib import Path

from bot.sandbox.github import gitdata
from bot.sandbox.github.records import Issue, PullFacts, Repo
from bot.sandbox.github.web_html import diff, esc, link, markdown, page, state_badge, table

MAX_COMMITS = 250


def badge(issue: Issue) -> str:
    if issue.pull is not None and issue.pull.merged:
        return state_badge("merged")
    if issue.pull is not None and issue.pull.draft and issue.state == "open":
        return state_badge("draft")
    return state_badge(issue.state)


def head_label(facts: PullFacts) -> str:
    """``owner:branch`` as GitHub labels a PR's head; a deleted head repository shows as unknown."""
    return f"{facts.head_owner}:{facts.head_ref}" if facts.head_repo else "unknown repository"


def pull_table(repo: Repo, *, only_open: bool) -> str:
    rows = [
        [
            f"#{issue.number}",
            link(f"/{repo.full_name}/pull/{issue.number}", issue.title),
            badge(issue),
            esc(issue.user),
            f"<code>{esc(head_label(issue.pull))}</code> → <code>{esc(issue.pull.base_ref)}</code>",
        ]
        for issue in sorted(repo.issues.values(), key=lambda i: i.number, reverse=True)
        if issue.pull is not None and (issue.state == "open" or not only_open)
    ]
    empty = "No open pull requests." if only_open else "No pull requests."
    return table(["#", "title", "state", "author", "head → base"], rows, empty)


def issue_page(git_dir: Path, repo: Repo, issue: Issue) -> str:
    """The page of an issue or, when ``issue.pull`` is set, of a pull request."""
    kind = "pull" if issue.pull else "issues"
    parts = [f"<h1>{esc(issue.title)} <span class='meta'>#{issue.number}</span></h1>"]
    parts.append(f"<p>{badge(issue)} {_summary(repo, issue)}</p>")
    parts.append(_comment_box(issue.user, issue.created_at, issue.body, anchor=f"{kind}-{issue.number}"))
    for comment in issue.comments:
        anchor = f"issuecomment-{comment.id}"  # the fragment of the comment's html_url
        parts.append(_comment_box(comment.user, comment.created_at, comment.body, anchor=anchor))
    if issue.state == "closed":
        by = f" by {esc(issue.closed_by)}" if issue.closed_by else ""
        parts.append(f"<p class='meta'>Closed{by} at {esc(issue.closed_at or '')}.</p>")
    if issue.pull is not None:
        parts.append(_changes(git_dir, issue.number, issue.pull))
    crumbs = [
        (f"/{repo.owner}", repo.owner),
        (f"/{repo.full_name}", repo.name),
        (
            f"/{repo.full_name}/{'pulls' if issue.pull else 'issues'}",
            "pull requests" if issue.pull else "issues",
        ),
    ]
    return page(f"{issue.title} · #{issue.number} · {repo.full_name}", "".join(parts), crumbs)


def _summary(repo: Repo, issue: Issue) -> str:
    facts = issue.pull
    if facts is None:
        return f"{esc(issue.user)} opened this issue at {esc(issue.created_at)}"
    commits = f"{facts.commits} commit{'s' if facts.commits != 1 else ''}"
    return (
        f"{esc(issue.user)} wants to merge {commits} into"
        f" <code>{esc(repo.owner)}:{esc(facts.base_ref)}</code>"
        f" from <code>{esc(head_label(facts))}</code>"
        f" <span class='meta'>· {facts.changed_files} files changed,"
        f" <span class='add'>+{facts.additions}</span> <span class='del'>−{facts.deletions}</span></span>"
    )


def _comment_box(user: str, when: str, body: str | None, *, anchor: str) -> str:
    return (
        f"<div class='box' id='{esc(anchor)}'><p class='meta'><strong>{esc(user)}</strong>"
        f" commented at {esc(when)}</p>{markdown(body)}</div>"
    )


def _changes(git_dir: Path, number: int, facts: PullFacts) -> str:
    head = f"refs/pull/{number}/head"
    base_branch = f"refs/heads/{facts.base_ref}"
    # The base branch as it is now (what GitHub diffs an open PR against); its last known tip if deleted.
    base = base_branch if gitdata.resolve(git_dir, base_branch) else facts.base_sha
    if gitdata.resolve(git_dir, head) is None or gitdata.resolve(git_dir, base) is None:
        return "<h2>Files changed</h2><p class='meta'>The changes of this pull request are not available.</p>"
    log = gitdata.git(git_dir, "log", f"-n{MAX_COMMITS}", "--format=%h%x09%an%x09%s", f"{base}..{head}").out
    rows = []
    for line in log.splitlines():
        sha, author, subject = [*line.split("\t", 2), "", ""][:3]
        rows.append([f"<code>{esc(sha)}</code>", esc(subject), esc(author)])
    argv = ("diff", "--no-color", "--no-ext-diff", "--no-textconv", "-M", f"{base}...{head}", "--")
    text = gitdata.git(git_dir, *argv).out
    return (
        f"<h2>Commits</h2>{table(['commit', 'message', 'author'], rows, 'No commits.')}"
        f"<h2>Files changed</h2>{diff(text)}"
    )
