"""Git references, branches and file contents through the REST API, read from the real repositories."""

from __future__ import annotations

import pytest
import requests
from github import GithubException, UnknownObjectException

from tests.sandbox.github.conftest import SEED_FILES, UPSTREAM, World, git


def test_refs_are_read_created_moved_and_deleted(world: World) -> None:
    fork = world.bot.get_repo(UPSTREAM).create_fork()
    main = fork.get_git_ref("heads/main")
    assert main.ref == "refs/heads/main"
    assert main.url == f"{world.github.api_url}/repos/multiarch-bot/tool/git/refs/heads/main"
    assert main.object.type == "commit"
    created = fork.create_git_ref("refs/heads/feature", main.object.sha)
    assert created.ref == "refs/heads/feature"
    with pytest.raises(GithubException) as exists:
        fork.create_git_ref("refs/heads/feature", main.object.sha)
    assert (exists.value.status, exists.value.data["message"]) == (422, "Reference already exists")  # type: ignore[index]
    with pytest.raises(GithubException) as unknown:
        fork.create_git_ref("refs/heads/other", "1" * 40)
    assert unknown.value.data["message"] == "Object does not exist"  # type: ignore[index]
    assert sorted(r.ref for r in fork.get_git_refs()) == ["refs/heads/feature", "refs/heads/main"]
    created.delete()  # DELETE on the /git/refs/ URL
    with pytest.raises(UnknownObjectException):
        fork.get_git_ref("heads/feature")


def test_a_ref_is_updated_and_deleted_through_its_singular_url_too(world: World) -> None:
    fork = world.bot.get_repo(UPSTREAM).create_fork()
    sha = fork.get_git_ref("heads/main").object.sha
    fork.create_git_ref("refs/heads/temp", sha)
    api = f"{world.github.api_url}/repos/multiarch-bot/tool/git/ref/heads/temp"
    auth = {"Authorization": f"token {world.bot_token}"}
    assert requests.patch(api, json={"sha": sha}, headers=auth, timeout=5).status_code == 200
    assert requests.delete(api, headers=auth, timeout=5).status_code == 204
    assert requests.delete(api, headers=auth, timeout=5).status_code == 422


def test_a_ref_update_that_is_not_a_fast_forward_needs_force(world: World) -> None:
    world.fork_with_branch("multiarch")
    fork = world.bot.get_repo("multiarch-bot/tool")
    old = fork.get_branch("main").commit.sha
    ahead = fork.get_branch("multiarch").commit.sha
    ref = fork.get_git_ref("heads/multiarch")
    with pytest.raises(GithubException) as refused:
        ref.edit(old)
    assert refused.value.data["message"] == "Update is not a fast forward"  # type: ignore[index]
    ref.edit(old, force=True)
    assert fork.get_branch("multiarch").commit.sha == old != ahead


def test_writing_refs_needs_push_rights(world: World) -> None:
    upstream = world.bot.get_repo(UPSTREAM)
    with pytest.raises(GithubException) as refused:
        upstream.create_git_ref("refs/heads/x", upstream.get_branch("main").commit.sha)
    assert refused.value.status == 403


def test_a_branch_answers_with_its_commit(world: World) -> None:
    branch = world.bot.get_repo(UPSTREAM).get_branch("main")
    work = world.clone(UPSTREAM, "c")
    assert branch.commit.sha == git("rev-parse", "HEAD", cwd=work).out.strip()
    assert branch.commit.commit.message == "Initial commit"
    assert branch.protected is False
    with pytest.raises(UnknownObjectException):
        world.bot.get_repo(UPSTREAM).get_branch("nope")


def test_contents_are_files_in_base64_and_directories_as_lists(world: World) -> None:
    upstream = world.bot.get_repo(UPSTREAM)
    dockerfile = upstream.get_contents("Dockerfile")
    assert not isinstance(dockerfile, list)
    assert dockerfile.encoding == "base64"
    assert dockerfile.decoded_content.decode() == SEED_FILES["Dockerfile"]
    listing = upstream.get_contents(".github/workflows")
    assert isinstance(listing, list)
    assert [entry.path for entry in listing] == [".github/workflows/ci.yml"]
    assert listing[0].decoded_content.decode() == SEED_FILES[".github/workflows/ci.yml"]
    with pytest.raises(UnknownObjectException):
        upstream.get_contents("missing.txt")
    world.bot.get_repo(UPSTREAM).create_fork()
    world.push_change("multiarch-bot/tool", "multiarch", {"Dockerfile": "FROM scratch\n"})
    on_branch = world.bot.get_repo("multiarch-bot/tool").get_contents("Dockerfile", ref="multiarch")
    assert not isinstance(on_branch, list)
    assert on_branch.decoded_content == b"FROM scratch\n"


def test_branches_are_listed_and_a_commit_completes_with_its_stats_and_files(world: World) -> None:
    world.fork_with_branch("multiarch", {"Dockerfile": "FROM busybox:stable\nRUN true\n"})
    fork = world.bot.get_repo("multiarch-bot/tool")
    assert sorted(b.name for b in fork.get_branches()) == ["main", "multiarch"]
    commit = fork.get_branch("multiarch").commit
    assert (commit.stats.additions, commit.stats.deletions) == (1, 1)  # completes from GET …/commits/{sha}
    assert [f.filename for f in commit.files] == ["Dockerfile"]
    root = fork.get_commit(commit.parents[0].sha)
    assert sorted(f.filename for f in root.files) == sorted(SEED_FILES)  # the root against the empty tree
    assert all(f.status == "added" for f in root.files)
