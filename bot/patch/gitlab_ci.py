"""GitLab CI: the publishing ``docker build`` lines of each job's ``before_script`` and ``script`` made
multi-arch, through the one command engine (``bot.patch.commands``).

A job's script items are one scope: a build whose tags a later item pushes gains ``--platform`` and
``--push``, and the push items go. Only items whose text maps 1:1 to the file are edited: plain
one-line scalars, quoted scalars without escapes, and ``|`` block scalars (whose indented body is
itself valid shell); folded scalars, anchors and aliases are refused rather than guessed. A job whose
build becomes multi-platform gains, right before the build item, the QEMU and ``docker buildx create
--use`` items a docker:dind job needs. Kaniko builds one platform per job and is left alone.
"""

from __future__ import annotations

import yaml

from bot.model import BuildKind, BuildPath, LeftAlone
from bot.patch.base import PatchContext, PatchResult, Refused, Unchanged
from bot.patch.ci_scripts import Edits, ScriptItem, finish, patch_items, script_item
from bot.patch.spans import Unpatchable
from bot.patch.yaml_spans import (
    AliasNode,
    YamlText,
    compose_yaml,
    insert_items,
    lookup,
    resolve,
    scalar,
)
from bot.scan.paths import gitlab_ci as finder

KANIKO = "kaniko builds one platform per job; a per-arch job matrix + manifest is needed"
_SCRIPT_KEYS = ("before_script", "script")
_BUILDX_CREATE = "docker buildx create --use"


def patch(path: str, text: str, context: PatchContext) -> PatchResult:
    found = [bp for bp in context.build_paths if bp.kind is BuildKind.GITLAB_CI and bp.via is None]
    if not found or len(context.platforms) < 2:
        return Unchanged()
    kaniko = {bp.line for bp in found if _is_kaniko(bp)}
    lines = {bp.line for bp in found} - kaniko
    edits = Edits()
    edits.left_alone += [LeftAlone(path, line, KANIKO) for line in sorted(kaniko)]
    try:
        doc = compose_yaml(text, path)
        covered: set[int] = set()
        for job in _jobs(doc):
            items = _items(doc, job)
            covered.update(line for item in items for line in range(item.first - 1, item.last + 1))
            if items:
                patch_items(doc, path, context, items, lines, edits, _add_setup)
        return finish(path, text, lines, covered, edits, finder.find, context)
    except Unpatchable as error:
        return Refused(str(error))


def _is_kaniko(bp: BuildPath) -> bool:
    return "kaniko" in bp.command.lower()


def _jobs(doc: YamlText) -> list[yaml.MappingNode]:
    """Every top-level mapping with script keys (hidden templates included: they run through extends)."""
    root = resolve(doc.root)
    if not isinstance(root, yaml.MappingNode):
        return []
    jobs = []
    for key, value in root.value:
        job = resolve(value)
        if scalar(key) in ("variables", "include", "workflow", "spec") or not isinstance(
            job, yaml.MappingNode
        ):
            continue
        if any(lookup(job, name) is not None for name in _SCRIPT_KEYS):
            jobs.append(job)
    return jobs


def _items(doc: YamlText, job: yaml.MappingNode) -> list[ScriptItem]:
    items: list[ScriptItem] = []
    for name in _SCRIPT_KEYS:
        written = lookup(job, name)
        sequence = resolve(written)
        if not isinstance(sequence, yaml.SequenceNode) or isinstance(written, AliasNode):
            continue
        for index, node in enumerate(sequence.value):
            item = script_item(doc, sequence, index, node)
            if item is not None:
                items.append(item)
    return items


def _add_setup(
    doc: YamlText, context: PatchContext, items: list[ScriptItem], built: int, edits: Edits
) -> None:
    """Give the job QEMU and a buildx builder right before the build item, unless it has a builder."""
    if any("buildx create" in item.script or "setup-buildx" in item.script for item in items):
        return
    item = items[built]
    emulated = sorted({p.architecture for p in context.platforms if p.architecture not in ("amd64", "386")})
    new = []
    if emulated:
        new.append([f"docker run --privileged --rm tonistiigi/binfmt --install {','.join(emulated)}"])
        edits.rationale.append(
            f"added a tonistiigi/binfmt item before line {item.first}: {', '.join(emulated)} "
            f"{'is' if len(emulated) == 1 else 'are'} emulated on GitLab's amd64 runners"
        )
    new.append([_BUILDX_CREATE])
    edits.rationale.append(
        f"added `{_BUILDX_CREATE}` before line {item.first}: a docker:dind job's default builder cannot "
        "build a multi-platform image"
    )
    edits.spans.append(insert_items(doc, item.sequence, new, before=item.index))
