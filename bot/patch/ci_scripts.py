"""Script items of CI files (GitLab CI jobs, Azure Pipelines steps): located, read as one shell script,
rewritten by the command engine, and the file finished the same way for every CI kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import yaml

from bot.model import BuildPath, LeftAlone
from bot.patch.base import Edited, PatchContext, PatchResult, Unchanged
from bot.patch.commands import OUT_OF_REACH, rewrite
from bot.patch.shell import verify
from bot.patch.spans import Span, Unpatchable, line_end, line_start, splice
from bot.patch.yaml_spans import (
    AliasNode,
    YamlText,
    check_editable,
    compose_yaml,
    content_end,
    resolve,
    scalar,
)


@dataclass
class ScriptItem:
    """One script item: where its shell text sits in the file, and whether it may be edited there."""

    sequence: yaml.SequenceNode
    index: int
    node: yaml.Node
    script: str  # the shell text the engine reads (masked in place, same length, when the kind masks)
    base: int  # the file offset of script[0]; -1 when the item cannot be edited in place
    first: int  # 1-based file line of the script's first line
    last: int  # 1-based file line of the item's last line
    style: str = ""  # "", "'", '"', "|"
    element: yaml.Node | None = None  # the list item that goes when the script empties (default: node)
    kept: str = ""  # when set, why the item may not go even if its script empties


def step_item(
    doc: YamlText,
    steps: yaml.SequenceNode,
    index: int,
    step: yaml.MappingNode,
    script: yaml.Node,
    removable: frozenset[str],
    settings: yaml.MappingNode | None = None,
) -> ScriptItem | None:
    """The script of a step that is a mapping (``- run: …``, ``- script: …``): the whole step goes when its
    script empties, unless its ``settings`` (the step itself unless given) hold more than ``removable``
    keys (a condition, an env): then it is kept."""
    item = script_item(doc, steps, index, script)
    if item is None:
        return None
    item.element = step
    keys = {scalar(k) for k, _ in (settings if settings is not None else step).value}
    extra = sorted(str(k) for k in keys - removable)
    if extra:
        item.kept = (
            f"the step at line {step.start_mark.line + 1} would have nothing left to run, but it has "
            f"{', '.join(extra)}; dropping it would drop those too"
        )
    return item


def login_step(sequence: yaml.SequenceNode, index: int, step: yaml.Node) -> ScriptItem:
    """A step that logs in to a registry without a script (an action, a task), shown to the engine as
    ``docker login`` so that no push is moved before it; it is never edited."""
    first, last = step.start_mark.line + 1, step.end_mark.line
    return ScriptItem(sequence, index, step, "docker login", -1, first, max(first, last))


@dataclass
class Edits:
    spans: list[Span] = field(default_factory=list)
    rationale: list[str] = field(default_factory=list)
    left_alone: list[LeftAlone] = field(default_factory=list)


def script_item(doc: YamlText, sequence: yaml.SequenceNode, index: int, node: yaml.Node) -> ScriptItem | None:
    target = resolve(node)
    if not isinstance(target, yaml.ScalarNode) or not isinstance(target.value, str):
        return None  # a nested list or !reference: out of reach
    text, start, end = doc.text, target.start_mark.index, target.end_mark.index
    first, last = node.start_mark.line + 1, node.end_mark.line + 1
    editable = (
        not isinstance(node, AliasNode)
        and id(node) not in doc.shared
        and text[start : start + 1] not in "&!*"
    )
    style = target.style or ""
    if editable and style == "" and "\n" not in text[start:end] and text[start:end] == target.value:
        return ScriptItem(sequence, index, node, target.value, start, first, last)
    quoted = style in ("'", '"') and "\n" not in text[start:end]
    if editable and quoted and text[start + 1 : end - 1] == target.value:
        return ScriptItem(sequence, index, node, target.value, start + 1, first, last, style)
    if editable and style == "|":
        header = text[start : line_end(text, start)].split("#", 1)[0].strip()
        body_start = line_end(text, start)
        body_end = content_end(doc, target) if "+" not in header else body_start
        if not any(c.isdigit() for c in header) and body_end > body_start:
            body = text[body_start:body_end]
            return ScriptItem(sequence, index, node, body, body_start, first + 1, last, style)
    return ScriptItem(sequence, index, node, target.value, -1, first, last, style)


def patch_items(
    doc: YamlText,
    path: str,
    context: PatchContext,
    items: list[ScriptItem],
    lines: set[int],
    edits: Edits,
    setup: Callable[[YamlText, PatchContext, list[ScriptItem], int, Edits], None],
    unmask: Callable[[str], str] = lambda text: text,
) -> None:
    """The job's items run one after another in one shell: the engine reads them as one script.

    ``unmask`` turns text the engine wrote from masked scripts (CircleCI's ``<< parameters.x >>``) back
    into the file's own text.
    """
    platforms = [str(p) for p in context.platforms]
    offsets: list[int] = []  # where each item starts in the joined script
    line_of: list[tuple[int, int]] = []  # per joined line: (item, file line)
    for k, item in enumerate(items):
        offsets.append(sum(len(i.script) + 1 for i in items[:k]))
        line_of += [(k, item.first + n) for n in range(item.script.count("\n") + 1)]
    joined = "\n".join(item.script for item in items)

    def wanted(_: int, line: int) -> bool:
        item = items[line_of[line][0]]
        return any(item.node.start_mark.line + 1 <= found <= item.last for found in lines)

    result = rewrite([joined], platforms, context.platform_list, wanted)
    for _, line, reason in result.left_alone:
        edits.left_alone.append(LeftAlone(path, line_of[line][1], unmask(reason)))
    if not result.spans:
        return
    by_item: dict[int, list[Span]] = {}
    for _, written in result.spans:
        span = Span(written.start, written.end, unmask(written.replacement))
        touched = [i for i, o in enumerate(offsets) if o < span.end and span.start < o + len(items[i].script)]
        if touched and not span.replacement:  # the engine removes whole lines, which may span items
            for i in touched:
                by_item.setdefault(i, []).append(_removal_in_item(items[i].script, offsets[i], span))
            continue
        k = max(i for i, offset in enumerate(offsets) if offset <= span.start)
        stop = offsets[k] + len(items[k].script)
        if span.end > stop:
            raise Unpatchable(f"an edit at line {items[k].first} would reach past its script item")
        by_item.setdefault(k, []).append(
            Span(span.start - offsets[k], span.end - offsets[k], span.replacement)
        )
    built: list[int] = []
    for k, spans in sorted(by_item.items()):
        item = items[k]
        if item.base < 0:
            raise Unpatchable(
                f"the script item at line {item.first} is written in a YAML style (folded, escaped, anchored"
                " or aliased) whose text does not map 1:1 to the file; it is not edited in place"
            )
        check_editable(doc, item.node, "the script item to change")
        new = unmask(splice(item.script, spans))
        if any("--platform" in span.replacement for span in spans):
            built.append(k)
        if not new.strip():
            edits.spans.append(_remove_item(doc, item))
            continue
        if item.style == "" and (new != new.strip() or "\n" in new or not _plain_is_safe(new)):
            raise Unpatchable(f"the rewritten script item at line {item.first} would not stay a plain scalar")
        if item.style in ("'", '"') and ("\n" in new or item.style in new or "\\" in new):
            raise Unpatchable(f"the rewritten script item at line {item.first} would need escapes")
        edits.spans += [Span(item.base + sp.start, item.base + sp.end, sp.replacement) for sp in spans]
    edits.rationale += [unmask(line) for line in result.rationale]
    if built:
        setup(doc, context, items, min(built), edits)  # the CI kind's own builder/QEMU set-up


def _removal_in_item(script: str, offset: int, span: Span) -> Span:
    """The part of a removal in the joined script that falls in one item, against the item's text. When it
    takes the item's last lines with the break that joins the next item, the break before them goes
    instead, so the item still ends where its text ends (a whole item removed is ``0..len``)."""
    start = max(span.start - offset, 0)
    end = min(span.end - offset, len(script))
    if start > 0 and end == len(script) < span.end - offset and script[start - 1] == "\n":
        start -= 2 if script.startswith("\r\n", start - 2) else 1
    return Span(start, end, "")


def _plain_is_safe(value: str) -> bool:
    try:
        node = yaml.compose(f"- {value}\n", Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return False
    return (
        isinstance(node, yaml.SequenceNode)
        and len(node.value) == 1
        and isinstance(node.value[0], yaml.ScalarNode)
        and node.value[0].value == value
        and node.value[0].tag == "tag:yaml.org,2002:str"
    )


def _remove_item(doc: YamlText, item: ScriptItem) -> Span:
    """Remove a whole list item (its dash line through its last line); nothing else may share them."""
    text = doc.text
    if item.kept:
        raise Unpatchable(item.kept)
    element = item.element or item.node
    begin = line_start(text, element.start_mark.index)
    dash = text[begin : element.start_mark.index].rstrip()
    if dash.strip() != "-":
        raise Unpatchable(f"the list item at line {item.first} shares its line with something else")
    if len(item.sequence.value) == 1:
        raise Unpatchable(f"removing the item at line {item.first} would leave its list empty")
    end_at = content_end(doc, element)
    rest = text[end_at : line_end(text, end_at)]
    if rest.strip() and not rest.strip().startswith("#"):
        raise Unpatchable(f"the list item at line {item.first} shares its line with something else")
    end = line_end(text, end_at)
    if end == len(text) and not text.endswith("\n") and begin > 0:
        begin -= 2 if text.startswith("\r\n", begin - 2) else 1
    return Span(begin, end, "")


def finish(
    path: str,
    text: str,
    doc_lines: set[int],
    covered: set[int],
    edits: Edits,
    find: Callable[[str, str], list[BuildPath]],
    context: PatchContext,
) -> PatchResult:
    """Report the builds no item reached, then splice, re-parse and re-scan the result."""
    for line in sorted(doc_lines - covered):
        edits.left_alone.append(LeftAlone(path, line, OUT_OF_REACH))
    edits.left_alone.sort(key=lambda item: item.line)
    if not edits.spans:
        return Unchanged(tuple(edits.left_alone))
    after = splice(text, edits.spans)
    compose_yaml(after, path)
    verify(path, text, after, find, [str(p) for p in context.platforms], context.platform_list)
    return Edited(after, tuple(edits.rationale), tuple(edits.left_alone))
