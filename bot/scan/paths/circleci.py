"""CircleCI: ``run:`` steps in jobs and reusable commands, and the docker orb's build/publish.

``docker/build`` is a step and ``docker/publish`` a workflow job of the ``circleci/docker`` orb (under
whatever alias ``orbs:`` gives it). The orb's ``path`` is the Dockerfile's directory, ``docker-context``
the build context; both default to the checkout, the repository root.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from typing import Any

from bot.errors import InputError
from bot.model import BuildKind, BuildPath
from bot.scan.docker_cli import parse_build_words
from bot.scan.paths.common import FileScan, Snippet, as_text, mapping, script_paths, sequence, tidy, unique
from bot.scan.yamlsafe import YamlLines, load_yaml_with_lines

_KIND = BuildKind.CIRCLECI
_ORB = re.compile(r"^circleci/docker@")


def find(path: str, text: str) -> list[BuildPath]:
    return list(scan(path, text).build_paths)


def scan(path: str, text: str) -> FileScan:
    config, lines = load_yaml_with_lines(text, path)
    if config is None:
        return FileScan()
    if not isinstance(config, dict):
        raise InputError(f"{path}: a CircleCI config must be a YAML mapping, not {type(config).__name__}")
    aliases = {str(a) for a, ref in mapping(config.get("orbs")).items() if _ORB.match(as_text(ref) or "")}
    aliases = aliases or {"docker"}
    paths: list[BuildPath] = []
    snippets: list[Snippet] = []
    for section in ("jobs", "commands"):
        for name, body in mapping(config.get(section)).items():
            for index, step in enumerate(sequence(mapping(body).get("steps"))):
                at = (section, name, "steps", index)
                found, runs = _step(path, lines, at, str(name), step, aliases)
                paths.extend(found)
                snippets.extend(runs)
    for workflow_name, workflow in mapping(config.get("workflows")).items():
        for index, job in enumerate(sequence(mapping(workflow).get("jobs"))):
            if isinstance(job, dict) and len(job) == 1:
                (job_name, params), at = next(iter(job.items())), ("workflows", workflow_name, "jobs", index)
                if _orb_call(job_name, aliases) == "publish":
                    label = as_text(mapping(params).get("name")) or f"{workflow_name}: {job_name}"
                    paths.append(_orb_build(path, lines.key(*at), label, job_name, mapping(params), True))
    return FileScan(tuple(unique(paths)), tuple(snippets))


def _orb_call(key: Any, aliases: set[str]) -> str | None:
    alias, _, command = str(key).partition("/")
    return command if alias in aliases else None


def _step(
    path: str, lines: YamlLines, at: tuple[Any, ...], job: str, step: Any, aliases: set[str]
) -> tuple[list[BuildPath], list[Snippet]]:
    if not isinstance(step, dict) or len(step) != 1:
        return [], []  # `checkout` and other bare strings run no build
    key, params = next(iter(step.items()))
    if key == "run":
        command = params if isinstance(params, str) else as_text(mapping(params).get("command"))
        if not command:
            return [], []
        label = as_text(mapping(params).get("name")) if isinstance(params, dict) else None
        name = f"{job}: {label}" if label else job
        value_at = (*at, "run") if isinstance(params, str) else (*at, "run", "command")
        workdir = as_text(mapping(params).get("working_directory")) or ""
        line = lines.value(*value_at)
        return script_paths(_KIND, path, line, name, command, workdir), [
            Snippet(line, name, command, workdir)
        ]
    if _orb_call(key, aliases) in ("build", "publish"):
        params = mapping(params)
        label = as_text(params.get("step-name")) or str(key)
        pushes = _orb_call(key, aliases) == "publish"
        return [_orb_build(path, lines.key(*at), f"{job}: {label}", str(key), params, pushes)], []
    return [], []


def _orb_build(path: str, line: int, name: str, call: str, params: dict[Any, Any], pushes: bool) -> BuildPath:
    def param(key: str, default: str) -> str:
        return as_text(params.get(key)) or default

    directory = param("path", ".")
    image = params.get("image")
    registry = param("registry", "docker.io")
    tags = tuple(f"{registry}/{image}:{t.strip()}" for t in param("tag", "$CIRCLE_SHA1").split(",") if image)
    extra = as_text(params.get("extra_build_args")) or ""
    parsed = parse_build_words(["docker", "build", *_words(extra), "."]) if extra else None
    return BuildPath(
        kind=_KIND,
        path=path,
        line=line,
        name=name,
        command=call,
        dockerfile=tidy(posixpath.join(directory, param("dockerfile", "Dockerfile"))),
        context=tidy(param("docker-context", directory)),
        tags=tags,
        build_args=parsed.build_args if parsed else (),
        platforms=parsed.platforms if parsed else (),
        target=parsed.target if parsed else None,
        pushes=pushes and params.get("deploy", True) is not False,
    )


def _words(arguments: str) -> list[str]:
    try:
        return shlex.split(arguments)
    except ValueError:
        return arguments.split()
