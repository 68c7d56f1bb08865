"""How a workflow pins its actions, so a step the bot adds is pinned the way the file pins the others.

An action the file already uses elsewhere is reused exactly as written there (SHA and ``# v3.2.0``
comment included): that pin is the maintainer's own. Otherwise the bot writes a major tag from the same
release train as the file's other docker/* actions (a file on build-push-action@v5 gets
setup-buildx-action@v3, not a major its tooling has never seen). The bot cannot vouch for a commit SHA,
so in a SHA-pinned file it still writes a tag, and says so in the rationale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from bot.patch.spans import line_end
from bot.patch.yaml_spans import AliasNode, YamlText, children, resolve, scalar

# docker/* majors released together, as the setup actions' major that shipped alongside each one
_TRAINS = {
    "docker/setup-qemu-action": {1: 1, 2: 2, 3: 3, 4: 4},
    "docker/setup-buildx-action": {1: 1, 2: 2, 3: 3, 4: 4},
    "docker/build-push-action": {2: 1, 3: 2, 4: 2, 5: 3, 6: 3, 7: 4},
    "docker/login-action": {1: 1, 2: 2, 3: 3, 4: 4},
    "docker/metadata-action": {3: 1, 4: 2, 5: 3, 6: 4},
}
CURRENT_MAJOR = 4  # setup-qemu-action and setup-buildx-action v4 (Node 24), March 2026
_SHA = re.compile(r"^[0-9a-f]{40}$")
_VERSION = re.compile(r"^v?(\d+)(?:\.|$)")
_COMMENT_VERSION = re.compile(r"^\s*#\s*v?(\d+)(?:\.|\s|$)")


@dataclass(frozen=True)
class _Use:
    action: str  # lower-cased owner/name
    ref: str
    written: str  # the value and any comment after it on its line, exactly as in the file
    comment: str


@dataclass(frozen=True)
class PinStyle:
    uses_written: tuple[_Use, ...]

    @property
    def sha_pinned(self) -> bool:
        return any(_SHA.match(use.ref) for use in self.uses_written)

    def reused(self, action: str) -> _Use | None:
        return next((use for use in self.uses_written if use.action == action), None)

    def major(self) -> int:
        for action, train in _TRAINS.items():
            for use in self.uses_written:
                if use.action != action:
                    continue
                found = _VERSION.match(use.ref) or _COMMENT_VERSION.match(use.comment)
                if found and int(found.group(1)) in train:
                    return train[int(found.group(1))]
        return CURRENT_MAJOR

    def uses(self, action: str) -> str:
        """The ``uses:`` value (with its trailing comment, when reused) to write for ``action``."""
        reused = self.reused(action)
        return reused.written if reused else f"{action}@v{self.major()}"

    def note(self, action: str) -> str:
        """A rationale line when the new step is pinned differently from the file's other actions."""
        if self.reused(action) or not self.sha_pinned:
            return ""
        return (
            f"{action} is pinned by tag (@v{self.major()}), not by commit SHA like the file's other "
            "actions: the bot does not invent SHAs; please pin it the way you pin the others"
        )


def pin_style(doc: YamlText) -> PinStyle:
    """Every ``uses:`` in the workflow, in file order (steps and reusable-workflow jobs alike)."""
    found: list[tuple[int, _Use]] = []
    stack = [doc.root] if doc.root is not None else []
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen or isinstance(node, AliasNode):
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if scalar(key) == "uses" and isinstance(resolve(value), yaml.ScalarNode):
                    found.append((value.start_mark.index, _use(doc.text, value)))
        stack.extend(children(node))
    return PinStyle(tuple(use for _, use in sorted(found, key=lambda pair: pair[0])))


def _use(text: str, value: yaml.Node) -> _Use:
    start, end = value.start_mark.index, value.end_mark.index
    rest = text[end : line_end(text, end)].rstrip("\r\n")
    comment = rest if rest.lstrip().startswith("#") else ""
    uses = scalar(value) or ""
    action, _, ref = uses.partition("@")
    return _Use(action.lower(), ref, text[start:end] + comment, comment)
