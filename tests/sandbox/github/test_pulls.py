"""Cross-repository pull requests, backed by git: create, duplicate, no commits, list by head, edit, close."""

from __future__ import annotations

import pytest
import requests
from github import GithubException

from tests.sandbox.github.conftest import UPSTREAM, World, git


def _errors(error: GithubException) -> list[dict[str, object]]:
    assert isinstance(error.data, dict)
    errors = error.data["errors"]
    assert isinstance(errors, list)
    return errors


def test_a_cross_repo_pull_request_is_created_from_the_forks_branch(world: World) -> None:
    world.fork_with_branch("multiarch")
    upstream = world.bot.get_repo(UPSTREAM)
    pr = upstream.create_pull(
        base="main", head="multiarch-bot:multiarch", title="Build for arm64", body="Why"
    )
    assert pr.number == 1
    assert pr.state == "open"
    assert (pr.head.label, pr.head.repo.full_name, pr.base.repo.full_name) == (
        "multiarch-bot:multiarch",
        "multiarch-bot/tool",
        UPSTREAM,
    )
    assert (pr.commits, pr.additions, pr.deletions, pr.changed_files) == (1, 1, 1, 1)
    assert pr.mergeable is True
    assert pr.maintainer_can_modify is True
    assert pr.user.login == "multiarch-bot"
    # The head is really in the upstream, where GitHub keeps it.
    refs = git("ls-remote", world.github.clone_url(UPSTREAM), "refs/pull/1/head").out.split()
    assert refs[0] == pr.head.sha


def test_a_second_pull_request_for_the_same_head_is_refused_with_githubs_exact_422(world: World) -> None:
    world.fork_with_branch("multiarch")
    upstream = world.bot.get_repo(UPSTREAM)
    upstream.create_pull(base="main", head="multiarch-bot:multiarch", title="First")
    with pytest.raises(GithubException) as refused:
        upstream.create_pull(base="main", head="multiarch-bot:multiarch", title="Again")
    assert refused.value.status == 422
    assert refused.value.data == {
        "message": "Validation Failed",
        "errors": [
            {
                "resource": "PullRequest",
                "code": "custom",
                "message": "A pull request already exists for multiarch-bot:multiarch.",
            }
        ],
        "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
        "status": "422",
    }


def test_a_branch_without_new_commits_gives_no_commits_between(world: World) -> None:
    fork = world.bot.get_repo(UPSTREAM).create_fork()
    fork.create_git_ref("refs/heads/empty", fork.get_branch("main").commit.sha)
    with pytest.raises(GithubException) as refused:
        world.bot.get_repo(UPSTREAM).create_pull(base="main", head="multiarch-bot:empty", title="Nothing")
    assert refused.value.status == 422
    message = _errors(refused.value)[0]["message"]
    assert message == "No commits between acme:main and multiarch-bot:empty"


def test_a_missing_head_branch_is_an_invalid_head(world: World) -> None:
    world.bot.get_repo(UPSTREAM).create_fork()
    with pytest.raises(GithubException) as refused:
        world.bot.get_repo(UPSTREAM).create_pull(base="main", head="multiarch-bot:nope", title="x")
    assert refused.value.status == 422
    assert _errors(refused.value) == [{"resource": "PullRequest", "field": "head", "code": "invalid"}]


def test_listing_by_head_needs_owner_and_branch_a_bare_branch_is_ignored(world: World) -> None:
    world.fork_with_branch("multiarch")
    world.push_change("multiarch-bot/tool", "other", {"X": "x\n"})
    upstream = world.bot.get_repo(UPSTREAM)
    first = upstream.create_pull(base="main", head="multiarch-bot:multiarch", title="One")
    upstream.create_pull(base="main", head="multiarch-bot:other", title="Two")
    assert [p.number for p in upstream.get_pulls(head="multiarch-bot:multiarch")] == [first.number]
    assert [p.number for p in upstream.get_pulls(head="someone:multiarch")] == []
    assert sorted(p.number for p in upstream.get_pulls(head="multiarch")) == [1, 2]  # GitHub's quirk
    listed = requests.get(f"{world.github.api_url}/repos/{UPSTREAM}/pulls", timeout=5).json()
    assert "commits" not in listed[0]  # the list shape leaves the counters out: PyGithub fetches them lazily
    assert upstream.get_pulls(head="multiarch-bot:multiarch")[0].commits == 1


def test_a_pull_request_is_edited_closed_and_reopened(world: World) -> None:
    world.fork_with_branch("multiarch")
    upstream = world.bot.get_repo(UPSTREAM)
    pr = upstream.create_pull(base="main", head="multiarch-bot:multiarch", title="Old")
    pr.edit(title="New", body="Better")
    pr.edit(state="closed")
    again = upstream.get_pull(pr.number)
    assert (again.title, again.body, again.state) == ("New", "Better", "closed")
    assert again.closed_at is not None
    assert [p.number for p in upstream.get_pulls(state="closed")] == [pr.number]
    assert list(upstream.get_pulls(state="open")) == []
    # A closed PR no longer blocks a new one for the same head.
    upstream.create_pull(base="main", head="multiarch-bot:multiarch", title="Second try")
    with pytest.raises(GithubException) as refused:
        pr.edit(state="open")
    assert refused.value.status == 422


def test_a_push_to_the_head_branch_updates_the_pull_request(world: World) -> None:
    world.fork_with_branch("multiarch")
    upstream = world.bot.get_repo(UPSTREAM)
    pr = upstream.create_pull(base="main", head="multiarch-bot:multiarch", title="x")
    work = world.clone("multiarch-bot/tool", "again", world.bot_token)
    git("checkout", "--quiet", "multiarch", cwd=work)
    (work / "EXTRA").write_text("one\ntwo\n")
    git("add", "EXTRA", cwd=work)
    git("commit", "--quiet", "-m", "more", cwd=work)
    git("push", "--quiet", "origin", "multiarch", cwd=work)
    updated = upstream.get_pull(pr.number)
    assert updated.head.sha != pr.head.sha
    assert (updated.commits, updated.additions, updated.changed_files) == (2, 3, 2)


def test_a_conflicting_pull_request_is_not_mergeable(world: World) -> None:
    world.fork_with_branch("multiarch", {"README.md": "# fork\n"})
    world.push_change(UPSTREAM, "main", {"README.md": "# upstream\n"}, token=world.upstream_token)
    pr = world.bot.get_repo(UPSTREAM).create_pull(base="main", head="multiarch-bot:multiarch", title="x")
    assert pr.mergeable is False
    assert pr.mergeable_state == "dirty"


def test_a_pull_request_whose_fork_was_deleted_has_a_null_head_repo(world: World) -> None:
    world.fork_with_branch("multiarch")
    pr = world.bot.get_repo(UPSTREAM).create_pull(base="main", head="multiarch-bot:multiarch", title="x")
    world.github.delete_repo("multiarch-bot/tool")
    again = world.bot.get_repo(UPSTREAM).get_pull(pr.number)
    head = again.raw_data["head"]
    assert (head["label"], head["user"], head["repo"]) == (None, None, None)
    assert head["sha"] == pr.head.sha


def test_deleting_the_fork_closes_its_open_pull_request(world: World) -> None:
    world.fork_with_branch("multiarch")
    pr = world.bot.get_repo(UPSTREAM).create_pull(base="main", head="multiarch-bot:multiarch", title="x")
    world.github.delete_repo("multiarch-bot/tool")
    again = world.bot.get_repo(UPSTREAM).get_pull(pr.number)
    assert (again.state, again.merged) == ("closed", False)


def test_a_same_repo_pull_request_says_no_commits_between_branch_names(world: World) -> None:
    owner = world.client(world.upstream_token).get_repo(UPSTREAM)
    owner.create_git_ref("refs/heads/same", owner.get_branch("main").commit.sha)
    with pytest.raises(GithubException) as refused:
        owner.create_pull(base="main", head="same", title="x")
    assert _errors(refused.value)[0]["message"] == "No commits between main and same"


def test_a_pull_requests_commits_and_files_come_from_git(world: World) -> None:
    world.fork_with_branch("multiarch", {"Dockerfile": "FROM busybox:stable\nRUN true\n", "new.txt": "new\n"})
    pr = world.bot.get_repo(UPSTREAM).create_pull(base="main", head="multiarch-bot:multiarch", title="x")
    commits = list(pr.get_commits())
    assert [c.sha for c in commits] == [pr.head.sha]
    assert commits[0].commit.message == "Change Dockerfile, new.txt"
    files = {f.filename: f for f in pr.get_files()}
    assert sorted(files) == ["Dockerfile", "new.txt"]
    added = files["new.txt"]
    assert (added.status, added.additions, added.deletions) == ("added", 1, 0)
    assert files["Dockerfile"].status == "modified"
    assert files["Dockerfile"].patch is not None
    assert "+RUN true" in files["Dockerfile"].patch
    assert files["Dockerfile"].patch.startswith("@@ ")
