"""GitHub Actions ``run:`` steps: their publishing ``docker build`` lines made multi-arch, through the one
command engine, the way the GitLab and Azure patchers edit script items (``bot.patch.ci_scripts``).

The steps of one job run one after another on one runner, sharing its docker: the engine reads their
``run:`` scripts as one. A build whose tags a later step pushes gains ``--platform`` and ``--push``; the
push lines go, and a step left with nothing to run goes when it holds nothing but ``run`` and ``name``
(a step with ``if:``, ``env:`` or other settings is refused rather than dropped). Which job steps need
QEMU and a buildx builder is decided by the workflow patcher, which adds the same set-up actions for
build-push-action steps.
"""

from __future__ import annotations

import yaml

from bot.patch.base import PatchContext
from bot.patch.ci_scripts import Edits, ScriptItem, login_step, patch_items, step_item
from bot.patch.yaml_spans import YamlText, lookup, scalar

_REMOVABLE = frozenset({"run", "name"})  # a step made of these may go whole once its script is empty


def run_items(doc: YamlText, steps: yaml.SequenceNode) -> list[ScriptItem]:
    """The job's ``run:`` steps, in order, each with the step as the list item to drop when it empties."""
    items: list[ScriptItem] = []
    for index, step in enumerate(steps.value):
        if not isinstance(step, yaml.MappingNode):
            continue
        uses = (scalar(lookup(step, "uses")) or "").lower()
        if uses.startswith("docker/login-action@"):
            items.append(login_step(steps, index, step))
        if uses:
            continue
        value = lookup(step, "run")
        item = step_item(doc, steps, index, step, value, _REMOVABLE) if value is not None else None
        if item is None:
            continue
        items.append(item)
    return items


def patch_runs(
    doc: YamlText,
    path: str,
    context: PatchContext,
    items: list[ScriptItem],
    lines: set[int],
    edits: Edits,
) -> int | None:
    """Rewrite one job's run steps; return the index (in ``steps``) of the first step now building every
    platform, where the job's set-up steps must go, or None when no step changed that way."""
    first: list[int] = []

    def note_first_build(
        _: YamlText, __: PatchContext, found: list[ScriptItem], built: int, ___: Edits
    ) -> None:
        first.append(found[built].index)

    patch_items(doc, path, context, items, lines, edits, note_first_build)
    return first[0] if first else None


def has_builder(items: list[ScriptItem], before: int) -> bool:
    """Whether a run step before step ``before`` creates its own buildx builder."""
    return any("buildx create" in item.script for item in items if item.index < before)


def held_lines(items: list[ScriptItem]) -> set[int]:
    """The file lines the job's run steps hold: a build line outside them all is out of reach."""
    return {line for item in items for line in range(item.node.start_mark.line + 1, item.last + 1)}
