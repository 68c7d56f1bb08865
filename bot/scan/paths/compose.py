"""Compose files: every service with ``build:`` (a context string or a mapping), ``image:`` as its tag.

Contexts are relative to the compose file's directory and ``dockerfile`` to the context, as the Compose
specification says. A ``dockerfile_inline`` service has no Dockerfile to point at.
"""

from __future__ import annotations

import posixpath
from typing import Any

from bot.errors import InputError
from bot.model import BuildKind, BuildPath
from bot.scan.paths.common import FileScan, as_text, mapping, sequence, tidy, unique
from bot.scan.yamlsafe import load_yaml_with_lines


def find(path: str, text: str) -> list[BuildPath]:
    return list(scan(path, text).build_paths)


def scan(path: str, text: str) -> FileScan:
    project, lines = load_yaml_with_lines(text, path)
    if project is None:
        return FileScan()
    if not isinstance(project, dict):
        raise InputError(f"{path}: a compose file must be a YAML mapping, not {type(project).__name__}")
    services = project.get("services")
    if services is not None and not isinstance(services, dict):
        raise InputError(f"{path}: `services` must map service names to services")
    paths = []
    for name, service in mapping(services).items():
        build = mapping(service).get("build")
        if build is None or build is False:
            continue
        image = as_text(mapping(service).get("image"))
        found = _build_path(path, lines.key("services", name, "build"), str(name), build, image)
        if found is not None:
            paths.append(found)
    return FileScan(tuple(unique(paths)))


def _build_path(path: str, line: int, name: str, build: Any, image: str | None) -> BuildPath | None:
    if isinstance(build, str):
        settings: dict[Any, Any] = {"context": build}
        command = f"build: {build}"
    elif isinstance(build, dict):
        settings = build
        shown = ", ".join(f"{k}: {as_text(v)}" for k, v in build.items() if as_text(v) is not None)
        command = f"build: {{{shown}}}"
    else:
        return None
    context = as_text(settings.get("context")) or "."
    dockerfile: str | None = as_text(settings.get("dockerfile")) or "Dockerfile"
    if settings.get("dockerfile_inline") is not None:
        dockerfile = None
    elif dockerfile is not None and not dockerfile.startswith(("/", "$")):
        dockerfile = posixpath.join(context, dockerfile)
    extra_tags = [t for t in (as_text(tag) for tag in sequence(settings.get("tags"))) if t]
    return BuildPath(
        kind=BuildKind.COMPOSE,
        path=path,
        line=line,
        name=name,
        command=command,
        dockerfile=tidy(dockerfile) if dockerfile else None,
        context=tidy(context),
        tags=tuple([image] if image else []) + tuple(extra_tags),
        build_args=_args(settings.get("args")),
        platforms=tuple(p for p in (as_text(p) for p in sequence(settings.get("platforms"))) if p),
        target=as_text(settings.get("target")),
        pushes=False,  # `docker compose build` never pushes; `push` is a separate command
    )


def _args(value: Any) -> tuple[tuple[str, str | None], ...]:
    """``args`` as a mapping ({VERSION: 1}) or a list (["VERSION=1", "FROM_ENV"])."""
    if isinstance(value, dict):
        return tuple((str(k), as_text(v)) for k, v in value.items())
    pairs = []
    for item in sequence(value):
        name, has_value, arg = str(item).partition("=")
        pairs.append((name, arg if has_value else None))
    return tuple(pairs)
