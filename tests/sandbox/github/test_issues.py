"""Issues, comments, labels and issue search, as the bot uses them through PyGithub."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from github import GithubException

from tests.sandbox.github.conftest import UPSTREAM, World


def test_comments_on_a_pull_request_go_to_its_issue(world: World) -> None:
    world.fork_with_branch()
    pr = world.bot.get_repo(UPSTREAM).create_pull(base="main", head="multiarch-bot:multiarch", title="x")
    comment = pr.create_issue_comment("Built for linux/arm64: passed")
    assert comment.user.login == "multiarch-bot"
    assert comment.html_url.endswith(f"/acme/tool/pull/{pr.number}#issuecomment-{comment.id}")
    owner_view = world.client(world.upstream_token).get_repo(UPSTREAM).get_issue(pr.number)
    owner_view.create_comment("Thanks!")
    assert [c.body for c in pr.get_issue_comments()] == ["Built for linux/arm64: passed", "Thanks!"]
    assert world.bot.get_repo(UPSTREAM).get_pull(pr.number).comments == 2
    fetched = world.bot.get_repo(UPSTREAM).get_issue(pr.number).get_comment(comment.id)
    assert fetched.body == "Built for linux/arm64: passed"


def test_issues_are_created_listed_and_numbered_with_pull_requests(world: World) -> None:
    world.fork_with_branch()
    upstream = world.bot.get_repo(UPSTREAM)
    pr = upstream.create_pull(base="main", head="multiarch-bot:multiarch", title="PR")
    issue = upstream.create_issue("Please build for arm64", body="On my M1 it is slow")
    assert (pr.number, issue.number) == (1, 2)
    assert issue.pull_request is None
    assert upstream.get_issue(1).pull_request is not None
    assert [i.number for i in upstream.get_issues()] == [2, 1]
    assert upstream.get_issue(2).as_pull_request is not None  # the method exists; PR-ness is the data's


def test_labels_are_created_and_added_from_a_bare_array(world: World) -> None:
    owner = world.client(world.upstream_token).get_repo(UPSTREAM)
    created = owner.create_label("multi-arch", "0e8a16", "Builds for more than one platform")
    assert (created.name, created.color, created.description) == (
        "multi-arch",
        "0e8a16",
        "Builds for more than one platform",
    )
    with pytest.raises(GithubException) as duplicate:
        owner.create_label("Multi-Arch", "0e8a16")
    assert duplicate.value.status == 422
    assert duplicate.value.data["errors"][0]["code"] == "already_exists"  # type: ignore[index]
    with pytest.raises(GithubException) as bad_color:
        owner.create_label("x", "#zzzzzz")
    assert bad_color.value.data["errors"] == [{"resource": "Label", "code": "invalid", "field": "color"}]  # type: ignore[index]
    issue = owner.create_issue("arm64 please")
    issue.add_to_labels("multi-arch", "new-label")  # PyGithub sends ["multi-arch", "new-label"]
    assert sorted(label.name for label in owner.get_issue(issue.number).labels) == ["multi-arch", "new-label"]
    assert sorted(label.name for label in owner.get_labels()) == ["multi-arch", "new-label"]
    answer = requests.post(
        f"{world.github.api_url}/repos/{UPSTREAM}/issues/{issue.number}/labels",
        json={"labels": [{"name": "third"}]},  # octokit's shape
        headers={"Authorization": f"token {world.upstream_token}"},
        timeout=5,
    )
    assert [label["name"] for label in answer.json()] == ["multi-arch", "new-label", "third"]
    issue.remove_from_labels("new-label")
    assert [label.name for label in owner.get_issue(issue.number).labels] == ["multi-arch", "third"]


def test_labelling_needs_push_rights(world: World) -> None:
    issue = world.bot.get_repo(UPSTREAM).create_issue("x")
    with pytest.raises(GithubException) as refused:
        issue.add_to_labels("bug")
    assert refused.value.status == 403


def test_search_finds_pull_requests_by_repo_author_state_label_and_words(world: World) -> None:
    world.fork_with_branch("multiarch")
    upstream = world.bot.get_repo(UPSTREAM)
    pr = upstream.create_pull(base="main", head="multiarch-bot:multiarch", title="Build multi-arch images")
    upstream.create_issue("Multi-arch images wanted")
    world.client(world.upstream_token).get_repo(UPSTREAM).get_issue(pr.number).add_to_labels("multi-arch")
    found = world.bot.search_issues("repo:acme/tool is:pr is:open author:multiarch-bot")
    assert found.totalCount == 1
    assert [i.number for i in found] == [pr.number]
    item = found[0]
    assert item.pull_request is not None
    raw = requests.get(f"{world.github.api_url}/search/issues", params={"q": "is:pr"}, timeout=5).json()
    assert raw["items"][0]["score"] == 1.0
    assert world.bot.search_issues("multi-arch in:title", repo="acme/tool").totalCount == 2
    assert world.bot.search_issues("repo:acme/tool is:issue").totalCount == 1
    assert world.bot.search_issues("repo:acme/tool label:multi-arch").totalCount == 1
    assert world.bot.search_issues("repo:acme/tool is:closed").totalCount == 0
    assert world.bot.search_issues('repo:acme/tool "images wanted"').totalCount == 1


def test_search_answers_with_the_search_budget_and_refuses_unknown_repos(world: World) -> None:
    answer = requests.get(
        f"{world.github.api_url}/search/issues",
        params={"q": "repo:acme/tool is:pr"},
        headers={"Authorization": f"token {world.bot_token}"},
        timeout=5,
    )
    assert answer.json() == {
        "total_count": 0,
        "incomplete_results": False,
        "items": [],
        "search_type": "lexical",
    }
    assert answer.headers["X-RateLimit-Resource"] == "search"
    assert answer.headers["X-RateLimit-Limit"] == "30"
    with pytest.raises(GithubException) as refused:
        list(world.bot.search_issues("repo:nobody/nothing"))
    assert refused.value.status == 422
    assert refused.value.data["errors"][0]["message"].startswith(  # type: ignore[index]
        "The listed users and repositories cannot be searched"
    )


def test_search_can_lag_behind_and_be_incomplete_when_told_to(world: World) -> None:
    upstream = world.bot.get_repo(UPSTREAM)
    upstream.create_issue("indexed long ago")
    world.github.faults.search_lag(1)
    upstream.create_issue("just now")
    assert [i.title for i in world.bot.search_issues("repo:acme/tool")] == ["indexed long ago"]
    assert world.bot.search_issues("repo:acme/tool").totalCount == 2  # the index caught up
    world.github.faults.incomplete_search()
    answer = requests.get(f"{world.github.api_url}/search/issues", params={"q": "repo:acme/tool"}, timeout=5)
    assert answer.json()["incomplete_results"] is True


def test_an_issue_is_edited_closed_with_a_reason_and_reopened(world: World) -> None:
    issue = world.bot.get_repo(UPSTREAM).create_issue("Slow on arm64")
    issue.edit(title="Slow on M1", state="closed", state_reason="not_planned")
    closed = world.bot.get_repo(UPSTREAM).get_issue(issue.number)
    assert (closed.title, closed.state, closed.state_reason) == ("Slow on M1", "closed", "not_planned")
    assert closed.closed_by.login == "multiarch-bot"
    issue.edit(state="open")
    assert world.bot.get_repo(UPSTREAM).get_issue(issue.number).state_reason == "reopened"
    with pytest.raises(GithubException) as refused:
        issue.edit(labels=["bug"])  # labels need push rights, even on one's own issue
    assert refused.value.status == 403


def test_concurrent_creates_get_distinct_numbers_and_all_survive(world: World) -> None:
    def create(n: int) -> int:
        return world.client(world.upstream_token).get_repo(UPSTREAM).create_issue(f"issue {n}").number

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(create, range(16)))
    assert sorted(numbers) == list(range(1, 17))
    assert world.bot.get_repo(UPSTREAM).get_issues().totalCount == 16
