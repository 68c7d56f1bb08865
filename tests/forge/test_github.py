"""The one PyGithub module against the local GitHub: identity, fork, sync, and exactly one pull request."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from github import Github

from bot.errors import BudgetExhausted, ForgeError
from bot.forge import github as forge
from bot.forge.pr_body import marker
from bot.forge.records import Identity, PrSpec, PrState
from bot.sandbox.github.server import LocalGitHub
from tests.support.local_github import FAST, client, commit_and_push, seed_directory

BUILD = "docker build -t acme/tool .\n"
SPEC = PrSpec("Build the image for linux/amd64 and linux/arm64", "Why: arm64 users.", "multiarch/arm64")


@dataclass
class Forge:
    github: LocalGitHub
    owner_token: str
    bot_token: str
    tmp: Path

    def client(self, token: str) -> Github:
        return client(self.github, token)

    def commit_and_push(self, full_name: str, branch: str, files: dict[str, str], token: str) -> str:
        return commit_and_push(self.github, full_name, branch, files, token=token, workdir=self.tmp)


@pytest.fixture
def world(local_github: LocalGitHub, tmp_path: Path) -> Forge:
    seed = seed_directory(tmp_path / "seed", {"Dockerfile": "FROM busybox:stable\n", "build.sh": BUILD})
    owner = local_github.add_user("acme")
    bot = local_github.add_user("multiarch-bot")
    local_github.import_directory(seed, "acme", "tool")
    work = tmp_path / "work"
    work.mkdir()
    return Forge(local_github, owner, bot, work)


def _fork_with_change(world: Forge, gh: Github) -> tuple[object, object]:
    upstream = forge.upstream(gh, "acme/tool")
    fork = forge.ensure_fork(gh, upstream, FAST)
    change = {"build.sh": "docker buildx build .\n"}
    world.commit_and_push(fork.full_name, SPEC.branch, change, world.bot_token)
    return upstream, fork


def test_whoami_reads_the_login_and_a_classic_tokens_scopes(world: Forge) -> None:
    identity = forge.whoami(world.client(world.bot_token))
    assert identity == Identity("multiarch-bot", frozenset({"repo", "workflow"}))


def test_an_installation_token_is_refused_with_what_to_use_instead(world: Forge) -> None:
    token = world.github.add_user("multiarch-bot", kind="installation")
    with pytest.raises(ForgeError, match="personal access token") as caught:
        forge.whoami(world.client(token))
    assert token not in str(caught.value)


def test_a_bad_token_is_a_clear_401_without_the_token(world: Forge) -> None:
    with pytest.raises(ForgeError, match="401") as caught:
        forge.whoami(world.client("ghp_notatoken0123456789"))
    assert "ghp_notatoken0123456789" not in str(caught.value)


def test_pushing_workflow_changes_needs_the_workflow_scope() -> None:
    forge.check_can_push_workflows(Identity("bot", frozenset({"repo", "workflow"})))
    forge.check_can_push_workflows(Identity("bot", None))  # a fine-grained token reports no scopes
    with pytest.raises(ForgeError, match=r"`workflow` scope.*has: public_repo"):
        forge.check_can_push_workflows(Identity("bot", frozenset({"public_repo"})))


def test_archived_and_unknown_upstreams_are_per_repo_errors(world: Forge) -> None:
    gh = world.client(world.bot_token)
    with pytest.raises(ForgeError, match=r"acme/nothing.*404"):
        forge.upstream(gh, "acme/nothing")
    world.github.set_flags("acme/tool", archived=True)
    with pytest.raises(ForgeError, match="archived"):
        forge.upstream(gh, "acme/tool")


def test_the_fork_is_created_once_and_reused(world: Forge) -> None:
    gh = world.client(world.bot_token)
    upstream = forge.upstream(gh, "acme/tool")
    first = forge.ensure_fork(gh, upstream, FAST)
    again = forge.ensure_fork(gh, upstream, FAST)
    assert first.full_name == again.full_name == "multiarch-bot/tool"
    assert first.parent.full_name == "acme/tool"


def test_a_slow_fork_is_waited_for(world: Forge) -> None:
    world.github.faults.slow_forks(1.0)
    gh = world.client(world.bot_token)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    fork = forge.ensure_fork(gh, forge.upstream(gh, "acme/tool"), FAST, sleep=sleep)
    assert fork.full_name == "multiarch-bot/tool"
    assert waits, "the fork was readable at once: the readiness delay was not exercised"


def test_a_same_named_repository_of_the_bot_gets_a_fork_beside_it(world: Forge, tmp_path: Path) -> None:
    world.github.import_directory(tmp_path / "seed", "multiarch-bot", "tool")
    gh = world.client(world.bot_token)
    fork = forge.ensure_fork(gh, forge.upstream(gh, "acme/tool"), FAST)
    assert fork.full_name != "multiarch-bot/tool"  # GitHub names it tool-1; the bot uses what it is given
    assert fork.fork
    assert fork.parent.full_name == "acme/tool"


def test_sync_brings_a_stale_fork_up_to_its_upstream(world: Forge) -> None:
    gh = world.client(world.bot_token)
    upstream = forge.upstream(gh, "acme/tool")
    fork = forge.ensure_fork(gh, upstream, FAST)
    moved = world.commit_and_push("acme/tool", "main", {"README.md": "new\n"}, world.owner_token)
    assert forge.branch_head(fork, "main") != moved
    assert forge.sync_fork(fork, "main") is None
    assert forge.branch_head(fork, "main") == moved
    assert forge.branch_head(fork, "no-such-branch") is None


def test_one_pull_request_is_opened_then_kept_up_to_date(world: Forge) -> None:
    gh = world.client(world.bot_token)
    upstream, _ = _fork_with_change(world, gh)
    opened = forge.propose(upstream, "multiarch-bot", SPEC)  # type: ignore[arg-type]
    assert opened.state is PrState.OPENED
    again = forge.propose(upstream, "multiarch-bot", SPEC)  # type: ignore[arg-type]
    assert (again.number, again.state) == (opened.number, PrState.UP_TO_DATE)
    changed = forge.propose(upstream, "multiarch-bot", PrSpec(SPEC.title, "New evidence.", SPEC.branch))  # type: ignore[arg-type]
    assert (changed.number, changed.state) == (opened.number, PrState.UPDATED)
    pulls = list(gh.get_repo("acme/tool").get_pulls(state="all"))
    assert [p.number for p in pulls] == [opened.number]
    assert pulls[0].body == "New evidence."


def test_the_fingerprint_decides_up_to_date_when_only_timings_differ(world: Forge) -> None:
    gh = world.client(world.bot_token)
    upstream, _ = _fork_with_change(world, gh)
    first = PrSpec(SPEC.title, f"built in 3.1 s\n\n{marker('a' * 32)}\n", SPEC.branch, fingerprint="a" * 32)
    forge.propose(upstream, "multiarch-bot", first)  # type: ignore[arg-type]
    rerun = PrSpec(SPEC.title, f"built in 2.9 s\n\n{marker('a' * 32)}\n", SPEC.branch, fingerprint="a" * 32)
    assert forge.propose(upstream, "multiarch-bot", rerun).state is PrState.UP_TO_DATE  # type: ignore[arg-type]
    new_change = PrSpec(SPEC.title, f"built\n\n{marker('b' * 32)}\n", SPEC.branch, fingerprint="b" * 32)
    assert forge.propose(upstream, "multiarch-bot", new_change).state is PrState.UPDATED  # type: ignore[arg-type]


def test_a_declined_pull_request_stays_declined_unless_configured(world: Forge) -> None:
    gh = world.client(world.bot_token)
    upstream, _ = _fork_with_change(world, gh)
    opened = forge.propose(upstream, "multiarch-bot", SPEC)  # type: ignore[arg-type]
    world.client(world.owner_token).get_repo("acme/tool").get_pull(opened.number).edit(state="closed")
    declined = forge.propose(upstream, "multiarch-bot", SPEC)  # type: ignore[arg-type]
    assert (declined.number, declined.state) == (opened.number, PrState.DECLINED)
    assert gh.get_repo("acme/tool").get_pull(opened.number).state == "closed"
    reopened = forge.propose(upstream, "multiarch-bot", SPEC, reopen_declined=True)  # type: ignore[arg-type]
    assert (reopened.number, reopened.state) == (opened.number, PrState.UPDATED)
    assert gh.get_repo("acme/tool").get_pull(opened.number).state == "open"


def test_a_5xx_after_the_pull_request_was_created_does_not_make_a_second_one(world: Forge) -> None:
    gh = world.client(world.bot_token)
    upstream, _ = _fork_with_change(world, gh)
    world.github.faults.server_error_after_create()  # PyGithub retries the POST, GitHub says "already exists"
    opened = forge.propose(upstream, "multiarch-bot", SPEC)  # type: ignore[arg-type]
    assert opened.state is PrState.OPENED
    assert len(list(gh.get_repo("acme/tool").get_pulls(state="all"))) == 1


def test_a_branch_with_nothing_new_is_nothing_to_propose(world: Forge) -> None:
    gh = world.client(world.bot_token)
    upstream = forge.upstream(gh, "acme/tool")
    fork = forge.ensure_fork(gh, upstream, FAST)
    head = forge.branch_head(fork, "main")
    assert head is not None
    fork.create_git_ref(f"refs/heads/{SPEC.branch}", head)
    with pytest.raises(ForgeError, match="nothing to propose"):
        forge.propose(upstream, "multiarch-bot", SPEC)  # type: ignore[arg-type]


def test_secondary_rate_limits_are_waited_out_by_pygithub(world: Forge) -> None:
    gh = world.client(world.bot_token)
    world.github.faults.secondary_limit(count=2, retry_after=0)
    assert forge.upstream(gh, "acme/tool").full_name == "acme/tool"


def test_a_429_without_retry_after_is_a_clear_error(world: Forge) -> None:
    gh = world.client(world.bot_token)
    world.github.faults.too_many_requests()
    with pytest.raises(ForgeError, match="429"):
        forge.upstream(gh, "acme/tool")


def test_the_run_stops_before_the_budget_runs_out(world: Forge) -> None:
    gh = world.client(world.bot_token)
    forge.upstream(gh, "acme/tool")  # any request: the rate-limit headers are read from its answer
    forge.check_budget(gh, reserve=10)
    with pytest.raises(BudgetExhausted, match="API requests left"):
        forge.check_budget(gh, reserve=10**9)


def test_comments_land_on_the_issue(world: Forge) -> None:
    gh = world.client(world.bot_token)
    issue = world.client(world.owner_token).get_repo("acme/tool").create_issue("arm64 image please")
    url = forge.comment(forge.upstream(gh, "acme/tool"), issue.number, "Opened a pull request.")
    assert url.startswith(world.github.web_url)
    assert [c.body for c in issue.get_comments()] == ["Opened a pull request."]
