"""Compose files: list every wanted platform under ``build:`` of each service whose image is published.

A service with ``build:`` and ``image:`` is what ``docker compose build && docker compose push``
publishes; without ``image:`` the build only feeds ``docker compose up`` on the developer's machine and
is left alone. ``build: .`` becomes ``build:`` with ``context: .`` and ``platforms:`` under it: the
short form cannot carry platforms, so that service's one line becomes three.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from bot.errors import InputError
from bot.model import BuildKind, LeftAlone, Platform
from bot.patch.base import Edited, PatchContext, PatchResult, Refused, Unchanged
from bot.patch.spans import Span, Unpatchable, insert_lines, line_end, newline_at, splice
from bot.patch.yaml_spans import (
    YamlText,
    check_editable,
    compose_yaml,
    entry,
    indent_step,
    insert_entry,
    insert_items,
    lookup,
    node_at,
    resolve,
    scalar,
)
from bot.scan.paths import compose as finder


@dataclass
class _Edits:
    spans: list[Span] = field(default_factory=list)
    rationale: list[str] = field(default_factory=list)
    left_alone: list[LeftAlone] = field(default_factory=list)
    widened: set[str] = field(default_factory=set)


def patch(path: str, text: str, context: PatchContext) -> PatchResult:
    built = {build.name for build in context.build_paths if build.kind is BuildKind.COMPOSE}
    if not built or not context.platforms:
        return Unchanged()
    try:
        doc = compose_yaml(text, path)
        services = resolve(node_at(doc.root, "services"))
        edits = _Edits()
        for key, service in services.value if isinstance(services, yaml.MappingNode) else []:
            name = scalar(key) or ""
            if name in built:
                _patch_service(doc, path, context, name, key.start_mark.line + 1, service, edits)
        if not edits.spans:
            return Unchanged(tuple(edits.left_alone))
        after = splice(text, edits.spans)
        _verify(path, after, context, edits.widened)
    except Unpatchable as error:
        return Refused(str(error))
    return Edited(after, tuple(edits.rationale), tuple(edits.left_alone))


def _patch_service(
    doc: YamlText, path: str, context: PatchContext, name: str, line: int, service: yaml.Node, edits: _Edits
) -> None:
    if not scalar(lookup(service, "image")):
        reason = f"compose service '{name}' has no image: to push; it is built for local use only"
        edits.left_alone.append(LeftAlone(path, line, reason))
        return
    pinned = scalar(lookup(service, "platform"))
    if pinned:
        reason = f"compose service '{name}' pins `platform: {pinned}`; left as the project chose"
        edits.left_alone.append(LeftAlone(path, line, reason))
        return
    build = entry(service, "build")
    if build is None:
        return
    key, value = build
    check_editable(doc, value, f"`build:` of compose service '{name}'")
    flow = _flow_list(doc, service, context)
    if isinstance(value, yaml.ScalarNode):
        edits.spans += _expand_short_form(doc, key, value, flow)
        edits.rationale.append(
            f"compose service '{name}' now builds {context.platform_list} "
            f"(`build: {scalar(value)}` became a mapping with `context:`, to hold `platforms:`)"
        )
    elif listed := _add_platforms(doc, path, name, value, context, flow, edits):
        edits.rationale.append(f"compose service '{name}' now builds {','.join(listed)}")
    else:
        return
    edits.widened.add(name)


def _flow_list(doc: YamlText, service: yaml.Node, context: PatchContext) -> str:
    """``[linux/amd64, linux/arm64]``, quoted the way the service quotes its image or context."""
    sample = resolve(lookup(service, "image"))
    quote = {"'": "'", '"': '"'}.get(getattr(sample, "style", None) or "", "")
    return "[" + ", ".join(f"{quote}{p}{quote}" for p in context.platforms) + "]"


def _expand_short_form(doc: YamlText, key: yaml.Node, value: yaml.ScalarNode, flow: str) -> list[Span]:
    """``build: ./app  # note`` → ``build:`` / ``context: ./app  # note`` / ``platforms: […]``."""
    text = doc.text
    colon = text.find(":", key.end_mark.index, value.start_mark.index)
    if colon == -1 or "\n" in text[colon : value.start_mark.index] or value.style in ("|", ">"):
        raise Unpatchable(f"`build:` at line {key.start_mark.line + 1} is not a one-line `build: <context>`")
    indent = " " * (key.start_mark.column + indent_step(doc))
    newline = newline_at(text, colon)
    return [
        Span(colon + 1, value.start_mark.index, f"{newline}{indent}context: "),
        insert_lines(text, line_end(text, value.end_mark.index), [f"{indent}platforms: {flow}"]),
    ]


def _add_platforms(
    doc: YamlText, path: str, name: str, build: yaml.Node, context: PatchContext, flow: str, edits: _Edits
) -> list[str]:
    """Add ``platforms:`` to a build mapping, or the missing platforms to its list; the platforms it
    then lists, or [] when it changes nothing."""
    current = entry(build, "platforms")
    if current is None:
        after = next((key for key in ("dockerfile", "context") if entry(build, key)), None)
        edits.spans.append(insert_entry(doc, build, [f"platforms: {flow}"], after))
        return [str(p) for p in context.platforms]
    listed = resolve(current[1])
    if not isinstance(listed, yaml.SequenceNode):
        raise Unpatchable(f"`platforms:` at line {current[0].start_mark.line + 1} is not a list")
    written = [scalar(item) or "" for item in listed.value]
    try:
        have = [Platform.parse(item) for item in written]
    except ValueError:
        reason = f"compose service '{name}' lists platforms through a variable; left as written"
        edits.left_alone.append(LeftAlone(path, current[0].start_mark.line + 1, reason))
        return []
    missing = [p for p in context.platforms if p not in have]
    if not missing:
        return []
    check_editable(doc, current[1], "`platforms:`")
    last = listed.value[-1] if listed.value else None
    quote = {"'": "'", '"': '"'}.get(getattr(last, "style", None) or "", "")
    if not listed.flow_style:
        edits.spans.append(insert_items(doc, listed, [[f"{quote}{p}{quote}"] for p in missing]))
        return [*written, *map(str, missing)]
    if last is None or "\n" in doc.text[listed.start_mark.index : listed.end_mark.index]:
        raise Unpatchable(
            f"`platforms:` at line {current[0].start_mark.line + 1} is an empty or wrapped list"
        )
    added = "".join(f", {quote}{p}{quote}" for p in missing)
    edits.spans.append(Span(last.end_mark.index, last.end_mark.index, added))
    return [*written, *map(str, missing)]


def _verify(path: str, after: str, context: PatchContext, widened: set[str]) -> None:
    try:
        found = finder.find(path, after)
    except InputError as error:
        raise Unpatchable(f"the patched file would not scan: {error}") from None
    compose_yaml(after, path)
    for build in found:
        have = {Platform.parse(p) for p in build.platforms if "$" not in p}
        if build.name in widened and not set(context.platforms) <= have:
            raise Unpatchable(f"the patched service '{build.name}' would still not build every platform")
