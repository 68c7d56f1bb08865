"""justfile recipes: each indented body line runs in its own shell in the justfile's directory.

``{{ image }}`` interpolations stay as written (their spaces are masked while the shell words are split,
so each stays one word); a shebang recipe (``#!/usr/bin/env bash``) runs its whole body as one script.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.model import BuildKind, BuildPath
from bot.scan.entrypoints import JUSTFILE_NAMES, find_entry_calls
from bot.scan.paths.common import FileScan, LocalCall, Snippet, chain_local_calls, script_paths, unique

# `name param="x" +rest: dep1 dep2` at column 0; `:=` is an assignment, not a recipe
_RECIPE = re.compile(r"^@?([A-Za-z_][A-Za-z0-9_-]*)((?:\s+[^:]*?)?)\s*:(?!=)(.*)$")
_SPACE = "\x1f"  # stands in for spaces inside {{ }} while the line is split into words


def _unmask(found: BuildPath) -> BuildPath:
    def text(value: str | None) -> str | None:
        return None if value is None else value.replace(_SPACE, " ")

    return replace(
        found,
        command=found.command.replace(_SPACE, " "),
        dockerfile=text(found.dockerfile),
        context=text(found.context),
        tags=tuple(t.replace(_SPACE, " ") for t in found.tags),
        build_args=tuple((k.replace(_SPACE, " "), text(v)) for k, v in found.build_args),
        platforms=tuple(p.replace(_SPACE, " ") for p in found.platforms),
        target=text(found.target),
    )


def mask_interpolations(script: str) -> str:
    """Spaces inside each ``{{ … }}`` (on one line, closed by the first ``}}``) replaced by ``_SPACE``.

    A loop of ``find`` rather than the regex ``{{.*?}}``: on a line of unclosed ``{{`` the regex tries
    every start and scans to the line's end from each, quadratic: a 60 KB justfile took 15 s.
    """
    pieces: list[str] = []
    done = 0
    while (start := script.find("{{", done)) >= 0:
        line_end = script.find("\n", start)
        line_end = len(script) if line_end < 0 else line_end
        close = script.find("}}", start + 2, line_end)
        if close < 0:  # no later {{ on this line closes either
            pieces.append(script[done:line_end])
            done = line_end
            continue
        pieces += [script[done:start], script[start : close + 2].replace(" ", _SPACE)]
        done = close + 2
    pieces.append(script[done:])
    return "".join(pieces)


def find(path: str, text: str) -> list[BuildPath]:
    return list(scan(path, text).build_paths)


def scan(path: str, text: str) -> FileScan:
    direct: dict[str, list[BuildPath]] = {}
    snippets: list[Snippet] = []
    calls: list[LocalCall] = []
    for name, dependencies, header_line, body in _recipes(text.replace("\r\n", "\n").split("\n")):
        for dependency in dependencies:
            calls.append(
                LocalCall(name, header_line + 1, f"{name}: {dependency}", dependency, f"just {dependency}")
            )
        for start, script in _shells(body):
            snippets.append(Snippet(start + 1, name, script))
            masked = mask_interpolations(script)
            found = script_paths(BuildKind.JUST, path, start + 1, name, masked)
            direct.setdefault(name, []).extend(_unmask(p) for p in found)
            for call in find_entry_calls(script):
                if call.kind is BuildKind.JUST and call.files == JUSTFILE_NAMES and call.cwd == "":
                    calls.extend(
                        LocalCall(name, start + 1 + call.line, call.text, n, call.via(n)) for n in call.names
                    )
    builds = [found for paths in direct.values() for found in paths]
    return FileScan(tuple(unique(builds + chain_local_calls(direct, calls))), tuple(snippets))


def _recipes(lines: list[str]) -> list[tuple[str, list[str], int, list[tuple[int, str]]]]:
    recipes: list[tuple[str, list[str], int, list[tuple[int, str]]]] = []
    for index, line in enumerate(lines):
        if line[:1] in (" ", "\t"):
            if recipes and line.strip():
                recipes[-1][3].append((index, line.strip()))
            continue
        header = _RECIPE.match(line)
        if header and not line.startswith(("alias ", "set ", "export ", "import ", "mod ")):
            dependencies = [
                d for d in re.split(r"[\s&]+", header.group(3).split("#")[0]) if re.match(r"^\w", d)
            ]
            recipes.append((header.group(1), dependencies, index, []))
        elif line.strip() and not line.startswith(("#", "[")):
            recipes.append(("", [], index, []))  # anything else ends the recipe above it
    return [recipe for recipe in recipes if recipe[0]]


def _shells(body: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The scripts a recipe body runs: each line (continuations joined), or the whole shebang body."""
    if body and body[0][1].startswith("#!"):
        return [(body[1][0], "\n".join(text for _, text in body[1:]))] if len(body) > 1 else []
    scripts: list[tuple[int, str]] = []
    continued = False
    for index, text in body:
        if continued:
            scripts[-1] = (scripts[-1][0], scripts[-1][1] + "\n" + text)
        elif not text.startswith("#"):
            scripts.append((index, re.sub(r"^[@-]+", "", text)))
        continued = text.endswith("\\")
    return scripts
