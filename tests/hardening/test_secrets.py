"""The bot's token, planted in the environment of ``multiarch-bot run`` (a subprocess, as in production),
never appears anywhere a person or another process could read it: stdout and stderr, the JSON and HTML
reports, the job summary, the pull request and every issue and comment on the local GitHub, the fork's
commits, the files a run leaves behind (a killed run's clone and its ``.git/config`` included), error
texts of failing runs (a bad token; a push refusal whose text echoes the token back), and the command
line of every process on the machine while the runs are in progress.

The environment of the bot's own ``git push`` necessarily holds the token (as an HTTP header, for that
one command), and so does the bot's own process; the command lines never do, and neither does the
environment of any docker process the bot starts.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from bot.errors import BotError, GitError
from bot.forge import github as forge
from bot.forge.git import shallow_clone
from bot.forge.git_publish import push_branch
from bot.proc import register_secret
from bot.sandbox.github import gitdata
from bot.sandbox.github.server import LocalGitHub
from tests.support.docker import DockerSandbox
from tests.support.local_github import client

EXAMPLES = Path(__file__).parents[2] / "bot" / "sandbox" / "examples"
ROOT = Path(__file__).parents[2]


@dataclass
class Watch:
    """What a poll of /proc saw while a run was in progress."""

    exposed: list[str] = field(default_factory=list)  # processes whose command line (or docker's env) had it
    programs: set[str] = field(default_factory=set)  # what ran: proves the poll saw the run's children
    git_configs: int = 0  # clones' .git/config files read while they existed


@dataclass
class Fleet:
    github: LocalGitHub
    token: str
    decoy: str
    tmp: Path
    config: Path
    others: list[str] = field(default_factory=list)  # more values that must never show

    @property
    def secrets(self) -> tuple[str, ...]:
        header = base64.b64encode(f"x-access-token:{self.token}".encode()).decode()
        return (self.token, header, self.decoy, *self.others)

    def env(self, token: str | None = None) -> dict[str, str]:
        return os.environ | {
            "MULTIARCH_BOT_TOKEN": token or self.token,
            "DECOY_SECRET": self.decoy,
            "GITHUB_STEP_SUMMARY": str(self.tmp / "summary.md"),
            "TMPDIR": str(self.tmp / "tmp"),  # where the run's workspace goes: searched afterwards
            "PYTHONPATH": str(ROOT),
            "NO_PROXY": "127.0.0.1,localhost",
        }

    def start(self, *extra: str, token: str | None = None) -> subprocess.Popen[bytes]:
        out, err = (self.tmp / "out.txt").open("ab"), (self.tmp / "err.txt").open("ab")
        command = [sys.executable, "-m", "bot", "run", "--config", str(self.config), *extra]
        with out, err:
            return subprocess.Popen(command, env=self.env(token), stdout=out, stderr=err, cwd=self.tmp)

    def watch(
        self, running: subprocess.Popen[bytes], *, until: float = 300, kill_at_clone: bool = False
    ) -> Watch:
        """Poll every process's command line until ``running`` exits (or, with ``kill_at_clone``, SIGKILL it
        as soon as a clone's .git/config exists)."""
        seen = Watch()
        deadline = time.monotonic() + until
        while running.poll() is None and time.monotonic() < deadline:
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit() and int(entry.name) != os.getpid():
                    self._look_at(entry, seen)
            for config in (self.tmp / "tmp").glob("multiarch-run-*/repo-*/checkout/.git/config"):
                try:
                    text = config.read_text()
                except OSError:
                    continue  # deleted as the repository finished
                seen.git_configs += 1
                if any(secret in text for secret in self.secrets):
                    seen.exposed.append(f"{config}: {text}")
                if kill_at_clone:
                    running.send_signal(signal.SIGKILL)
            time.sleep(0.005)
        if running.poll() is None:
            running.kill()
        running.wait(timeout=30)
        return seen

    def _look_at(self, entry: Path, seen: Watch) -> None:
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            return  # gone already
        text = b" ".join(argv).decode(errors="replace")
        seen.programs.add(os.path.basename(argv[0].decode(errors="replace")))
        if any(secret in text for secret in self.secrets):
            seen.exposed.append(f"{entry.name} argv: {text}")
        if b"docker" in argv[0] or b"buildx" in argv[0]:  # the bot's builds get a scrubbed environment
            try:
                environ = (entry / "environ").read_bytes().decode(errors="replace")
            except OSError:
                return
            if any(secret in environ for secret in self.secrets):
                seen.exposed.append(f"{entry.name} environ of {text}")

    def everything_written(self) -> dict[str, str]:
        """Every file under the test's directory but the local GitHub's own state (which holds its tokens),
        every issue, pull request and comment on the local GitHub, and the history of every repository."""
        found: dict[str, str] = {}
        state = self.tmp / "github"
        for path in self.tmp.rglob("*"):
            if path.is_file() and not path.is_relative_to(state):
                found[str(path)] = path.read_bytes().decode(errors="replace")
        with self.github.store.reading() as current:
            for name, repo in current.repos.items():
                for number, issue in repo.issues.items():
                    texts = [issue.title, issue.body or "", *(comment.body for comment in issue.comments)]
                    found[f"{name}#{number}"] = "\n".join(texts)
                history = gitdata.git(
                    self.github.git_dir(name), "log", "--all", "-p", "--format=%H%n%B", check=False
                )
                found[f"{name}.git"] = history.out
        return found

    def leaks(self) -> list[str]:
        return [
            where for where, text in self.everything_written().items() if any(s in text for s in self.secrets)
        ]


@pytest.fixture
def fleet(docker_sandbox: DockerSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fleet]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    github = LocalGitHub.start(tmp_path / "github")
    try:
        github.add_user("azure")
        token = github.add_user("multiarch-bot")
        requester = github.add_user("alice")
        for example in ("azurite", "amd64-only"):
            github.import_directory(EXAMPLES / example, "azure", example)
        github.import_directory(EXAMPLES / "amd64-only", "fleet", "requests")
        client(github, requester).get_repo("fleet/requests").create_issue(
            "Please build amd64-only for arm64",
            body="https://github.com/azure/amd64-only",
            labels=["multiarch-request"],
        )
        config = tmp_path / "multiarch-bot.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "targets": ["azure/azurite"],
                    "registry_mirrors": {"docker.io": docker_sandbox.registry.address},
                    "github": {"api_url": github.api_url},
                    "cache_dir": str(tmp_path / "cache"),
                    "sources": {"requests_repo": "fleet/requests", "dashboard": True},
                }
            )
        )
        (tmp_path / "tmp").mkdir()
        yield Fleet(github, token, f"decoy-{os.urandom(6).hex()}", tmp_path, config)
    finally:
        github.stop()


@pytest.mark.docker
def test_the_token_appears_in_no_output_report_pull_request_file_or_command_line(fleet: Fleet) -> None:
    reports = ("--report-json", str(fleet.tmp / "run.json"), "--report-html", str(fleet.tmp / "run.html"))

    # A run killed while it holds a clone leaves that clone behind: its .git/config holds no token.
    killed = fleet.watch(fleet.start(*reports), kill_at_clone=True)
    assert killed.git_configs
    assert list((fleet.tmp / "tmp").glob("multiarch-run-*/repo-*/checkout/.git/config"))
    assert fleet.leaks() == []  # before the next run removes what this one left

    # The fork refuses the push with a message that echoes the token back: the reason masks it.
    fleet.github.faults.reject_pushes(message=f"remote: token {fleet.token} may not push here")
    rejected = fleet.watch(fleet.start(*reports))
    outcomes = yaml.safe_load((fleet.tmp / "run.json").read_text())["outcomes"]
    refusal = next(o for o in outcomes if o["repo"] == "azure/azurite")
    assert refusal["verdict"] == "error"
    assert "token *** may not push here" in refusal["reasons"][0]

    opened = fleet.watch(fleet.start(*reports))
    outcomes = yaml.safe_load((fleet.tmp / "run.json").read_text())["outcomes"]
    assert {o["repo"]: o["verdict"] for o in outcomes} == {
        "azure/azurite": "opened",
        "azure/amd64-only": "blocked",
    }

    for watched in (killed, rejected, opened):
        assert watched.exposed == []
    assert {"git", "docker"} <= rejected.programs | opened.programs  # the poll saw the run's children
    assert fleet.leaks() == []
    written = fleet.everything_written()
    assert "Build the Docker image for linux/amd64 and linux/arm64" in written["azure/azurite#1"]  # the PR
    assert any("blocked" in text for where, text in written.items() if where.startswith("fleet/requests#"))


@pytest.mark.docker
def test_a_bad_token_fails_the_run_without_showing_it(fleet: Fleet) -> None:
    bad = "ghp_" + "0badc0ffee" * 4
    fleet.others.append(bad)
    running = fleet.start(token=bad)
    watched = fleet.watch(running, until=120)
    assert running.returncode != 0
    output = (fleet.tmp / "out.txt").read_text() + (fleet.tmp / "err.txt").read_text()
    assert "401" in output or "Bad credentials" in output, output
    assert watched.exposed == []
    assert fleet.leaks() == []


def test_registered_secrets_are_masked_in_the_errors_of_failing_git_and_api_calls(
    local_github: LocalGitHub, tmp_path: Path
) -> None:
    decoy = f"decoy-{os.urandom(6).hex()}"
    register_secret(decoy)
    token = local_github.add_user("multiarch-bot")
    for owner in ("azure", "multiarch-bot"):
        local_github.import_directory(EXAMPLES / "amd64-only", owner, "tool")

    with pytest.raises(GitError) as cloned:  # a URL that carries a secret, to a server that is not there
        shallow_clone(f"http://x-access-token:{decoy}@127.0.0.1:9/none.git", tmp_path / "nowhere")
    checkout = shallow_clone(local_github.clone_url("azure/tool"), tmp_path / "checkout")
    local_github.faults.reject_pushes(message=f"remote: refusing {token} and {decoy}")
    with pytest.raises(GitError) as pushed:  # the server echoes both back
        push_branch(
            checkout,
            local_github.clone_url("multiarch-bot/tool"),
            "multiarch/arm64",
            token,
            expected_sha=None,
        )
    with pytest.raises(BotError) as whoami:  # GitHub's 401 for a token it does not know
        forge.whoami(client(local_github, decoy))

    assert "refusing *** and ***" in str(pushed.value)
    for error in (cloned.value, pushed.value, whoami.value):
        assert decoy not in str(error)
        assert token not in str(error)
        assert not [arg for arg in getattr(error, "argv", ()) if decoy in arg or token in arg]
