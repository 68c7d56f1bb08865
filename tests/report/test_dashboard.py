"""The dashboard issue: merging with the previous body, hostile bodies ignored, and one issue upserted."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.forge import github as forge
from bot.forge import issues as forge_issues
from bot.forge.records import PrRef, PrState
from bot.outcome import RepoOutcome, Verdict
from bot.report.dashboard import (
    BODY_LIMIT,
    DASHBOARD_MARKER,
    DASHBOARD_TITLE,
    TargetState,
    dashboard_body,
    read_states,
)
from bot.sandbox.github.server import LocalGitHub
from tests.report.fleet import BLOCKED, FAILED, HOSTILE, OPENED, SCANNED
from tests.support.local_github import FAST

RUN1 = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
RUN2 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
GITHUB_PR = PrRef(12, "https://github.com/acme/tool/pull/12", PrState.OPENED)


def block_of(body: str) -> dict[str, object]:
    found = re.findall(re.escape(DASHBOARD_MARKER) + r" (\{.*?\}) -->", body)
    assert len(found) == 1
    data: dict[str, object] = json.loads(found[0])
    return data


def body_with(block: str) -> str:
    return f"Some text\n\n{DASHBOARD_MARKER} {block} -->\n"


# ---------------------------------------------------------------------------------------------- rendering


def test_every_target_is_listed_by_state_with_the_machine_readable_block_at_the_end() -> None:
    body = dashboard_body([replace(OPENED, pr=GITHUB_PR), BLOCKED, FAILED, SCANNED], None, now=RUN1)
    assert "Last run: 2026-11-27 03:00 UTC, 4 processed (1 opened, 1 blocked, 1 failed, 1 scanned)." in body
    assert "## Open pull requests (1)" in body
    assert "| acme/tool | opened | [#12](https://github.com/acme/tool/pull/12) | 2026-11-27 03:00 |" in body
    assert (
        "| acme/legacy | blocked | docker.io/acme/legacy-runtime:2.4 has no linux/arm64 | 2026-11-27 03:00 |"
        in body
    )
    assert body.index("## Needs a look") < body.index("## Blocked") < body.index("## Dry runs")
    assert body.rstrip().splitlines()[-1].startswith(DASHBOARD_MARKER)
    assert read_states(body)["acme/tool"] == TargetState(
        "acme/tool", Verdict.OPENED, "2026-11-27T03:00:00Z", 12, "https://github.com/acme/tool/pull/12"
    )


def test_targets_not_processed_this_run_keep_their_state() -> None:
    first = dashboard_body([OPENED, BLOCKED], None, now=RUN1)  # shard 1
    other_shard = RepoOutcome("Other/Thing", Verdict.NOTHING_TO_DO, ("already multi-arch",))
    second = dashboard_body(
        [other_shard, replace(BLOCKED, verdict=Verdict.ERROR, reasons=("clone failed",))], first, now=RUN2
    )
    states = read_states(second)
    assert sorted(states) == ["acme/legacy", "acme/tool", "other/thing"]
    assert states["acme/tool"].seen == "2026-11-27T03:00:00Z"  # kept from the first run
    assert (states["acme/legacy"].verdict, states["acme/legacy"].reason) == (Verdict.ERROR, "clone failed")
    assert states["other/thing"].repo == "Other/Thing"
    assert "Last run: 2026-11-28 03:00 UTC, 2 processed (1 nothing-to-do, 1 error)." in second


def test_rendering_its_own_body_again_changes_nothing() -> None:
    body = dashboard_body([OPENED, BLOCKED, FAILED], None, now=RUN1)
    assert read_states(dashboard_body([], body, now=RUN1)) == read_states(body)
    assert dashboard_body([OPENED, BLOCKED, FAILED], body, now=RUN1) == body


def test_targets_dropped_from_the_config_go_and_new_ones_are_listed_as_waiting() -> None:
    body = dashboard_body([OPENED, BLOCKED], None, now=RUN1)
    again = dashboard_body([], body, now=RUN2, targets=["acme/tool", "acme/new-one"])
    assert sorted(read_states(again)) == ["acme/tool"]
    assert "## Not processed yet (1)\n\n- acme/new-one" in again


def test_a_huge_fleet_stays_within_githubs_limit_and_keeps_the_newest_states() -> None:
    long_reason = "a base image lacks linux/arm64 " * 20
    outcomes = [RepoOutcome(f"acme/repo-{i:04d}", Verdict.BLOCKED, (long_reason,)) for i in range(1500)]
    body = dashboard_body(outcomes, None, now=RUN1)
    assert len(body) <= BODY_LIMIT
    assert len(read_states(body)) == 1500  # reasons went first, every state stayed
    more = [RepoOutcome(f"acme/r-{i:05d}", Verdict.NOTHING_TO_DO) for i in range(1500)]
    newer = dashboard_body(more, body, now=RUN2)
    states = read_states(newer)
    assert len(newer) <= BODY_LIMIT
    assert all(f"acme/r-{i:05d}" in states for i in range(1500))  # this run's stayed
    assert len(states) < 3000  # the oldest went
    assert "more lines are not shown: the issue is full." in newer


# ---------------------------------------------------------------------------------------------- hostile


def test_hostile_reasons_cannot_close_the_block_or_forge_entries() -> None:
    fake = '{"v":1,"seen":["2026-01-01T00:00:00Z"],"targets":{"evil/x":["merged",0]}}'
    outcome = RepoOutcome("acme/tool", Verdict.ERROR, (f"--> \n{DASHBOARD_MARKER} {fake} -->",))
    body = dashboard_body([outcome, HOSTILE], None, now=RUN1)
    lines = body.splitlines()
    assert [line for line in lines if line.startswith("<")] == [lines[-1]]  # the one real block
    assert body.count("-->") == 1
    assert sorted(read_states(body)) == ["acme/tool"]  # the hostile name is not a repository: not stored
    assert read_states(body)["acme/tool"].reason.startswith(f"--> {DASHBOARD_MARKER} {{")


@pytest.mark.parametrize(
    "block",
    [
        "{not json}",
        '{"v":2,"seen":[],"targets":{}}',
        '{"v":1,"seen":[],"targets":[]}',
        '{"v":1,"targets":{}}',
        "[" * 50_000 + "]" * 50_000,
        '{"v":1,"seen":["2026-11-27T03:00:00Z"],"targets":{"acme/tool":"opened"}}',
        '{"v":1,"seen":' + json.dumps(["2026-11-27T03:00:00Z"] * 5001) + ',"targets":{}}',
    ],
    ids=[
        "garbage",
        "unknown-version",
        "targets-not-a-mapping",
        "no-seen",
        "deep-nesting",
        "entry-not-a-list",
        "too-many-runs",
    ],
)
def test_a_corrupt_previous_block_is_ignored(block: str) -> None:
    assert read_states(body_with(block)) == {}
    body = dashboard_body([OPENED], body_with(block), now=RUN2)
    assert sorted(read_states(body)) == ["acme/tool"]


def test_bad_entries_are_dropped_one_by_one() -> None:
    good = ["opened", 0, 3, "https://github.com/a/b/pull/3"]
    entries = {
        "acme/good": good,
        "../../etc": good,
        "acme/bad-verdict": ["owned", *good[1:]],
        "acme/bad-run": ["opened", 7],
        "acme/bad-seen": ["opened", 1],
        "acme/bool-pr": ["opened", 0, True],
        "acme/huge-pr": ["opened", 0, 10**12],
        "acme/js-url": ["opened", 0, 3, "javascript:alert(1)"],
        "acme/long": [*good, "reason", "extra"],
        "acme/odd-reason": [*good, ["not", "text"]],
    }
    seen = ["2026-11-27T03:00:00Z", "yesterday"]
    states = read_states(body_with(json.dumps({"v": 1, "seen": seen, "targets": entries})))
    assert sorted(states) == ["acme/good", "acme/odd-reason"]
    assert states["acme/odd-reason"].reason == ""


def test_an_oversized_or_missing_previous_body_is_no_state() -> None:
    assert read_states(None) == {}
    assert read_states("no block here") == {}
    assert read_states(body_with('{"v":1,"seen":[],"targets":{}}') + "x" * (3 * BODY_LIMIT)) == {}


# ---------------------------------------------------------------------------------------------- upsert


@dataclass
class Requests:
    github: LocalGitHub
    owner_token: str
    bot_token: str

    def repo(self, token: str) -> object:
        return forge.connect(token, replace(FAST, api_url=self.github.api_url)).get_repo("acme/requests")


@pytest.fixture
def requests_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Requests]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "README.md").write_text("Ask for a multi-arch image here.\n")
    github = LocalGitHub.start(tmp_path / "state")
    try:
        owner = github.add_user("acme")
        bot = github.add_user("multiarch-bot")
        github.import_directory(seed, "acme", "requests")
        yield Requests(github, owner, bot)
    finally:
        github.stop()


def issues_of(world: Requests) -> list[tuple[int, str, str, str | None]]:
    found = world.github.repo("acme/requests")
    assert found is not None
    return [(i.number, i.user, i.title, i.body) for i in found.issues.values() if i.pull is None]


def test_the_dashboard_issue_is_opened_once_then_edited(requests_repo: Requests) -> None:
    repo = requests_repo.repo(requests_repo.bot_token)
    first = dashboard_body([OPENED], None, now=RUN1)
    url = forge_issues.upsert_issue(repo, DASHBOARD_TITLE, first, DASHBOARD_MARKER)  # type: ignore[arg-type]
    assert url.endswith("/acme/requests/issues/1")
    second = dashboard_body([BLOCKED], first, now=RUN2)
    again = forge_issues.upsert_issue(repo, DASHBOARD_TITLE, second, DASHBOARD_MARKER)  # type: ignore[arg-type]
    assert again == url
    assert issues_of(requests_repo) == [(1, "multiarch-bot", DASHBOARD_TITLE, second)]
    assert sorted(read_states(second)) == ["acme/legacy", "acme/tool"]


def test_an_unchanged_body_is_not_written_again(requests_repo: Requests) -> None:
    repo = requests_repo.repo(requests_repo.bot_token)
    body = dashboard_body([OPENED], None, now=RUN1)
    forge_issues.upsert_issue(repo, DASHBOARD_TITLE, body, DASHBOARD_MARKER)  # type: ignore[arg-type]
    stamp = requests_repo.github.repo("acme/requests").issues[1].updated_at  # type: ignore[union-attr]
    forge_issues.upsert_issue(repo, DASHBOARD_TITLE, body, DASHBOARD_MARKER)  # type: ignore[arg-type]
    assert requests_repo.github.repo("acme/requests").issues[1].updated_at == stamp  # type: ignore[union-attr]


def test_someone_elses_issue_with_the_marker_or_title_is_never_taken(requests_repo: Requests) -> None:
    planted = requests_repo.repo(requests_repo.owner_token)
    planted.create_issue(title=DASHBOARD_TITLE, body=f"{DASHBOARD_MARKER} {{}} -->")  # type: ignore[attr-defined]
    repo = requests_repo.repo(requests_repo.bot_token)
    body = dashboard_body([OPENED], None, now=RUN1)
    url = forge_issues.upsert_issue(repo, DASHBOARD_TITLE, body, DASHBOARD_MARKER)  # type: ignore[arg-type]
    assert url.endswith("/issues/2")
    assert [(n, user) for n, user, *_ in issues_of(requests_repo)] == [(1, "acme"), (2, "multiarch-bot")]
    assert issues_of(requests_repo)[0][3] == f"{DASHBOARD_MARKER} {{}} -->"


def test_an_issue_the_bot_opened_is_found_by_its_title_when_the_marker_is_gone(
    requests_repo: Requests,
) -> None:
    repo = requests_repo.repo(requests_repo.bot_token)
    repo.create_issue(title=DASHBOARD_TITLE, body="someone cleared the body")  # type: ignore[attr-defined]
    body = dashboard_body([OPENED], None, now=RUN1)
    url = forge_issues.upsert_issue(repo, DASHBOARD_TITLE, body, DASHBOARD_MARKER, creator="multiarch-bot")  # type: ignore[arg-type]
    assert url.endswith("/issues/1")
    assert issues_of(requests_repo) == [(1, "multiarch-bot", DASHBOARD_TITLE, body)]


def test_when_githubs_creator_filter_misses_the_issue_is_still_found_not_duplicated(
    requests_repo: Requests,
) -> None:
    repo = requests_repo.repo(requests_repo.bot_token)
    body = dashboard_body([OPENED], None, now=RUN1)
    forge_issues.upsert_issue(repo, DASHBOARD_TITLE, body, DASHBOARD_MARKER)  # type: ignore[arg-type]
    # the local GitHub matches creator= exactly, so a login spelt otherwise finds nothing there
    url = forge_issues.upsert_issue(
        repo, DASHBOARD_TITLE, body + "x", DASHBOARD_MARKER, creator="Multiarch-Bot"
    )  # type: ignore[arg-type]
    assert url.endswith("/issues/1")
    assert [n for n, *_ in issues_of(requests_repo)] == [1]
