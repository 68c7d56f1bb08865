"""Azure Pipelines: the publishing ``docker build`` lines of ``script:``/``bash:`` steps made multi-arch,
through the one command engine (``bot.patch.commands``), the way the GitLab CI patcher edits script
items (``bot.patch.gitlab_ci``).

The steps of one ``steps:`` list run one after another on one agent, sharing its docker: the engine
reads their scripts as one. A build whose tags a later step pushes gains ``--platform`` and ``--push``;
the push lines go, and a step left with nothing to run goes when it holds nothing but its script and
its name (a step with a ``condition:`` or other settings is refused rather than dropped). The first
step that now builds several platforms gets QEMU and a ``docker buildx create --use`` step before it.
``Docker@2`` tasks have no platform input and are left alone with a suggestion.
"""

from __future__ import annotations

import yaml

from bot.model import BuildKind, LeftAlone
from bot.patch.base import PatchContext, PatchResult, Refused, Unchanged
from bot.patch.ci_scripts import Edits, ScriptItem, finish, login_step, patch_items, step_item
from bot.patch.spans import Unpatchable
from bot.patch.yaml_spans import (
    AliasNode,
    YamlText,
    children,
    compose_yaml,
    insert_items,
    lookup,
    node_at,
    scalar,
)
from bot.scan.paths import azure_pipelines as finder

DOCKER_TASK = (
    "the Docker task has no platform input; a script step running `docker buildx build --platform "
    "linux/amd64,linux/arm64 --push` would build every platform (the task is not rewritten here)"
)
_SCRIPT_KEYS = ("script", "bash")
_REMOVABLE = frozenset({"script", "bash", "displayName", "name"})  # a step made of these may go whole


def patch(path: str, text: str, context: PatchContext) -> PatchResult:
    found = [bp for bp in context.build_paths if bp.kind is BuildKind.AZURE_PIPELINES and bp.via is None]
    if not found or len(context.platforms) < 2:
        return Unchanged()
    tasks = {bp.line for bp in found if bp.command.startswith("task:")}
    lines = {bp.line for bp in found} - tasks
    edits = Edits()
    edits.left_alone += [LeftAlone(path, line, DOCKER_TASK) for line in sorted(tasks)]
    try:
        doc = compose_yaml(text, path)
        covered: set[int] = set()
        for steps in _step_lists(doc):
            items = _items(doc, steps)
            covered.update(
                line for item in items for line in range(item.node.start_mark.line + 1, item.last + 1)
            )
            if items:
                patch_items(doc, path, context, items, lines, edits, _add_setup)
        return finish(path, text, lines, covered, edits, finder.find, context)
    except Unpatchable as error:
        return Refused(str(error))


def _step_lists(doc: YamlText) -> list[yaml.SequenceNode]:
    """Every written ``steps:`` list, wherever it sits (top level, jobs, stages, deployment strategies)."""
    found: list[yaml.SequenceNode] = []
    stack = [doc.root] if doc.root is not None else []
    seen: set[int] = set()
    while stack and len(seen) < 10_000:
        node = stack.pop()
        if node is None or id(node) in seen or isinstance(node, AliasNode):
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if scalar(key) == "steps" and isinstance(value, yaml.SequenceNode) and not value.flow_style:
                    found.append(value)
        stack.extend(children(node))
    return sorted(found, key=lambda node: node.start_mark.index)


def _items(doc: YamlText, steps: yaml.SequenceNode) -> list[ScriptItem]:
    items: list[ScriptItem] = []
    for index, step in enumerate(steps.value):
        if not isinstance(step, yaml.MappingNode):
            continue
        if _is_login_task(step):
            items.append(login_step(steps, index, step))
            continue
        key = next((k for k in _SCRIPT_KEYS if lookup(step, k) is not None), None)
        value = lookup(step, key) if key else None
        if value is None:
            continue
        item = step_item(doc, steps, index, step, value, _REMOVABLE)
        if item is None:
            continue
        items.append(item)
    return items


def _is_login_task(step: yaml.MappingNode) -> bool:
    """A ``Docker@2`` (or ``Docker@1``) task whose command is ``login``."""
    task = (scalar(lookup(step, "task")) or "").lower()
    command = scalar(node_at(step, "inputs", "command")) or ""
    return task.startswith("docker@") and command.lower() == "login"


def _add_setup(
    doc: YamlText, context: PatchContext, items: list[ScriptItem], built: int, edits: Edits
) -> None:
    """Give the steps QEMU and a buildx builder right before the build step, unless they have a builder."""
    if any("buildx create" in item.script for item in items):
        return
    item = items[built]
    step = item.sequence.value[item.index]
    named = isinstance(step, yaml.MappingNode) and lookup(step, "displayName") is not None
    key = next((k for k in _SCRIPT_KEYS if isinstance(step, yaml.MappingNode) and lookup(step, k)), "script")
    emulated = sorted({p.architecture for p in context.platforms if p.architecture not in ("amd64", "386")})
    new = []
    if emulated:
        run = f"{key}: docker run --privileged --rm tonistiigi/binfmt --install {','.join(emulated)}"
        new.append([run, "displayName: Set up QEMU"] if named else [run])
        edits.rationale.append(
            f"added a tonistiigi/binfmt step before line {item.first}: {', '.join(emulated)} "
            f"{'is' if len(emulated) == 1 else 'are'} emulated on the amd64 agents"
        )
    create = f"{key}: docker buildx create --use"
    new.append([create, "displayName: Set up Docker Buildx"] if named else [create])
    edits.rationale.append(
        f"added a `docker buildx create --use` step before line {item.first}: the agent's default builder "
        "cannot build a multi-platform image"
    )
    edits.spans.append(insert_items(doc, item.sequence, new, before=item.index))
