"""Azure Pipelines: ``Docker@2``/``Docker@1`` tasks and ``script:``/``bash:``/``pwsh:`` steps.

Steps may sit at the top level, under ``jobs:`` or under ``stages: … jobs:`` (and in deployment
strategies), so every ``steps:`` list is visited. Paths are relative to the sources directory, the
repository root. The Docker task's ``Dockerfile`` is a glob (default ``**/Dockerfile``) and its build
context defaults to the Dockerfile's directory, written here as ``**`` for discover() to settle.
"""

from __future__ import annotations

import posixpath
import shlex
from typing import Any

from bot.errors import InputError
from bot.model import BuildKind, BuildPath
from bot.scan.docker_cli import parse_build_words
from bot.scan.paths.common import (
    FileScan,
    Snippet,
    as_text,
    mapping,
    script_paths,
    split_list,
    unique,
)
from bot.scan.yamlsafe import YamlLines, load_yaml_with_lines

_KIND = BuildKind.AZURE_PIPELINES
_SCRIPT_KEYS = ("script", "bash", "pwsh", "powershell")
_INLINE_SCRIPT_TASKS = ("bash@", "cmdline@", "powershell@", "shellscript@")


def find(path: str, text: str) -> list[BuildPath]:
    return list(scan(path, text).build_paths)


def scan(path: str, text: str) -> FileScan:
    pipeline, lines = load_yaml_with_lines(text, path)
    if pipeline is None:
        return FileScan()
    if not isinstance(pipeline, dict | list):
        raise InputError(f"{path}: a pipeline must be a YAML mapping, not {type(pipeline).__name__}")
    paths: list[BuildPath] = []
    snippets: list[Snippet] = []
    # (node, where it is, name of the job it belongs to); depth is bounded by the YAML loader's limit
    pending: list[tuple[Any, tuple[Any, ...], str]] = [(pipeline, (), "")]
    while pending:
        node, at, job = pending.pop()
        if isinstance(node, dict):
            job = as_text(node.get("job")) or as_text(node.get("deployment")) or job
            for key, value in node.items():
                if key == "steps" and isinstance(value, list):
                    for index, step in enumerate(value):
                        if isinstance(step, dict):
                            found, runs = _step(path, lines, (*at, "steps", index), job, index, step)
                            paths.extend(found)
                            snippets.extend(runs)
                else:
                    pending.append((value, (*at, key), job))
        elif isinstance(node, list):
            pending.extend((item, (*at, index), job) for index, item in enumerate(node))
    paths.sort(key=lambda p: p.line)
    snippets.sort(key=lambda s: s.line)
    return FileScan(tuple(unique(paths)), tuple(snippets))


def _step(
    path: str, lines: YamlLines, at: tuple[Any, ...], job: str, index: int, step: dict[Any, Any]
) -> tuple[list[BuildPath], list[Snippet]]:
    task = (as_text(step.get("task")) or "").strip()
    label = as_text(step.get("displayName")) or as_text(step.get("name")) or task or f"step {index + 1}"
    name = f"{job}: {label}" if job else label
    inputs = {str(k).lower(): as_text(v) for k, v in mapping(step.get("inputs")).items()}
    workdir = as_text(step.get("workingDirectory")) or inputs.get("workingdirectory") or ""
    script_key = next((key for key in _SCRIPT_KEYS if isinstance(step.get(key), str)), None)
    if script_key is not None:
        script, line = step[script_key], lines.value(*at, script_key)
    elif task.lower().startswith(_INLINE_SCRIPT_TASKS) and inputs.get("script"):
        script, line = inputs["script"] or "", lines.value(*at, "inputs", "script")
    elif task.lower().startswith(_INLINE_SCRIPT_TASKS) and (
        inputs.get("filepath") or inputs.get("scriptpath")
    ):
        script_file = inputs.get("filepath") or inputs.get("scriptpath") or ""
        return [], [Snippet(lines.key(*at), name, f"bash {shlex.quote(script_file)}", workdir)]
    elif task.lower().startswith(("docker@2", "docker@1")):
        docker_task = _docker_task(task, inputs)
        if docker_task is None:
            return [], []
        return [BuildPath(kind=_KIND, path=path, line=lines.key(*at), name=name, **docker_task)], []
    else:
        return [], []
    return script_paths(_KIND, path, line, name, script, workdir), [Snippet(line, name, script, workdir)]


def _docker_task(task: str, inputs: dict[str, str | None]) -> dict[str, Any] | None:
    version_one = task.lower().startswith("docker@1")
    written = inputs.get("command") or ("build" if version_one else "buildAndPush")
    command = written.lower()
    if command not in ("build", "buildandpush", "build an image"):
        return None  # push, login, run…: no image is built here
    dockerfile = inputs.get("dockerfile") or "**/Dockerfile"
    context = inputs.get("buildcontext") or "**"
    if context == "**" and "*" not in dockerfile:
        context = posixpath.dirname(dockerfile) or "."
    if version_one:
        tags = tuple(t for t in [inputs.get("imagename") or "$(Build.Repository.Name):$(Build.BuildId)"])
    else:
        repository = inputs.get("repository")
        tag_list = split_list(inputs.get("tags") or "$(Build.BuildId)")
        tags = tuple(f"{repository}:{tag}" for tag in tag_list) if repository else ()
    # the task ignores `arguments` for buildAndPush, so its --build-arg/--platform never reach docker
    arguments = inputs.get("arguments") if command != "buildandpush" else None
    parsed = parse_build_words(["docker", "build", *_words(arguments), "."]) if arguments else None
    return {
        "command": f"task: {task} ({written})",
        "dockerfile": dockerfile,
        "context": context,
        "tags": tags,
        "build_args": parsed.build_args if parsed else (),
        "platforms": parsed.platforms if parsed else (),
        "target": parsed.target if parsed else None,
        "pushes": command == "buildandpush",
    }


def _words(arguments: str | None) -> list[str]:
    try:
        return shlex.split(arguments or "")
    except ValueError:  # an unbalanced quote: take the words as they come
        return (arguments or "").split()
