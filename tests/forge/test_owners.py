"""Owners' listings instead of one read per repository: found, bounded, and harmless when they fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ForgeError
from bot.forge import github as forge
from bot.forge import owners
from bot.sandbox.github.exchange import Exchange
from bot.sandbox.github.server import LocalGitHub
from tests.support.local_github import client


@pytest.fixture
def acme(local_github: LocalGitHub, tmp_path: Path) -> LocalGitHub:
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "Dockerfile").write_text("FROM busybox:stable\n")
    local_github.add_user("acme")
    for name in ("api", "cli", "db", "etl", "web"):
        local_github.import_directory(seed, "acme", name)
    local_github.import_directory(seed, "acme", "secret", private=True)
    local_github.add_user("other")
    local_github.import_directory(seed, "other", "tool")
    return local_github


def requests_of(github: LocalGitHub) -> list[str]:
    seen: list[str] = []

    def observe(exchange: Exchange) -> None:
        seen.append(f"{exchange.method} {exchange.route}")

    github.observer = observe
    return seen


def test_an_owners_targets_come_from_one_listing_and_the_rest_are_left_to_single_reads(
    acme: LocalGitHub,
) -> None:
    gh = client(acme, acme.add_user("multiarch-bot"))
    seen = requests_of(acme)

    found = owners.list_owned(
        gh, ["Acme/API", "acme/db", "acme/web", "acme/secret", "acme/gone", "other/tool"]
    )

    assert sorted(found) == ["acme/api", "acme/db", "acme/web"]
    assert found["acme/db"].pushed_at is not None
    assert found["acme/db"].default_branch == "main"
    assert seen == ["GET /users/{username}/repos"]  # "other" has one target: not worth a listing
    assert owners.list_owned(gh, ["acme/api", "acme/db", "other/tool"]) == {}  # two of acme's: neither


def test_a_listing_reads_at_most_one_page_fewer_than_single_reads_would_cost(
    acme: LocalGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(owners, "PER_PAGE", 2)
    monkeypatch.setattr(forge, "PER_PAGE", 2)  # the client's page size: pages of api,cli / db,etl / web
    gh = client(acme, acme.add_user("multiarch-bot"))
    seen = requests_of(acme)

    assert sorted(owners.list_owned(gh, ["acme/cli", "acme/etl", "acme/web", "acme/gone"])) == [
        "acme/cli",
        "acme/etl",
        "acme/web",
    ]
    assert len(seen) == 3
    seen.clear()
    assert sorted(owners.list_owned(gh, ["acme/api", "acme/db", "acme/web"])) == ["acme/api", "acme/db"]
    assert len(seen) == 2  # web, on the third page, is read on its own later: 2 + 1 requests, not 3 + 0


def test_a_failed_listing_costs_only_its_requests(acme: LocalGitHub) -> None:
    gh = client(acme, acme.add_user("multiarch-bot"))
    acme.faults.server_errors(count=20, status=502, route="/users/{username}/repos")
    assert owners.list_owned(gh, ["acme/api", "acme/db", "acme/web"]) == {}
    assert forge.upstream(gh, "acme/api").full_name == "acme/api"  # the single read still works


def test_a_listed_repository_gets_the_same_checks_as_a_read_one(acme: LocalGitHub) -> None:
    acme.set_flags("acme/db", archived=True)
    gh = client(acme, acme.add_user("multiarch-bot"))
    listed = owners.list_owned(gh, ["acme/api", "acme/db", "acme/web"])
    with pytest.raises(ForgeError, match="archived"):
        forge.upstream(gh, "acme/db", listed["acme/db"])
