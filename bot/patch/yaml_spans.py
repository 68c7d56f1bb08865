"""YAML edits as spans: find nodes through the composer's marks, then splice text beside them.

The document is composed (never constructed, never dumped) with PyYAML's pure-Python loader, whose
``Mark.index`` counts characters of the very string it was given, CR of CRLF included. Aliases are kept
as ``AliasNode`` where they are written, so every node's marks point at its own text, and a node that
some alias stands for is known to be shared: editing it would change every place that uses it, so the
helpers refuse (``Unpatchable``) rather than guess. Flow collections (``{context: .}``) are refused too:
adding to one means rewriting its line in a style we would have to invent.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from bot.errors import InputError
from bot.patch.spans import Span, Unpatchable, insert_lines, line_end, line_start, newline_at
from bot.scan.yamlsafe import load_yaml

_MERGE = "tag:yaml.org,2002:merge"
_STRING = "tag:yaml.org,2002:str"


class AliasNode(yaml.Node):
    """A ``*name`` where it is written; ``target`` is the anchored node it stands for."""

    id = "alias"

    def __init__(self, target: yaml.Node, anchor: str, start_mark: yaml.Mark, end_mark: yaml.Mark) -> None:
        super().__init__(target.tag, target.value, start_mark, end_mark)
        self.target, self.anchor = target, anchor


class _Composer(yaml.SafeLoader):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.aliased: list[yaml.Node] = []

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.get_event()  # type: ignore[no-untyped-call]
            target = self.anchors.get(event.anchor)
            if target is None:
                raise yaml.composer.ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                )
            self.aliased.append(target)
            return AliasNode(target, str(event.anchor), event.start_mark, event.end_mark)
        return super().compose_node(parent, index)


@dataclass(frozen=True)
class YamlText:
    text: str
    root: yaml.Node | None
    shared: frozenset[int]  # ids of the nodes some alias stands for, and of every node inside them


def compose_yaml(text: str, path: str) -> YamlText:
    """The document's node tree; Unpatchable when the scan itself would not read the file."""
    try:
        load_yaml(text, path)  # the scan's limits (alias bombs, depth) and its error messages
    except InputError as error:
        raise Unpatchable(str(error)) from None
    loader = _Composer(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as error:
        raise Unpatchable(f"{path}: YAML the patcher cannot read: {error}") from None
    finally:
        loader.dispose()
    shared: set[int] = set()
    stack = list(loader.aliased)
    while stack:
        node = stack.pop()
        if id(node) in shared:
            continue
        shared.add(id(node))
        stack.extend(children(node))
    return YamlText(text, root, frozenset(shared))


def children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def resolve(node: yaml.Node | None) -> yaml.Node | None:
    """The node an alias stands for (for reading; editing through an alias is refused)."""
    while isinstance(node, AliasNode):
        node = node.target
    return node


def scalar(node: yaml.Node | None) -> str | None:
    """A scalar's text as loaded (``true`` stays the text ``true``); None for collections and nothing."""
    node = resolve(node)
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def lookup(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value of ``key`` as a loader sees it: direct keys first, then ``<<`` merges in order."""
    node = resolve(node)
    if not isinstance(node, yaml.MappingNode):
        return None
    merges: list[yaml.Node] = []
    for key_node, value in node.value:
        key_node = resolve(key_node)
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _MERGE:
            merges.append(value)
        elif isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value  # type: ignore[no-any-return]
    for written in merges:
        merge = resolve(written)
        sources = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
        for source in sources:
            found = lookup(source, key)
            if found is not None:
                return found
    return None


def node_at(node: yaml.Node | None, *path: str | int) -> yaml.Node | None:
    """Follow mapping keys and sequence indices from ``node``, as a loader would (aliases, merges)."""
    for step in path:
        node = resolve(node)
        if isinstance(step, int):
            items = node.value if isinstance(node, yaml.SequenceNode) else []
            node = items[step] if 0 <= step < len(items) else None
        else:
            node = lookup(node, step)
        if node is None:
            return None
    return node


def entry(mapping: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """The ``key: value`` pair written in ``mapping`` itself, to edit; None when the key is absent.

    Unpatchable when the key is there only through a ``<<`` merge: the text to edit is elsewhere and
    shared, and adding the key here would silently override the merged value.
    """
    if isinstance(mapping, AliasNode) and lookup(mapping, key) is not None:
        check_editable(YamlText("", None, frozenset()), mapping, f"the mapping holding `{key}`")
    if isinstance(mapping, yaml.MappingNode):
        for key_node, value in mapping.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE and key_node.value == key:
                return key_node, value
    if lookup(mapping, key) is not None:
        raise Unpatchable(f"`{key}` comes from a YAML merge key (<<) at line {mapping.start_mark.line + 1}")
    return None


def check_editable(doc: YamlText, node: yaml.Node, what: str) -> None:
    """Unpatchable when changing ``node``'s text would change what some alias elsewhere means."""
    where = f"line {node.start_mark.line + 1}"
    if isinstance(node, AliasNode):
        raise Unpatchable(f"{what} ({where}) is the YAML alias *{node.anchor}; it is defined elsewhere")
    if id(node) in doc.shared:
        raise Unpatchable(f"{what} ({where}) is inside a YAML anchor that an alias reuses elsewhere")


def content_end(doc: YamlText, node: yaml.Node) -> int:
    """The offset just past the node's last character of content (a block scalar's trailing blanks and
    the comments after a block collection are not content)."""
    while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    start, end = node.start_mark.index, node.end_mark.index
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        if "+" in _block_header(doc.text, start):  # keep-chomping: its trailing blank lines are content
            raise Unpatchable(f"line {node.start_mark.line + 1} holds a block scalar that keeps blank lines")
        return start + len(doc.text[start:end].rstrip())
    return end


def _block_header(text: str, start: int) -> str:
    return text[start : line_end(text, start)].split("#", 1)[0].strip()


def insert_entry(doc: YamlText, mapping: yaml.Node, lines: Sequence[str], after: str | None = None) -> Span:
    """Insert ``key: value`` lines (written relative to the mapping's indentation) into a block mapping,
    after the entry for ``after`` or, when it is absent, after the mapping's last entry."""
    check_editable(doc, mapping, "the mapping to add to")
    if not isinstance(mapping, yaml.MappingNode):
        raise Unpatchable(f"line {mapping.start_mark.line + 1} holds no mapping to add a key to")
    if mapping.flow_style or not mapping.value:
        raise Unpatchable(
            f"line {mapping.start_mark.line + 1} holds a flow-style mapping ({{…}}); adding to it would mean"
            " rewriting the line in a style the file does not use"
        )
    pairs = mapping.value
    index = next((i for i, (k, _) in enumerate(pairs) if after and scalar(k) == after), len(pairs) - 1)
    at = line_end(doc.text, content_end(doc, pairs[index][1]))
    if index + 1 < len(pairs) and at > line_start(doc.text, pairs[index + 1][0].start_mark.index):
        raise Unpatchable(f"line {pairs[index][0].start_mark.line + 1} holds two mapping entries")
    indent = " " * pairs[0][0].start_mark.column
    return insert_lines(doc.text, at, [indent + line for line in lines])


def insert_items(
    doc: YamlText, sequence: yaml.Node, items: Sequence[Sequence[str]], before: int | None = None
) -> Span:
    """Insert block sequence items before item ``before`` (after the last item when None), written like
    their neighbour: same column for the ``-``, same spacing after it, blank lines between items when the
    list has them. Each item is its lines, relative to the item's content column. Comment lines directly
    above the item stay with it, so new items go above them."""
    check_editable(doc, sequence, "the list to add to")
    if not isinstance(sequence, yaml.SequenceNode) or sequence.flow_style or not sequence.value:
        raise Unpatchable(f"line {sequence.start_mark.line + 1} holds a flow-style list ([…])")
    text = doc.text
    index = len(sequence.value) - 1 if before is None else before
    content = sequence.value[index].start_mark.index
    dash = content - 1
    while dash >= 0 and text[dash] in " \r\n":  # `-` then the item on the next line is a style too
        dash -= 1
    prefix = text[line_start(text, max(dash, 0)) : max(dash, 0)]
    if dash < 0 or text[dash] != "-" or prefix.strip(" "):
        line = sequence.value[index].start_mark.line + 1
        raise Unpatchable(f"the list item at line {line} shares its line with something else")
    gap = text[dash + 1 : content]
    hanging = "\n" in gap
    floor = line_end(text, content_end(doc, sequence.value[index - 1])) if index else 0
    top = line_start(text, dash)
    while top > floor and text[line_start(text, top - 1) : top].startswith(prefix + "#"):
        top = line_start(text, top - 1)  # a comment at the item's own column introduces the item
    separated = index > 0 and not text[line_start(text, top - 1) : top].strip()
    column = sequence.value[index].start_mark.column
    hang = " " * column if hanging else " " * (len(prefix) + 1 + len(gap))
    rendered: list[str] = []
    for item in items:
        head = [f"{prefix}-", hang + item[0]] if hanging else [f"{prefix}-{gap}{item[0]}"]
        lines = [*head, *(hang + line for line in item[1:])]
        if before is None:
            rendered += ["", *lines] if separated else lines
        else:
            rendered += [*lines, ""] if separated else lines
    at = top if before is not None else line_end(text, content_end(doc, sequence.value[index]))
    return insert_lines(text, at, rendered)


def replace_scalar(doc: YamlText, node: yaml.Node, value: str) -> Span:
    """Replace a scalar's value in its own style: plain stays plain (quoted only if it must be), quoted
    keeps its quotes, a ``|`` block keeps its indentation with one line per line of ``value``."""
    check_editable(doc, node, "the value to change")
    text = doc.text
    start, end = node.start_mark.index, node.end_mark.index
    if not isinstance(node, yaml.ScalarNode) or text[start] in "&!":
        raise Unpatchable(f"the value at line {node.start_mark.line + 1} is not a plain, untagged scalar")
    if node.style == "'":
        return Span(start, end, "'" + value.replace("'", "''") + "'")
    if node.style == '"':
        return Span(start, end, json.dumps(value, ensure_ascii=False))
    if node.style in ("|", ">"):
        return _replace_block(doc, node, value)
    written = value if _plain_is_safe(value) else json.dumps(value, ensure_ascii=False)
    return Span(start, end, written if end > start else " " + written)  # `key:` with no value yet


def _replace_block(doc: YamlText, node: yaml.ScalarNode, value: str) -> Span:
    text, start = doc.text, node.start_mark.index
    header = _block_header(text, start)
    first = line_end(text, start)
    last = content_end(doc, node)
    if any(c.isdigit() for c in header) or last <= first or (node.style == ">" and "\n" in value):
        raise Unpatchable(f"the block scalar at line {node.start_mark.line + 1} cannot be rewritten safely")
    body = text[first:last]
    content_line = next(line for line in body.splitlines() if line.strip())
    indent = content_line[: len(content_line) - len(content_line.lstrip(" "))]
    stop = line_end(text, last)
    newline = newline_at(text, first)
    lines = [indent + line for line in value.split("\n")]
    tail = newline if text[:stop].endswith("\n") else ""
    return Span(first, stop, newline.join(lines) + tail)


def _plain_is_safe(value: str) -> bool:
    """Whether ``value`` written plain reads back as the same string (no ``: ``, ``#``, bool, number…)."""
    try:
        node = yaml.compose(f"k: {value}\n", Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return False
    found = node_at(node, "k") if node is not None else None
    return isinstance(found, yaml.ScalarNode) and found.value == value and found.tag == _STRING


def indent_step(doc: YamlText) -> int:
    """How far the file indents a nested mapping (2 or 4, say), from the mappings already in it."""
    steps: Counter[int] = Counter()
    stack = [doc.root] if doc.root is not None else []
    seen: set[int] = set()
    while stack and len(seen) < 10_000:
        node = stack.pop()
        if id(node) in seen or isinstance(node, AliasNode):
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode) and not node.flow_style:
            for key, value in node.value:
                if isinstance(value, yaml.MappingNode) and not value.flow_style and value.value:
                    step = value.value[0][0].start_mark.column - key.start_mark.column
                    if step > 0:
                        steps[step] += 1
        stack.extend(children(node))
    return steps.most_common(1)[0][0] if steps else 2
