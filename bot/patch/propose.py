"""One repository's patch: every build file handed to its kind's patcher, the results gathered.

The patch stage's imperative shell: it reads through RepoTree and asks the pure patchers; it writes
nothing (``write_patch`` does, on request).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.errors import InputError
from bot.model import (
    BuildKind,
    BuildPath,
    BuildPlan,
    FileEdit,
    LeftAlone,
    Patch,
    Platform,
    ScanResult,
)
from bot.patch.base import Edited, PatchContext, Patcher, Refused
from bot.scan.tree import RepoTree


def propose_patch(
    tree: RepoTree,
    scan: ScanResult,
    plans: Sequence[BuildPlan],
    patchers: Mapping[BuildKind, Patcher],
    dockerfile_patcher: Patcher | None,
) -> Patch:
    platforms_of = {plan.dockerfile: plan.platforms for plan in plans}
    edits: list[FileEdit] = []
    left_alone: list[LeftAlone] = []
    refused: list[LeftAlone] = []
    questions: list[str] = []

    for path, paths in _by_file(scan.build_paths).items():
        kind = paths[0].kind
        patcher = patchers.get(kind)
        if patcher is None:
            left_alone += [LeftAlone(bp.path, bp.line, f"no patcher for {kind} files yet") for bp in paths]
            continue
        unknown = [bp for bp in paths if bp.dockerfile not in platforms_of]
        left_alone += [LeftAlone(bp.path, bp.line, _unknown_dockerfile(bp)) for bp in unknown]
        paths = [bp for bp in paths if bp not in unknown]
        if not paths:
            continue
        platforms = _common_platforms(paths, platforms_of)
        if len(platforms) < 2:
            left_alone += [
                LeftAlone(bp.path, bp.line, "its image cannot be built for more than one platform")
                for bp in paths
            ]
            continue
        _apply(
            tree, path, patcher, PatchContext(platforms, tuple(paths)), edits, left_alone, refused, questions
        )

    if dockerfile_patcher is not None:
        for dockerfile in sorted({h.path for h in scan.hazards if h.path in platforms_of}):
            hazards = tuple(h for h in scan.hazards if h.path == dockerfile)
            builders = tuple(bp for bp in scan.build_paths if bp.dockerfile == dockerfile)  # their targets
            context = PatchContext(platforms_of[dockerfile], builders, hazards)
            _apply(tree, dockerfile, dockerfile_patcher, context, edits, left_alone, refused, questions)
    return Patch(tuple(edits), tuple(left_alone), tuple(refused), tuple(dict.fromkeys(questions)))


def _apply(
    tree: RepoTree,
    path: str,
    patcher: Patcher,
    context: PatchContext,
    edits: list[FileEdit],
    left_alone: list[LeftAlone],
    refused: list[LeftAlone],
    questions: list[str],
) -> None:
    try:
        text = tree.read_text(path)
    except InputError as err:
        refused.append(LeftAlone(path, 0, str(err)))
        return
    result = patcher.patch(path, text, context)
    if isinstance(result, Refused):
        refused.append(LeftAlone(path, 0, result.reason))
        return
    left_alone.extend(result.left_alone)
    questions.extend(result.questions)
    if isinstance(result, Edited) and result.text != text:
        edits.append(FileEdit(path, text, result.text, result.rationale))


def _unknown_dockerfile(build_path: BuildPath) -> str:
    if build_path.dockerfile is None:
        return "which Dockerfile it builds is not known (a variable or an inline Dockerfile)"
    missing = (
        f"it is missing, or it has no stage {build_path.target!r}" if build_path.target else "it is missing"
    )
    return f"no build plan covers {build_path.dockerfile}: {missing}"


def _by_file(build_paths: Sequence[BuildPath]) -> dict[str, list[BuildPath]]:
    """Build paths per file; indirect ones (a CI step calling `npm run x`) are patched where they lead."""
    files: dict[str, list[BuildPath]] = {}
    for bp in build_paths:
        if bp.via is None:
            files.setdefault(bp.path, []).append(bp)
    return files


def _common_platforms(
    paths: Sequence[BuildPath], platforms_of: Mapping[str, tuple[Platform, ...]]
) -> tuple[Platform, ...]:
    """The platforms every Dockerfile built from this file can be built for (the plans already cut them)."""
    sets = [
        platforms_of[bp.dockerfile]
        for bp in paths
        if bp.dockerfile is not None and bp.dockerfile in platforms_of
    ]
    if not sets:
        return ()
    return tuple(p for p in sets[0] if all(p in s for s in sets[1:]))


def write_patch(root: Path, patch: Patch) -> list[str]:
    """Write each edit into the checkout; refuses paths that leave it or go through a symlink."""
    written = []
    root = root.resolve()
    for edit in patch.edits:
        target = root / edit.path
        if target.resolve() != target or not target.resolve().is_relative_to(root):
            raise InputError(f"{edit.path}: not written: the path leaves the checkout or is a symlink")
        data = edit.after.encode("utf-8")
        fd = os.open(target, os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        written.append(edit.path)
    return written
