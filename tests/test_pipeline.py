"""One repository through every stage for real: the local GitHub, the sandbox registry, real multi-arch
builds of the patched tree, and exactly one pull request however often the bot runs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from bot import proc
from bot.cache import RepoCache
from bot.config import config_from_mapping
from bot.forge import github as forge
from bot.forge.github import ForgeSettings
from bot.forge.publish import Forge
from bot.outcome import Gate, RepoOutcome, RepoTarget, Verdict
from bot.pipeline import RunContext, run_repo
from bot.sandbox.github.server import LocalGitHub
from bot.scan.registry import RegistryClient
from tests.support.docker import DockerSandbox
from tests.support.local_github import FAST, commit_and_push

EXAMPLES = Path(__file__).parents[1] / "bot" / "sandbox" / "examples"
pytestmark = pytest.mark.docker


@dataclass
class Fleet:
    github: LocalGitHub
    sandbox: DockerSandbox
    owner_token: str
    bot_token: str
    workspace: Path

    def run(self, name: str, *, gate: Gate | None = None, cache: RepoCache | None = None) -> RepoOutcome:
        config = config_from_mapping(
            {
                "registry_mirrors": {"docker.io": self.sandbox.registry.address},
                "github": {"api_url": self.github.api_url},
            }
        )
        behaviour = replace(FAST, api_url=self.github.api_url)
        gh = forge.connect(self.bot_token, behaviour)
        session = Forge(gh, self.bot_token, forge.whoami(gh), config.github, behaviour)
        with RegistryClient(mirrors=config.registry_mirrors, timeout=5, total_budget=20) as registry:
            context = RunContext(
                config, session, registry, self.workspace, gate, cache=cache, fingerprint="v1"
            )
            return run_repo(RepoTarget(name), context)

    def pulls(self, name: str) -> list[tuple[int, str]]:
        repo = self.github.repo(name)
        assert repo is not None
        return sorted((issue.number, issue.state) for issue in repo.issues.values() if issue.pull)

    def fork_git(self, *args: str) -> str:
        """git's output, run on the bot's fork of azure/azurite in the local GitHub."""
        git_dir = str(self.github.git_dir("multiarch-bot/azurite"))
        return proc.run(("git", "--git-dir", git_dir, *args), timeout=10).out

    def move_upstream(self, name: str) -> None:
        """The maintainers push a commit to the default branch."""
        change = {"CHANGELOG.md": "- a release\n"}
        commit_and_push(self.github, name, "main", change, token=self.owner_token, workdir=self.workspace)


@pytest.fixture
def fleet(docker_sandbox: DockerSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fleet]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    github = LocalGitHub.start(tmp_path / "github")
    try:
        owner = github.add_user("azure")
        bot = github.add_user("multiarch-bot")
        for example in ("azurite", "amd64-only"):
            github.import_directory(EXAMPLES / example, "azure", example)
        workspace = tmp_path / "workspace"
        workspace.mkdir()
        yield Fleet(github, docker_sandbox, owner, bot, workspace)
    finally:
        github.stop()


def test_first_run_opens_one_pr_and_a_second_run_changes_nothing(
    fleet: Fleet, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    first = fleet.run("azure/azurite")
    assert first.verdict is Verdict.OPENED, first.reasons
    assert first.pushed
    assert first.pr is not None
    assert first.pr.html_url.startswith(fleet.github.web_url)
    upstream = fleet.github.repo("azure/azurite")
    assert upstream is not None
    opened = upstream.issues[first.pr.number]
    assert opened.pull is not None
    assert (opened.pull.head_owner, opened.pull.head_ref) == ("multiarch-bot", "multiarch/arm64")
    assert "linux/arm64" in (opened.body or "")
    assert "package.json" in (opened.body or "")

    second = fleet.run("azure/azurite")
    assert (second.verdict, second.pushed) == (Verdict.UP_TO_DATE, False)
    assert second.pr is not None
    assert second.pr.number == first.pr.number
    assert fleet.pulls("azure/azurite") == [(first.pr.number, "open")]

    captured = capfd.readouterr()
    everything = captured.out + captured.err + caplog.text + repr(first) + repr(second)
    assert fleet.bot_token not in everything


def test_upstream_moving_refreshes_the_pr_branch(fleet: Fleet) -> None:
    first = fleet.run("azure/azurite")
    assert first.verdict is Verdict.OPENED, first.reasons
    fleet.move_upstream("azure/azurite")
    refreshed = fleet.run("azure/azurite")
    assert (refreshed.verdict, refreshed.pushed) == (Verdict.UPDATED, True)
    assert first.pr is not None
    assert refreshed.pr is not None
    assert refreshed.pr.number == first.pr.number
    fork_log = fleet.fork_git("log", "--format=%s", "multiarch/arm64").splitlines()
    assert fork_log[:2] == ["Build the Docker image for linux/amd64 and linux/arm64", "Change CHANGELOG.md"]


def test_a_declined_pr_stays_declined(fleet: Fleet) -> None:
    first = fleet.run("azure/azurite")
    assert first.pr is not None
    maintainer = forge.connect(fleet.owner_token, ForgeSettings(api_url=fleet.github.api_url))
    maintainer.get_repo("azure/azurite").get_pull(first.pr.number).edit(state="closed")
    again = fleet.run("azure/azurite")
    assert (again.verdict, again.pushed) == (Verdict.DECLINED, False)
    assert fleet.pulls("azure/azurite") == [(first.pr.number, "closed")]


def test_a_base_without_arm64_is_blocked_before_any_fork(fleet: Fleet) -> None:
    outcome = fleet.run("azure/amd64-only")
    assert outcome.verdict is Verdict.BLOCKED
    assert any("arm64" in reason for reason in outcome.reasons)
    assert fleet.github.repo("multiarch-bot/amd64-only") is None


def test_a_5xx_after_the_pr_was_created_still_ends_with_one_pr(fleet: Fleet) -> None:
    fleet.github.faults.server_error_after_create()
    outcome = fleet.run("azure/azurite")
    assert outcome.verdict is Verdict.OPENED, outcome.reasons
    assert len(fleet.pulls("azure/azurite")) == 1


def test_a_rejected_push_is_a_clear_error_and_the_rerun_finishes(fleet: Fleet) -> None:
    fleet.github.faults.reject_pushes()
    failed = fleet.run("azure/azurite")
    assert failed.verdict is Verdict.ERROR
    assert "push" in failed.reasons[0]
    assert "declined by the sandbox" in failed.reasons[0]
    assert fleet.bot_token not in repr(failed)
    assert fleet.pulls("azure/azurite") == []
    rerun = fleet.run("azure/azurite")
    assert rerun.verdict is Verdict.OPENED, rerun.reasons


def test_the_dry_run_gates_stop_before_anything_is_written(fleet: Fleet) -> None:
    assert fleet.run("azure/azurite", gate=Gate.SCAN).verdict is Verdict.SCANNED
    patched = fleet.run("azure/azurite", gate=Gate.PATCH)
    assert patched.verdict is Verdict.PATCHED
    assert patched.patch is not None
    assert [edit.path for edit in patched.patch.edits] == ["package.json"]
    assert fleet.github.repo("multiarch-bot/azurite") is None
    assert fleet.pulls("azure/azurite") == []


def test_an_unchanged_repository_costs_one_api_call_and_no_clone(fleet: Fleet, tmp_path: Path) -> None:
    cache = RepoCache(tmp_path / "cache")
    first = fleet.run("azure/azurite", cache=cache)
    assert first.verdict is Verdict.OPENED, first.reasons
    requests: list[str] = []
    fleet.github.observer = lambda exchange: requests.append(f"{exchange.method} {exchange.path}")
    again = fleet.run("azure/azurite", cache=RepoCache(tmp_path / "cache"))  # a new process reads the file
    assert again.verdict is Verdict.UP_TO_DATE
    assert again.reasons[0] == "unchanged since the last run"
    assert again.pr is not None
    assert first.pr is not None
    assert (again.pr.number, again.pr.html_url) == (first.pr.number, first.pr.html_url)
    assert [r for r in requests if r != "GET /user"] == ["GET /repos/azure/azurite"]
    fleet.move_upstream("azure/azurite")
    moved = fleet.run("azure/azurite", cache=cache)
    assert (moved.verdict, moved.pushed) == (Verdict.UPDATED, True)


def test_a_full_disk_in_the_workspace_is_that_repositorys_clear_error(fleet: Fleet, tmp_path: Path) -> None:
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    # a real full filesystem: a 64 KiB tmpfs (root, as the engine tests; CI runs as root)
    proc.run(("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(tiny)), timeout=10)
    try:
        fleet.workspace = tiny
        outcome = fleet.run("azure/azurite")
    finally:
        proc.run(("umount", str(tiny)), timeout=10)
    assert outcome.verdict is Verdict.ERROR
    assert "No space left on device" in outcome.reasons[0]
    assert fleet.pulls("azure/azurite") == []


def test_a_branch_someone_else_pushed_to_is_not_overwritten(fleet: Fleet) -> None:
    first = fleet.run("azure/azurite")
    assert first.verdict is Verdict.OPENED, first.reasons
    theirs = commit_and_push(
        fleet.github,
        "multiarch-bot/azurite",
        "multiarch/arm64",
        {"NOTES.md": "a maintainer's fix-up\n"},
        token=fleet.bot_token,  # pushed as the fork's owner can; authored by the maintainer
        workdir=fleet.workspace,
    )
    again = fleet.run("azure/azurite")
    assert again.pushed is False
    assert any("holds commits by others" in note for note in again.reasons), again.reasons
    tip = fleet.fork_git("rev-parse", "multiarch/arm64").strip()
    assert tip == theirs
    assert len(fleet.pulls("azure/azurite")) == 1


def test_no_docker_engine_is_that_repositorys_clear_error(
    fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    absent = f"unix://{tmp_path / 'absent.sock'}"
    monkeypatch.setenv("DOCKER_HOST", absent)  # what the build commands use
    monkeypatch.setattr("bot.build.verify.DOCKER_HOST", absent)  # what docker-py would have connected to
    outcome = fleet.run("azure/azurite")
    assert outcome.verdict is Verdict.ERROR
    assert outcome.reasons[0].startswith(f"cannot build here: the Docker daemon at {absent} is not answering")
    assert fleet.pulls("azure/azurite") == []
