"""Sources against the local GitHub: request issues become targets, the bot answers each once, outcomes are
commented once, upstream arm64 issues are linked, and a failing source never stops the others."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from github import Github

from bot.config import Config, config_from_mapping
from bot.forge import github as forge
from bot.forge.records import PrRef, PrState
from bot.model import ARM64
from bot.outcome import IssueRef, RepoOutcome, RepoTarget, Verdict
from bot.sandbox.github.server import LocalGitHub
from bot.sources import collect_targets, link_related, report_outcome, targets_from_config
from tests.support.local_github import FAST


@dataclass
class World:
    github: LocalGitHub
    people: Github  # a requester: opens issues
    owner: Github  # owns the requests repository and the upstreams
    bot: Github

    def issue(self, repo: str, title: str, body: str = "", *, labels: tuple[str, ...] = ()) -> int:
        return int(self.people.get_repo(repo).create_issue(title, body=body, labels=list(labels)).number)

    def comments(self, repo: str, number: int) -> list[str]:
        found = self.github.repo(repo)
        assert found is not None
        return [comment.body for comment in found.issues[number].comments]

    def config(self, **sources: Any) -> Config:
        return config_from_mapping(
            {
                "targets": [{"repo": "azure/azurite", "platforms": ["linux/arm64"], "draft": True}],
                "sources": {"requests_repo": "acme/requests", "link_upstream_issues": False} | sources,
            }
        )


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "README.md").write_text("hello\n")
    github = LocalGitHub.start(tmp_path / "state")
    try:
        tokens = {login: github.add_user(login) for login in ("acme", "azure", "someone", "multiarch-bot")}
        for owner, name in (("acme", "requests"), ("acme", "tool"), ("acme", "other"), ("azure", "azurite")):
            github.import_directory(seed, owner, name)

        def client(login: str) -> Github:
            return forge.connect(tokens[login], replace(FAST, api_url=github.api_url))

        yield World(github, client("someone"), client("acme"), client("multiarch-bot"))
    finally:
        github.stop()


def test_configured_targets_keep_their_overrides() -> None:
    config = config_from_mapping(
        {
            "targets": [
                "acme/tool",
                {"repo": "azure/azurite", "build_args": {"A": "1"}, "smoke_command": "azurite --version"},
            ]
        }
    )
    tool, azurite = targets_from_config(config)
    assert tool == RepoTarget("acme/tool")
    assert azurite.build_args == (("A", "1"),)
    assert azurite.smoke_command == ("azurite", "--version")


def test_labelled_requests_become_targets_merged_with_the_config(world: World) -> None:
    tool = world.issue("acme/requests", "Please: https://github.com/acme/tool", labels=("multiarch-request",))
    azurite = world.issue("acme/requests", "arm64 for azure/azurite", labels=("multiarch-request",))
    world.issue("acme/requests", "acme/other too?")  # no opt-in label: not a request
    closed = world.issue("acme/requests", "acme/other", labels=("multiarch-request",))
    world.owner.get_repo("acme/requests").get_issue(closed).edit(state="closed")
    world.issue("acme/requests", "acme/requests itself and acme/other", labels=("multiarch-request",))

    collected = collect_targets(world.config(), world.bot)

    assert collected.problems == ()
    by_name = {t.full_name: t for t in collected.targets}
    assert list(by_name) == ["azure/azurite", "acme/tool", "acme/other"]
    assert by_name["azure/azurite"].request == IssueRef("acme/requests", azurite)
    assert (by_name["azure/azurite"].platforms, by_name["azure/azurite"].draft) == ((ARM64,), True)
    assert by_name["acme/tool"].request == IssueRef("acme/requests", tool)


def test_an_issue_naming_nothing_is_asked_once_not_twice(world: World) -> None:
    number = world.issue(
        "acme/requests", "Please support arm", "It would be great.", labels=("multiarch-request",)
    )
    collect_targets(world.config(), world.bot)
    collect_targets(world.config(), world.bot)
    said = world.comments("acme/requests", number)
    assert len(said) == 1
    assert "`owner/repo`" in said[0]
    assert "<!-- multiarch-bot:request ask -->" in said[0]


def test_each_request_is_acknowledged_once_and_a_second_request_points_at_the_first(world: World) -> None:
    first = world.issue("acme/requests", "acme/tool", labels=("multiarch-request",))
    again = world.issue("acme/requests", "github.com/acme/tool please", labels=("multiarch-request",))
    for _ in range(2):
        collected = collect_targets(world.config(), world.bot)
    assert [t.request for t in collected.targets if t.full_name == "acme/tool"] == [
        IssueRef("acme/requests", first)
    ]
    (ack,) = world.comments("acme/requests", first)
    assert ack.startswith("On it")
    assert "`acme/tool`" in ack
    assert "linux/arm64" in ack
    (pointer,) = world.comments("acme/requests", again)
    assert f"acme/requests#{first}" in pointer


def test_a_dry_run_writes_nothing_and_keep_cuts_before_answering(world: World) -> None:
    tool = world.issue("acme/requests", "acme/tool", labels=("multiarch-request",))
    other = world.issue("acme/requests", "acme/other", labels=("multiarch-request",))
    collect_targets(world.config(), world.bot, respond=False)
    assert world.comments("acme/requests", tool) == world.comments("acme/requests", other) == []
    kept = collect_targets(
        world.config(), world.bot, keep=lambda ts: [t for t in ts if t.full_name == "acme/tool"]
    )
    assert [t.full_name for t in kept.targets] == ["acme/tool"]
    assert len(world.comments("acme/requests", tool)) == 1
    assert world.comments("acme/requests", other) == []  # another shard's to answer


def test_the_search_query_finds_requests_elsewhere(world: World) -> None:
    elsewhere = world.issue("acme/other", "Multi-arch image for azure/azurite?", labels=("multi-arch",))
    world.issue("acme/other", "azure/azurite: unrelated", labels=())
    config = world.config(requests_repo=None, search="label:multi-arch org:acme")
    collected = collect_targets(config, world.bot)
    assert collected.problems == ()
    (azurite,) = collected.targets
    assert azurite.request == IssueRef("acme/other", elsewhere)
    assert azurite.platforms == (ARM64,)  # the configured overrides stay


def test_upstream_issues_asking_for_arm64_are_linked(world: World) -> None:
    arm64 = world.issue("azure/azurite", "Support for arm64 docker image")
    silicon = world.issue("azure/azurite", "Crash", "Fails on Apple Silicon (M1) under emulation")
    world.issue("azure/azurite", "Typo in the docs")
    gone = world.issue("azure/azurite", "aarch64 build")
    world.people.get_repo("azure/azurite").get_issue(gone).edit(state="closed")  # its author may
    collected = collect_targets(world.config(link_upstream_issues=True), world.bot)
    (azurite,) = collected.targets
    assert azurite.related == (IssueRef("azure/azurite", arm64), IssueRef("azure/azurite", silicon))


def test_a_5xx_burst_on_search_is_a_problem_and_the_other_sources_still_work(world: World) -> None:
    tool = world.issue("acme/requests", "acme/tool", labels=("multiarch-request",))
    arm64 = world.issue("azure/azurite", "arm64 please")
    retries = FAST.retries + 1  # PyGithub's own retries: the whole burst reaches the configured search only
    world.github.faults.server_errors(retries, status=502, route="/search/issues")
    config = world.config(search="label:multi-arch", link_upstream_issues=True)
    collected = collect_targets(config, world.bot)
    (problem,) = collected.problems
    assert "label:multi-arch" in problem
    assert "502" in problem
    by_name = {t.full_name: t for t in collected.targets}
    assert by_name["acme/tool"].request == IssueRef("acme/requests", tool)
    assert by_name["azure/azurite"].related == (IssueRef("azure/azurite", arm64),)


def test_an_unreachable_requests_repo_is_a_problem_not_a_crash(world: World) -> None:
    collected = collect_targets(world.config(requests_repo="acme/missing"), world.bot)
    assert [t.full_name for t in collected.targets] == ["azure/azurite"]
    (problem,) = collected.problems
    assert "acme/missing" in problem
    assert "404" in problem


def test_a_failed_related_search_leaves_the_target_as_it_was(world: World) -> None:
    world.github.faults.server_errors(FAST.retries + 1, status=503, route="/search/issues")
    target, problem = link_related(world.bot, RepoTarget("azure/azurite"))
    assert target == RepoTarget("azure/azurite")
    assert problem is not None
    assert "azure/azurite" in problem


def test_the_outcome_is_commented_once_and_again_when_it_changes(world: World) -> None:
    number = world.issue("acme/requests", "acme/tool", labels=("multiarch-request",))
    target = RepoTarget("acme/tool", request=IssueRef("acme/requests", number))
    pr = PrRef(7, f"{world.github.web_url}/acme/tool/pull/7", PrState.OPENED)
    opened = RepoOutcome("acme/tool", Verdict.OPENED, pr=pr)
    assert report_outcome(world.bot, target, opened) is None
    report_outcome(world.bot, target, replace(opened, verdict=Verdict.UP_TO_DATE))  # the same PR: said
    (said,) = world.comments("acme/requests", number)
    assert pr.html_url in said

    blocked = RepoOutcome(
        "acme/tool", Verdict.BLOCKED, ("docker.io/acme/legacy:2.4 has no linux/arm64 (took 3 s)",)
    )
    report_outcome(world.bot, target, blocked)
    report_outcome(
        world.bot,
        target,
        replace(blocked, reasons=("docker.io/acme/legacy:2.4 has no linux/arm64 (took 4 s)",)),
    )
    said = world.comments("acme/requests", number)
    assert len(said) == 2
    assert "blocked" in said[1]
    assert "legacy:2.4" in said[1]


def test_outcomes_not_worth_a_comment_and_targets_without_a_request_say_nothing(world: World) -> None:
    number = world.issue("acme/requests", "acme/tool", labels=("multiarch-request",))
    target = RepoTarget("acme/tool", request=IssueRef("acme/requests", number))
    for verdict in (Verdict.SCANNED, Verdict.PATCHED, Verdict.VERIFIED, Verdict.HELD):
        assert report_outcome(world.bot, target, RepoOutcome("acme/tool", verdict)) is None
    report_outcome(world.bot, RepoTarget("acme/tool"), RepoOutcome("acme/tool", Verdict.ERROR, ("x",)))
    assert world.comments("acme/requests", number) == []


def test_a_failing_comment_is_returned_as_a_problem(world: World) -> None:
    target = RepoTarget("acme/tool", request=IssueRef("acme/requests", 999))
    problem = report_outcome(world.bot, target, RepoOutcome("acme/tool", Verdict.ERROR, ("x",)))
    assert problem is not None
    assert "acme/requests#999" in problem
