"""Cutting a Makefile down to what `make <targets>` really runs.

`RUN make release` hides hazards like `GOARCH ?= amd64`; only the recipes the goals reach (through
prerequisites and `$(MAKE) …`) and the variable assignments those recipes use are kept. Everything else
is blanked, so offsets and line numbers stay those of the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.scan.hazards.findings import ARCH_WORD

_MAKE_CONDITIONAL = re.compile(r"[ \t]{0,20}(?:ifeq|ifneq|ifdef|ifndef)(?![\w-])")
_MAKE_ASSIGNMENT = re.compile(
    r"[ \t]{0,20}(?:(?:export|override)[ \t]{1,20})*([A-Za-z_][A-Za-z0-9_.-]{0,80})[ \t]{0,20}([:?+!]{0,3})="
)
_MAKE_REFERENCE = re.compile(r"\$[({]([A-Za-z_][A-Za-z0-9_.-]{0,80})[)}]")
_MAKE_CALL = re.compile(r"(?:\$\(MAKE\)|\$\{MAKE\}|(?<![\w/.-])make)[ \t]{1,20}([^;&|\n]{0,300})")
_GO_BUILD = re.compile(r"(?<![\w-])go[ \t]{1,20}(?:build|install)(?![\w-])")
_AMD64_MAKE_VALUE = re.compile(r"(?:linux/)?(?:amd64|x86_64|x86-64|x64)", re.I)


@dataclass(frozen=True)
class MakeRecipes:
    """A Makefile with everything but the relevant lines blanked (offsets and line numbers kept)."""

    text: str
    amd64_vars: dict[str, str]  # NAME → where, for assignments like `ARCH ?= amd64`


@dataclass
class _Rule:
    prerequisites: list[str] = field(default_factory=list)
    recipe: list[int] = field(default_factory=list)  # line indexes
    assignments: list[tuple[int, str]] = field(default_factory=list)  # target-specific: (line index, name)


@dataclass
class _Makefile:
    rules: dict[str, _Rule] = field(default_factory=dict)
    # name → (line index, operator) of each global assignment
    assignments: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    exported: set[str] = field(default_factory=set)
    export_all: bool = False
    default_goal: str = ""


def make_recipes(
    text: str, path: str, goals: tuple[str, ...], overrides: frozenset[str], env: frozenset[str]
) -> MakeRecipes:
    """Keep the recipes of the goals (and what they depend on or `$(MAKE)`), plus the assignments they use.

    Lines under an `ifeq` on the architecture are dropped: such a block is a per-arch map, not a hazard.
    Assignments that the make command line overrides (`make release GOARCH=$TARGETARCH`) are dropped too,
    and so are `?=` defaults of variables the Dockerfile sets in the environment.
    """
    lines = text.split("\n")
    makefile = _read_makefile(lines)
    keep = _reachable_lines(lines, makefile.rules, [g or makefile.default_goal for g in goals], overrides)
    runs_go = any(_GO_BUILD.search(lines[i]) for i in keep)
    amd64_vars: dict[str, str] = {}
    for _ in range(2):  # assignments can reference further variables: LDFLAGS := … $(GOARCH)
        referenced = {name for index in keep for name in _MAKE_REFERENCE.findall(lines[index])}
        for name, places in makefile.assignments.items():
            exported = name in makefile.exported or makefile.export_all
            used = name in referenced or (exported and runs_go and name.startswith("GO"))
            if not used or name in overrides:
                continue
            for index, op in places:
                if "?" in op and name in env:
                    continue  # `GOARCH ?= amd64` loses to a GOARCH the Dockerfile puts in the environment
                keep.add(index)
                value = lines[index].split("=", 1)[1].strip()
                if _AMD64_MAKE_VALUE.fullmatch(value) and "ARCH" in name.upper():
                    amd64_vars[name] = f"{name} {op}= {value}, {path} line {index + 1}"
    masked = [_recipe_text(line) if i in keep else " " * len(line) for i, line in enumerate(lines)]
    return MakeRecipes("\n".join(masked), amd64_vars)


def _read_makefile(lines: list[str]) -> _Makefile:
    makefile = _Makefile()
    arch_depth = 0  # > 0 inside a conditional on the architecture
    current: list[_Rule] = []
    continuing = False
    for index, raw in enumerate(lines):
        line = raw.rstrip("\r")
        if continuing or line.startswith("\t"):
            continuing = line.endswith("\\")
            if not arch_depth:
                for rule in current:
                    rule.recipe.append(index)
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if _MAKE_CONDITIONAL.match(line):
            if arch_depth or ARCH_WORD.search(line):
                arch_depth += 1
            continue
        if stripped == "endif" or stripped.startswith("endif "):
            arch_depth = max(0, arch_depth - 1)
            continue
        if stripped == "else" or stripped.startswith("else "):
            continue
        if arch_depth:
            continue
        if stripped in ("export", ".EXPORT_ALL_VARIABLES:"):
            makefile.export_all = True
            continue
        if stripped.startswith("export ") and "=" not in stripped:
            makefile.exported.update(stripped.split()[1:])
            continue
        colon = _rule_colon(line)
        assignment = _MAKE_ASSIGNMENT.match(line)
        current = []
        if assignment and colon < 0:
            name, op = assignment.group(1), assignment.group(2)
            makefile.assignments.setdefault(name, []).append((index, op))
            if stripped.startswith("export"):
                makefile.exported.add(name)
            continue
        if colon < 0:
            continue
        rest = line[colon + 1 :].lstrip(":")
        rest, semicolon, recipe_inline = rest.partition(";")
        target_assignment = _MAKE_ASSIGNMENT.match(rest)
        for target in line[:colon].split():
            rule = makefile.rules.setdefault(target, _Rule())
            if target_assignment:
                rule.assignments.append((index, target_assignment.group(1)))
            else:
                rule.prerequisites.extend(p for p in rest.split("|")[0].split() if "$" not in p)
            if semicolon and recipe_inline.strip():
                rule.recipe.append(index)
            current.append(rule)
            if not makefile.default_goal and not target.startswith(".") and "%" not in target:
                makefile.default_goal = target
    return makefile


def _rule_colon(line: str) -> int:
    """Offset of the colon that makes this line a rule (`target: deps`), or -1."""
    colon = line.find(":")
    if colon <= 0 or line[colon + 1 : colon + 2] == "=" or "=" in line[:colon]:
        return -1
    return colon


def _reachable_lines(
    lines: list[str], rules: dict[str, _Rule], goals: list[str], overrides: frozenset[str]
) -> set[int]:
    keep: set[int] = set()
    pending = [g for g in goals if g]
    seen: set[str] = set()
    while pending and len(seen) < 500:
        target = pending.pop()
        if target in seen or target not in rules:
            continue
        seen.add(target)
        rule = rules[target]
        keep.update(rule.recipe)
        keep.update(index for index, name in rule.assignments if name not in overrides)
        pending.extend(rule.prerequisites)
        for index in rule.recipe:
            for call in _MAKE_CALL.finditer(lines[index]):
                pending.extend(w for w in call.group(1).split() if not w.startswith("-") and "=" not in w)
    return keep


def _recipe_text(line: str) -> str:
    """A recipe line as shell text: the tab and the @/-/+ prefixes blanked, offsets kept."""
    if not line.startswith("\t"):
        return line
    stripped = line[1:].lstrip(" \t@-+")
    return " " * (len(line) - len(stripped)) + stripped
