"""Fixtures for the local GitHub: a fresh server per test with an upstream owner, a bot account and one
seeded repository, PyGithub clients with the settings the bot uses (API notes §1.5), and real git.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from github import Auth, Github, GithubRetry

from bot import proc
from bot.sandbox.github.server import LocalGitHub

UPSTREAM = "acme/tool"
SEED_FILES = {
    "Dockerfile": "FROM busybox:stable\nCOPY tool.sh /usr/local/bin/tool\n",
    "tool.sh": "#!/bin/sh\necho tool\n",
    "README.md": "# tool\n\nA tool.\n",
    ".github/workflows/ci.yml": "on: push\njobs: {}\n",
}


def git(*args: str, cwd: Path | None = None, check: bool = True) -> proc.Completed:
    """The git CLI with no user config, no prompts and a fixed author."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(cwd or Path.cwd()),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "",
        "GIT_AUTHOR_NAME": "Bot",
        "GIT_AUTHOR_EMAIL": "bot@example.invalid",
        "GIT_COMMITTER_NAME": "Bot",
        "GIT_COMMITTER_EMAIL": "bot@example.invalid",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    return proc.run(("git", *args), timeout=30, env=env, cwd=cwd, check=check)


def with_token(url: str, token: str) -> str:
    return url.replace("http://", f"http://x-access-token:{token}@", 1)


@dataclass
class World:
    github: LocalGitHub
    upstream_token: str  # acme, owner of acme/tool
    bot_token: str  # multiarch-bot, scopes repo + workflow
    tmp: Path

    def client(self, token: str | None = None, **options: object) -> Github:
        settings: dict[str, object] = {
            "retry": GithubRetry(total=3, secondary_rate_wait=0.01, max_rate_limit_wait=1),
            "seconds_between_requests": None,
            "seconds_between_writes": None,
            "timeout": 5,
        }
        settings |= options
        auth = Auth.Token(token) if token else None
        return Github(base_url=self.github.api_url, auth=auth, **settings)  # type: ignore[arg-type]

    @property
    def bot(self) -> Github:
        return self.client(self.bot_token)

    def clone(self, full_name: str, name: str, token: str | None = None) -> Path:
        dest = self.tmp / name
        url = self.github.clone_url(full_name)
        git("clone", "--quiet", with_token(url, token) if token else url, str(dest), cwd=self.tmp)
        return dest

    def push_change(
        self,
        full_name: str,
        branch: str,
        files: dict[str, str],
        *,
        token: str | None = None,
        check: bool = True,
    ) -> proc.Completed:
        """Clone ``full_name``, commit ``files`` on ``branch``, push with ``token`` (default: the bot's)."""
        work = self.clone(full_name, f"work-{branch.replace('/', '-')}-{len(list(self.tmp.iterdir()))}")
        git("checkout", "--quiet", "-B", branch, cwd=work)
        for path, text in files.items():
            (work / path).parent.mkdir(parents=True, exist_ok=True)
            (work / path).write_text(text)
        git("add", "--all", cwd=work)
        git("commit", "--quiet", "-m", f"Change {', '.join(files)}", cwd=work)
        url = self.github.clone_url(full_name)
        token = self.bot_token if token is None else token
        return git(
            "push",
            with_token(url, token) if token else url,
            f"HEAD:refs/heads/{branch}",
            cwd=work,
            check=check,
        )

    def fork_with_branch(self, branch: str = "multiarch", files: dict[str, str] | None = None) -> str:
        """The bot's fork of the upstream, with ``branch`` pushed to it; the fork's full name."""
        fork = self.bot.get_repo(UPSTREAM).create_fork()
        self.push_change(fork.full_name, branch, files or {"Dockerfile": "FROM busybox:stable\nRUN true\n"})
        return fork.full_name


@dataclass(frozen=True)
class SeededState:
    """A state directory with the accounts and the upstream repository, made once and copied per test."""

    path: Path
    upstream_token: str
    bot_token: str


@pytest.fixture(scope="session")
def seeded_state(tmp_path_factory: pytest.TempPathFactory) -> SeededState:
    root = tmp_path_factory.mktemp("local-github")
    seed = root / "seed"
    for path, text in SEED_FILES.items():
        (seed / path).parent.mkdir(parents=True, exist_ok=True)
        (seed / path).write_text(text)
    with LocalGitHub.start(root / "state") as github:
        upstream_token = github.add_user("acme")
        bot_token = github.add_user("multiarch-bot")
        github.import_directory(seed, "acme", "tool", description="A tool")
    return SeededState(root / "state", upstream_token, bot_token)


@pytest.fixture
def world(seeded_state: SeededState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # PyGithub's requests honours proxy variables
    # A copy of the seeded state: every test gets its own server and repositories, without re-seeding.
    shutil.copytree(seeded_state.path, tmp_path / "state", symlinks=True)
    github = LocalGitHub.start(tmp_path / "state")
    work = tmp_path / "work"
    work.mkdir()
    world = World(github, seeded_state.upstream_token, seeded_state.bot_token, work)
    try:
        yield world
    finally:
        world.github.stop()
