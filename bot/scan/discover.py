"""Find every place a repository builds an image: the pure entry point of the scan stage's first half.

The caller lists the repository (``candidate_files``), reads those files and hands their text to
``discover``, which classifies each file, runs its finder, resolves paths to repo-relative form, and
follows calls between build files (a CI step running ``npm run docker:build``) in a second pass.
Malformed or hostile files become Problems; nothing here raises for bad input or touches the disk.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from bot.errors import InputError
from bot.model import BuildKind, BuildPath, Problem
from bot.scan.file_names import build_file_kind, candidate_files, is_dockerfile_name, normalise
from bot.scan.indirect import follow_calls
from bot.scan.paths import (
    azure_pipelines,
    bake,
    circleci,
    compose,
    github_actions,
    gitlab_ci,
    just,
    make,
    npm,
    shell,
)
from bot.scan.paths.common import MAX_INDIRECT, FileScan, unique
from bot.scan.resolve import resolve_build_path

__all__ = ["Discovery", "build_file_kind", "candidate_files", "classify", "discover", "is_dockerfile_name"]

_FINDERS: dict[BuildKind, Callable[[str, str], FileScan]] = {
    BuildKind.NPM: npm.scan,
    BuildKind.MAKE: make.scan,
    BuildKind.JUST: just.scan,
    BuildKind.SHELL: shell.scan,
    BuildKind.GITHUB_ACTIONS: github_actions.scan,
    BuildKind.AZURE_PIPELINES: azure_pipelines.scan,
    BuildKind.GITLAB_CI: gitlab_ci.scan,
    BuildKind.CIRCLECI: circleci.scan,
    BuildKind.BAKE: bake.scan,
    BuildKind.COMPOSE: compose.scan,
}
_AZURE_DOCKER_TASK = re.compile(r"^\s*-?\s*task:\s*Docker@[12]\b", re.MULTILINE)
_AZURE_TOP_LEVEL = re.compile(r"^(trigger|pr|jobs|steps|stages|pool|extends):", re.MULTILINE)
_AZURE_STEP = re.compile(r"^\s*-\s*(script|bash|pwsh|powershell|task):", re.MULTILINE)


@dataclass(frozen=True)
class Discovery:
    build_paths: tuple[BuildPath, ...]
    problems: tuple[Problem, ...]
    # Dockerfiles that build paths name (-f, file:, dockerfile:) whose names is_dockerfile_name misses
    named_dockerfiles: tuple[str, ...]


def classify(path: str, text: str) -> BuildKind | None:
    """The kind of build file this is, by name first and then, for scripts and YAML, by content."""
    kind = build_file_kind(path)
    if kind is not None:
        return kind
    name = normalise(path).rsplit("/", 1)[-1].lower()
    if name.endswith((".yml", ".yaml")):
        looks_azure = _AZURE_DOCKER_TASK.search(text) or (
            _AZURE_TOP_LEVEL.search(text) and _AZURE_STEP.search(text)
        )
        return BuildKind.AZURE_PIPELINES if looks_azure else None
    if "." not in name and shell.has_shell_shebang(text):
        return BuildKind.SHELL
    return None


def discover(files: Mapping[str, str], all_paths: Iterable[str] = ()) -> Discovery:
    """Every build path in ``files`` (repo-relative path → text).

    ``all_paths`` may list the rest of the repository (Dockerfiles especially), so that globs such as
    Azure's ``**/Dockerfile`` and scripts run from the root can be matched against real files.
    """
    texts = {normalise(path): text for path, text in files.items()}
    known = set(texts) | {normalise(path) for path in all_paths}
    problems: list[Problem] = []
    scans: list[tuple[str, BuildKind, FileScan]] = []
    for path in sorted(texts):
        kind = classify(path, texts[path])
        if kind is None:
            continue
        try:
            scans.append((path, kind, _FINDERS[kind](path, texts[path])))
        except InputError as error:
            problems.append(Problem(path, str(error)))
        except RecursionError:  # a parser we do not control recursed on hostile input
            problems.append(Problem(path, f"{path}: nested too deeply to read; skipped"))
    direct: list[BuildPath] = []
    for _, _, scan in scans:
        for found in scan.build_paths:
            resolved, refused = resolve_build_path(found, known)
            direct.append(resolved)
            problems.extend(refused)
    build_paths = unique(direct + follow_calls(direct, scans))
    indirect_per_file = Counter(p.path for p in build_paths if p.via)
    problems.extend(
        Problem(path, f"{path}: more than {MAX_INDIRECT:,} indirect build paths; only the first are listed")
        for path, count in sorted(indirect_per_file.items())
        if count >= MAX_INDIRECT
    )
    build_paths.sort(key=lambda p: (p.path, p.line, p.name, p.via or "", p.command, p.dockerfile or ""))
    named = sorted(
        {p.dockerfile for p in build_paths if p.dockerfile and not is_dockerfile_name(p.dockerfile)}
    )
    return Discovery(tuple(build_paths), tuple(unique(problems)), tuple(named))
