"""JSON as spans: where each value is, and members and items added in the file's own layout.

The standard library's parser gives no positions, so this is a small recursive-descent reader that
keeps them. It only locates; ``json.loads`` decides validity (before, through the scan, and after).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from bot.patch.spans import Span, Unpatchable, line_end, line_number, line_start, newline_at

_SPACE = re.compile(r"[ \t\r\n]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"-?[0-9][0-9.eE+-]*|true|false|null")


@dataclass
class Member:
    key: str
    key_start: int
    key_end: int
    value: JsonValue


@dataclass
class JsonValue:
    kind: str  # object, array, string, scalar
    start: int
    end: int
    members: list[Member] = field(default_factory=list)  # objects, in file order
    items: list[JsonValue] = field(default_factory=list)  # arrays
    text: str = ""  # strings: the decoded value

    def member(self, key: str) -> JsonValue | None:
        """The value of ``key``; like json.loads, the last of repeated keys."""
        return next((m.value for m in reversed(self.members) if m.key == key), None)


def parse(text: str) -> JsonValue:
    value, end = _value(text, _skip(text, 0))
    if _skip(text, end) != len(text):
        raise Unpatchable(f"unexpected text after the JSON document at line {line_number(text, end)}")
    return value


def _skip(text: str, i: int) -> int:
    found = _SPACE.match(text, i)
    return found.end() if found else i


def _value(text: str, i: int) -> tuple[JsonValue, int]:
    if text.startswith("{", i):
        node = JsonValue("object", i, i)
        i = _skip(text, i + 1)
        while not text.startswith("}", i):
            key = _STRING.match(text, i)
            if key is None:
                raise Unpatchable(f"expected a JSON key at line {line_number(text, i)}")
            colon = _skip(text, key.end())
            if not text.startswith(":", colon):
                raise Unpatchable(f"expected ':' at line {line_number(text, colon)}")
            value, i = _value(text, _skip(text, colon + 1))
            node.members.append(Member(json.loads(key.group()), key.start(), key.end(), value))
            i = _next(text, _skip(text, i), "}")
        node.end = i + 1
        return node, node.end
    if text.startswith("[", i):
        node = JsonValue("array", i, i)
        i = _skip(text, i + 1)
        while not text.startswith("]", i):
            value, i = _value(text, i)
            node.items.append(value)
            i = _next(text, _skip(text, i), "]")
        node.end = i + 1
        return node, node.end
    found = _STRING.match(text, i) or _SCALAR.match(text, i)
    if found is None:
        raise Unpatchable(f"expected a JSON value at line {line_number(text, i)}")
    kind = "string" if found.group().startswith('"') else "scalar"
    decoded = json.loads(found.group()) if kind == "string" else ""
    return JsonValue(kind, i, found.end(), text=decoded), found.end()


def _next(text: str, i: int, closing: str) -> int:
    """Past a `,` to the next entry, or at the closing bracket."""
    if text.startswith(",", i):
        return _skip(text, i + 1)
    if text.startswith(closing, i):
        return i
    raise Unpatchable(f"expected ',' or '{closing}' at line {line_number(text, i)}")


def render_list(text: str, values: list[str], indent: str | None) -> str:
    """A JSON array of strings laid out like the file's arrays: one item per line when they are (as
    ``json.dumps(indent=…)`` writes them), inline with the file's separator otherwise. ``indent`` is the
    indentation of the line the array starts on; None asks for an inline array."""
    quoted = [json.dumps(value) for value in values]
    layout = re.search(r"\[[ \t]*\r?\n([ \t]+)\"", text)
    if layout and indent is not None:
        bracket = text[line_start(text, layout.start()) : layout.start()]
        opener = bracket[: len(bracket) - len(bracket.lstrip(" \t"))]
        step = layout.group(1).removeprefix(opener) or "  "
        newline = newline_at(text, layout.start())
        body = ("," + newline).join(indent + step + q for q in quoted)
        return "[" + newline + body + newline + indent + "]"
    inline = re.search(r'"(,[ ]?)"', text)
    return "[" + (inline.group(1) if inline else ", ").join(quoted) + "]"


def add_member(text: str, obj: JsonValue, key: str, value: str) -> Span:
    """Add ``"key": value`` as the object's last member, laid out like the members before it."""
    if not obj.members:
        if "\n" in text[obj.start : obj.end]:
            raise Unpatchable(f"the empty JSON object at line {line_number(text, obj.start)} spans lines")
        return Span(obj.start + 1, obj.end - 1, f"{json.dumps(key)}: {value}")
    last = obj.members[-1]
    colon = text[last.key_end : last.value.start]  # ":" and the spaces around it, as written
    name = json.dumps(key)
    if "\n" in text[obj.start : last.key_start]:
        indent = text[line_start(text, last.key_start) : last.key_start]
        if indent.strip():
            raise Unpatchable(
                f"the JSON object at line {line_number(text, obj.start)} shares lines between members"
            )
        newline = newline_at(text, last.value.end)
        return Span(last.value.end, last.value.end, f",{newline}{indent}{name}{colon}{value}")
    previous = obj.members[-2].value.end if len(obj.members) > 1 else None
    separator = text[previous : last.key_start] if previous is not None else ", "
    return Span(last.value.end, last.value.end, f"{separator}{name}{colon}{value}")


def extend_array(text: str, array: JsonValue, values: list[str]) -> list[Span]:
    """Append strings to an array, inline or one per line as its items are."""
    quoted = [json.dumps(value) for value in values]
    if not array.items:
        if "\n" in text[array.start : array.end]:
            raise Unpatchable(f"the empty JSON array at line {line_number(text, array.start)} spans lines")
        return [Span(array.start + 1, array.end - 1, ", ".join(quoted))]
    last = array.items[-1]
    if "\n" not in text[array.start : array.end]:
        previous = array.items[-2].end if len(array.items) > 1 else None
        separator = text[previous : last.start] if previous is not None else ", "
        return [Span(last.end, last.end, "".join(separator + q for q in quoted))]
    indent = text[line_start(text, last.start) : last.start]
    if indent.strip() or line_end(text, last.end) > array.end - 1:
        raise Unpatchable(
            f"the JSON array at line {line_number(text, array.start)} is laid out in a way not copied"
        )
    newline = newline_at(text, last.end)
    return [Span(last.end, last.end, "".join(f",{newline}{indent}{q}" for q in quoted))]
