"""Where targets come from: the config's list, request issues, and each target's upstream arm64 issues.

A request is an open issue, in ``sources.requests_repo`` with the opt-in label or found by the
``sources.search`` query, that names ``owner/repo`` (or its URL) in its title or body. The bot answers
each request once ("on it"), asks once for a name when it finds none, and after the run comments the
outcome, again only when it changed. Every source is read within bounds, and a source that fails
(GitHub down, a bad query, no access) becomes a problem in the result: the run goes on with the rest.
All GitHub calls go through ``bot.forge.github``; the comment texts are ``bot.forge.request_comments``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from github import Github

from bot.config import Config, Sources
from bot.errors import ForgeError
from bot.forge import issues as forge_issues
from bot.forge import request_comments as say
from bot.forge.issues import IssueText
from bot.outcome import IssueRef, RepoOutcome, RepoTarget
from bot.repo_names import names_in_text

MAX_COMMENTS_READ = 300  # per issue, oldest first: where the bot looks for its own earlier comments
MAX_RELATED = 5  # upstream issues linked from one pull request
RELATED_SEARCHED = 30  # one search page: the most-discussed open issues of the repository
# Words of an upstream issue that asks for arm64. The search reads the most-discussed open issues and
# these pick from them, so one request per repository serves every spelling (the search syntax's OR is
# not understood everywhere, and requests for arm64 gather comments).
_ASKS_FOR_ARM64 = re.compile(
    r"\b(?:arm64|aarch64|apple[ -]silicon|apple m[1-4]|multi-?arch|multi-platform|graviton)\b", re.IGNORECASE
)

Keep = Callable[[list[RepoTarget]], list[RepoTarget]]


@dataclass(frozen=True)
class Collected:
    targets: tuple[RepoTarget, ...]  # config order first, then new requests, oldest first
    problems: tuple[str, ...]  # sources that failed, each a one-line reason; the run goes on


@dataclass(frozen=True)
class _Request:
    issue: IssueText
    repo: str | None  # the owner/repo it names; None: nothing usable

    @property
    def ref(self) -> IssueRef:
        return IssueRef(self.issue.repo, self.issue.number)


def targets_from_config(config: Config) -> list[RepoTarget]:
    """The configured ``targets:`` as pipeline targets, in config order (pure)."""
    return [
        RepoTarget(
            full_name=entry.repo,
            platforms=entry.platforms,
            skip_dockerfiles=entry.skip_dockerfiles,
            image=entry.image,
            build_args=tuple(entry.build_args.items()),
            smoke_command=entry.smoke_command,
            draft=entry.draft,
            labels=entry.labels,
        )
        for entry in config.targets
    ]


def collect_targets(
    config: Config, gh: Github, *, respond: bool = True, keep: Keep | None = None
) -> Collected:
    """Every target of this run: the configured ones, then the requests (merged into a configured target of
    the same repository, whose overrides win; the first request for a repository is the one answered).

    ``keep`` cuts the list before anything per-repository happens (``lambda ts: select(ts, only, shard)``):
    only kept targets are searched for upstream issues and only their requests are acknowledged, so in a
    sharded run each request is answered by exactly one shard (an unparseable one by the shard that keeps
    the repository it was filed in). ``respond=False`` (a dry run) writes no comment at all.

    Costs: one list request for the requests repo, one search for ``sources.search``, one comment read per
    request with comments, at most two comments written per request, and with ``link_upstream_issues`` one
    search per kept target (GitHub allows 30 searches a minute; PyGithub waits when told to).
    """
    problems: list[str] = []
    requests = _read_requests(config.sources, gh, problems)
    targets = _merge(targets_from_config(config), requests)
    kept = keep(targets) if keep is not None else targets
    if respond:
        _respond(gh, config, requests, kept, keep, problems)
    if config.sources.link_upstream_issues:
        linked = []
        for target in kept:
            target, problem = link_related(gh, target)
            linked.append(target)
            problems += [problem] if problem else []
        kept = linked
    return Collected(tuple(kept), tuple(problems))


def link_related(gh: Github, target: RepoTarget) -> tuple[RepoTarget, str | None]:
    """``target`` with its open upstream issues that ask for arm64 in ``related`` (at most ``MAX_RELATED``,
    by number), from one search; a failed search leaves it unchanged and says why."""
    query = f"repo:{target.full_name} is:issue is:open"
    try:
        found, _ = forge_issues.search_issues(gh, query, RELATED_SEARCHED, sort="comments", order="desc")
    except ForgeError as error:
        return target, f"upstream issues of {target.full_name}: {error}"
    asking = [
        IssueRef(issue.repo, issue.number)
        for issue in found
        if not issue.is_pull and issue.is_open and _ASKS_FOR_ARM64.search(f"{issue.title}\n{issue.body}")
    ]
    related = sorted(asking, key=lambda ref: ref.number)[:MAX_RELATED]
    return replace(target, related=tuple(related)), None


def report_outcome(gh: Github, target: RepoTarget, outcome: RepoOutcome) -> str | None:
    """Comment ``outcome`` on the request issue ``target`` came from (nothing when it came from none):
    the pull request's link, or why not (blocked with the reasons, hazards, a failed build with a short
    escaped log excerpt). Nothing is said when the bot's last outcome comment there says the same, or for
    outcomes a later run decides (dry-run gates, a pull request held by the run's cap).

    Returns the problem when GitHub could not be asked or told (never raises for that)."""
    if target.request is None:
        return None
    fingerprint = say.outcome_fingerprint(outcome)
    if fingerprint is None:
        return None
    where = target.request
    try:
        said = forge_issues.comment_bodies(gh, where.repo, where.number, MAX_COMMENTS_READ)
        if say.last_outcome(said) == fingerprint:
            return None
        forge_issues.comment_on(gh, where.repo, where.number, say.outcome_text(outcome, fingerprint))
    except ForgeError as error:
        return f"the outcome for {where}: {error}"
    return None


def _read_requests(sources: Sources, gh: Github, problems: list[str]) -> list[_Request]:
    """Open, non-PR request issues from both sources, each once, at most ``max_requests`` in all."""
    issues: list[IssueText] = []
    budget = sources.max_requests
    if sources.requests_repo:
        try:
            issues += forge_issues.labelled_issues(gh, sources.requests_repo, sources.label, budget)
        except ForgeError as error:
            problems.append(f"requests in {sources.requests_repo}: {error}")
    if sources.search and len(issues) < budget:
        try:
            found, incomplete = forge_issues.search_issues(
                gh, _open_issues(sources.search), budget - len(issues)
            )
            issues += found
            if incomplete:
                problems.append(f"the search {sources.search!r} timed out on GitHub: results may be missing")
        except ForgeError as error:
            problems.append(f"the search {sources.search!r}: {error}")
    seen: set[tuple[str, int]] = set()
    requests = []
    for issue in issues:
        key = (issue.repo.lower(), issue.number)
        if issue.is_pull or not issue.is_open or key in seen:
            continue
        seen.add(key)
        requests.append(_Request(issue, _named_repo(issue, sources.requests_repo)))
    return requests


def _open_issues(query: str) -> str:
    """The query, limited to open issues unless it says otherwise (pull requests are never requests)."""
    words = query.lower().split()
    extra = []
    if not any(w in ("is:issue", "is:pr", "is:pull-request") or w.startswith("type:") for w in words):
        extra.append("is:issue")
    if not any(w in ("is:open", "is:closed") or w.startswith("state:") for w in words):
        extra.append("is:open")
    return " ".join([query.strip(), *extra])


def _named_repo(issue: IssueText, requests_repo: str | None) -> str | None:
    """The first valid owner/repo of the title, then the body; the requests repository itself never."""
    ignored = (requests_repo or "").lower()
    for text in (issue.title, issue.body):
        for name in names_in_text(text):
            if name.lower() != ignored:
                return name
    return None


def _merge(configured: list[RepoTarget], requests: Sequence[_Request]) -> list[RepoTarget]:
    targets = list(configured)
    index = {target.full_name.lower(): i for i, target in enumerate(targets)}
    for request in requests:
        if request.repo is None:
            continue
        at = index.get(request.repo.lower())
        if at is None:
            index[request.repo.lower()] = len(targets)
            targets.append(RepoTarget(request.repo, request=request.ref))
        elif targets[at].request is None:
            targets[at] = replace(targets[at], request=request.ref)
    return targets


def _respond(
    gh: Github,
    config: Config,
    requests: Sequence[_Request],
    kept: Sequence[RepoTarget],
    keep: Keep | None,
    problems: list[str],
) -> None:
    """Acknowledge each kept request once, and ask once where a request names nothing usable."""
    answered = {t.full_name.lower(): t for t in kept if t.request is not None}
    for request in requests:
        issue = request.issue
        if request.repo is None:
            if keep is None or keep([RepoTarget(issue.repo)]):
                _say_once(gh, issue, say.ASK_MARKER, say.ask_text(), problems)
            continue
        target = answered.get(request.repo.lower())
        if target is None or target.request is None:
            continue  # another shard's, or left out by --only
        if target.request == request.ref:
            platforms = target.platforms or config.platforms
            text = say.ack_text(target.full_name, platforms)
        else:
            text = say.duplicate_text(target.full_name, target.request)
        _say_once(gh, issue, say.ACK_MARKER, text, problems)


def _say_once(gh: Github, issue: IssueText, marker: str, text: str, problems: list[str]) -> None:
    where = f"{issue.repo}#{issue.number}"
    try:
        said = (
            forge_issues.comment_bodies(gh, issue.repo, issue.number, MAX_COMMENTS_READ)
            if issue.comments
            else []
        )
        if not say.has_marker(said, marker):
            forge_issues.comment_on(gh, issue.repo, issue.number, text)
    except ForgeError as error:
        problems.append(f"answering the request {where}: {error}")
