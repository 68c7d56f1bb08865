"""Which repository files matter for discovery, by name alone (no file is opened here)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable

from bot.model import BuildKind

# Template, backup and documentation companions of a Dockerfile are not buildable Dockerfiles, and
# `app.Dockerfile.dockerignore` is the ignore file BuildKit pairs with `app.Dockerfile`.
_NOT_DOCKERFILE_SUFFIXES = frozenset(
    {"md", "txt", "rst", "orig", "rej", "bak", "swp", "dockerignore", "j2", "jinja", "jinja2"}
    | {"tmpl", "tpl", "template", "erb", "in", "sh", "py", "json", "yml", "yaml", "lock", "patch", "diff"}
)
_SKIPPED_DIRECTORIES = frozenset({".git", "node_modules", "vendor", "bower_components", ".venv", "venv"})
# extension-less files that are certainly not shell scripts, so the caller need not read them
_NOT_SCRIPTS = frozenset(
    {"license", "licence", "copying", "notice", "authors", "contributors", "maintainers", "owners"}
    | {"readme", "changelog", "changes", "history", "version", "codeowners", "patents", "install"}
    | {"dockerfile", "containerfile", "procfile", "gemfile", "rakefile", "vagrantfile", "brewfile"}
    | {"pipfile", "jenkinsfile", "tiltfile", "earthfile", "caddyfile", "podfile", "berksfile"}
)
_COMPOSE = re.compile(r"^(docker-)?compose([.-][^/]+)?\.ya?ml$")
_BAKE = re.compile(r"^docker-bake(\.[^/]+)?\.(hcl|json)$")
MAKEFILE_NAMES = frozenset({"Makefile", "makefile", "GNUmakefile"})
JUSTFILE_NAMES = frozenset({"justfile", "Justfile", ".justfile"})


def normalise(path: str) -> str:
    """A caller's file name as a clean repo-relative POSIX path (``./a\\b`` → ``a/b``)."""
    cleaned = posixpath.normpath(path.replace("\\", "/")).lstrip("/")
    return "." if cleaned in ("", ".") else cleaned


def is_dockerfile_name(path: str) -> bool:
    """``Dockerfile``, ``Containerfile``, ``*.Dockerfile``, ``Dockerfile.*`` (not ``Dockerfile.md`` …)."""
    name = posixpath.basename(path.replace("\\", "/")).lower()
    for stem in ("dockerfile", "containerfile"):
        if name == stem or (name.endswith("." + stem) and len(name) > len(stem) + 1):
            return True
        if name.startswith(stem + "."):
            return name.rsplit(".", 1)[-1] not in _NOT_DOCKERFILE_SUFFIXES
    return False


def build_file_kind(path: str) -> BuildKind | None:
    """The kind of build file ``path`` is by its name; None when only its content could tell."""
    clean = normalise(path)
    parts = clean.split("/")
    name, lower = parts[-1], parts[-1].lower()
    if any(part in _SKIPPED_DIRECTORIES for part in parts[:-1]):
        return None
    if name == "package.json":
        return BuildKind.NPM
    if name in MAKEFILE_NAMES or lower.endswith(".mk"):
        return BuildKind.MAKE
    if name in JUSTFILE_NAMES or lower.endswith(".just"):
        return BuildKind.JUST
    if _BAKE.match(lower):
        return BuildKind.BAKE
    if lower.endswith((".sh", ".bash")):
        return BuildKind.SHELL
    if lower.endswith((".yml", ".yaml")):
        return _yaml_kind(clean, parts, lower)
    return None


def _yaml_kind(clean: str, parts: list[str], lower: str) -> BuildKind | None:
    if (len(parts) == 3 and parts[:2] == [".github", "workflows"]) or lower in ("action.yml", "action.yaml"):
        return BuildKind.GITHUB_ACTIONS
    stem = lower.rsplit(".", 1)[0]
    if stem == "azure-pipelines" or stem.endswith(".azure-pipelines") or ".azure-pipelines" in parts[:-1]:
        return BuildKind.AZURE_PIPELINES
    if stem == ".gitlab-ci" or stem.endswith(".gitlab-ci") or clean.startswith(".gitlab/ci/"):
        return BuildKind.GITLAB_CI
    if parts[:1] == [".circleci"] and stem == "config" and len(parts) == 2:
        return BuildKind.CIRCLECI
    if _COMPOSE.match(lower):
        return BuildKind.COMPOSE
    return None


def may_be_build_file(path: str) -> bool:
    """Whether the content could make this file a build file: a shebang script or an Azure pipeline."""
    parts = normalise(path).split("/")
    if any(part in _SKIPPED_DIRECTORIES for part in parts[:-1]):
        return False
    name = parts[-1].lower()
    if name.endswith((".yml", ".yaml")):
        return True
    return "." not in name.lstrip(".") and not name.startswith(".") and name not in _NOT_SCRIPTS


def candidate_files(paths: Iterable[str]) -> list[str]:
    """The files the caller must read and pass to discover(), sorted."""
    return sorted({p for p in paths if build_file_kind(p) is not None or may_be_build_file(p)})
