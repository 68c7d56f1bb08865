"""CircleCI: the publishing ``docker build`` lines of ``run:`` steps made multi-arch, through the one
command engine (``bot.patch.commands``), the way the GitLab CI and Azure Pipelines patchers edit script
items (``bot.patch.ci_scripts``).

The ``run:`` steps of a job (or of a reusable command) run one after another against one docker daemon:
the engine reads their commands (``- run: docker build …`` or ``command:`` under ``- run:``) as one
script. A build whose tags a later step pushes gains ``--platform`` and ``--push``; the push lines go, and
a step left with nothing to run goes when it holds nothing but its ``name:`` and ``command:``.
``<< parameters.x >>`` and ``<< pipeline.… >>`` are config text, not shell: they are masked while the
engine splits words (else ``<<`` would read as a heredoc) and written back as they were.

The first step that now builds several platforms gets, right before it, one step with QEMU
(``tonistiigi/binfmt``) and a buildx builder, unless the job already creates one. On a ``machine:``
executor that is ``docker buildx create --use``; anywhere else the daemon is ``setup_remote_docker``'s,
reached through ``DOCKER_HOST`` and TLS variables that ``buildx create`` refuses to read, so the builder
is made from a context: ``docker context create multiarch`` then ``docker buildx create --use
multiarch`` (what CircleCI projects building multi-arch images on remote docker do). The
``circleci/docker`` orb's ``docker/build`` and ``docker/publish`` have no platform parameter and are
left alone with a suggestion.
"""

from __future__ import annotations

import re
from functools import partial

import yaml

from bot.model import BuildKind, LeftAlone
from bot.patch.base import PatchContext, PatchResult, Refused, Unchanged
from bot.patch.ci_scripts import Edits, ScriptItem, finish, patch_items, step_item
from bot.patch.spans import Unpatchable
from bot.patch.yaml_spans import (
    AliasNode,
    YamlText,
    compose_yaml,
    indent_step,
    insert_items,
    lookup,
    resolve,
    scalar,
)
from bot.scan.paths import circleci as finder

ORB = (
    "the circleci/docker orb's build and publish have no platform parameter; a run step running `docker "
    "buildx build --platform linux/amd64,linux/arm64 --push` would build every platform (the orb step is "
    "not rewritten here)"
)
_ORB_CALL = re.compile(r"^[\w.-]+/(?:build|publish)$")  # what the scan records as an orb build's command
_PARAMETER = re.compile(r"<<\s*(?:pipeline|parameters|matrix)\.[\w.-]+\s*>>")
_MASKS = str.maketrans("<> \t", "\x1c\x1d\x1f\x1e")  # to characters YAML text never holds
_UNMASKS = str.maketrans("\x1c\x1d\x1f\x1e", "<> \t")
# a run step made of these may go whole: `run` alone (`- run: docker push …`), or name + command
_REMOVABLE = frozenset({"run", "name", "command"})
_CONTEXT = "multiarch"


def patch(path: str, text: str, context: PatchContext) -> PatchResult:
    found = [bp for bp in context.build_paths if bp.kind is BuildKind.CIRCLECI and bp.via is None]
    if not found or len(context.platforms) < 2:
        return Unchanged()
    orb = {bp.line for bp in found if _ORB_CALL.match(bp.command)}
    lines = {bp.line for bp in found} - orb
    edits = Edits()
    edits.left_alone += [LeftAlone(path, line, ORB) for line in sorted(orb)]
    try:
        doc = compose_yaml(text, path)
        covered: set[int] = set()
        for owner, steps in _step_lists(doc):
            items = _items(doc, steps)
            covered.update(
                line for item in items for line in range(item.node.start_mark.line + 1, item.last + 1)
            )
            if items:
                setup = partial(_add_setup, *_runner(doc, owner))
                patch_items(doc, path, context, items, lines, edits, setup, _unmask)
        return finish(path, text, lines, covered, edits, finder.find, context)
    except Unpatchable as error:
        return Refused(str(error))


def _mask(script: str) -> str:
    return _PARAMETER.sub(lambda m: m.group().translate(_MASKS), script)


def _unmask(text: str) -> str:
    return text.translate(_UNMASKS)


def _step_lists(doc: YamlText) -> list[tuple[yaml.MappingNode, yaml.SequenceNode]]:
    """Each job's and reusable command's written ``steps:`` list, with the job or command it belongs to."""
    found = []
    for section in ("jobs", "commands"):
        bodies = resolve(lookup(doc.root, section))
        for _, body in bodies.value if isinstance(bodies, yaml.MappingNode) else []:
            owner, written = resolve(body), lookup(body, "steps")
            steps = resolve(written)
            if not isinstance(owner, yaml.MappingNode) or not isinstance(steps, yaml.SequenceNode):
                continue
            if not isinstance(written, AliasNode) and not steps.flow_style:
                found.append((owner, steps))
    return found


def _is_mapping(node: yaml.Node | None) -> bool:
    return isinstance(resolve(node), yaml.MappingNode)


def _items(doc: YamlText, steps: yaml.SequenceNode) -> list[ScriptItem]:
    items: list[ScriptItem] = []
    for index, step in enumerate(steps.value):
        run = lookup(step, "run")
        written = resolve(step)
        if run is None or not isinstance(written, yaml.MappingNode) or len(written.value) != 1:
            continue
        body = resolve(run)
        value = lookup(body, "command") if isinstance(body, yaml.MappingNode) else run
        settings = body if isinstance(body, yaml.MappingNode) else None
        item = (
            step_item(doc, steps, index, written, value, _REMOVABLE, settings) if value is not None else None
        )
        if item is None:
            continue
        item.script = _mask(item.script)
        item.element = step  # the list item as written (an alias included), which goes when it empties
        items.append(item)
    return items


def _runner(doc: YamlText, owner: yaml.MappingNode) -> tuple[bool, str | None]:
    """Whether the job runs on a ``machine:`` executor, and its ``resource_class``: written in the job, or
    in the ``executors:`` entry it names (an orb's executor, or a reusable command's, is not known)."""
    written = lookup(owner, "executor")
    name = scalar(lookup(written, "name")) if _is_mapping(written) else scalar(written)
    places = [owner, *([lookup(lookup(doc.root, "executors"), name)] if name else [])]
    machine = any(lookup(place, "machine") is not None for place in places)
    resource_class = next((r for place in places if (r := scalar(lookup(place, "resource_class")))), None)
    return machine, resource_class


def _add_setup(
    machine: bool,
    resource_class: str | None,
    doc: YamlText,
    context: PatchContext,
    items: list[ScriptItem],
    built: int,
    edits: Edits,
) -> None:
    """One step with QEMU and a buildx builder right before the build step, unless the job has a builder."""
    if any("buildx create" in item.script for item in items):
        return
    item = items[built]
    native = ("arm64",) if (resource_class or "").startswith("arm.") else ("amd64", "386")
    emulated = sorted({p.architecture for p in context.platforms if p.architecture not in native})
    commands = []
    if emulated:
        commands.append(f"docker run --privileged --rm tonistiigi/binfmt --install {','.join(emulated)}")
        edits.rationale.append(
            f"added a tonistiigi/binfmt command before line {item.first}: {', '.join(emulated)} "
            f"{'is' if len(emulated) == 1 else 'are'} emulated on the job's {native[0]} executor"
        )
    if machine:
        commands.append("docker buildx create --use")
        edits.rationale.append(
            f"added `docker buildx create --use` before line {item.first}: the machine's default builder "
            "cannot build a multi-platform image"
        )
    else:
        commands += [f"docker context create {_CONTEXT}", f"docker buildx create --use {_CONTEXT}"]
        edits.rationale.append(
            f"added `docker buildx create --use {_CONTEXT}` on a new docker context before line "
            f"{item.first}: the remote docker's default builder cannot build a multi-platform image, and "
            "buildx makes a builder from its TLS settings only through a context"
        )
    edits.spans.append(
        insert_items(doc, item.sequence, [_setup_step(doc, item, commands)], before=item.index)
    )


def _setup_step(doc: YamlText, item: ScriptItem, commands: list[str]) -> list[str]:
    """The set-up step's lines, relative to the step's column: named like the build step when it is."""
    step = resolve(item.element)
    run_key, body = next(iter(step.value)) if isinstance(step, yaml.MappingNode) else (None, None)
    if isinstance(body, yaml.MappingNode) and lookup(body, "name") is not None and run_key is not None:
        inner = body.value[0][0].start_mark.column - run_key.start_mark.column
        command = item.node
        block = inner + indent_step(doc)
        if isinstance(command, yaml.ScalarNode) and command.style == "|" and item.base >= 0:
            block = _column(doc.text, item.base) - run_key.start_mark.column
        return [
            "run:",
            " " * inner + "name: Set up QEMU and Docker Buildx",
            " " * inner + "command: |",
            *(" " * block + line for line in commands),
        ]
    return ["run: |", *(" " * indent_step(doc) + line for line in commands)]


def _column(text: str, offset: int) -> int:
    """The indentation of the block body starting at ``offset`` (its first line's leading spaces)."""
    line = text[offset : text.find("\n", offset) if "\n" in text[offset:] else len(text)]
    return len(line) - len(line.lstrip(" "))
