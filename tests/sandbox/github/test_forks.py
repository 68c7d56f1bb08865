"""Forks: 202 for new and existing forks, parent/source only on forks, readiness, organisations, sync."""

from __future__ import annotations

import time

import pytest
import requests
from github import GithubException, UnknownObjectException

from tests.sandbox.github.conftest import UPSTREAM, World, git


def test_a_fork_is_created_with_202_and_points_back_at_its_parent(world: World) -> None:
    upstream = world.bot.get_repo(UPSTREAM)
    assert upstream.fork is False
    assert upstream.raw_data.get("parent") is None  # parent/source only on forks
    fork = upstream.create_fork()
    assert fork.full_name == "multiarch-bot/tool"
    assert fork.fork is True
    assert fork.parent.full_name == UPSTREAM
    assert fork.source.full_name == UPSTREAM
    assert fork.permissions.push is True
    assert fork.clone_url == f"{world.github.git_url}/multiarch-bot/tool.git"
    answer = requests.post(
        f"{world.github.api_url}/repos/{UPSTREAM}/forks",
        headers={"Authorization": f"token {world.bot_token}"},
        timeout=5,
    )
    assert answer.status_code == 202


def test_forking_again_answers_202_with_the_same_fork(world: World) -> None:
    upstream = world.bot.get_repo(UPSTREAM)
    first = upstream.create_fork()
    again = upstream.create_fork()
    assert (again.id, again.full_name) == (first.id, first.full_name)
    assert [f.full_name for f in upstream.get_forks()] == ["multiarch-bot/tool"]


def test_a_fork_is_a_real_copy_that_git_can_clone(world: World) -> None:
    fork = world.bot.get_repo(UPSTREAM).create_fork()
    work = world.clone(fork.full_name, "fork")
    assert (work / "Dockerfile").read_text().startswith("FROM busybox")
    upstream_sha = world.bot.get_repo(UPSTREAM).get_branch("main").commit.sha
    assert git("rev-parse", "HEAD", cwd=work).out.strip() == upstream_sha


def test_a_fork_being_copied_answers_like_an_empty_repository_until_ready(world: World) -> None:
    world.github.faults.slow_forks(0.6)
    fork = world.bot.get_repo(UPSTREAM).create_fork()
    with pytest.raises(GithubException) as refs:
        fork.get_git_ref("heads/main")
    assert refs.value.status == 409
    with pytest.raises(UnknownObjectException):
        fork.get_branch("main")
    clone = git("clone", "--quiet", world.github.clone_url(fork.full_name), str(world.tmp / "x"), check=False)
    assert clone.returncode != 0
    time.sleep(0.7)
    assert fork.get_git_ref("heads/main").object.sha == fork.parent.get_branch("main").commit.sha


def test_a_fork_into_an_organisation_needs_membership_and_can_be_renamed(world: World) -> None:
    world.github.add_organization("builders", members=("multiarch-bot",))
    world.github.add_organization("strangers", members=())
    upstream = world.bot.get_repo(UPSTREAM)
    fork = upstream.create_fork(organization="builders", name="tool-multiarch")
    assert fork.full_name == "builders/tool-multiarch"
    assert fork.owner.type == "Organization"
    assert fork.organization.login == "builders"
    with pytest.raises(UnknownObjectException):
        upstream.create_fork(organization="strangers")


def test_default_branch_only_copies_just_the_default_branch(world: World) -> None:
    owner = world.client(world.upstream_token).get_repo(UPSTREAM)
    owner.create_git_ref("refs/heads/develop", owner.get_branch("main").commit.sha)
    fork = world.bot.get_repo(UPSTREAM).create_fork(default_branch_only=True)
    assert [ref.ref for ref in fork.get_git_refs()] == ["refs/heads/main"]


def test_merge_upstream_fast_forwards_a_fork_that_fell_behind(world: World) -> None:
    fork = world.bot.get_repo(UPSTREAM).create_fork()
    world.push_change(UPSTREAM, "main", {"NEWS": "new\n"}, token=world.upstream_token)
    upstream_sha = world.bot.get_repo(UPSTREAM).get_branch("main").commit.sha
    assert fork.get_branch("main").commit.sha != upstream_sha
    merged = fork.merge_upstream("main")
    assert merged.merge_type == "fast-forward"
    assert merged.base_branch == "acme:main"
    assert fork.get_branch("main").commit.sha == upstream_sha
    assert fork.merge_upstream("main").merge_type == "none"


def test_a_forked_branch_can_be_reset_to_any_upstream_sha_with_a_forced_ref_update(world: World) -> None:
    fork = world.bot.get_repo(UPSTREAM).create_fork()
    world.push_change(UPSTREAM, "main", {"NEWS": "new\n"}, token=world.upstream_token)
    upstream_sha = world.bot.get_repo(UPSTREAM).get_branch("main").commit.sha
    ref = fork.get_git_ref("heads/main")
    ref.edit(upstream_sha, force=True)  # Renovate's sync: the fork network shares objects
    assert fork.get_branch("main").commit.sha == upstream_sha


def test_a_deleted_fork_is_gone_for_the_api_and_for_git(world: World) -> None:
    fork = world.bot.get_repo(UPSTREAM).create_fork()
    assert world.github.delete_repo(fork.full_name)
    with pytest.raises(UnknownObjectException):
        world.bot.get_repo(fork.full_name)
    assert git("ls-remote", world.github.clone_url(fork.full_name), check=False).returncode != 0


def test_a_renamed_repository_redirects_the_api_and_git_to_its_new_name(world: World) -> None:
    fork = world.bot.get_repo(UPSTREAM).create_fork()
    world.github.rename_repo(UPSTREAM, "tool-ng")
    moved = requests.get(f"{world.github.api_url}/repos/{UPSTREAM}", allow_redirects=False, timeout=5)
    assert moved.status_code == 301
    assert moved.headers["Location"] == f"{world.github.api_url}/repos/acme/tool-ng"
    assert moved.json()["message"] == "Moved Permanently"
    assert world.bot.get_repo(UPSTREAM).full_name == "acme/tool-ng"  # PyGithub follows the 301
    assert world.bot.get_repo(fork.full_name).parent.full_name == "acme/tool-ng"
    work = world.clone(UPSTREAM, "old-name")  # git follows the redirect too
    assert (work / "Dockerfile").exists()


def test_an_organisation_is_readable_and_its_forks_pull_requests_keep_maintainers_out(world: World) -> None:
    world.github.add_organization("builders", members=("multiarch-bot",))
    org = world.bot.get_organization("builders")
    assert (org.login, org.type) == ("builders", "Organization")
    fork = world.bot.get_repo(UPSTREAM).create_fork(organization="builders")
    world.push_change(fork.full_name, "multiarch", {"Dockerfile": "FROM scratch\n"})
    pr = world.bot.get_repo(UPSTREAM).create_pull(
        base="main", head="builders:multiarch", title="x", maintainer_can_modify=True
    )
    assert pr.maintainer_can_modify is False
    with pytest.raises(UnknownObjectException):
        world.bot.get_organization("acme")  # a user, not an organisation
