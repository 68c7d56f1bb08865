"""The search ``q`` language, parsed and matched without a server."""

from __future__ import annotations

from bot.sandbox.github.records import Issue, PullFacts, Repo
from bot.sandbox.github.search import matches, parse

REPO = Repo(id=1, owner="acme", name="tool", created_at="", updated_at="", pushed_at="")


def _issue(title: str, *, pr: bool = False, labels: tuple[str, ...] = (), state: str = "open") -> Issue:
    facts = PullFacts(
        head_owner="bot",
        head_repo="bot/tool",
        head_ref="multiarch",
        head_sha="a",
        base_ref="main",
        base_sha="b",
    )
    return Issue(
        number=1,
        id=1,
        user="multiarch-bot",
        title=title,
        body="Builds for linux/arm64 too",
        state=state,  # type: ignore[arg-type]
        labels=list(labels),
        created_at="",
        updated_at="",
        pull=facts if pr else None,
    )


def test_qualifiers_are_read_case_insensitively_and_quoted_words_stay_whole() -> None:
    query = parse(
        'Repo:Acme/Tool is:PR is:open author:Multiarch-Bot label:"help wanted" "multi arch" in:title'
    )
    assert query.repos == ["acme/tool"]
    assert query.kinds == {"pr"}
    assert query.states == {"open"}
    assert query.authors == ["multiarch-bot"]
    assert query.labels == ["help wanted"]
    assert query.words == ["multi arch"]
    assert query.scopes == {"title"}


def test_every_qualifier_must_hold() -> None:
    pr = _issue("Multi-arch images", pr=True, labels=("multi-arch",))
    assert matches(parse("repo:acme/tool is:pr label:multi-arch head:multiarch base:main"), REPO, pr)
    assert not matches(parse("is:issue"), REPO, pr)
    assert not matches(parse("is:closed"), REPO, pr)
    assert not matches(parse("repo:acme/other"), REPO, pr)
    assert not matches(parse("label:bug"), REPO, pr)
    assert not matches(parse("author:someone"), REPO, pr)


def test_words_search_title_and_body_unless_in_narrows_them() -> None:
    item = _issue("Slow on M1")
    assert matches(parse("arm64"), REPO, item)  # in the body
    assert not matches(parse("arm64 in:title"), REPO, item)
    assert matches(parse("slow in:title"), REPO, item)


def test_an_unbalanced_quote_is_searched_as_plain_words() -> None:
    assert parse('"unbalanced repo:acme/tool').repos == ["acme/tool"]
