"""Load YAML and JSON from untrusted repositories without being blown up by them.

PyYAML's SafeLoader already refuses to build objects, but it happily expands alias bombs ("billion
laughs": a few hundred bytes that a naive walk visits billions of times) and recurses once per nesting
level. So the event stream is checked first, without recursion, and refused past the limits below.

YAML 1.1 quirks to remember when reading the result (PyYAML implements 1.1, not 1.2):

* GitHub Actions' ``on:`` key loads as ``True``; so do ``yes``/``on`` values (``push: yes`` is True).
* ``1.10`` is the float ``1.1`` and ``010`` is octal: compare versions as text only when they were quoted.
* Local tags (GitLab's ``!reference [...]``, CloudFormation's ``!Ref``) load as their plain value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import yaml

from bot.errors import InputError

try:
    from yaml import CSafeLoader as _FastSafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _FastSafeLoader  # type: ignore[assignment]

MAX_NODES = 100_000  # with aliases expanded; real CI files have a few thousand
MAX_DEPTH = 100  # real CI files nest fewer than 20 levels


class _Loader(_FastSafeLoader):
    """SafeLoader that reads unknown local tags (``!reference``) as the plain value they tag."""


def _construct_local_tag(loader: _Loader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    return None  # pragma: no cover - there are no other node kinds


_Loader.add_multi_constructor("!", _construct_local_tag)


class YamlLines:
    """1-based line numbers of one YAML document's nodes, addressed like the data: ("jobs", "build", 0)."""

    def __init__(self, keys: dict[tuple[Any, ...], int], values: dict[tuple[Any, ...], int]) -> None:
        self._keys = keys
        self._values = values

    def key(self, *path: Any) -> int:
        """Line of the mapping key or sequence item at ``path``; the nearest known ancestor's otherwise."""
        return self._nearest(self._keys, path)

    def value(self, *path: Any) -> int:
        """Line where the value's content starts: for ``run: |`` blocks that is the line after the key."""
        return self._nearest(self._values, path)

    @staticmethod
    def _nearest(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> int:
        for end in range(len(path), -1, -1):
            line = lines.get(path[:end])
            if line is not None:
                return line
        return 1


def load_yaml(text: str, path: str) -> Any:
    """The single document in ``text`` (None when empty); InputError for invalid or hostile YAML."""
    return load_yaml_with_lines(text, path)[0]


def load_yaml_documents(text: str, path: str) -> list[Any]:
    """Every document in a ``---``-separated stream, with the limits applied to the stream as a whole."""
    _check_limits(text, path)
    try:
        return list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as error:
        raise InputError(_describe(error, path)) from None


def load_yaml_with_lines(text: str, path: str) -> tuple[Any, YamlLines]:
    """The single document and where each of its nodes is, taken from the composer's marks."""
    _check_limits(text, path)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, YamlLines({}, {})
        data = loader.construct_document(node)
        return data, _node_lines(loader, node)
    except yaml.YAMLError as error:
        raise InputError(_describe(error, path)) from None
    finally:
        loader.dispose()


def _node_lines(loader: _Loader, root: yaml.Node) -> YamlLines:
    keys: dict[tuple[Any, ...], int] = {(): root.start_mark.line + 1}
    values: dict[tuple[Any, ...], int] = {}
    stack: list[tuple[yaml.Node, tuple[Any, ...]]] = [(root, ())]
    while stack:
        node, at = stack.pop()
        line = node.start_mark.line + 1
        # a block scalar's mark is its `|` or `>` indicator; the text starts on the next line
        values[at] = line + 1 if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">") else line
        if isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                keys[(*at, index)] = item.start_mark.line + 1
                stack.append((item, (*at, index)))
        elif isinstance(node, yaml.MappingNode):
            # construction already flattened `<<` merges into node.value, merged keys first
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = loader.construct_object(key_node)
                keys[(*at, key)] = key_node.start_mark.line + 1
                stack.append((value_node, (*at, key)))
    return YamlLines(keys, values)


def _check_limits(text: str, path: str) -> None:
    """Walk the event stream once, counting nodes as if every alias were expanded."""
    anchored: dict[str, tuple[int, int]] = {}  # anchor → (expanded node count, height)
    frames: list[list[Any]] = []  # open collections: [anchor, node count, height of tallest child]
    total = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                frames.append([event.anchor, 1, 0])
                total += 1
                if len(frames) > MAX_DEPTH:
                    raise InputError(
                        f"{path}: YAML nested more than {MAX_DEPTH} levels deep; refusing to read it"
                    )
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                anchor, count, height = frames.pop()
                count, height = count, height + 1
            elif isinstance(event, yaml.ScalarEvent):
                anchor, count, height = event.anchor, 1, 1
                total += 1
            elif isinstance(event, yaml.AliasEvent):
                if any(frame[0] == event.anchor for frame in frames):
                    raise InputError(
                        f"{path}: YAML alias *{event.anchor} refers to itself; refusing to read it"
                    )
                anchor, (count, height) = None, anchored.get(event.anchor or "", (1, 1))
                total += count
                if len(frames) + height > MAX_DEPTH:
                    raise InputError(
                        f"{path}: YAML nested more than {MAX_DEPTH} levels deep; refusing to read it"
                    )
            else:
                continue
            if total > MAX_NODES:
                raise InputError(
                    f"{path}: YAML expands to more than {MAX_NODES:,} nodes through aliases "
                    "(an alias bomb?); refusing to read it"
                )
            if anchor:
                anchored[anchor] = (count, height)
            if frames:
                frames[-1][1] += count
                frames[-1][2] = max(frames[-1][2], height)
    except yaml.YAMLError as error:
        raise InputError(_describe(error, path)) from None


def _describe(error: yaml.YAMLError, path: str) -> str:
    if isinstance(error, yaml.composer.ComposerError) and "another document" in str(error.problem):
        return f"{path}: holds several YAML documents (separated by ---) where one was expected"
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"{path}: invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {error.problem}"
    return f"{path}: invalid YAML: {error}"


# A string runs to its closing quote or, unterminated, to the end of the text: a failed match would be
# retried from every later quote, quadratic on a file of `\"` (a 60 KB package.json took 12 s).
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*(?:"|\\?\Z)|[\[\]{}]', re.DOTALL)


def load_json(text: str, path: str) -> Any:
    """Parse JSON; InputError when it is malformed or nested deeper than MAX_DEPTH."""
    depth = 0
    for bracket in _iter_structure(text):
        depth += 1 if bracket in "[{" else -1
        if depth > MAX_DEPTH:
            raise InputError(f"{path}: JSON nested more than {MAX_DEPTH} levels deep; refusing to read it")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    except RecursionError:  # pragma: no cover - the depth check above makes this unreachable
        raise InputError(f"{path}: JSON nested too deeply; refusing to read it") from None


def _iter_structure(text: str) -> Iterator[str]:
    """The brackets and braces of a JSON text, strings skipped (a lone quote simply ends the scan)."""
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token[0] != '"':
            yield token
