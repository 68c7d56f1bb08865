"""The local GitHub as the tests outside its own package use it: a fresh server per test, PyGithub
settings that never sleep (API notes §1.5), and the git CLI as a maintainer would run it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from github import Github

from bot import proc
from bot.forge import github as forge
from bot.forge.github import ForgeSettings
from bot.sandbox.github.server import LocalGitHub

FAST = ForgeSettings(
    retries=3,
    secondary_rate_wait=0.01,
    max_rate_limit_wait=2,
    seconds_between_requests=None,
    seconds_between_writes=None,
    fork_ready_timeout=10,
    timeout=10,
)


@pytest.fixture
def local_github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalGitHub]:
    """A running local GitHub with no accounts yet; stopped after the test."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # PyGithub's requests honours proxy variables
    github = LocalGitHub.start(tmp_path / "local-github")
    try:
        yield github
    finally:
        github.stop()


def client(github: LocalGitHub, token: str) -> Github:
    """PyGithub through the bot's own ``connect``, with settings that make faults cost milliseconds."""
    return forge.connect(token, replace(FAST, api_url=github.api_url))


def seed_directory(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def git(*args: str, cwd: Path, home: Path) -> str:
    """The git CLI with no user or system config, no prompts and a fixed maintainer identity."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_AUTHOR_NAME": "Maintainer",
        "GIT_AUTHOR_EMAIL": "maintainer@example.invalid",
        "GIT_COMMITTER_NAME": "Maintainer",
        "GIT_COMMITTER_EMAIL": "maintainer@example.invalid",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    return proc.run(("git", *args), timeout=30, env=env, cwd=cwd).out


def commit_and_push(
    github: LocalGitHub, full_name: str, branch: str, files: dict[str, str], *, token: str, workdir: Path
) -> str:
    """Clone ``full_name`` below ``workdir``, commit ``files`` on ``branch`` (from its default branch) and
    push as ``token``'s user; the new commit's sha."""
    work = workdir / f"work-{os.urandom(4).hex()}"
    url = github.clone_url(full_name).replace("http://", f"http://x-access-token:{token}@", 1)
    git("clone", "--quiet", url, str(work), cwd=workdir, home=workdir)
    git("checkout", "--quiet", "-B", branch, cwd=work, home=workdir)
    seed_directory(work, files)
    git("add", "--all", cwd=work, home=workdir)
    git("commit", "--quiet", "-m", f"Change {', '.join(files)}", cwd=work, home=workdir)
    git("push", "--quiet", "--force", url, f"HEAD:refs/heads/{branch}", cwd=work, home=workdir)
    return git("rev-parse", "HEAD", cwd=work, home=workdir).strip()
