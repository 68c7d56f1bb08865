"""The same push against the project's local GitHub: a fork made through its REST API, GitHub's refusals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.forge.git import shallow_clone
from bot.forge.git_publish import PushRejected, commit_message, commit_patch, push_branch, remote_branch_sha
from bot.model import AMD64, ARM64, FileEdit, Patch
from bot.sandbox.github.server import LocalGitHub
from tests.forge.azurite import EXAMPLE, scan_and_patch
from tests.forge.test_git_publish import BOT, BRANCH


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalGitHub]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = LocalGitHub.start(tmp_path / "state")
    try:
        server.add_user("Azure")
        server.import_directory(EXAMPLE, "Azure", "Azurite")
        yield server
    finally:
        server.stop()


def fork(github: LocalGitHub, token: str) -> str:
    answer = requests.post(
        f"{github.api_url}/repos/Azure/Azurite/forks",
        headers={"Authorization": f"token {token}"},
        json={},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["clone_url"])


def test_the_bot_pushes_its_branch_to_its_fork_and_nowhere_else(github: LocalGitHub, tmp_path: Path) -> None:
    token = github.add_user("multiarch-bot")
    fork_url = fork(github, token)
    repo = shallow_clone(github.clone_url("Azure/Azurite"), tmp_path / "clone")
    _, patch = scan_and_patch(repo)
    message = commit_message(patch, (AMD64, ARM64))
    sha = commit_patch(repo, patch, identity=BOT, message=message, signoff=False)

    assert push_branch(repo, fork_url, BRANCH, token, expected_sha=None) == sha
    assert remote_branch_sha(fork_url, BRANCH, token) == sha

    with pytest.raises(PushRejected) as raised:  # the bot cannot write to the upstream
        push_branch(repo, github.clone_url("Azure/Azurite"), BRANCH, token, expected_sha=None)
    assert token not in str(raised.value)
    assert remote_branch_sha(github.clone_url("Azure/Azurite"), BRANCH, None) is None


def test_a_workflow_change_without_the_workflow_scope_is_refused_with_githubs_reason(
    github: LocalGitHub, tmp_path: Path
) -> None:
    token = github.add_user("multiarch-bot", scopes=("public_repo",))
    fork_url = fork(github, token)
    repo = shallow_clone(github.clone_url("Azure/Azurite"), tmp_path / "clone")
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "docker.yml").write_text("on: push\n")
    edit = FileEdit(".github/workflows/docker.yml", "on: push\n", "on: [push]\n", ("build on every push",))
    commit_patch(repo, Patch((edit,)), identity=BOT, message="Build on push\n", signoff=False)

    with pytest.raises(PushRejected, match="workflow") as raised:
        push_branch(repo, fork_url, BRANCH, token, expected_sha=None)
    assert token not in str(raised.value)
