"""Makefiles: the publishing ``docker build`` lines of their recipes made multi-arch.

Each rule's recipe is one scope for the command engine (``bot.patch.commands``), read in place: the
recipe lines' ``@``/``-``/``+`` prefixes and everything outside the recipe are blanked to spaces (same
length, so the engine's offsets are the file's), tabs and ``\\`` continuations stay as the shell sees
them. A build whose tags the same recipe pushes gains ``--push`` and those lines go; a push in another
target (``push: build``) becomes a buildx build-and-push of the build it pushes.

A Makefile that already sets its image settings with ``?=`` gets ``PLATFORMS ?= <platforms>`` next to
them and ``--platform $(PLATFORMS)``, so the platforms can be overridden like the rest; otherwise the
list is written inline.
"""

from __future__ import annotations

import re

from bot.model import BuildKind, LeftAlone
from bot.patch.base import Edited, PatchContext, PatchResult, Refused, Unchanged
from bot.patch.commands import OUT_OF_REACH, rewrite
from bot.patch.shell import verify
from bot.patch.spans import Span, Unpatchable, insert_lines, line_end, line_starts, splice
from bot.scan.paths import make as finder
from bot.scan.paths.make import _parse, _tool_variables

_DEFAULTED = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)[ \t]*\?=", re.MULTILINE)
_PLATFORMS_SET = re.compile(r"^(?:(?:export|override)\s+)*PLATFORMS\s*(?:::?=|:::=|\?=|\+=|=)", re.MULTILINE)
_PREFIX = re.compile(r"[@+-][@+\s-]*")


def patch(path: str, text: str, context: PatchContext) -> PatchResult:
    lines = {bp.line for bp in context.build_paths if bp.kind is BuildKind.MAKE and bp.via is None}
    if not lines or len(context.platforms) < 2:
        return Unchanged()
    platforms = [str(p) for p in context.platforms]
    defaulted = list(_DEFAULTED.finditer(text))
    scripts, bases, variables = _recipes(text)
    has_platforms = "PLATFORMS" in variables or bool(_PLATFORMS_SET.search(text))
    if has_platforms:  # the project's own list: used only when it is exactly the plan's
        variable = set(variables.get("PLATFORMS", "").replace(",", " ").split()) == set(platforms)
    else:
        variable = bool(defaulted)
    platform_text = "$(PLATFORMS)" if variable else context.platform_list
    docker_words = frozenset(
        f"{opening}{name}{closing}"
        for name, value in _tool_variables(variables).items()
        if value == "docker"
        for opening, closing in (("$(", ")"), ("${", "}"))
    )
    try:
        first_lines = [text.count("\n", 0, base) for base in bases]
        result = rewrite(
            scripts,
            platforms,
            platform_text,
            lambda k, line: first_lines[k] + line + 1 in lines,
            docker_words,
        )
        left_alone = tuple(
            LeftAlone(path, first_lines[k] + line + 1, reason) for k, line, reason in result.left_alone
        )
        seen = {first_lines[k] + line + 1 for k, line in result.seen}
        left_alone += tuple(LeftAlone(path, line, OUT_OF_REACH) for line in sorted(lines - seen))
        if not result.spans:
            return Unchanged(left_alone)
        spans = [Span(bases[k] + s.start, bases[k] + s.end, s.replacement) for k, s in result.spans]
        rationale = list(result.rationale)
        if variable and not has_platforms:
            after_line, name = _end_of_first_run(text, defaulted)
            spans.append(insert_lines(text, after_line, [f"{name}?= {context.platform_list}"]))
            rationale.insert(0, f"PLATFORMS ?= {context.platform_list}, overridable like the other settings")
        after = splice(text, spans)
        verify(path, text, after, finder.find, platforms, platform_text)
    except Unpatchable as error:
        return Refused(str(error))
    return Edited(after, tuple(rationale), left_alone)


def _recipes(text: str) -> tuple[list[str], list[int], dict[str, str]]:
    """Each rule's recipe as shell text, masked in place, with its offset in the file; the variables."""
    starts = line_starts(text)
    rules, variables = _parse(text.replace("\r\n", "\n").split("\n"))
    scripts: list[str] = []
    bases: list[int] = []
    for rule in rules:
        last_line = len(starts) - 1  # a continuation on the last line reaches the empty "line" after it
        recipe = [
            (first, min(first + logical.count("\n"), last_line))
            for first, logical in rule.recipe
            if first != rule.line
        ]
        if not recipe:
            continue  # an inline `target: ; recipe` is left to the reader
        base = starts[recipe[0][0]]
        end = line_end(text, starts[recipe[-1][1]])
        keep = {index for first, last in recipe for index in range(first, last + 1)}
        pieces = []
        for index in range(recipe[0][0], recipe[-1][1] + 1):
            line = text[starts[index] : line_end(text, starts[index])]
            body = line.rstrip("\r\n")
            if index not in keep:
                body = " " * len(body)
            elif any(first == index for first, _ in recipe):
                prefix = _PREFIX.match(body, 1)
                if prefix:
                    body = body[:1] + " " * (prefix.end() - 1) + body[prefix.end() :]
            pieces.append(body + line[len(line.rstrip("\r\n")) :])
        script = "".join(pieces)
        assert len(script) == end - base
        scripts.append(script)
        bases.append(base)
    return scripts, bases, variables


def _end_of_first_run(text: str, defaulted: list[re.Match[str]]) -> tuple[int, str]:
    """The start of the line after the first run of consecutive ``NAME ?= value`` lines, and
    ``PLATFORMS`` padded to where that run aligns its ``?=`` (one space when it does not align)."""
    starts = line_starts(text)
    index = text.count("\n", 0, defaulted[0].start())
    run = [defaulted[0]]
    while index + 1 < len(starts) and (found := _DEFAULTED.match(text, starts[index + 1])):
        index += 1
        run.append(found)
    columns = {m.end() - 2 - starts[text.count("\n", 0, m.start())] for m in run}
    padded = all(text[m.end(1) : m.end() - 2] == " " * (m.end() - 2 - m.end(1)) for m in run)
    column = columns.pop() if len(columns) == 1 and len(run) > 1 and padded else 0
    return line_end(text, starts[index]), "PLATFORMS".ljust(max(column, len("PLATFORMS") + 1))
