"""Git over smart HTTP with the real git client: anonymous fetch, push with a token, GitHub's refusals."""

from __future__ import annotations

import pytest

from bot.proc import ProcError
from tests.sandbox.github.conftest import UPSTREAM, World, git

WORKFLOW = {".github/workflows/ci.yml": "on: push\njobs: {build: {runs-on: ubuntu-latest}}\n"}


@pytest.fixture
def fork(world: World) -> str:
    return world.bot.get_repo(UPSTREAM).create_fork().full_name


def test_public_repositories_clone_and_fetch_anonymously(world: World) -> None:
    work = world.clone(UPSTREAM, "anon")
    assert (work / "tool.sh").exists()
    assert git("fetch", "--quiet", "origin", cwd=work).returncode == 0


def test_a_push_without_a_token_is_refused(world: World, fork: str) -> None:
    pushed = world.push_change(fork, "multiarch", {"a": "a\n"}, token="", check=False)
    assert pushed.returncode != 0
    assert "terminal prompts disabled" in pushed.stderr.decode()


def test_a_push_with_a_wrong_token_is_refused(world: World, fork: str) -> None:
    pushed = world.push_change(fork, "multiarch", {"a": "a\n"}, token="ghp_wrong", check=False)
    assert pushed.returncode != 0
    assert "Authentication failed" in pushed.stderr.decode()


def test_a_push_to_a_repository_without_push_rights_is_denied(world: World) -> None:
    pushed = world.push_change(UPSTREAM, "multiarch", {"a": "a\n"}, check=False)
    assert pushed.returncode != 0
    stderr = pushed.stderr.decode()
    assert "Permission to acme/tool.git denied to multiarch-bot." in stderr
    assert world.bot_token not in stderr


def test_a_push_with_the_token_as_basic_password_or_bearer_header_lands(world: World, fork: str) -> None:
    world.push_change(fork, "basic", {"a": "a\n"})
    work = world.clone(fork, "bearer")
    git("checkout", "--quiet", "-b", "bearer", cwd=work)
    (work / "b").write_text("b\n")
    git("add", "b", cwd=work)
    git("commit", "--quiet", "-m", "b", cwd=work)
    header = f"http.extraHeader=Authorization: Bearer {world.bot_token}"
    git("-c", header, "push", "--quiet", "origin", "bearer", cwd=work)
    refs = git("ls-remote", world.github.clone_url(fork), cwd=work).out
    assert "refs/heads/basic" in refs
    assert "refs/heads/bearer" in refs


def test_a_token_without_workflow_scope_cannot_change_workflows(world: World, fork: str) -> None:
    narrow = world.github.add_user("multiarch-bot", scopes=("public_repo",))
    refused = world.push_change(fork, "ci", WORKFLOW, token=narrow, check=False)
    assert refused.returncode != 0
    stderr = refused.stderr.decode()
    assert (
        "refusing to allow a Personal Access Token to create or update workflow `.github/workflows/ci.yml`"
        " without `workflow` scope"
    ) in stderr
    assert "[remote rejected]" in stderr
    assert "refs/heads/ci" not in git("ls-remote", world.github.clone_url(fork)).out
    # The same token may push everything else.
    world.push_change(fork, "multiarch", {"Dockerfile": "FROM scratch\n"}, token=narrow)


def test_an_installation_token_needs_the_workflows_permission(world: World, fork: str) -> None:
    app = world.github.add_user("multiarch-bot", kind="installation", scopes=("contents",))
    refused = world.push_change(fork, "ci", WORKFLOW, token=app, check=False)
    assert "refusing to allow a GitHub App to create or update workflow" in refused.stderr.decode()
    assert "without `workflows` permission" in refused.stderr.decode()


def test_a_rejected_push_fault_refuses_one_push(world: World, fork: str) -> None:
    world.github.faults.reject_pushes(1, message="pre-receive hook: sandbox says no")
    refused = world.push_change(fork, "one", {"a": "a\n"}, check=False)
    assert refused.returncode != 0
    assert "sandbox says no" in refused.stderr.decode()
    world.push_change(fork, "two", {"a": "a\n"})


def test_a_failed_push_never_shows_the_token(world: World) -> None:
    with pytest.raises(ProcError) as failed:
        world.push_change(UPSTREAM, "multiarch", {"a": "a\n"})
    assert world.bot_token not in str(failed.value)
    assert world.bot_token not in " ".join(failed.value.argv)


def test_private_repositories_need_a_token_to_clone(world: World) -> None:
    world.github.set_flags(UPSTREAM, private=True)
    anonymous = git("ls-remote", world.github.clone_url(UPSTREAM), check=False)
    assert anonymous.returncode != 0
    owner = world.clone(UPSTREAM, "private", world.upstream_token)
    assert (owner / "Dockerfile").exists()


def test_the_push_moves_pushed_at(world: World, fork: str) -> None:
    before = world.github.repo(fork)
    assert before is not None
    world.push_change(fork, "multiarch", {"a": "a\n"})
    after = world.github.repo(fork)
    assert after is not None
    assert after.pushed_at >= before.pushed_at
    assert world.bot.get_repo(fork).get_branch("multiarch").name == "multiarch"
