"""A cheap fleet for the hardening tests: many small upstreams in a fresh local GitHub, one config.

Every repository is a one-line-COPY Dockerfile on the sandbox's multi-arch busybox and a build script
that builds and pushes it: BuildKit caches the build after the first repository, so a repository costs
a clone, a scan, two cached platform builds, two smoke runs and a handful of API requests. Some are
blocked (an amd64-only base: no fork, no PR) and some already build every platform (nothing to do), so a
run has each kind of outcome. The config has no pacing (the local GitHub needs none) and PR caps the
fleet cannot reach.

Other hardening modules import from here: keep the names stable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import cli, proc
from bot.sandbox.github.server import LocalGitHub
from tests.support.docker import DockerSandbox

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM_OWNER = "acme"
BOT_LOGIN = "multiarch-bot"
BOT_BRANCH = "multiarch/arm64"  # the config's default
TOKEN_ENV = "MULTIARCH_BOT_TOKEN"


class Kind(StrEnum):
    ELIGIBLE = "eligible"  # the build script builds amd64 only: the bot opens one PR
    BLOCKED = "blocked"  # the base has no arm64: reported, no fork, no PR
    READY = "ready"  # the script already builds both platforms: nothing to do


def repo_files(kind: Kind, name: str) -> dict[str, str]:
    """The files of one cheap upstream. The Dockerfile is the same for every eligible repository, so its
    build is cached after the first; only the image name in the script differs."""
    base = "acme/legacy-runtime:2.4" if kind is Kind.BLOCKED else "busybox:stable"
    build = (
        "docker buildx build --platform linux/amd64,linux/arm64 --push"
        if kind is Kind.READY
        else "docker build"
    )
    script = f"#!/bin/sh\nset -e\n{build} -t {UPSTREAM_OWNER}/{name}:1.0 .\n"
    if kind is not Kind.READY:
        script += f"docker push {UPSTREAM_OWNER}/{name}:1.0\n"
    return {
        "Dockerfile": f"FROM {base}\nCOPY motd /etc/motd\n",
        "motd": "a cheap upstream for the hardening tests\n",
        "build.sh": script,
        "README.md": f"# {name}\n",
    }


def fleet_kinds(count: int, *, blocked_every: int = 10, ready_every: int = 10) -> list[Kind]:
    """``count`` kinds, mostly eligible: every ``blocked_every``-th blocked, the one after it ready."""
    kinds = []
    for index in range(count):
        if blocked_every and index % blocked_every == blocked_every - 1:
            kinds.append(Kind.BLOCKED)
        elif ready_every and index % ready_every == 0 and index > 0:
            kinds.append(Kind.READY)
        else:
            kinds.append(Kind.ELIGIBLE)
    return kinds


@dataclass
class RunResult:
    code: int
    outcomes: dict[str, dict[str, Any]]  # repo → its entry in the JSON report (verdict, reasons, pr …)
    output: str = ""

    def verdicts(self) -> dict[str, str]:
        return {repo: str(o["verdict"]) for repo, o in self.outcomes.items()}


@dataclass
class CheapFleet:
    github: LocalGitHub
    token: str  # the bot's
    owner_token: str  # the upstreams' owner's
    kinds: dict[str, Kind]  # acme/name → its kind, in the config's order
    config: Path
    tmp: Path
    settings: dict[str, Any] = field(default_factory=dict)
    runs: int = 0

    @property
    def names(self) -> list[str]:
        return list(self.kinds)

    def of_kind(self, kind: Kind) -> list[str]:
        return [name for name, found in self.kinds.items() if found is kind]

    def write_config(self, **changes: Any) -> Path:
        """Change top-level keys of the config (``github`` and the rest are merged one level deep)."""
        for key, value in changes.items():
            current = self.settings.get(key)
            merged = current | value if isinstance(current, dict) and isinstance(value, dict) else value
            self.settings[key] = merged
        self.config.write_text(yaml.safe_dump(self.settings))
        return self.config

    def run(self, *args: str) -> RunResult:
        """``multiarch-bot run`` in this process (the token in the environment, see the fixture)."""
        self.runs += 1
        report = self.tmp / f"run-{self.runs}.json"
        code = cli.main(["run", "--config", str(self.config), "--report-json", str(report), *args])
        return RunResult(code, _outcomes(report))

    def command(self, *args: str, report: Path | None = None) -> list[str]:
        """The argv of ``python -m bot run`` on this fleet, for a subprocess (see ``environment``)."""
        extra = ["--report-json", str(report)] if report else []
        return [sys.executable, "-m", "bot", "run", "--config", str(self.config), *extra, *args]

    def environment(self) -> dict[str, str]:
        """The subprocess's environment: this one, the bot's token, and the checkout importable."""
        keep = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
        return keep | {TOKEN_ENV: self.token, "PYTHONPATH": str(ROOT), "NO_PROXY": "127.0.0.1,localhost"}

    def run_subprocess(
        self, *args: str, timeout: float = 300, env: dict[str, str] | None = None
    ) -> RunResult:
        """``python -m bot run`` to its end; ``env`` adds to (or overrides) ``environment()``."""
        self.runs += 1
        report = self.tmp / f"run-{self.runs}.json"
        done = subprocess.run(
            self.command(*args, report=report),
            env=self.environment() | (env or {}),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return RunResult(done.returncode, _outcomes(report), done.stdout + done.stderr)

    # What GitHub holds: the ground truth every test checks against.

    def pulls(self, name: str) -> list[tuple[int, str, str]]:
        """Every pull request of ``name``: (number, state, head label)."""
        repo = self.github.repo(name)
        assert repo is not None, name
        return sorted(
            (issue.number, issue.state, f"{issue.pull.head_owner}:{issue.pull.head_ref}")
            for issue in repo.issues.values()
            if issue.pull is not None
        )

    def bot_pulls(self, name: str) -> list[tuple[int, str, str]]:
        return [pr for pr in self.pulls(name) if pr[2] == f"{BOT_LOGIN}:{BOT_BRANCH}"]

    def duplicate_pulls(self) -> dict[str, list[tuple[int, str, str]]]:
        """Repositories with more than one pull request by the bot (there must never be any)."""
        return {name: found for name in self.names if len(found := self.bot_pulls(name)) > 1}

    def fork_branches(self) -> dict[str, list[str]]:
        """The branches of every fork the bot owns, by fork."""
        found = {}
        for name in self.names:
            fork = f"{BOT_LOGIN}/{name.split('/', 1)[1]}"
            if self.github.repo(fork) is not None:
                refs = proc.run(
                    ("git", "for-each-ref", "--format=%(refname:short)", "refs/heads"),
                    cwd=self.github.git_dir(fork),
                    timeout=30,
                ).out
                found[fork] = refs.split()
        return found

    def orphan_branches(self) -> list[str]:
        """``fork:branch`` for every branch of a bot fork that is neither the fork's default branch nor the
        head of an open pull request upstream."""
        orphans = []
        for fork, branches in self.fork_branches().items():
            repo = self.github.repo(fork)
            assert repo is not None
            assert repo.parent is not None
            heads = {label for _, state, label in self.pulls(repo.parent) if state == "open"}
            for branch in branches:
                if branch != repo.default_branch and f"{BOT_LOGIN}:{branch}" not in heads:
                    orphans.append(f"{fork}:{branch}")
        return orphans

    def assert_every_eligible_repo_has_one_pr_and_nothing_else(self) -> None:
        assert self.duplicate_pulls() == {}
        for name in self.of_kind(Kind.ELIGIBLE):
            assert [state for _, state, _ in self.bot_pulls(name)] == ["open"], name
        for name in self.of_kind(Kind.BLOCKED) + self.of_kind(Kind.READY):
            assert self.pulls(name) == [], name
        assert self.orphan_branches() == []


def _outcomes(report: Path) -> dict[str, dict[str, Any]]:
    if not report.is_file():
        return {}
    return {o["repo"]: o for o in json.loads(report.read_text())["outcomes"]}


MakeFleet = Callable[..., CheapFleet]


@pytest.fixture
def cheap_fleet(
    docker_sandbox: DockerSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MakeFleet]:
    """A factory: ``cheap_fleet(count, kinds=…, registry=…, concurrency=…)`` seeds ``count`` upstreams
    (``acme/app-000`` …) in a fresh local GitHub and writes the config; the server stops after the test.
    ``registry`` replaces the docker.io mirror (e.g. a faulty proxy in front of the sandbox registry)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    started: list[LocalGitHub] = []

    def make(
        count: int,
        *,
        kinds: list[Kind] | None = None,
        registry: str | None = None,
        concurrency: int = 2,
    ) -> CheapFleet:
        github = LocalGitHub.start(tmp_path / "github")
        started.append(github)
        owner_token = github.add_user(UPSTREAM_OWNER)
        token = github.add_user(BOT_LOGIN)
        chosen = kinds if kinds is not None else fleet_kinds(count)
        seeds = tmp_path / "seeds"
        fleet_of: dict[str, Kind] = {}
        for index, kind in enumerate(chosen[:count]):
            name = f"app-{index:03d}"
            directory = seeds / name
            for path, text in repo_files(kind, name).items():
                (directory / path).parent.mkdir(parents=True, exist_ok=True)
                (directory / path).write_text(text)
            (directory / "build.sh").chmod(0o755)
            github.import_directory(directory, UPSTREAM_OWNER, name)
            fleet_of[f"{UPSTREAM_OWNER}/{name}"] = kind
        monkeypatch.setenv(TOKEN_ENV, token)
        fleet = CheapFleet(github, token, owner_token, fleet_of, tmp_path / "multiarch-bot.yaml", tmp_path)
        fleet.write_config(
            targets=list(fleet_of),
            registry_mirrors={"docker.io": registry or docker_sandbox.registry.address},
            registry={"timeout": 5, "budget": 20},
            github={
                "api_url": github.api_url,
                "seconds_between_requests": 0,
                "seconds_between_writes": 0,
                "fork_ready_timeout": 30,
            },
            limits={"prs_per_run": 1000, "prs_per_hour": 1000},
            cache_dir=str(tmp_path / "cache"),
            concurrency=concurrency,
            timeouts={"build": 120, "smoke": 30},
            sources={"link_upstream_issues": False},
        )
        return fleet

    try:
        yield make
    finally:
        for github in started:
            github.stop()
