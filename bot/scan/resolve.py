"""Turn the paths a build file names into repo-relative POSIX paths, or say why that is impossible.

Finders report paths as written, relative to the file's base directory; this is where ``./app/../x``
becomes ``x``, where CI workspace variables (``$GITHUB_WORKSPACE``, ``$(Build.SourcesDirectory)``…)
mean the repository root, and where a path that leaves the repository becomes a Problem.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection
from dataclasses import replace

from bot.model import BuildKind, BuildPath, Problem
from bot.scan.file_names import is_dockerfile_name

CI_KINDS = frozenset(
    {BuildKind.GITHUB_ACTIONS, BuildKind.AZURE_PIPELINES, BuildKind.GITLAB_CI, BuildKind.CIRCLECI}
)
# how CI systems spell "the checkout", i.e. the repository root
_ROOT = re.compile(
    r"^(\$\{\{\s*github\.workspace\s*\}\}|\$\{?GITHUB_WORKSPACE\}?|\$\{?CI_PROJECT_DIR\}?"
    r"|\$\{?CIRCLE_WORKING_DIRECTORY\}?|~/project"
    r"|\$\((Build\.SourcesDirectory|System\.DefaultWorkingDirectory|Build\.Repository\.LocalPath)\))(?=/|$)"
)
_UNKNOWABLE = ("$", "`", "{{", "<<", "://", "git@")  # variables, templates, remote contexts
_GLOB = re.compile(r"[*?\[]")


def base_directory(kind: BuildKind, path: str) -> str:
    """What a file's relative paths are relative to: CI jobs start at the root, the rest in the file's dir."""
    return "" if kind in CI_KINDS else posixpath.dirname(path)


def resolve(base: str, written: str | None) -> tuple[str | None, str | None]:
    """(repo-relative path, None), (None, None) when unknowable, or (None, why it is refused)."""
    if written is None:
        return None, None
    text, at_root = _ROOT.subn(".", written.strip().removeprefix("dir://"))
    if at_root:
        base = ""
    if not text or text.startswith("~") or _GLOB.search(text) or any(m in text for m in _UNKNOWABLE):
        return None, None
    if text.startswith("/"):
        return None, f"{written!r} is absolute, so it cannot name a file of this repository"
    joined = posixpath.normpath(posixpath.join(base, text))
    if joined == ".." or joined.startswith("../"):
        return None, f"{written!r} points outside the repository"
    return joined, None


def resolve_build_path(found: BuildPath, known: Collection[str]) -> tuple[BuildPath, list[Problem]]:
    """``found`` with its dockerfile and context repo-relative; Problems for paths that are refused."""
    base = base_directory(found.kind, found.path)
    dockerfile, dockerfile_problem = resolve(base, found.dockerfile)
    context, context_problem = resolve(base, found.context)
    if found.kind is BuildKind.SHELL and base and dockerfile and dockerfile not in known:
        # scripts are often run from the root (`./scripts/build.sh`): trust the root if only it fits
        from_root, _ = resolve("", found.dockerfile)
        if from_root in known:
            dockerfile, context = from_root, resolve("", found.context)[0]
    if found.dockerfile and _GLOB.search(found.dockerfile) and not dockerfile_problem:
        dockerfile = _match_glob(base, found.dockerfile, known)
        if dockerfile and found.context == "**":  # the Docker task's default: the Dockerfile's directory
            context = posixpath.dirname(dockerfile) or "."
    problems = [
        Problem(found.path, f"line {found.line}: {what} {problem}")
        for what, problem in (("Dockerfile path", dockerfile_problem), ("build context", context_problem))
        if problem
    ]
    return replace(found, dockerfile=dockerfile, context=context), problems


def _match_glob(base: str, pattern: str, known: Collection[str]) -> str | None:
    """The one known Dockerfile an Azure-style glob (``**/Dockerfile``) matches; None if not exactly one."""
    full = posixpath.join(base, pattern.removeprefix("./")) if base else pattern.removeprefix("./")
    regex = re.compile(_glob_regex(full))
    matches = [p for p in known if is_dockerfile_name(p) and regex.fullmatch(p)]
    return matches[0] if len(matches) == 1 else None


def _glob_regex(pattern: str) -> str:
    parts = re.split(r"(\*\*/|\*\*|\*|\?)", pattern)
    table = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return "".join(table.get(part, re.escape(part)) for part in parts)
