"""The contract every registered patcher keeps, checked through the real pipeline on every golden input.

Each golden ``in`` file is put where a project keeps it, the real scan finds its build paths, the build
plan gives the platforms, and ``propose_patch`` runs the registered patchers. Whatever they change must
be idempotent (a second run on the written result proposes nothing), re-parse, keep the file's line
endings and final newline, and touch few lines: at most two removed lines per rationale line.
"""

from __future__ import annotations

import difflib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import hcl2
import pytest
import yaml

from bot.build.plan import plan_builds
from bot.model import DEFAULT_PLATFORMS, BuildKind, BuildPath, FileEdit, Patch
from bot.patch.all import DOCKERFILE_PATCHER, PATCHERS
from bot.patch.propose import propose_patch, write_patch
from bot.scan.dockerfile import parse_dockerfile
from bot.scan.paths import just as just_paths
from bot.scan.paths import make as make_paths
from bot.scan.paths import shell as shell_paths
from bot.scan.scanner import scan_tree
from bot.scan.tree import RepoTree
from tests.support.lookups import client

GOLDEN = Path(__file__).parent / "golden"
DOCKERFILE = "FROM scratch\nCOPY . /app\n"
# where each kind's golden inputs live, and where a project keeps such a file
PLACES = {
    BuildKind.GITHUB_ACTIONS: ("github-actions", ".github/workflows/ci{ext}"),
    BuildKind.COMPOSE: ("compose", "docker-compose{ext}"),
    BuildKind.BAKE: ("bake", "docker-bake{ext}"),
    BuildKind.NPM: ("npm", "package{ext}"),
    BuildKind.SHELL: ("shell", "scripts/build{ext}"),
    BuildKind.MAKE: ("make", "Makefile"),
    BuildKind.GITLAB_CI: ("gitlab-ci", ".gitlab-ci{ext}"),
    BuildKind.AZURE_PIPELINES: ("azure-pipelines", "azure-pipelines{ext}"),
    BuildKind.JUST: ("just", "justfile"),
    BuildKind.CIRCLECI: ("circleci", ".circleci/config{ext}"),
}


def golden_inputs() -> list[tuple[str, Path, str]]:
    cases = []
    for folder, place in PLACES.values():
        for source in sorted((GOLDEN / folder).glob("*/in.*")):
            if not (source.parent / "platforms.txt").exists():
                cases.append((f"{folder}/{source.parent.name}", source, place.format(ext=source.suffix)))
    for source in sorted((GOLDEN / "dockerfile").glob("*/Dockerfile.in")):
        cases.append((f"dockerfile/{source.parent.name}", source, "Dockerfile"))
    return cases


CASES = golden_inputs()


def test_every_registered_kind_has_golden_cases() -> None:
    assert set(PATCHERS) <= set(PLACES), "a patcher was registered without a place in this contract"
    assert DOCKERFILE_PATCHER is not None
    for folder in [PLACES[kind][0] for kind in PATCHERS] + ["dockerfile"]:
        assert len([c for c in CASES if c[0].startswith(folder + "/")]) >= 5, folder


def propose(root: Path) -> dict[str, FileEdit]:
    with client(mirrors={"docker.io": "127.0.0.1:9"}, total_budget=1.0, timeout=0.2) as registry:
        scan = scan_tree(RepoTree(root), registry, DEFAULT_PLATFORMS)
        if _add_dockerfiles(root, scan.build_paths):
            scan = scan_tree(RepoTree(root), registry, DEFAULT_PLATFORMS)
    patch = propose_patch(
        RepoTree(root), scan, plan_builds(scan, DEFAULT_PLATFORMS), PATCHERS, DOCKERFILE_PATCHER
    )
    return {edit.path: edit for edit in patch.edits}


def _add_dockerfiles(root: Path, build_paths: Sequence[BuildPath]) -> bool:
    """Give each build path the Dockerfile it names, with the stages its targets name (only the golden
    file itself comes from the project)."""
    stages: dict[str, set[str]] = {}
    for bp in build_paths:
        if bp.dockerfile and (bp.dockerfile != "Dockerfile" or bp.target):
            stages.setdefault(bp.dockerfile, set()).update([bp.target] if bp.target else [])
    for dockerfile, targets in stages.items():
        (root / dockerfile).parent.mkdir(parents=True, exist_ok=True)
        text = "".join(f"FROM scratch AS {target}\nCOPY . /app\n" for target in sorted(targets))
        (root / dockerfile).write_text(text + DOCKERFILE)
    return bool(stages)


def reparse(place: str, text: str) -> None:
    if place.endswith((".yml", ".yaml")):
        yaml.compose(text)
    elif place.endswith(".json"):
        json.loads(text)
    elif place.endswith(".hcl"):
        hcl2.loads(text)
    elif place.endswith(".sh"):
        assert shell_paths.find(place, text), "the patched script no longer reads as a build script"
    elif place == "Makefile":
        assert make_paths.find(place, text), "the patched Makefile no longer reads as one that builds"
    elif place == "justfile":
        assert just_paths.find(place, text), "the patched justfile no longer reads as one that builds"
    else:
        assert parse_dockerfile(text, place).stages


@pytest.mark.parametrize(("name", "source", "place"), CASES, ids=[c[0] for c in CASES])
def test_patch_is_idempotent_reparses_and_keeps_line_endings(
    name: str, source: Path, place: str, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    (root / place).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, root / place)
    if place != "Dockerfile":
        (root / "Dockerfile").write_text(DOCKERFILE)

    edit = propose(root).get(place)
    outputs = [p for p in source.parent.iterdir() if p.name.startswith("out.") or p.name == "Dockerfile.out"]
    expected = outputs[0].read_bytes().decode() if outputs else None
    if expected is not None and expected != source.read_bytes().decode():
        assert edit is not None, "the golden output differs from the input, but the pipeline proposed nothing"
        assert edit.after == expected, "the pipeline's edit differs from the golden output"
    if edit is None:
        return  # nothing to change (already multi-arch, refused, left alone): nothing to hold to the contract

    reparse(place, edit.after)
    if "\r\n" in edit.before and "\n" not in edit.before.replace("\r\n", ""):
        assert "\n" not in edit.after.replace("\r\n", ""), "a CRLF file gained LF-only lines"
    assert edit.after.endswith("\n") == edit.before.endswith("\n"), "the final newline changed"
    removed = sum(
        i2 - i1
        for tag, i1, i2, _, _ in difflib.SequenceMatcher(
            None, edit.before.splitlines(), edit.after.splitlines(), autojunk=False
        ).get_opcodes()
        if tag in ("replace", "delete")
    )
    assert removed <= 2 * len(edit.rationale), f"{removed} lines removed for {len(edit.rationale)} changes"

    write_patch(root, Patch((edit,)))
    assert place not in propose(root), "a second run changed the file again"
