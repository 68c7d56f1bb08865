"""`multiarch-bot run` end to end: the local GitHub, the sandbox's registry and engine, real builds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot import cli, run_command
from bot.sandbox.github.server import LocalGitHub
from tests.support.docker import DockerSandbox

EXAMPLES = Path(__file__).parents[1] / "bot" / "sandbox" / "examples"
pytestmark = pytest.mark.docker


@dataclass
class Setup:
    github: LocalGitHub
    token: str
    owner_token: str
    config: Path
    tmp: Path

    def write_config(self, **extra: object) -> Path:
        settings = yaml.safe_load(self.config.read_text()) | extra
        self.config.write_text(yaml.safe_dump(settings))
        return self.config

    def pulls(self, name: str) -> list[tuple[int, str]]:
        repo = self.github.repo(name)
        assert repo is not None
        return sorted((issue.number, issue.state) for issue in repo.issues.values() if issue.pull)


@pytest.fixture
def setup(docker_sandbox: DockerSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    github = LocalGitHub.start(tmp_path / "github")
    try:
        owner = github.add_user("azure")
        token = github.add_user("multiarch-bot")
        for example in ("azurite", "amd64-only"):
            github.import_directory(EXAMPLES / example, "azure", example)
        notes = tmp_path / "notes"
        notes.mkdir()
        (notes / "README.md").write_text("Release notes: no image here.\n")
        github.import_directory(notes, "azure", "notes")
        config = tmp_path / "multiarch-bot.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "targets": ["azure/azurite", "azure/amd64-only", "azure/notes"],
                    "registry_mirrors": {"docker.io": docker_sandbox.registry.address},
                    "github": {"api_url": github.api_url},
                    "cache_dir": str(tmp_path / "cache"),
                    "sources": {"link_upstream_issues": False},
                }
            )
        )
        monkeypatch.setenv("MULTIARCH_BOT_TOKEN", token)
        yield Setup(github, token, owner, config, tmp_path)
    finally:
        github.stop()


def test_a_run_opens_one_pr_reports_the_blocked_repo_and_a_rerun_opens_nothing(
    setup: Setup, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = setup.tmp / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    report = setup.tmp / "run.json"
    code = cli.main(["run", "--config", str(setup.config), "--report-json", str(report)])
    out = capsys.readouterr()
    assert code == cli.EXIT_OK, out.out + out.err
    outcomes = {o["repo"]: o for o in json.loads(report.read_text())["outcomes"]}
    assert outcomes["azure/azurite"]["verdict"] == "opened"
    assert outcomes["azure/amd64-only"]["verdict"] == "blocked"
    assert any("arm64" in reason for reason in outcomes["azure/amd64-only"]["reasons"])
    assert len(setup.pulls("azure/azurite")) == 1
    assert "azure/azurite" in summary.read_text()
    assert setup.token not in out.out + out.err + report.read_text() + summary.read_text()

    assert outcomes["azure/notes"]["verdict"] == "blocked"

    api: list[str] = []
    setup.github.observer = lambda exchange: api.append(f"{exchange.method} {exchange.route}")
    again = cli.main(["run", "--config", str(setup.config), "--report-json", str(report)])
    assert again == cli.EXIT_OK
    outcomes = {o["repo"]: o for o in json.loads(report.read_text())["outcomes"]}
    assert outcomes["azure/azurite"]["verdict"] == "up-to-date"
    assert len(setup.pulls("azure/azurite")) == 1
    # all three unchanged: the owner's listing read them at once, and nothing else was asked or cloned
    assert {o["verdict"] for o in outcomes.values()} == {"up-to-date", "blocked"}
    assert all(o["reasons"][0] == "unchanged since the last run" for o in outcomes.values())
    assert sorted(api) == ["GET /user", "GET /users/{username}/repos"]


def test_a_dry_run_writes_nothing_and_needs_no_identity(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["run", "--config", str(setup.config), "--dry-run", "patch", "--only", "azure/azurite"])
    out = capsys.readouterr().out
    assert code == cli.EXIT_OK
    assert "azure/azurite" in out
    assert "patched" in out
    assert "azure/amd64-only" not in out
    assert setup.github.repo("multiarch-bot/azurite") is None


def test_an_unknown_repository_is_that_repositorys_error_and_the_others_go_on(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    setup.write_config(targets=["azure/missing", "azure/amd64-only"])
    code = cli.main(["run", "--config", str(setup.config)])
    out = capsys.readouterr().out
    assert code == 1
    assert "azure/missing" in out
    assert "404" in out
    assert "blocked" in out


def test_bad_config_and_a_missing_token_do_nothing_and_exit_2(
    setup: Setup, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    setup.write_config(targets=[{"repo": "azure/azurite", "platforms": ["linux/arm65"]}])
    assert cli.main(["run", "--config", str(setup.config)]) == cli.EXIT_USAGE
    assert "targets[0].platforms[0]" in capsys.readouterr().err
    setup.write_config(targets=["azure/azurite"])
    monkeypatch.delenv("MULTIARCH_BOT_TOKEN")
    assert cli.main(["run", "--config", str(setup.config)]) == cli.EXIT_USAGE
    assert "MULTIARCH_BOT_TOKEN" in capsys.readouterr().err
    assert cli.main(["run", "--config", str(setup.config), "--shard", "5/4"]) == cli.EXIT_USAGE
    assert setup.github.repo("multiarch-bot/azurite") is None


def test_a_run_killed_after_its_push_is_finished_by_the_next_with_exactly_one_pr(setup: Setup) -> None:
    setup.write_config(targets=["azure/azurite"], cache_dir=None)
    command = [sys.executable, "-m", "bot", "run", "--config", str(setup.config)]
    env = os.environ | {"PYTHONPATH": str(Path(__file__).parents[1])}
    running = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and running.poll() is None:
            fork = setup.github.repo("multiarch-bot/azurite")
            if fork is not None and _has_branch(setup, "multiarch-bot/azurite", "multiarch/arm64"):
                break  # pushed; the pull request is the next thing it does
            time.sleep(0.05)
        running.send_signal(signal.SIGKILL)
    finally:
        running.wait(timeout=30)
    assert cli.main(["run", "--config", str(setup.config)]) == cli.EXIT_OK
    assert cli.main(["run", "--config", str(setup.config)]) == cli.EXIT_OK
    assert len(setup.pulls("azure/azurite")) == 1


def _has_branch(setup: Setup, full_name: str, branch: str) -> bool:
    refs = setup.github.git_dir(full_name) / "refs" / "heads" / branch
    packed = setup.github.git_dir(full_name) / "packed-refs"
    return refs.exists() or (packed.exists() and f"refs/heads/{branch}" in packed.read_text())


def test_ctrl_c_stops_cleanly_with_130_and_the_rerun_finishes_the_rest(setup: Setup) -> None:
    setup.write_config(targets=["azure/amd64-only", "azure/azurite"], concurrency=1)
    command = [sys.executable, "-m", "bot", "run", "--config", str(setup.config)]
    env = os.environ | {"PYTHONPATH": str(Path(__file__).parents[1])}
    running = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert running.stderr is not None
    seen = []
    for line in running.stderr:  # the first progress line: the run (and its Ctrl-C handling) has begun
        seen.append(line)
        if "azure/amd64-only" in line:
            break
    running.send_signal(signal.SIGINT)
    out, err = running.communicate(timeout=120)
    err = "".join(seen) + err
    assert running.returncode == 130, out + err
    assert setup.token not in out + err
    assert cli.main(["run", "--config", str(setup.config)]) == cli.EXIT_OK
    assert len(setup.pulls("azure/azurite")) == 1


def test_the_configs_github_pacing_and_fork_wait_reach_the_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "multiarch-bot.yaml"
    settings = {"seconds_between_requests": 0, "seconds_between_writes": 0.5, "fork_ready_timeout": 7}
    config.write_text(yaml.safe_dump({"github": {"api_url": "http://127.0.0.1:9/api/v3", **settings}}))
    monkeypatch.setenv("MULTIARCH_BOT_TOKEN", "a-token-never-sent")
    args = cli._parser().parse_args(["run", "--config", str(config), "--dry-run", "scan"])
    behaviour = run_command._prepare(args).session.behaviour
    assert behaviour.seconds_between_requests is None  # 0: no pacing at all
    assert behaviour.seconds_between_writes == 0.5
    assert behaviour.fork_ready_timeout == 7
