"""HCL as spans: where each block and attribute of a bake file is, and edits written in its style.

python-hcl2 gives values, not positions, so this reads the structure itself: a tokenizer that knows
HCL's strings (with ``${…}`` templates that may hold strings), heredocs and three comment styles, and
a parser for blocks and attributes. Expressions are kept as tokens, never evaluated. Whatever it does
not understand is Unpatchable; the patcher re-parses its result with python-hcl2 as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.patch.spans import Span, Unpatchable, insert_lines, line_end, line_number, line_start, newline_at

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")
_NUMBER = re.compile(r"[0-9][0-9.eE+-]*")
_OPEN, _CLOSE = "([{", ")]}"


@dataclass(frozen=True)
class Token:
    kind: str  # ident, string, heredoc, number, punct, newline
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Attribute:
    name: str
    start: int  # offset of the name
    equals: int  # offset of `=`
    value: tuple[Token, ...]  # the expression's tokens, newlines inside brackets included

    @property
    def end(self) -> int:
        return self.value[-1].end

    def strings(self) -> list[Token] | None:
        """The items of a list of plain string literals (``["a", "b",]``); None for anything else."""
        inner = [t for t in self.value if t.kind != "newline"]
        if len(inner) < 2 or inner[0].text != "[" or inner[-1].text != "]":
            return None
        items = [t for t in inner[1:-1] if t.text != ","]
        expected = [t.kind == "string" and "${" not in t.text for t in items]
        separators = [t.text for t in inner[1:-1] if t.kind != "string"]
        if not all(expected) or any(s != "," for s in separators) or len(separators) > len(items):
            return None
        return items


@dataclass
class Block:
    kind: str
    labels: tuple[str, ...]
    start: int
    open: int  # offset of `{`
    close: int = -1  # offset of `}`
    attributes: list[Attribute] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\r":
            i += 1
        elif c == "\n":
            tokens.append(Token("newline", c, i, i + 1))
            i += 1
        elif c == "#" or text.startswith("//", i):
            i = n if text.find("\n", i) == -1 else text.find("\n", i)  # the newline stays a token
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close == -1:
                raise Unpatchable("an HCL comment is never closed")
            i = close + 2
        elif c == '"':
            end = _string_end(text, i)
            tokens.append(Token("string", text[i:end], i, end))
            i = end
        elif heredoc := _HEREDOC.match(text, i):
            marker = re.compile(rf"^[ \t]*{re.escape(heredoc.group(1))}[ \t]*\r?$", re.MULTILINE)
            closing = marker.search(text, heredoc.end())
            if closing is None:
                raise Unpatchable(f"the HCL heredoc <<{heredoc.group(1)} is never closed")
            end = closing.end()
            tokens.append(Token("heredoc", text[i:end], i, end))
            i = end
        elif found := _IDENT.match(text, i) or _NUMBER.match(text, i):
            kind = "ident" if c.isalpha() or c == "_" else "number"
            tokens.append(Token(kind, found.group(), i, found.end()))
            i = found.end()
        else:
            tokens.append(Token("punct", c, i, i + 1))
            i += 1
    return tokens


def _string_end(text: str, start: int) -> int:
    """The offset just past the string literal opening at ``start``, templates and escapes included."""
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == '"':
            return i + 1
        elif text[i] == "\n":
            break
        elif text.startswith(("$${", "%%{"), i):
            i += 3
        elif text.startswith(("${", "%{"), i):
            i = _template_end(text, i + 2)
        else:
            i += 1
    raise Unpatchable(f"an HCL string at line {line_number(text, start)} is never closed")


def _template_end(text: str, i: int) -> int:
    depth = 1
    while i < len(text):
        if text[i] == '"':
            i = _string_end(text, i)
            continue
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
        if depth == 0:
            return i
    raise Unpatchable("an HCL template ${…} is never closed")


def parse(text: str) -> list[Block]:
    """The top-level blocks of an HCL file (attributes at the top level, e.g. variables, are kept too)."""
    tokens = tokenize(text)
    top = Block("", (), 0, -1)
    _body(text, tokens, 0, top, top_level=True)
    return top.blocks


def _body(text: str, tokens: list[Token], i: int, block: Block, top_level: bool = False) -> int:
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "newline":
            i += 1
            continue
        if token.text == "}" and not top_level:
            block.close = token.start
            return i + 1
        if token.kind != "ident":
            raise Unpatchable(f"unexpected {token.text!r} in HCL at line {line_number(text, token.start)}")
        j = i + 1
        if j < len(tokens) and tokens[j].text == "=":
            k = j + 1
            depth = 0
            while k < len(tokens) and not (
                depth == 0 and (tokens[k].kind == "newline" or tokens[k].text == "}")
            ):
                depth += (tokens[k].text in _OPEN) - (tokens[k].text in _CLOSE)
                k += 1
            if k == j + 1:
                raise Unpatchable(
                    f"the HCL attribute {token.text} at line {line_number(text, token.start)} has no value"
                )
            block.attributes.append(
                Attribute(token.text, token.start, tokens[j].start, tuple(tokens[j + 1 : k]))
            )
            i = k
            continue
        labels = []
        while j < len(tokens) and tokens[j].kind in ("string", "ident"):
            labels.append(tokens[j].text.strip('"'))
            j += 1
        if j >= len(tokens) or tokens[j].text != "{":
            raise Unpatchable(f"unexpected HCL after {token.text!r} at line {line_number(text, token.start)}")
        child = Block(token.text, tuple(labels), token.start, tokens[j].start)
        i = _body(text, tokens, j + 1, child)
        if child.close < 0:
            raise Unpatchable(
                f"the HCL block {token.text} at line {line_number(text, token.start)} is never closed"
            )
        block.blocks.append(child)
    return i


def add_attribute(text: str, block: Block, name: str, value: str, step: str = "  ") -> list[Span]:
    """Add ``name = value`` as the block's last attribute, indented like the one before it and with its
    ``=`` aligned when the attributes above are aligned (as ``terraform fmt`` and ``hclfmt`` align
    them); an empty ``{}`` opens onto its own lines with ``step`` of indentation."""
    if not block.attributes:
        if text[block.open + 1 : block.close].strip():
            raise Unpatchable(
                f"the HCL block at line {line_number(text, block.start)} holds only nested blocks"
            )
        newline = newline_at(text, block.start)
        indent = _indent(text, block.start)
        return [
            Span(block.open + 1, block.close, f"{newline}{indent}{step}{name} = {value}{newline}{indent}")
        ]
    last = block.attributes[-1]
    if "\n" not in text[block.open : last.start] or "\n" not in text[last.end : block.close]:
        line = line_number(text, block.start)
        raise Unpatchable(f"the HCL block at line {line} is on one line, which holds one attribute")
    column = _aligned_column(text, block.attributes)
    name_column = last.start - line_start(text, last.start)
    padded = name + " " * max(column - name_column - len(name), 1) if column else name + " "
    spacing = text[last.equals + 1 : last.value[0].start] or " "
    lines = [f"{_indent(text, last.start)}{padded}={spacing}{value}"]
    return [insert_lines(text, line_end(text, last.end), lines)]


def _aligned_column(text: str, attributes: list[Attribute]) -> int | None:
    """The shared column of ``=`` in the run of one-line attributes ending with the last, if aligned."""
    run = [attributes[-1]]
    for earlier in reversed(attributes[:-1]):
        following = run[-1]
        one_line = "\n" not in text[earlier.start : earlier.end]
        if not one_line or line_end(text, earlier.end) != line_start(text, following.start):
            break
        run.append(earlier)
    columns = {a.equals - line_start(text, a.start) for a in run}
    padded = any(a.equals - a.start > len(a.name) + 1 for a in run)
    return columns.pop() if len(run) > 1 and len(columns) == 1 and padded else None


def extend_list(text: str, attribute: Attribute, values: list[str]) -> list[Span]:
    """Append string ``values`` to a list attribute: on its line when it is one line, else one item per
    line like its items, keeping or adding the comma style of the last item."""
    items = attribute.strings()
    if items is None:
        raise Unpatchable(f"the HCL attribute {attribute.name} is not a list of strings")
    opening = next(t for t in attribute.value if t.text == "[")
    closing = attribute.value[-1]
    quoted = [f'"{value}"' for value in values]
    if "\n" not in text[opening.start : closing.start]:
        if not items:
            return [Span(opening.end, closing.start, ", ".join(quoted))]
        return [Span(items[-1].end, items[-1].end, "".join(", " + q for q in quoted))]
    starts = [line_start(text, t.start) for t in [*items, closing]]
    if not items or len(set(starts)) != len(starts):
        raise Unpatchable(f"the HCL list {attribute.name} is laid out in a way this patcher does not copy")
    last = items[-1]
    after = attribute.value[attribute.value.index(last) + 1]
    indent = _indent(text, last.start)
    if after.text == ",":  # a trailing comma on every item: the new ones get one too
        return [insert_lines(text, line_end(text, after.end), [f"{indent}{q}," for q in quoted])]
    lines = [f"{indent}{q}" + ("," if k < len(quoted) - 1 else "") for k, q in enumerate(quoted)]
    return [Span(last.end, last.end, ","), insert_lines(text, line_end(text, last.end), lines)]


def _indent(text: str, offset: int) -> str:
    start = line_start(text, offset)
    return text[start : start + len(text[start:offset]) - len(text[start:offset].lstrip(" \t"))]
