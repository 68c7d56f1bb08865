"""The two spellings of a bake file, behind one interface: read targets, add or extend ``platforms``.

``docker-bake.hcl`` and ``docker-bake.json`` hold the same model; the decisions (which target to edit)
are the bake patcher's, and these classes only know where the text is and how the file lays it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.patch import hcl_spans, json_spans
from bot.patch.spans import Span, Unpatchable, indentation, line_number


@dataclass(frozen=True)
class Target:
    name: str
    line: int
    inherits: tuple[str, ...]
    platforms: tuple[str, ...] | None  # the list as written; None when the target sets no platforms
    literal: bool  # False when platforms is an expression (a variable, split(…)) this does not rewrite
    loads: bool  # an output of type=docker: the local image store, which holds one platform


class BakeFile(Protocol):
    targets: dict[str, Target]

    def add(self, name: str, values: list[str]) -> list[Span]: ...

    def extend(self, name: str, values: list[str]) -> list[Span]: ...


class HclBake:
    def __init__(self, text: str) -> None:
        self.text = text
        self.blocks: dict[str, hcl_spans.Block] = {}
        for block in hcl_spans.parse(text):
            if block.kind == "target" and block.labels:
                if block.labels[0] in self.blocks:
                    raise Unpatchable(f"bake target '{block.labels[0]}' is defined twice in this file")
                self.blocks[block.labels[0]] = block
        self.targets = {name: self._target(name, block) for name, block in self.blocks.items()}
        self.step = self._step()

    def _target(self, name: str, block: hcl_spans.Block) -> Target:
        inherits = block.attribute("inherits")
        parents = inherits.strings() if inherits else []
        if parents is None:
            raise Unpatchable(f"bake target '{name}' inherits through an expression")
        platforms = block.attribute("platforms")
        items = platforms.strings() if platforms else None
        output = block.attribute("output")
        return Target(
            name=name,
            line=line_number(self.text, block.start),
            inherits=tuple(t.text[1:-1] for t in parents),
            platforms=tuple(t.text[1:-1] for t in items) if items is not None else None,
            literal=platforms is None or items is not None,
            loads=output is not None and any("type=docker" in t.text for t in output.value),
        )

    def _step(self) -> str:
        """The indentation of an attribute relative to its block, as the file writes it."""
        for block in self.blocks.values():
            if block.attributes and "\n" in self.text[block.open : block.attributes[0].start]:
                outer = indentation(self.text, block.start)
                return indentation(self.text, block.attributes[0].start).removeprefix(outer) or "  "
        return "  "

    def add(self, name: str, values: list[str]) -> list[Span]:
        listed = "[" + ", ".join(f'"{value}"' for value in values) + "]"
        return hcl_spans.add_attribute(self.text, self.blocks[name], "platforms", listed, self.step)

    def extend(self, name: str, values: list[str]) -> list[Span]:
        attribute = self.blocks[name].attribute("platforms")
        assert attribute is not None
        return hcl_spans.extend_list(self.text, attribute, values)


class JsonBake:
    def __init__(self, text: str) -> None:
        self.text = text
        root = json_spans.parse(text)
        section = root.member("target") if root.kind == "object" else None
        self.objects: dict[str, json_spans.JsonValue] = {}
        for member in section.members if section is not None and section.kind == "object" else []:
            if member.key in self.objects:
                raise Unpatchable(f"bake target '{member.key}' is defined twice in this file")
            if member.value.kind == "object":
                self.objects[member.key] = member.value
        self.targets = {name: self._target(name, value) for name, value in self.objects.items()}

    def _target(self, name: str, target: json_spans.JsonValue) -> Target:
        inherits = target.member("inherits")
        parents = [inherits] if inherits and inherits.kind == "string" else inherits.items if inherits else []
        platforms = target.member("platforms")
        items = platforms.items if platforms and platforms.kind == "array" else None
        literal = platforms is None or (items is not None and all(i.kind == "string" for i in items))
        output = target.member("output")
        outputs = [output] if output and output.kind == "string" else output.items if output else []
        return Target(
            name=name,
            line=line_number(self.text, target.start),
            inherits=tuple(parent.text for parent in parents),
            platforms=tuple(item.text for item in items) if items is not None and literal else None,
            literal=literal,
            loads=any("type=docker" in item.text for item in outputs),
        )

    def add(self, name: str, values: list[str]) -> list[Span]:
        target = self.objects[name]
        multiline = bool(target.members) and "\n" in self.text[target.start : target.members[-1].key_start]
        indent = indentation(self.text, target.members[-1].key_start) if multiline else None
        listed = json_spans.render_list(self.text, values, indent)
        return [json_spans.add_member(self.text, target, "platforms", listed)]

    def extend(self, name: str, values: list[str]) -> list[Span]:
        array = self.objects[name].member("platforms")
        assert array is not None
        return json_spans.extend_array(self.text, array, values)
