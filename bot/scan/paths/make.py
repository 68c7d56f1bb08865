"""Makefile recipes: ``docker build -t $(IMAGE):$(VERSION) .`` under a target.

Each logical recipe line runs in its own shell in the Makefile's directory, so each is scanned alone
(a ``cd`` on one line does not carry to the next). ``$(DOCKER) build`` resolves when DOCKER is simply
assigned a container tool; every other ``$(VAR)`` stays as written. A target whose prerequisites or
``$(MAKE) X`` calls build an image builds through them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from bot.model import BuildKind, BuildPath
from bot.scan.entrypoints import MAKEFILE_NAMES, find_entry_calls
from bot.scan.paths.common import FileScan, LocalCall, Snippet, chain_local_calls, script_paths, unique
from bot.scan.shell_argv import program_name
from bot.scan.shell_commands import split_simple_commands

_ASSIGNMENT = re.compile(
    r"^(?:(?:export|override)\s+)*([A-Za-z_][A-Za-z0-9_.-]*)\s*(::?=|:::=|\?=|\+=|!=|=)\s*(.*)$"
)
_RULE = re.compile(r"^([^\s:=#][^:=#]*?)\s*::?(?!=)\s*(.*)$")
_CONDITIONAL = re.compile(r"^\s*(ifeq|ifneq|ifdef|ifndef|else|endif)\b")
_REFERENCE = re.compile(r"\$[({]([A-Za-z_][A-Za-z0-9_.-]*)[)}]")
_TOOLS = frozenset({"docker", "podman", "buildah", "nerdctl", "docker-compose", "podman-compose"})


@dataclass
class _Rule:
    line: int  # 0-based
    targets: list[str]
    prerequisites: list[str]
    recipe: list[tuple[int, str]] = field(default_factory=list)  # (0-based line, logical recipe line)


def find(path: str, text: str) -> list[BuildPath]:
    return list(scan(path, text).build_paths)


def scan(path: str, text: str) -> FileScan:
    rules, variables = _parse(text.replace("\r\n", "\n").split("\n"))
    tools = _tool_variables(variables)
    direct: dict[str, list[BuildPath]] = {}
    snippets: list[Snippet] = []
    calls: list[LocalCall] = []
    for rule in rules:
        name = rule.targets[0]
        for prerequisite in rule.prerequisites:
            via = f"make {prerequisite}"
            calls.append(LocalCall(name, rule.line + 1, f"{name}: {prerequisite}", prerequisite, via))
        for index, recipe_line in rule.recipe:
            script = _shell_text(recipe_line, tools)
            snippets.append(Snippet(index + 1, name, script))
            found = script_paths(BuildKind.MAKE, path, index + 1, name, script)
            direct.setdefault(name, []).extend(_as_written(found, script, _shell_text(recipe_line, {})))
            for call in find_entry_calls(script):
                local = call.kind is BuildKind.MAKE and call.files == MAKEFILE_NAMES and call.cwd == ""
                for target in call.names if local else ():
                    calls.append(LocalCall(name, index + 1 + call.line, call.text, target, call.via(target)))
    builds = [found for paths in direct.values() for found in paths]
    return FileScan(tuple(unique(builds + chain_local_calls(direct, calls))), tuple(snippets))


def _as_written(found: list[BuildPath], script: str, written: str) -> list[BuildPath]:
    """Report ``$(DOCKER) build …`` as the author wrote it, not as substituted for recognition."""
    if script == written:
        return found
    substituted, original = split_simple_commands(script), split_simple_commands(written)
    if len(substituted) != len(original):
        return found
    originals = {s.text: o.text for s, o in zip(substituted, original, strict=True)}
    return [replace(p, command=originals.get(p.command, p.command)) for p in found]


def _parse(lines: list[str]) -> tuple[list[_Rule], dict[str, str]]:
    rules: list[_Rule] = []
    variables: dict[str, str] = {}
    current: _Rule | None = None
    in_define = False
    i = 0
    while i < len(lines):
        raw, start = lines[i], i
        if in_define:
            in_define = not raw.strip().startswith("endef")
            i += 1
            continue
        if raw.startswith("\t") and current is not None:
            parts = [raw[1:]]
            while parts[-1].endswith("\\") and i + 1 < len(lines):  # the shell sees the backslash-newline
                i += 1
                parts.append(lines[i].removeprefix("\t"))
            current.recipe.append((start, "\n".join(parts)))
            i += 1
            continue
        logical = raw
        while logical.endswith("\\") and i + 1 < len(lines):  # make joins its own continuations
            i += 1
            logical = logical[:-1] + " " + lines[i].strip()
        i += 1
        stripped = logical.strip()
        if not stripped or stripped.startswith("#") or _CONDITIONAL.match(logical):
            continue  # a recipe carries on across blank lines, comments and conditionals
        current = None
        if stripped.startswith("define "):
            in_define = True
        elif assignment := _ASSIGNMENT.match(logical):
            _assign(variables, *assignment.groups())
        elif rule := _RULE.match(logical):
            current = _rule(start, rule.group(1), rule.group(2))
            if current is not None:
                rules.append(current)
    return rules, variables


def _rule(line: int, targets_text: str, rest: str) -> _Rule | None:
    targets = [t for t in targets_text.split() if not t.startswith(".")]  # .PHONY and friends
    if not targets or _ASSIGNMENT.match(rest):  # `target: VAR = value` sets a variable, runs nothing
        return None
    prerequisites, _, inline_recipe = rest.partition(";")
    rule = _Rule(line, targets, [p for p in prerequisites.split() if p != "|" and "$" not in p])
    if inline_recipe.strip():
        rule.recipe.append((line, inline_recipe.strip()))
    return rule


def _assign(variables: dict[str, str], name: str, operator: str, value: str) -> None:
    value = value.split("#", 1)[0].strip()
    if operator == "?=":
        variables.setdefault(name, value)
    elif operator == "+=":
        variables[name] = f"{variables.get(name, '')} {value}".strip()
    elif operator != "!=":  # != runs a shell command; its output is unknowable here
        variables[name] = value


def _tool_variables(variables: dict[str, str]) -> dict[str, str]:
    """Variables that name a container tool (``DOCKER ?= docker``, ``DOCKER_CMD := $(DOCKER) buildx``)."""
    tools = {}
    for name, value in variables.items():
        for _ in range(5):  # enough for DOCKER_CMD → DOCKER → docker; stops reference cycles
            value = _REFERENCE.sub(lambda m: variables.get(m.group(1), m.group()), value)
        words = value.split()
        if words and "$" not in value and program_name(words[0]) in _TOOLS:
            tools[name] = value
    return tools


def _shell_text(recipe_line: str, tools: dict[str, str]) -> str:
    """The command the shell receives: no @/-/+ prefix, ``$$`` unescaped, tool variables substituted."""
    text = re.sub(r"^\s*[@+-]+\s*", "", recipe_line).replace("$$", "$")
    return _REFERENCE.sub(lambda m: tools.get(m.group(1), m.group()), text)
