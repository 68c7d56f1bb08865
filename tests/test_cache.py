"""The run cache: what it recalls, and that a damaged file only costs the optimisation."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cache import HOUR, Remembered, RepoCache, settings_fingerprint

SEEN = Remembered("opened", ("a reason",), 7, "http://127.0.0.1:1/azure/azurite/pull/7")


def test_an_outcome_is_recalled_only_while_the_repository_and_the_settings_are_the_same(
    tmp_path: Path,
) -> None:
    cache = RepoCache(tmp_path)
    cache.remember("Azure/Azurite", "2026-11-28T08:00:00Z", "f1", SEEN)
    again = RepoCache(tmp_path)  # the next run, a new process
    assert again.recall("azure/azurite", "2026-11-28T08:00:00Z", "f1") == SEEN
    assert again.recall("azure/azurite", "2026-11-28T09:00:00Z", "f1") is None  # pushed since
    assert again.recall("azure/azurite", "2026-11-28T08:00:00Z", "f2") is None  # new settings
    again.forget("azure/azurite")
    assert RepoCache(tmp_path).recall("azure/azurite", "2026-11-28T08:00:00Z", "f1") is None


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b"[]", b'{"schema": "someone-else/v9", "repos": {}}', b"\xff\xfe", b'{"schema":'],
)
def test_a_damaged_or_foreign_cache_file_is_ignored(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "repos.json").write_bytes(content)
    cache = RepoCache(tmp_path)
    assert cache.recall("a/b", "t", "f") is None
    cache.remember("a/b", "t", "f", SEEN)  # and it is replaced by a good one
    assert RepoCache(tmp_path).recall("a/b", "t", "f") == SEEN


def test_pull_requests_opened_in_the_last_hour_are_counted_across_runs(tmp_path: Path) -> None:
    cache = RepoCache(tmp_path)
    cache.note_opened(now=1000.0)
    cache.note_opened(now=1000.0 + HOUR - 1)
    assert RepoCache(tmp_path).opened_within_hour(now=1000.0 + HOUR - 0.5) == 2
    assert RepoCache(tmp_path).opened_within_hour(now=1000.0 + HOUR + 1) == 1


def test_the_settings_fingerprint_is_stable_and_sensitive() -> None:
    assert settings_fingerprint("0.1.0", ("linux/amd64",)) == settings_fingerprint("0.1.0", ("linux/amd64",))
    assert settings_fingerprint("0.1.0", ("linux/amd64",)) != settings_fingerprint("0.1.1", ("linux/amd64",))


BLOCKED = Remembered(
    "blocked", ("acme/legacy:2 is missing-arm64",), bases=(("docker.io/acme/legacy:2", None),)
)


def test_a_blocked_outcome_keeps_its_blocking_bases_and_a_damaged_list_is_a_miss(tmp_path: Path) -> None:
    pinned = Remembered("blocked", ("r",), bases=(("docker.io/acme/legacy:2", "sha256:" + "a" * 64),))
    RepoCache(tmp_path).remember("a/b", "t", "f", pinned)
    RepoCache(tmp_path).remember("a/c", "t", "f", BLOCKED)
    assert RepoCache(tmp_path).recall("a/b", "t", "f") == pinned
    assert RepoCache(tmp_path).recall("a/c", "t", "f") == BLOCKED

    text = (tmp_path / "repos.json").read_text()
    (tmp_path / "repos.json").write_text(
        text.replace('"bases": [["docker.io/acme/legacy:2", null]]', '"bases": 7')
    )
    assert RepoCache(tmp_path).recall("a/c", "t", "f") is None  # never "still blocked" on a damaged list
    assert RepoCache(tmp_path).recall("a/b", "t", "f") == pinned
