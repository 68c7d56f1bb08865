"""GitLab CI: each job's ``before_script`` and ``script`` lines, kaniko's executor included.

Jobs are the top-level mappings that are not GitLab keywords; hidden jobs (``.template``) only run
through ``extends:``, which is resolved (arrays replace, mappings merge, as GitLab does). A nested list
shaped like ``!reference [.job, script]`` is followed to the lines it names. Jobs run in the project
directory, the repository root.
"""

from __future__ import annotations

from typing import Any

from bot.errors import InputError
from bot.model import BuildKind, BuildPath
from bot.scan.paths.common import FileScan, Snippet, mapping, script_paths, sequence, unique
from bot.scan.yamlsafe import YamlLines, load_yaml_with_lines

_KIND = BuildKind.GITLAB_CI
_KEYWORDS = frozenset(
    {"stages", "variables", "default", "include", "workflow", "image", "services", "cache", "types"}
    | {"before_script", "after_script", "spec"}
)
_SCRIPT_KEYS = ("before_script", "script")
_MAX_EXTENDS = 11  # GitLab's own nesting limit for extends


def find(path: str, text: str) -> list[BuildPath]:
    return list(scan(path, text).build_paths)


def scan(path: str, text: str) -> FileScan:
    config, lines = load_yaml_with_lines(text, path)
    if config is None:
        return FileScan()
    if not isinstance(config, dict):
        raise InputError(f"{path}: a GitLab CI file must be a YAML mapping, not {type(config).__name__}")
    jobs = {str(k): v for k, v in config.items() if k not in _KEYWORDS and isinstance(v, dict)}
    default_before = mapping(config.get("default")).get("before_script", config.get("before_script"))
    paths: list[BuildPath] = []
    snippets: list[Snippet] = []
    for job_name in jobs:
        if job_name.startswith("."):
            continue
        origins = _resolve(job_name, jobs)  # key → the job that defines it, extends followed
        for key in _SCRIPT_KEYS:
            owner = origins.get(key)
            items = jobs[owner][key] if owner else (default_before if key == "before_script" else None)
            where: tuple[Any, ...] = (owner, key) if owner else ("default", key)
            for line, script in _script_lines(items, where, lines, config):
                snippets.append(Snippet(line, job_name, script))
                paths.extend(script_paths(_KIND, path, line, job_name, script))
    return FileScan(tuple(unique(paths)), tuple(snippets))


def _resolve(job_name: str, jobs: dict[str, Any]) -> dict[str, str]:
    """Which job each script key comes from once ``extends`` is applied (the job itself wins)."""
    origins: dict[str, str] = {}
    chain, current = [job_name], [job_name]
    for _ in range(_MAX_EXTENDS):
        parents = [p for name in current for p in _extends(jobs.get(name)) if p in jobs and p not in chain]
        if not parents:
            break
        chain.extend(parents)
        current = parents
    for name in chain:  # nearest first: a job's own keys override what it extends
        for key in _SCRIPT_KEYS:
            if key in jobs[name]:
                origins.setdefault(key, name)
    return origins


def _extends(job: Any) -> list[str]:
    value = mapping(job).get("extends")
    # with several parents the last one wins, so look at them last-first
    return [value] if isinstance(value, str) else [str(v) for v in reversed(sequence(value))]


def _script_lines(
    items: Any, where: tuple[Any, ...], lines: YamlLines, config: dict[Any, Any], depth: int = 0
) -> list[tuple[int, str]]:
    """Each script line with its 1-based line; nested lists (and !reference targets) flattened."""
    if isinstance(items, str):
        return [(lines.value(*where), items)]
    found: list[tuple[int, str]] = []
    for index, item in enumerate(sequence(items)):
        if isinstance(item, str):
            found.append((lines.value(*where, index), item))
        elif isinstance(item, list) and depth < 10:  # GitLab flattens up to 10 levels
            reference = _reference(item, config)
            if reference is not None:
                found.extend(_script_lines(reference[1], reference[0], lines, config, depth + 1))
            else:
                found.extend(_script_lines(item, (*where, index), lines, config, depth + 1))
    return found


def _reference(item: list[Any], config: dict[Any, Any]) -> tuple[tuple[Any, ...], Any] | None:
    """``!reference [.setup, script]`` arrives as a plain list of names that point into the config."""
    if len(item) < 2 or not all(isinstance(part, str) for part in item):
        return None
    node: Any = config
    for part in item:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return tuple(item), node
