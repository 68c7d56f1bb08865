"""GitHub's owner/repo rules, and the names a request issue's free text mentions."""

from __future__ import annotations

import pytest

from bot.repo_names import check_repo_name, is_repo_name, names_in_text


@pytest.mark.parametrize("name", ["Azure/Azurite", "a/b", "o-1/r.e_p-o", "x" * 39 + "/" + "y" * 100, "1/2"])
def test_valid_names(name: str) -> None:
    assert check_repo_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["a", "a/b/c", "-a/b", "a-/b", "a/", "/b", "a/..", "a/.", "x" * 40 + "/b", "a/" + "y" * 101, "a b/c"],
)
def test_invalid_names(name: str) -> None:
    assert not is_repo_name(name)


def test_the_git_suffix_is_refused_with_a_hint() -> None:
    with pytest.raises(ValueError, match=r"without the \.git suffix"):
        check_repo_name("acme/tool.git")


def test_urls_come_before_bare_tokens() -> None:
    text = "Like acme/other, please do https://github.com/Azure/Azurite/issues/1425 too."
    assert names_in_text(text) == ["Azure/Azurite", "acme/other"]


def test_platforms_paths_and_github_pages_are_not_names() -> None:
    text = "linux/arm64 fails; see docs/a/b.md, github.com/orgs/acme and http://example.com/x/y"
    assert names_in_text(text) == []


def test_trailing_punctuation_and_git_suffix_are_dropped() -> None:
    assert names_in_text("Please add acme/tool.") == ["acme/tool"]
    assert names_in_text("clone github.com/acme/tool.git, thanks") == ["acme/tool"]
    assert names_in_text("(`acme/tool`)") == ["acme/tool"]


def test_each_name_once_case_insensitively() -> None:
    assert names_in_text("acme/tool and ACME/Tool") == ["acme/tool"]
