"""Commit and push against real git: a bare fork served by ``git http-backend`` behind a token check."""

from __future__ import annotations

import base64
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import git
import pytest

from bot import proc
from bot.errors import GitError
from bot.forge.dco import candidate_paths, dco_requirement
from bot.forge.git import run_git, shallow_clone
from bot.forge.git_publish import (
    GitIdentity,
    LeaseRejected,
    PushRejected,
    commit_date,
    commit_message,
    commit_patch,
    head_sha,
    push_branch,
    remote_branch_sha,
)
from bot.model import AMD64, ARM64, Patch
from tests.forge.azurite import EXAMPLE, scan_and_patch
from tests.forge.git_server import GitServer, serve

TOKEN = "ghp_" + "PushT0kenPushT0kenPushT0kenPushT0ken"
BOT = GitIdentity("multiarch-bot", "bot@example.invalid")
BRANCH = "multiarch/arm64"
FORBIDDEN = (TOKEN, base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode(), "PushT0kenPushT0ken")


def git_in(repo: Path, *args: str) -> str:
    identity = ["-c", "user.name=Upstream Dev", "-c", "user.email=dev@example.invalid"]
    return run_git([*identity, *args], cwd=repo).stdout.strip()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GitServer]:
    """acme/azurite (the upstream) and bot/azurite (its fork: a copy), both laid out like Azurite."""
    work = shutil.copytree(EXAMPLE, tmp_path / "upstream-work")
    git_in(work, "init", "--quiet", "--initial-branch=main")
    git_in(work, "add", "--all")
    git_in(work, "commit", "--quiet", "-m", "Azurite before its arm64 change")
    root = tmp_path / "served"
    (root / "acme").mkdir(parents=True)
    run_git(["clone", "--quiet", "--bare", str(work), str(root / "acme" / "azurite.git")])
    shutil.copytree(root / "acme", root / "bot")
    yield from serve(GitServer(root, TOKEN))


@pytest.fixture
def checkout(server: GitServer, tmp_path: Path) -> tuple[Path, Patch]:
    repo = shallow_clone(server.url("acme/azurite"), tmp_path / "clone")
    _, patch = scan_and_patch(repo)
    assert [e.path for e in patch.edits] == ["package.json"]
    return repo, patch


def fork_sha(server: GitServer) -> str | None:
    result = run_git(
        ["rev-parse", "--verify", "--quiet", f"refs/heads/{BRANCH}"],
        cwd=server.root / "bot" / "azurite.git",
        check=False,
    )
    return result.stdout.strip() or None


def commit(repo: Path, patch: Patch, *, signoff: bool = False, date: str | None = None) -> str:
    message = commit_message(patch, (AMD64, ARM64))
    return commit_patch(repo, patch, identity=BOT, message=message, signoff=signoff, date=date)


def test_a_commit_pushed_with_the_token_becomes_the_forks_branch(server: GitServer, checkout) -> None:  # type: ignore[no-untyped-def]
    repo, patch = checkout
    fork = server.url("bot/azurite")
    assert remote_branch_sha(fork, BRANCH, TOKEN) is None

    sha = commit(repo, patch)
    assert push_branch(repo, fork, BRANCH, TOKEN, expected_sha=None) == sha

    assert fork_sha(server) == sha
    assert remote_branch_sha(fork, BRANCH, TOKEN) == sha
    assert remote_branch_sha(server.url("acme/azurite"), BRANCH, None) is None  # the upstream untouched
    assert git_in(repo, "show", "--stat", "--format=%an <%ae>%n%cn <%ce>", "HEAD").startswith(
        "multiarch-bot <bot@example.invalid>\nmultiarch-bot <bot@example.invalid>\n"
    )
    changed = git_in(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", "HEAD")
    assert changed == "package.json"
    # the token went only to the fork, in a header; reads of the upstream carried nothing
    assert {path.split("/info/")[0].split("/git-")[0] for _, path, auth in server.seen if auth} == {
        "/bot/azurite.git"
    }


def test_a_wrong_token_is_refused_clearly_and_never_shown(server: GitServer, checkout) -> None:  # type: ignore[no-untyped-def]
    repo, patch = checkout
    commit(repo, patch)
    wrong = "ghp_" + "WrongWrongWrongWrongWrongWrongWrong1"
    with pytest.raises(PushRejected, match="the token was not accepted") as raised:
        push_branch(repo, server.url("bot/azurite"), BRANCH, wrong, expected_sha=None)
    text = f"{raised.value} {raised.value!r} {raised.value.args}"
    assert wrong not in text
    assert "Wrong" not in text
    assert raised.value.__cause__ is None
    assert fork_sha(server) is None


def test_the_lease_refuses_when_the_fork_moved(server: GitServer, checkout, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo, patch = checkout
    fork = server.url("bot/azurite")
    first = commit(repo, patch)
    push_branch(repo, fork, BRANCH, TOKEN, expected_sha=None)

    # pushing what the branch already has is a no-op, whatever the lease says: nothing new to push
    assert push_branch(repo, fork, BRANCH, TOKEN, expected_sha=None) == first

    # someone else moves the branch
    other = shallow_clone(fork, tmp_path / "other", branch=BRANCH)
    (other / "NOTICE.txt").write_text("changed by hand\n")
    git_in(other, "commit", "--quiet", "-am", "a maintainer's fix-up")
    moved = push_branch(other, fork, BRANCH, TOKEN, expected_sha=first)
    assert fork_sha(server) == moved != first

    with pytest.raises(LeaseRejected, match="no longer where it was expected \\(absent\\)"):
        push_branch(repo, fork, BRANCH, TOKEN, expected_sha=None)  # "must not exist" but it does
    with pytest.raises(LeaseRejected, match=f"\\({first[:12]}\\)"):
        push_branch(repo, fork, BRANCH, TOKEN, expected_sha=first)
    assert fork_sha(server) == moved  # nothing overwritten

    assert push_branch(repo, fork, BRANCH, TOKEN, expected_sha=moved) == first  # told where it is: replaces
    assert fork_sha(server) == first


def test_the_token_is_never_stored_logged_or_traced(
    server: GitServer, checkout, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capfd
) -> None:  # type: ignore[no-untyped-def]
    repo, patch = checkout
    # a caller that traces everything, headers unredacted, and GitPython logging every command and output
    for name, value in {
        "GIT_TRACE": "1",
        "GIT_TRACE_CURL": "1",
        "GIT_TRACE_REDACT": "0",
        "GIT_CURL_VERBOSE": "1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(git.Git, "GIT_PYTHON_TRACE", "full")
    caplog.set_level(logging.DEBUG)

    fork = server.url("bot/azurite")
    commit(repo, patch)
    push_branch(repo, fork, BRANCH, TOKEN, expected_sha=None)
    remote_branch_sha(fork, BRANCH, TOKEN)
    git_in(repo, "commit", "--quiet", "--amend", "-m", "a second version")  # so a push has work to do
    errors = []
    for token, expected in ((TOKEN, None), (TOKEN, "0" * 40), (TOKEN[:-1], None)):
        with pytest.raises(GitError) as raised:
            push_branch(repo, fork, BRANCH, token, expected_sha=expected)
        errors.append(f"{raised.value} {raised.value!r}")

    captured = capfd.readouterr()
    seen = [caplog.text, captured.out, captured.err, *errors]

    # the control: the same variables on a plain git would print the header
    header = "Authorization: Basic Y29udHJvbDpzZWNyZXQ="
    config = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.extraHeader", "GIT_CONFIG_VALUE_0": header}
    plain = proc.run(["git", "ls-remote", fork], timeout=30, env={**os.environ, **config})
    assert header in plain.stderr.decode()
    stored = [
        path.read_bytes().decode(errors="replace") for path in (repo / ".git").rglob("*") if path.is_file()
    ]
    for secret in FORBIDDEN:
        for text in seen + stored:
            assert secret not in text
    assert "push" in caplog.text  # GitPython did log: it is the content that is clean
    config = (repo / ".git" / "config").read_text()
    assert "extraheader" not in config.lower()
    assert "127.0.0.1" in config  # the clone's anonymous upstream URL, and nothing else about remotes
    assert "bot/azurite" not in config


def test_the_callers_git_variables_cannot_redirect_a_commit(
    checkout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    repo, patch = checkout
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    git_in(decoy, "init", "--quiet")
    git_in(decoy, "commit", "--quiet", "--allow-empty", "-m", "decoy")
    before = git_in(decoy, "rev-parse", "HEAD")
    monkeypatch.setenv("GIT_DIR", str(decoy / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(decoy))
    monkeypatch.setenv("GIT_INDEX_FILE", str(decoy / ".git" / "index"))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Someone Else")

    sha = commit(repo, patch)

    monkeypatch.delenv("GIT_DIR")
    monkeypatch.delenv("GIT_WORK_TREE")
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert git_in(decoy, "rev-parse", "HEAD") == before
    assert head_sha(repo) == sha
    assert git_in(repo, "log", "-1", "--format=%an") == "multiarch-bot"


def test_hooks_never_run(server: GitServer, checkout, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo, patch = checkout
    ran = tmp_path / "hook-ran"
    hooks = tmp_path / "evil-hooks"
    hooks.mkdir()
    for directory in (repo / ".git" / "hooks", hooks):
        for name in (
            "pre-commit",
            "commit-msg",
            "prepare-commit-msg",
            "post-commit",
            "pre-push",
            "reference-transaction",
        ):
            hook = directory / name
            hook.write_text(f"#!/bin/sh\necho {name} >> {ran}\n")
            hook.chmod(0o755)
    run_git(["config", "core.hooksPath", str(hooks)], cwd=repo)

    commit(repo, patch)
    push_branch(repo, server.url("bot/azurite"), BRANCH, TOKEN, expected_sha=None)
    assert not ran.exists()


def test_the_sign_off_trailer_is_there_only_when_the_repository_requires_dco(
    server: GitServer, tmp_path: Path
) -> None:
    trailer = "Signed-off-by: multiarch-bot <bot@example.invalid>"
    messages = {}
    for name, contributing in (
        ("plain", None),
        ("dco", "All commits need a Signed-off-by line (git commit -s).\n"),
    ):
        repo = shallow_clone(server.url("acme/azurite"), tmp_path / name)
        if contributing:
            (repo / "CONTRIBUTING.md").write_text(contributing)
        files = {p: (repo / p).read_text() for p in candidate_paths(os.listdir(repo))}
        _, patch = scan_and_patch(repo)
        commit(repo, patch, signoff=dco_requirement(files) is not None)
        messages[name] = git_in(repo, "log", "-1", "--format=%B")
    assert trailer not in messages["plain"]
    assert messages["dco"].rstrip().endswith(trailer)
    assert messages["dco"].count("Signed-off-by:") == 1


def test_the_same_patch_on_the_same_base_is_the_same_commit(server: GitServer, tmp_path: Path) -> None:
    """So a rerun can tell "nothing new to push" from the fork's tip alone."""
    shas = []
    for name in ("first", "second"):
        repo = shallow_clone(server.url("acme/azurite"), tmp_path / name)
        _, patch = scan_and_patch(repo)
        shas.append(commit(repo, patch, date=commit_date(repo)))
    assert shas[0] == shas[1]
    push_branch(tmp_path / "first", server.url("bot/azurite"), BRANCH, TOKEN, expected_sha=None)
    assert remote_branch_sha(server.url("bot/azurite"), BRANCH, TOKEN) == shas[1]


def test_the_commit_message_says_why_and_what_changed(checkout) -> None:  # type: ignore[no-untyped-def]
    _, patch = checkout
    message = commit_message(patch, (AMD64, ARM64))
    subject, blank, *body = message.splitlines()
    assert subject == "Build the Docker image for linux/amd64 and linux/arm64"
    assert blank == ""
    assert "Apple Silicon" in body[0]
    assert "package.json:" in body
    assert any(line.startswith("- `docker push ") for line in body)
    assert "skip ci" not in message.lower()


@pytest.mark.parametrize(
    ("url", "branch", "why"),
    [
        ("http://x-access-token:secret@127.0.0.1:1/bot/a.git", BRANCH, "carries credentials"),
        ("file:///srv/bot/a.git", BRANCH, "must be http"),
        ("ext::sh -c touch% /tmp/pwned", BRANCH, "must be http"),
        ("http://127.0.0.1:1/bot/a.git", "-f", "branch name"),
        ("http://127.0.0.1:1/bot/a.git", "a..b", "branch name"),
        ("http://127.0.0.1:1/bot/a.git", "x.lock", "branch name"),
    ],
)
def test_pushes_go_only_to_an_http_fork_branch_named_plainly(
    url: str, branch: str, why: str, tmp_path: Path
) -> None:
    with pytest.raises(GitError, match=why) as raised:
        push_branch(tmp_path, url, branch, TOKEN, expected_sha=None)
    assert "secret" not in str(raised.value)


def test_a_clone_refuses_ext_and_hides_credentials_in_errors(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="unsafe transport refused"):
        shallow_clone("ext::sh -c touch% /tmp/pwned", tmp_path / "a")
    with pytest.raises(GitError, match="cannot clone") as raised:
        shallow_clone("http://user:hunter2@127.0.0.1:9/nothing.git", tmp_path / "b")
    assert "hunter2" not in str(raised.value)


def test_a_patch_the_checkout_already_holds_is_not_an_empty_commit(checkout) -> None:  # type: ignore[no-untyped-def]
    repo, patch = checkout
    first = commit(repo, patch)
    with pytest.raises(GitError, match="nothing to commit"):
        commit(repo, patch)
    assert head_sha(repo) == first
