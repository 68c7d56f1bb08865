"""State that outlives a server: restart on the same directory, the daemon, seeding through the admin API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from github import Auth, Github, GithubException

from bot.sandbox.github.daemon import running, start_daemon
from bot.sandbox.github.server import LocalGitHub
from tests.sandbox.github.conftest import UPSTREAM, World, git


def test_a_server_restarted_on_the_same_directory_keeps_everything(world: World, tmp_path: Path) -> None:
    world.fork_with_branch()
    pr = world.bot.get_repo(UPSTREAM).create_pull(base="main", head="multiarch-bot:multiarch", title="Kept")
    pr.create_issue_comment("still here")
    state_dir = world.github.store.root
    world.github.stop()
    assert not list(state_dir.glob(".state-*"))  # no temporary file left behind
    again = LocalGitHub.start(state_dir)
    try:
        client = Github(
            base_url=again.api_url, auth=Auth.Token(world.bot_token), seconds_between_requests=None
        )
        kept = client.get_repo(UPSTREAM).get_pull(pr.number)
        assert (kept.title, kept.commits, kept.head.repo.full_name) == ("Kept", 1, "multiarch-bot/tool")
        assert [c.body for c in kept.get_issue_comments()] == ["still here"]
        assert again.admin_token == world.github.admin_token
        assert "refs/heads/multiarch" in git("ls-remote", again.clone_url("multiarch-bot/tool")).out
    finally:
        again.stop()
        world.github = LocalGitHub.start(tmp_path / "spare")  # the fixture stops whatever it holds


def test_importing_a_directory_again_adds_a_commit(world: World, tmp_path: Path) -> None:
    source = tmp_path / "next"
    source.mkdir()
    (source / "Dockerfile").write_text("FROM busybox:stable\nRUN echo v2\n")
    first = world.bot.get_repo(UPSTREAM).get_branch("main").commit.sha
    world.github.import_directory(source, "acme", "tool", message="Version 2")
    commit = world.bot.get_repo(UPSTREAM).get_branch("main").commit
    assert commit.commit.message == "Version 2"
    assert commit.parents[0].sha == first
    assert world.bot.get_repo(UPSTREAM).get_contents("Dockerfile").decoded_content.endswith(b"v2\n")  # type: ignore[union-attr]


def test_the_daemon_serves_reuses_and_stops_and_is_seeded_through_the_admin_endpoint(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "Dockerfile").write_text("FROM scratch\n")
    state_dir = tmp_path / "daemon"
    daemon = start_daemon(state_dir)
    try:
        assert start_daemon(state_dir) == daemon  # reused while alive
        assert running(state_dir) == daemon
        admin = {"Authorization": f"token {daemon.admin_token}"}
        user = requests.post(
            f"{daemon.web_url}/_sandbox/users", json={"login": "acme", "token": {}}, headers=admin, timeout=5
        ).json()
        seeded = requests.post(
            f"{daemon.web_url}/_sandbox/repos",
            json={"owner": "acme", "name": "demo", "path": str(source), "description": "Demo"},
            headers=admin,
            timeout=5,
        )
        assert seeded.status_code == 201
        client = Github(
            base_url=daemon.api_url, auth=Auth.Token(user["token"]), seconds_between_requests=None
        )
        repo = client.get_repo("acme/demo")
        assert (repo.description, repo.permissions.admin) == ("Demo", True)
        assert json.loads((state_dir / "state.json").read_text())["repos"]["acme/demo"]["name"] == "demo"
    finally:
        daemon.stop()
    assert running(state_dir) is None


def test_a_stale_pid_file_is_not_taken_for_a_running_daemon(tmp_path: Path) -> None:
    (tmp_path / "github.pid").write_text("1")
    (tmp_path / "github.port").write_text("1")
    assert running(tmp_path) is None


def test_admin_calls_need_the_admin_token(world: World) -> None:
    answer = requests.post(f"{world.github.web_url}/_sandbox/users", json={"login": "x"}, timeout=5)
    assert answer.status_code == 401
    assert requests.get(f"{world.github.web_url}/_sandbox/health", timeout=5).json() == {"ok": True}


def test_web_paths_are_left_to_the_web_app(world: World) -> None:
    world.github.dispatcher.web_app = _hello
    assert requests.get(f"{world.github.web_url}/acme/tool", timeout=5).text == "web view"
    assert requests.get(f"{world.github.api_url}/repos/{UPSTREAM}", timeout=5).status_code == 200
    assert git("ls-remote", world.github.clone_url(UPSTREAM)).returncode == 0


def _hello(environ: dict[str, object], start_response: object) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])  # type: ignore[operator]
    return [b"web view"]


@pytest.mark.parametrize("flag", ["archived", "disabled"])
def test_flags_are_set_through_the_admin_endpoint(world: World, flag: str) -> None:
    answer = requests.patch(
        f"{world.github.web_url}/_sandbox/repos/acme/tool",
        json={flag: True},
        headers={"Authorization": f"token {world.github.admin_token}"},
        timeout=5,
    )
    assert answer.status_code == 200
    assert world.bot.get_repo(UPSTREAM).raw_data[flag] is True


def test_names_that_could_leave_the_state_directory_are_refused(world: World, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a GitHub login"):
        world.github.add_user("../evil")
    with pytest.raises(ValueError, match="not a repository name"):
        world.github.import_directory(tmp_path, "acme", "..")
    admin = {"Authorization": f"token {world.github.admin_token}"}
    answer = requests.post(
        f"{world.github.web_url}/_sandbox/repos",
        json={"owner": "acme", "name": "x.git", "path": str(tmp_path)},
        headers=admin,
        timeout=5,
    )
    assert answer.status_code == 422
    with pytest.raises(GithubException) as refused:
        world.bot.get_repo(UPSTREAM).create_fork(name="..")
    assert refused.value.status == 422
