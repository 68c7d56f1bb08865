"""propose_patch hands each build file to its kind's patcher and gathers edits, refusals and questions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.model import (
    AMD64,
    ARM64,
    BuildKind,
    BuildPath,
    BuildPlan,
    FileEdit,
    LeftAlone,
    Patch,
    Readiness,
    ScanResult,
)
from bot.patch.base import Edited, PatchContext, PatchResult, Refused, Unchanged
from bot.patch.propose import propose_patch, write_patch
from bot.report.patch import patch_document, unified_diff
from bot.scan.tree import RepoTree


class AppendComment:
    """A patcher that behaves: it marks the file once, and says nothing to do the second time."""

    def __init__(self) -> None:
        self.contexts: list[PatchContext] = []

    def patch(self, path: str, text: str, context: PatchContext) -> PatchResult:
        self.contexts.append(context)
        mark = f"# built for {context.platform_list}\n"
        if text.endswith(mark):
            return Unchanged()
        return Edited(
            text + mark, (f"{path} now builds {context.platform_list}",), questions=("is arm64 fine?",)
        )


class RefuseAll:
    def patch(self, path: str, text: str, context: PatchContext) -> PatchResult:
        return Refused("flow-style mapping: not edited")


def build_path(
    kind: BuildKind, path: str, dockerfile: str = "Dockerfile", via: str | None = None
) -> BuildPath:
    return BuildPath(kind, path, 3, "build", "docker build .", dockerfile, ".", via=via)


def scan_of(*paths: BuildPath) -> ScanResult:
    return ScanResult("repo", (AMD64, ARM64), (), paths, (), (), (), (), Readiness.NEEDS_SCRIPT_CHANGES)


@pytest.fixture
def repo(tmp_path: Path) -> RepoTree:
    (tmp_path / "build.sh").write_text("docker build .\n")
    (tmp_path / "Makefile").write_text("image:\n\tdocker build .\n")
    return RepoTree(tmp_path)


PLANS = (BuildPlan("Dockerfile", ".", platforms=(AMD64, ARM64)),)


def test_each_file_goes_to_its_kinds_patcher_with_the_plans_platforms(repo: RepoTree) -> None:
    patcher = AppendComment()
    scan = scan_of(build_path(BuildKind.SHELL, "build.sh"), build_path(BuildKind.MAKE, "Makefile"))
    patch = propose_patch(repo, scan, PLANS, {BuildKind.SHELL: patcher}, None)

    assert [e.path for e in patch.edits] == ["build.sh"]
    assert patch.edits[0].after == "docker build .\n# built for linux/amd64,linux/arm64\n"
    assert patch.edits[0].rationale == ("build.sh now builds linux/amd64,linux/arm64",)
    assert patch.left_alone == (LeftAlone("Makefile", 3, "no patcher for make files yet"),)
    assert patch.questions == ("is arm64 fine?",)
    assert [bp.path for bp in patcher.contexts[0].build_paths] == ["build.sh"]


def test_indirect_build_paths_are_patched_where_they_lead_not_where_they_are_called(repo: RepoTree) -> None:
    patcher = AppendComment()
    scan = scan_of(build_path(BuildKind.SHELL, "build.sh", via="make image"))
    assert propose_patch(repo, scan, PLANS, {BuildKind.SHELL: patcher}, None) == Patch()
    assert patcher.contexts == []


def test_a_dockerfile_whose_plan_has_one_platform_is_left_alone(repo: RepoTree) -> None:
    plans = (BuildPlan("Dockerfile", ".", platforms=(AMD64,), cut=((ARM64, "base lacks arm64"),)),)
    patch = propose_patch(
        repo,
        scan_of(build_path(BuildKind.SHELL, "build.sh")),
        plans,
        {BuildKind.SHELL: AppendComment()},
        None,
    )
    assert patch.edits == ()
    assert patch.left_alone[0].reason == "its image cannot be built for more than one platform"


def test_refusals_are_reported_not_written(repo: RepoTree) -> None:
    patch = propose_patch(
        repo, scan_of(build_path(BuildKind.SHELL, "build.sh")), PLANS, {BuildKind.SHELL: RefuseAll()}, None
    )
    assert patch.edits == ()
    assert patch.refused == (LeftAlone("build.sh", 0, "flow-style mapping: not edited"),)


def test_write_patch_writes_inside_the_checkout_and_refuses_symlinks(tmp_path: Path) -> None:
    (tmp_path / "build.sh").write_text("old\n")
    os.symlink("build.sh", tmp_path / "link.sh")
    assert write_patch(tmp_path, Patch((FileEdit("build.sh", "old\n", "new\n", ("why",)),))) == ["build.sh"]
    assert (tmp_path / "build.sh").read_text() == "new\n"
    with pytest.raises(InputError, match="symlink"):
        write_patch(tmp_path, Patch((FileEdit("link.sh", "new\n", "evil\n", ("why",)),)))
    assert (tmp_path / "build.sh").read_text() == "new\n"


def test_diff_marks_a_missing_final_newline_like_git() -> None:
    diff = unified_diff(FileEdit("a.sh", "one\ntwo", "one\nthree", ("why",)))
    assert diff.splitlines()[-2:] == ["+three", "\\ No newline at end of file"]
    assert patch_document(Patch((FileEdit("a.sh", "x\n", "y\n", ("why",)),)))["edits"][0]["rationale"] == [
        "why"
    ]
