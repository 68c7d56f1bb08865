"""GitHub Actions workflows (and composite actions): build-push-action, bake-action and ``run:`` steps.

Paths are relative to the workspace, i.e. the repository root. build-push-action's default context is
the repository itself and its Dockerfile defaults to ``<context>/Dockerfile``; ``file`` is relative to
the workspace, not to the context. Line numbers come from the YAML composer's marks.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from bot.errors import InputError
from bot.model import BuildKind, BuildPath
from bot.scan.paths.common import (
    FileScan,
    Snippet,
    as_text,
    mapping,
    script_paths,
    sequence,
    split_list,
    tidy,
    truthy,
    unique,
)
from bot.scan.paths.gha_matrix import matrix_rows, merge_platforms, rows_for, substitute
from bot.scan.yamlsafe import YamlLines, load_yaml_with_lines

_BUILD_PUSH = re.compile(r"^docker/build-push-action@", re.IGNORECASE)
_BAKE = re.compile(r"^docker/bake-action@", re.IGNORECASE)
_DEFAULT_CONTEXT = "{{defaultContext}}"
_KIND = BuildKind.GITHUB_ACTIONS


def find(path: str, text: str) -> list[BuildPath]:
    return list(scan(path, text).build_paths)


def scan(path: str, text: str) -> FileScan:
    workflow, lines = load_yaml_with_lines(text, path)
    if workflow is None:
        return FileScan()
    if not isinstance(workflow, dict):
        raise InputError(f"{path}: a workflow must be a YAML mapping, not {type(workflow).__name__}")
    jobs = workflow.get("jobs")
    if jobs is None and isinstance(workflow.get("runs"), dict):  # a composite action's action.yml
        jobs = {"runs": workflow["runs"]}
        lines = _Prefixed(lines)
    if jobs is None:
        return FileScan()
    if not isinstance(jobs, dict):
        raise InputError(f"{path}: `jobs` must map job ids to jobs")
    workflow_dir = as_text(mapping(mapping(workflow.get("defaults")).get("run")).get("working-directory"))
    paths: list[BuildPath] = []
    snippets: list[Snippet] = []
    for job_id, job in jobs.items():
        if not isinstance(job, dict):
            continue
        job_dir = as_text(mapping(mapping(job.get("defaults")).get("run")).get("working-directory"))
        rows = matrix_rows(mapping(job.get("strategy")).get("matrix"))
        for index, step in enumerate(sequence(job.get("steps"))):
            if isinstance(step, dict):
                at = ("jobs", job_id, "steps", index)
                label = as_text(step.get("name")) or as_text(step.get("id")) or f"step {index + 1}"
                context = _Step(path, lines, at, f"{job_id}: {label}", job_dir or workflow_dir or "")
                found, runs = context.scan(step, rows)
                paths.extend(found)
                snippets.extend(runs)
    return FileScan(tuple(unique(paths)), tuple(unique(snippets)))


class _Prefixed(YamlLines):
    """Line lookups for a composite action, whose steps sit at runs.steps rather than jobs.<id>.steps."""

    def __init__(self, lines: YamlLines) -> None:
        super().__init__({}, {})
        self._inner = lines

    def key(self, *path: Any) -> int:
        return self._inner.key(*path[1:]) if path[:2] == ("jobs", "runs") else self._inner.key(*path)

    def value(self, *path: Any) -> int:
        return self._inner.value(*path[1:]) if path[:2] == ("jobs", "runs") else self._inner.value(*path)


class _Step:
    def __init__(self, path: str, lines: YamlLines, at: tuple[Any, ...], name: str, workdir: str) -> None:
        self.path, self.lines, self.at, self.name, self.workdir = path, lines, at, name, workdir

    def scan(self, step: dict[Any, Any], rows: list[dict[str, str]]) -> tuple[list[BuildPath], list[Snippet]]:
        uses = as_text(step.get("uses")) or ""
        inputs = {str(k): as_text(v) for k, v in mapping(step.get("with")).items()}
        run = as_text(step.get("run"))
        workdir = as_text(step.get("working-directory")) or self.workdir
        paths: list[BuildPath] = []
        snippets: list[Snippet] = []
        for row in rows_for(rows, [*inputs.values(), run, workdir]):
            values = {k: substitute(v, row) for k, v in inputs.items()}
            if _BUILD_PUSH.match(uses):
                paths.append(self._build_push(uses, values))
            elif _BAKE.match(uses):
                paths.append(self._bake(uses, values))
            elif run is not None:
                line = self.lines.value(*self.at, "run")
                script, where = substitute(run, row) or "", substitute(workdir, row)
                paths.extend(script_paths(_KIND, self.path, line, self.name, script, where))
                snippets.append(Snippet(line, self.name, script, where))
        return merge_platforms(paths), snippets

    def _build_push(self, uses: str, inputs: dict[str, str | None]) -> BuildPath:
        context = (inputs.get("context") or "").strip()
        if context in ("", _DEFAULT_CONTEXT):
            context = "."
        elif context.startswith(_DEFAULT_CONTEXT + ":"):  # the git context's sub-directory
            context = context.removeprefix(_DEFAULT_CONTEXT + ":") or "."
        outputs = split_list(inputs.get("outputs"))
        return BuildPath(
            kind=_KIND,
            path=self.path,
            line=self.lines.key(*self.at),
            name=self.name,
            command=f"uses: {uses}",
            dockerfile=tidy(inputs.get("file") or posixpath.join(context, "Dockerfile")),
            context=tidy(context),
            tags=split_list(inputs.get("tags")),
            build_args=tuple(_key_value(a) for a in split_list(inputs.get("build-args"), commas=False)),
            platforms=split_list(inputs.get("platforms")),
            target=inputs.get("target") or None,
            pushes=truthy(inputs.get("push"))
            or any("type=registry" in o or "push=true" in o for o in outputs),
        )

    def _bake(self, uses: str, inputs: dict[str, str | None]) -> BuildPath:
        settings = split_list(inputs.get("set"), commas=False)
        platforms = [p for s in settings if ".platform=" in s for p in s.split("=", 1)[1].split(",") if p]
        pushed = any(s.endswith((".push=true", ".output=type=registry")) for s in settings)
        return BuildPath(
            kind=_KIND,
            path=self.path,
            line=self.lines.key(*self.at),
            name=self.name,
            command=f"uses: {uses}",
            dockerfile=None,  # the bake file names them; its own finder lists each target
            context=None,
            platforms=tuple(platforms),
            pushes=truthy(inputs.get("push")) or pushed,
        )


def _key_value(text: str) -> tuple[str, str | None]:
    name, has_value, value = text.partition("=")
    return name.strip(), (value.strip() if has_value else None)
