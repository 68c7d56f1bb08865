"""RepoTree: the scan reads only safe, small, textual files inside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.scan.tree import MAX_TEXT_BYTES, RepoTree


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "Dockerfile").write_text("FROM alpine\n")
    (root / ".git").mkdir()
    (root / ".git" / "Dockerfile").write_text("FROM ignored\n")
    (root / "node_modules" / "pkg").mkdir(parents=True)
    (root / "node_modules" / "pkg" / "Dockerfile").write_text("FROM ignored\n")
    return root


def test_files_skip_git_metadata_and_node_modules(repo: Path) -> None:
    assert RepoTree(repo).files() == ["app/Dockerfile"]


def test_symlink_to_outside_the_repo_is_listed_but_never_read(repo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("FROM hidden-secret\n")
    os.symlink(secret, repo / "Dockerfile")
    tree = RepoTree(repo)
    assert "Dockerfile" in tree.files()
    with pytest.raises(InputError, match="outside the repository") as caught:
        tree.read_text("Dockerfile")
    assert "hidden-secret" not in str(caught.value)


def test_symlink_inside_the_repo_is_followed(repo: Path) -> None:
    os.symlink("app/Dockerfile", repo / "Containerfile")
    assert RepoTree(repo).read_text("Containerfile") == "FROM alpine\n"


@pytest.mark.parametrize("path", ["../etc/passwd", "/etc/passwd", "app/../../x"])
def test_paths_that_leave_the_repo_are_refused(repo: Path, path: str) -> None:
    with pytest.raises(InputError, match="leaves the repository"):
        RepoTree(repo).read_text(path)


def test_binary_file_is_refused_with_a_reason(repo: Path) -> None:
    (repo / "Dockerfile").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00")
    with pytest.raises(InputError, match="binary file"):
        RepoTree(repo).read_text("Dockerfile")


def test_invalid_utf8_is_refused_with_the_offset(repo: Path) -> None:
    (repo / "Dockerfile").write_bytes(b"FROM alpine\n# caf\xe9\n")
    with pytest.raises(InputError, match=r"not UTF-8 text .*offset 17"):
        RepoTree(repo).read_text("Dockerfile")


def test_ten_megabyte_file_is_refused_without_reading_it(repo: Path) -> None:
    (repo / "Dockerfile").write_bytes(b"RUN true\n" * (10 * MAX_TEXT_BYTES // 9))
    with pytest.raises(InputError, match=r"too large to scan \(10\.0 MiB"):
        RepoTree(repo).read_text("Dockerfile")


def test_byte_order_mark_is_dropped(repo: Path) -> None:
    (repo / "Dockerfile").write_bytes(b"\xef\xbb\xbfFROM alpine\n")
    assert RepoTree(repo).read_text("Dockerfile") == "FROM alpine\n"


def test_a_fifo_is_not_read(repo: Path) -> None:
    os.mkfifo(repo / "Dockerfile")
    with pytest.raises(InputError, match="not a regular file"):
        RepoTree(repo).read_text("Dockerfile")


def test_missing_root_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a directory"):
        RepoTree(tmp_path / "nope")
