"""The local GitHub's answers, checked against GitHub's published OpenAPI description.

First the checker itself, on hand-written answers; then every endpoint the bot uses, driven through
PyGithub against the running local GitHub, with every exchange checked.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from github import Github, GithubException
from github.Repository import Repository

from bot.sandbox.github.exchange import Exchange
from bot.sandbox.github.rest import ROUTES
from tests.sandbox.github.conftest import UPSTREAM, World
from tests.support.openapi import OpenAPIChecker, Violation, load_checker
from tests.support.openapi_quirks import QUIRKS, Quirk

API = "http://127.0.0.1:8000/api/v3"
JSON = {"Content-Type": "application/json; charset=utf-8"}


@pytest.fixture(scope="module")
def checker() -> OpenAPIChecker:
    return load_checker()


def exchange(
    method: str,
    route: str,
    path: str,
    status: int,
    body: Any,
    headers: dict[str, str] | None = None,
    query: str = "",
) -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Exchange(method, route, path, query, b"", status, JSON if headers is None else headers, raw)


def user(login: str) -> dict[str, Any]:
    url = f"{API}/users/{login}"
    return {
        "login": login,
        "id": 1,
        "node_id": "U_1",
        "avatar_url": "http://127.0.0.1:8000/avatars/u/1",
        "gravatar_id": "",
        "url": url,
        "html_url": f"http://127.0.0.1:8000/{login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": "User",
        "site_admin": False,
    }


_REPO_URLS = [
    *("archive", "assignees", "blobs", "branches", "collaborators", "comments", "commits", "compare"),
    *("contents", "contributors", "deployments", "downloads", "events", "forks", "git_commits", "git_refs"),
    *("git_tags", "hooks", "issue_comment", "issue_events", "issues", "keys", "labels", "languages"),
    *("merges", "milestones", "notifications", "pulls", "releases", "stargazers", "statuses"),
    *("subscribers", "subscription", "tags", "teams", "trees"),
]


def repository(owner: str, name: str) -> dict[str, Any]:
    """A repository as GET /repos/{owner}/{repo} shows it (the keys of a real 2023 answer)."""
    url = f"{API}/repos/{owner}/{name}"
    return {
        "id": 7,
        "node_id": "R_7",
        "name": name,
        "full_name": f"{owner}/{name}",
        "owner": user(owner),
        "private": False,
        "html_url": f"http://127.0.0.1:8000/{owner}/{name}",
        "description": None,
        "fork": False,
        "url": url,
        **{f"{kind}_url": f"{url}/{kind}" for kind in _REPO_URLS},
        "git_url": f"git://127.0.0.1/{owner}/{name}.git",
        "ssh_url": f"git@127.0.0.1:{owner}/{name}.git",
        "clone_url": f"http://127.0.0.1:8001/{owner}/{name}.git",
        "svn_url": f"http://127.0.0.1:8000/{owner}/{name}",
        "mirror_url": None,
        "homepage": None,
        "language": None,
        "forks_count": 0,
        "forks": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "watchers": 0,
        "size": 1,
        "default_branch": "main",
        "open_issues_count": 0,
        "open_issues": 0,
        "has_issues": True,
        "has_projects": True,
        "has_wiki": True,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "visibility": "public",
        "license": None,
        "pushed_at": "2026-11-28T08:00:00Z",
        "created_at": "2026-11-28T08:00:00Z",
        "updated_at": "2026-11-28T08:00:00Z",
        "permissions": {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
        "allow_forking": True,
        "network_count": 0,
        "subscribers_count": 0,
    }


def fork(owner: str, parent: dict[str, Any]) -> dict[str, Any]:
    body = repository(owner, parent["name"])
    upstream = {k: v for k, v in parent.items() if k not in ("network_count", "subscribers_count")}
    return {**body, "fork": True, "parent": upstream, "source": copy.deepcopy(upstream)}


def comment(author_association: str = "OWNER") -> dict[str, Any]:
    url = f"{API}/repos/o/r/issues/comments/5"
    return {
        "id": 5,
        "node_id": "IC_5",
        "url": url,
        "html_url": "http://127.0.0.1:8000/o/r/pull/1#issuecomment-5",
        "issue_url": f"{API}/repos/o/r/issues/1",
        "body": "Built for linux/arm64.",
        "user": user("bot"),
        "created_at": "2026-11-28T08:00:00Z",
        "updated_at": "2026-11-28T08:00:00Z",
        "author_association": author_association,
    }


def texts(violations: list[Violation]) -> list[str]:
    return [str(violation) for violation in violations]


# --- the checker, on hand-written answers ---------------------------------------------------------------


def test_a_complete_repository_passes(checker: OpenAPIChecker) -> None:
    answer = exchange("GET", "/repos/{owner}/{repo}", "/repos/o/r", 200, repository("o", "r"))
    assert checker.check(answer) == []


def test_a_missing_required_key_is_named_at_its_object(checker: OpenAPIChecker) -> None:
    body = repository("o", "r")
    del body["clone_url"]
    answer = exchange("GET", "/repos/{owner}/{repo}", "/repos/o/r", 200, body)
    assert texts(checker.check(answer)) == [
        "GET /repos/{owner}/{repo} 200: $: 'clone_url' is a required property"
    ]


def test_a_null_where_a_string_belongs_is_named_by_its_path(checker: OpenAPIChecker) -> None:
    body = fork("bot", repository("o", "r"))
    body["parent"]["owner"]["login"] = None
    answer = exchange("POST", "/repos/{owner}/{repo}/forks", "/repos/o/r/forks", 202, body)
    assert texts(checker.check(answer)) == [
        "POST /repos/{owner}/{repo}/forks 202: $.parent.owner.login: None is not of type 'string'"
    ]


def test_a_wrong_type_and_an_unknown_enum_value_are_both_reported(checker: OpenAPIChecker) -> None:
    body = comment(author_association="FRIEND")
    body["id"] = "5"
    route = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
    answer = exchange("POST", route, "/repos/o/r/issues/1/comments", 201, body)
    assert sorted(texts(checker.check(answer))) == [
        f"POST {route} 201: $.author_association: 'FRIEND' is not one of ['COLLABORATOR', 'CONTRIBUTOR', "
        "'FIRST_TIMER', 'FIRST_TIME_CONTRIBUTOR', 'MANNEQUIN', 'MEMBER', 'NONE', 'OWNER']",
        f"POST {route} 201: $.id: '5' is not of type 'integer'",
    ]


def test_null_is_fine_where_the_description_says_nullable(checker: OpenAPIChecker) -> None:
    body = comment()
    body["user"] = None  # nullable-simple-user: GitHub shows a deleted author as null
    route = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
    assert checker.check(exchange("POST", route, "/repos/o/r/issues/1/comments", 201, body)) == []


def test_an_undocumented_status_is_a_violation(checker: OpenAPIChecker) -> None:
    answer = exchange("GET", "/repos/{owner}/{repo}", "/repos/o/r", 418, {"message": "I'm a teapot"})
    assert texts(checker.check(answer)) == [
        "GET /repos/{owner}/{repo} 418: status: 418 is not documented (documented: 200, 301, 403, 404)"
    ]


def test_a_documented_error_body_is_checked_too(checker: OpenAPIChecker) -> None:
    route = "/repos/{owner}/{repo}/pulls"
    good = {
        "message": "Validation Failed",
        "documentation_url": "https://docs.github.com/rest",
        "status": "422",
    }
    assert checker.check(exchange("POST", route, "/repos/o/r/pulls", 422, good)) == []
    errors = [{"resource": "PullRequest", "message": "A pull request already exists for bot:multiarch."}]
    bad = exchange("POST", route, "/repos/o/r/pulls", 422, {"message": "Validation Failed", "errors": errors})
    assert sorted(texts(checker.check(bad))) == [
        f"POST {route} 422: $.errors[0]: 'code' is a required property",
        f"POST {route} 422: $: 'documentation_url' is a required property",
    ]


def test_a_list_item_is_named_by_its_index(checker: OpenAPIChecker) -> None:
    second = repository("b", "r")
    second["fork"] = "yes"
    answer = exchange(
        "GET", "/repos/{owner}/{repo}/forks", "/repos/o/r/forks", 200, [repository("a", "r"), second]
    )
    assert texts(checker.check(answer)) == [
        "GET /repos/{owner}/{repo}/forks 200: $[1].fork: 'yes' is not of type 'boolean'"
    ]


def test_an_html_answer_where_json_is_documented_is_a_violation(checker: OpenAPIChecker) -> None:
    answer = exchange("GET", "/user", "/user", 200, b"<html></html>", headers={"Content-Type": "text/html"})
    assert texts(checker.check(answer)) == [
        "GET /user 200: content-type: 'text/html' is not documented (application/json)"
    ]


def test_a_missing_body_where_one_is_documented_is_a_violation(checker: OpenAPIChecker) -> None:
    answer = exchange("GET", "/user", "/user", 200, b"")
    assert texts(checker.check(answer)) == ["GET /user 200: $: no body, yet the description documents one"]


def test_an_operation_the_description_lacks_is_a_violation(checker: OpenAPIChecker) -> None:
    answer = exchange("PUT", "/user", "/user", 200, {})
    assert texts(checker.check(answer)) == ["PUT /user 200: operation: not in the description"]


def test_an_unrouted_path_must_be_a_404_with_githubs_error_body(checker: OpenAPIChecker) -> None:
    not_found = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
    assert checker.check(exchange("GET", "", "/nope", 404, not_found)) == []
    assert texts(checker.check(exchange("GET", "", "/nope", 200, {"message": 1}))) == [
        "GET /nope 200: operation: no route matched, yet the status is not 404",
        "GET /nope 200: $.message: 1 is not of type 'string'",
    ]


def test_a_quirk_allows_only_its_own_operation_path_and_message(checker: OpenAPIChecker) -> None:
    quirk = Quirk(
        "GET /repos/{owner}/{repo}/forks", "$[*].owner.login", "test", message="None is not of type"
    )
    checker = checker.with_quirks([quirk])
    body = [repository("a", "r"), repository("b", "r")]
    body[1]["owner"]["login"] = None
    body[1]["owner"]["id"] = None
    answer = exchange("GET", "/repos/{owner}/{repo}/forks", "/repos/o/r/forks", 200, body)
    assert texts(checker.check(answer)) == [
        "GET /repos/{owner}/{repo}/forks 200: $[1].owner.id: None is not of type 'integer'"
    ]
    assert checker.used_quirks == {quirk}


def issue(state_reason: str | None) -> dict[str, Any]:
    url = f"{API}/repos/o/r/issues/1"
    return {
        "url": url,
        "repository_url": f"{API}/repos/o/r",
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": "http://127.0.0.1:8000/o/r/issues/1",
        "id": 9,
        "node_id": "I_9",
        "number": 1,
        "title": "arm64 images",
        "user": user("o"),
        "labels": [],
        "state": "open",
        "state_reason": state_reason,
        "locked": False,
        "assignee": None,
        "milestone": None,
        "comments": 0,
        "created_at": "2026-11-28T08:00:00Z",
        "updated_at": "2026-11-28T08:00:00Z",
        "closed_at": None,
    }


def test_null_in_a_nullable_enum_is_allowed_by_quirk_3667_only(checker: OpenAPIChecker) -> None:
    route = "/repos/{owner}/{repo}/issues/{issue_number}"
    open_issue = exchange("GET", route, "/repos/o/r/issues/1", 200, issue(state_reason=None))
    assert texts(checker.with_quirks([]).check(open_issue)) == [
        f"GET {route} 200: $.state_reason: None is not one of "
        "['completed', 'reopened', 'not_planned', 'duplicate']"
    ]
    allowing = checker.with_quirks(QUIRKS)
    assert allowing.check(open_issue) == []
    assert [quirk.issue for quirk in allowing.used_quirks] == [3667]
    # An enum that is not nullable still refuses null, by its type.
    body = comment()
    body["author_association"] = None
    answer = exchange("POST", route + "/comments", "/repos/o/r/issues/1/comments", 201, body)
    assert texts(allowing.check(answer)) == [
        f"POST {route}/comments 201: $.author_association: None is not of type 'string'"
    ]


def test_a_status_github_answers_everywhere_is_allowed_but_its_body_is_still_checked(
    checker: OpenAPIChecker,
) -> None:
    route = "/repos/{owner}/{repo}"
    bad_credentials = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
    assert checker.check(exchange("GET", route, "/repos/o/r", 401, bad_credentials)) == []
    assert texts(checker.check(exchange("GET", route, "/repos/o/r", 401, {"message": 401}))) == [
        f"GET {route} 401: $.message: 401 is not of type 'string'"
    ]


def test_an_operation_the_description_dropped_is_checked_as_the_closest_documented_one(
    checker: OpenAPIChecker,
) -> None:
    route = "/repos/{owner}/{repo}/git/refs/{ref}"
    ref = {
        "ref": "refs/heads/main",
        "node_id": "REF_1",
        "url": f"{API}/repos/o/r/git/refs/heads/main",
        "object": {"sha": "a" * 40, "type": "commit", "url": f"{API}/repos/o/r/git/commits/{'a' * 40}"},
    }
    assert checker.check(exchange("GET", route, "/repos/o/r/git/refs/heads/main", 200, ref)) == []
    assert checker.check(exchange("GET", route, "/repos/o/r/git/refs/heads", 200, [ref])) == []
    broken = {**ref, "object": {"sha": "a" * 40, "type": "commit"}}
    assert texts(checker.check(exchange("GET", route, "/repos/o/r/git/refs/heads", 200, [broken]))) == [
        f"GET {route} 200: $[0].object: 'url' is a required property"
    ]


# --- the local GitHub, driven through PyGithub the way the bot drives GitHub ---------------------------


def _raises(status: int, call: Callable[[], object]) -> None:
    with pytest.raises(GithubException) as refused:
        call()
    assert refused.value.status == status


def _drive_accounts_and_repositories(world: World, bot: Github) -> Repository:
    assert bot.get_user().login == "multiarch-bot"
    assert bot.get_user("acme").login == "acme"
    listed = bot.get_user("acme", lazy=True).get_repos(type="owner").get_page(0)  # as forge.owners reads
    assert UPSTREAM in [repo.full_name for repo in listed]
    world.github.add_organization("multiarch-org", members=("multiarch-bot",))
    assert bot.get_organization("multiarch-org").login == "multiarch-org"
    upstream = bot.get_repo(UPSTREAM)
    fork = upstream.create_fork(default_branch_only=True)
    assert upstream.create_fork().full_name == fork.full_name  # 202 again, with the same fork
    assert [f.full_name for f in upstream.get_forks()] == [fork.full_name]
    assert fork.get_branch("main").commit.sha == upstream.get_branch("main").commit.sha
    assert [b.name for b in upstream.get_branches()] == ["main"]
    head = upstream.get_commit("main")
    assert head.stats.total > 0
    assert {f.filename for f in head.files} >= {"Dockerfile"}
    fork.merge_upstream("main")
    assert upstream.get_contents("Dockerfile").decoded_content.startswith(b"FROM")  # type: ignore[union-attr]
    assert {c.name for c in upstream.get_contents(".github")} == {"workflows"}  # type: ignore[union-attr]
    assert bot.get_rate_limit().resources.core.limit == 5000
    _raises(404, lambda: bot.get_repo("acme/nothing"))
    _raises(404, lambda: upstream.get_branch("nothing"))
    _raises(404, lambda: upstream.get_contents("nothing"))
    _raises(404, lambda: bot.get_user("nobody"))
    _raises(404, lambda: bot.get_user("nobody", lazy=True).get_repos().get_page(0))
    _raises(401, lambda: world.client("ghp_not-a-token").get_repo(UPSTREAM))
    app = world.client(world.github.add_user("ci-app", kind="installation", scopes=()))
    _raises(403, lambda: app.get_user().login)
    return fork


def _drive_git_refs(world: World, bot: Github, fork: Repository) -> None:
    main = fork.get_git_ref("heads/main")
    assert [r.ref for r in fork.get_git_refs()] == ["refs/heads/main"]
    assert [r.ref for r in fork.get_git_matching_refs("heads/")] == ["refs/heads/main"]
    ref = fork.create_git_ref("refs/heads/scratch", main.object.sha)
    ref.edit(main.object.sha, force=True)
    ref.delete()
    _raises(422, lambda: fork.create_git_ref("refs/heads/main", main.object.sha))
    _raises(404, lambda: fork.get_git_ref("heads/nothing"))
    # What PyGithub has no method for, but GitHub still answers: git/refs/{ref} reads, and writes on the
    # singular git/ref/{ref} URL (PyGithub's recordings show GitHub's 204 to DELETE git/ref/heads/…).
    requester = bot.requester
    requester.requestJsonAndCheck("GET", f"{fork.url}/git/refs/heads/main")
    requester.requestJsonAndCheck("GET", f"{fork.url}/git/refs/heads")
    fork.create_git_ref("refs/heads/scratch", main.object.sha)
    requester.requestJsonAndCheck(
        "PATCH", f"{fork.url}/git/ref/heads/scratch", input={"sha": main.object.sha, "force": True}
    )
    requester.requestJsonAndCheck("DELETE", f"{fork.url}/git/ref/heads/scratch")


def _drive_pulls_issues_and_labels(world: World, bot: Github, fork: Repository) -> None:
    world.push_change(fork.full_name, "multiarch", {"Dockerfile": "FROM busybox:stable\nRUN true\n"})
    upstream = bot.get_repo(UPSTREAM)
    head = "multiarch-bot:multiarch"
    pr = upstream.create_pull(base="main", head=head, title="Build for arm64", body="Why", draft=False)
    _raises(422, lambda: upstream.create_pull(base="main", head=head, title="Again"))
    _raises(422, lambda: upstream.create_pull(base="main", head="multiarch-bot:main", title="Nothing"))
    _raises(422, lambda: upstream.create_pull(base="main", head="multiarch-bot:nothing", title="No head"))
    assert [p.number for p in upstream.get_pulls(state="all", head=head)] == [pr.number]
    assert upstream.get_pull(pr.number).mergeable is True
    pr.edit(title="Build for arm64 too", body="Why, and how")
    assert [c.sha for c in pr.get_commits()] == [pr.head.sha]
    assert [f.filename for f in pr.get_files()] == ["Dockerfile"]
    pr.create_issue_comment("Built for linux/amd64 and linux/arm64.")
    assert [c.body for c in pr.get_issue_comments()] == ["Built for linux/amd64 and linux/arm64."]

    owner = world.client(world.upstream_token).get_repo(UPSTREAM)
    owner.create_label("multi-arch", "0e8a16", "Builds for more than one platform")
    _raises(422, lambda: owner.create_label("bad", "not-a-colour"))
    assert owner.get_label("multi-arch").color == "0e8a16"
    pull_issue = owner.get_issue(pr.number)
    pull_issue.add_to_labels("multi-arch")
    pull_issue.set_labels("multi-arch", "help wanted")
    pull_issue.remove_from_labels("help wanted")
    assert {label.name for label in owner.get_labels()} == {"help wanted", "multi-arch"}
    _raises(403, lambda: upstream.create_label("mine", "ffffff"))  # the bot cannot triage acme's repo

    question = owner.create_issue("Does tool run on arm64?")  # no body: GitHub sends null
    comment = question.create_comment("It should.")
    assert question.get_comment(comment.id).body == "It should."
    question.edit(state="closed", state_reason="completed")
    assert {i.number for i in owner.get_issues(state="all")} == {pr.number, question.number}
    _raises(404, lambda: owner.get_issue(999))

    found = bot.search_issues(f"repo:{UPSTREAM} is:pr author:multiarch-bot")
    assert [i.number for i in found] == [pr.number]
    assert [i.number for i in bot.search_issues(f"repo:{UPSTREAM} is:issue arm64")] == [question.number]
    _raises(422, lambda: list(bot.search_issues("repo:acme/nothing is:pr")))

    # The fork goes away: GitHub keeps the pull request (closed), with its head's repo, user and label null.
    world.github.delete_repo(fork.full_name)
    assert upstream.get_pull(pr.number).head.repo is None


def _drive_faults(world: World) -> None:
    # Without retries, so each fault reaches the caller in one exchange.
    bot, faults = world.client(world.bot_token, retry=None), world.github.faults
    faults.secondary_limit(retry_after=1, route="/repos/{owner}/{repo}")
    _raises(403, lambda: bot.get_repo(UPSTREAM))
    faults.secondary_limit(retry_after=None, status=429, route="/repos/{owner}/{repo}/pulls")
    _raises(429, lambda: list(bot.get_repo(UPSTREAM).get_pulls()))
    faults.primary_limit(route="/user")
    _raises(403, lambda: bot.get_user().login)
    faults.primary_limit(status=429, route="/search/issues")
    _raises(429, lambda: list(bot.search_issues(f"repo:{UPSTREAM}")))
    faults.too_many_requests(route="/repos/{owner}/{repo}/issues/{issue_number}/comments")
    _raises(429, lambda: bot.get_repo(UPSTREAM).get_issue(1).create_comment("again"))
    faults.server_errors(status=502, route="/repos/{owner}/{repo}/forks")
    _raises(502, lambda: bot.get_repo(UPSTREAM).create_fork())
    # PyGithub retries a POST that failed after creating the pull request, and meets the duplicate 422.
    world.fork_with_branch("retried")
    faults.server_error_after_create()
    retrying = world.client(world.bot_token)
    _raises(
        422,
        lambda: retrying.get_repo(UPSTREAM).create_pull(base="main", head="multiarch-bot:retried", title="t"),
    )
    _raises(404, lambda: bot.requester.requestJsonAndCheck("GET", "/no/such/route"))


def _drive_a_renamed_repository(world: World, bot: Github) -> None:
    seed = world.tmp / "old-name"
    seed.mkdir()
    (seed / "Dockerfile").write_text("FROM busybox:stable\n")
    world.github.import_directory(seed, "acme", "old-name")
    world.github.rename_repo("acme/old-name", "new-name")
    assert bot.get_repo("acme/old-name").full_name == "acme/new-name"  # PyGithub follows the 301
    # A write to the old name gets 307, which PyGithub hands back as it is (it follows only 301).
    _, moved = bot.requester.requestJsonAndCheck("POST", "/repos/acme/old-name/forks", input={})
    assert moved["message"] == "Temporary Redirect"


def test_every_answer_the_bot_can_get_matches_githubs_description(world: World) -> None:
    exchanges: list[Exchange] = []
    world.github.observer = exchanges.append
    bot = world.bot
    fork = _drive_accounts_and_repositories(world, bot)
    _drive_git_refs(world, bot, fork)
    _drive_pulls_issues_and_labels(world, bot, fork)
    _drive_a_renamed_repository(world, bot)
    _drive_faults(world)
    world.github.observer = None

    checker = load_checker().with_quirks(QUIRKS)
    started = time.perf_counter()
    violations = checker.check_all(exchanges)
    per_answer = (time.perf_counter() - started) / len(exchanges)
    served = {(route.method, route.template) for route in ROUTES}
    unexercised = sorted(served - {(e.method, e.route) for e in exchanges})
    # An entry no answer needed is stale: the description was fixed, or the fake no longer does that.
    stale = [quirk for quirk in QUIRKS if quirk not in checker.used_quirks]
    problems = [
        *texts(violations),
        *(
            f"never exercised (add it to this test's drive): {method} {route}"
            for method, route in unexercised
        ),
        *(f"allow-list entry no answer needed: {quirk}" for quirk in stale),
    ]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
    assert per_answer < 0.05, f"{per_answer * 1000:.0f} ms per answer"
