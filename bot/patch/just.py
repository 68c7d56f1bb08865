"""justfiles: the publishing ``docker build`` lines of their recipes made multi-arch.

Each recipe's body is one scope for the command engine (``bot.patch.commands``), read in place like a
Makefile recipe: the lines outside the body and the ``@``/``-`` line prefixes are blanked to spaces, so
the engine's offsets are the file's. A linewise recipe runs each line in its own shell, but they share
one docker daemon, so a build on one line and its push on the next are the same image: reading the body
as one script gives the same result (the scan reads it line by line and finds the same builds). A
shebang recipe is one script anyway. ``{{ image }}`` interpolations stay as written: the spaces inside
them are masked while words are split, exactly as the scan masks them, and unmasked in every edit.

Platforms: every just variable can be overridden from the command line (``just platforms=linux/arm64
release``), so a justfile whose builds interpolate its own ``name := value`` settings is the Makefile's
``?=`` case. It gets one ``platforms := "…"`` line after its first run of settings (spelled, quoted and
aligned like them) and ``--platform {{ platforms }}``, so a maintainer can build one platform locally
the way they already pick another image or version; a justfile whose builds use no settings gets the
list inline, the smallest edit. A ``platforms`` setting the file already has is used only when it is
exactly the plan's list.

A justfile whose ``set shell`` is not a POSIX shell (PowerShell, nushell, python) is refused: its recipe
lines are not sh command lines, so the engine would be guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.model import BuildKind, LeftAlone
from bot.patch.base import Edited, PatchContext, PatchResult, Refused, Unchanged
from bot.patch.commands import OUT_OF_REACH, rewrite
from bot.patch.shell import verify
from bot.patch.spans import Span, Unpatchable, insert_lines, line_end, line_starts, splice
from bot.scan.paths import just as finder
from bot.scan.paths.just import _SPACE, _recipes, mask_interpolations

_SETTING = re.compile(r"^(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_-]*)([ \t]*):=[ \t]*(.*?)\r?$", re.MULTILINE)
_NAME_USED = re.compile(r"\{\{-?\s*([A-Za-z_][A-Za-z0-9_-]*)")
_PREFIX = re.compile(r"[@-]+")
_SHELL = re.compile(r"^set[ \t]+shell[ \t]*:=[ \t]*\[(.*)\]", re.MULTILINE)
_POSIX_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox", "env"})


@dataclass(frozen=True)
class _Recipe:
    script: str  # the body, masked in place: same length as the file text it covers
    base: int  # file offset of script[0]
    first: int  # 0-based file line of script's first line
    scan_lines: dict[int, int]  # 0-based file line → the 1-based line the scan reports for a build there


def patch(path: str, text: str, context: PatchContext) -> PatchResult:
    found = [bp for bp in context.build_paths if bp.kind is BuildKind.JUST and bp.via is None]
    if not found or len(context.platforms) < 2:
        return Unchanged()
    shell = _SHELL.search(text)
    program = re.findall(r"[\"']([^\"']*)[\"']", shell.group(1))[:1] if shell else []
    if program and program[0].rsplit("/", 1)[-1].removesuffix(".exe") not in _POSIX_SHELLS:
        return Refused(
            f"its recipes run in {program[0]}, not a POSIX shell; its command lines are not rewritten"
        )
    lines = {bp.line for bp in found}
    platforms = [str(p) for p in context.platforms]
    settings = list(_SETTING.finditer(text))
    existing = next((m for m in settings if m.group(1).lower() == "platforms"), None)
    if existing is not None:  # the project's own list: used only when it is exactly the plan's
        variable = set(_unquoted(existing.group(3)).split(",")) == set(platforms)
    else:
        used = {name for bp in found for name in _NAME_USED.findall(bp.command)}
        variable = any(m.group(1) in used for m in settings)
    name = existing.group(1) if existing else _platforms_name(settings)
    platform_text = _interpolation(text, name) if variable else context.platform_list
    recipes = _read_recipes(text)

    def scan_line(k: int, line: int) -> int | None:
        return recipes[k].scan_lines.get(recipes[k].first + line)

    try:
        result = rewrite(
            [r.script for r in recipes],
            platforms,
            _mask(platform_text),
            lambda k, line: scan_line(k, line) in lines,
        )
        left_alone = tuple(
            LeftAlone(path, recipes[k].first + line + 1, _unmask(reason))
            for k, line, reason in result.left_alone
        )
        seen = {scan_line(k, line) for k, line in result.seen}
        left_alone += tuple(LeftAlone(path, line, OUT_OF_REACH) for line in sorted(lines - seen))
        if not result.spans:
            return Unchanged(left_alone)
        spans = [
            Span(recipes[k].base + s.start, recipes[k].base + s.end, _unmask(s.replacement))
            for k, s in result.spans
        ]
        rationale = [_unmask(line) for line in result.rationale]
        if variable and existing is None:
            spans.append(_platforms_setting(text, settings, name, context.platform_list))
            rationale.insert(0, f"{name} := {context.platform_list}, overridable like the other settings")
        after = splice(text, spans)
        verify(path, text, after, finder.find, platforms, platform_text)
    except Unpatchable as error:
        return Refused(str(error))
    return Edited(after, tuple(rationale), left_alone)


def _mask(script: str) -> str:
    """Spaces inside ``{{ }}`` as the scan masks them, so each interpolation stays one shell word."""
    return mask_interpolations(script)


def _unmask(text: str) -> str:
    return text.replace(_SPACE, " ")


def _read_recipes(text: str) -> list[_Recipe]:
    """Each recipe body as shell text, masked in place, with where it sits and the scan's line numbers."""
    starts = line_starts(text)
    recipes: list[_Recipe] = []
    for _, _, _, body in _recipes(text.replace("\r\n", "\n").split("\n")):
        if not body:
            continue
        first, last = body[0][0], body[-1][0]
        shebang = body[0][1].startswith("#!")
        kept = {index for index, _ in body}
        base, end = starts[first], line_end(text, starts[last])
        pieces, continued = [], False
        for index in range(first, last + 1):
            line = text[starts[index] : line_end(text, starts[index])]
            content = line.rstrip("\r\n")
            if index not in kept:
                content = " " * len(content)  # a blank line inside the body: nothing to read
            elif not shebang and not continued:  # `@`/`-` only prefix a line's first physical line
                indent = len(content) - len(content.lstrip(" \t"))
                prefix = _PREFIX.match(content, indent)
                if prefix:
                    content = content[:indent] + " " * (prefix.end() - indent) + content[prefix.end() :]
            if index in kept:
                continued = content.endswith("\\")
            pieces.append(content + line[len(content) :])
        script = _mask("".join(pieces))
        assert len(script) == end - base
        if shebang:  # the scan joins the non-blank lines after the shebang and counts lines from there
            scan_lines = {index: body[1][0] + 1 + n for n, (index, _) in enumerate(body[1:])}
        else:
            scan_lines = {index: index + 1 for index in range(first, last + 1)}
        recipes.append(_Recipe(script, base, first, scan_lines))
    return recipes


def _unquoted(value: str) -> str:
    value = value.split("#", 1)[0].strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1].replace(" ", "")
    return value  # an expression (env_var_or_default(…)): not a list to compare, so never equal


def _platforms_name(settings: list[re.Match[str]]) -> str:
    names = [m.group(1) for m in settings]
    return "PLATFORMS" if names and all(n.isupper() for n in names) else "platforms"


def _interpolation(text: str, name: str) -> str:
    """``{{ name }}`` or ``{{name}}``, as the file mostly writes its interpolations."""
    spaced = len(re.findall(r"\{\{\s", text))
    tight = len(re.findall(r"\{\{[^\s{]", text))
    return f"{{{{{name}}}}}" if tight > spaced else f"{{{{ {name} }}}}"


def _platforms_setting(text: str, settings: list[re.Match[str]], name: str, platform_list: str) -> Span:
    """``platforms := "…"`` after the first run of consecutive settings, aligned and quoted like them."""
    starts = line_starts(text)
    index = text.count("\n", 0, settings[0].start())
    run = [settings[0]]
    for m in settings[1:]:
        if text.count("\n", 0, m.start()) != index + 1:
            break
        index += 1
        run.append(m)
    columns = {m.end(1) + len(m.group(2)) - starts[text.count("\n", 0, m.start())] for m in run}
    aligned = len(run) > 1 and len(columns) == 1 and all(m.group(2) == " " * len(m.group(2)) for m in run)
    column = max(columns)
    padding = column - len(name) if aligned and column > len(name) else 1
    quote = "'" if all(m.group(3).startswith("'") for m in run) else '"'
    line = f"{name}{' ' * padding}:= {quote}{platform_list}{quote}"
    return insert_lines(text, line_end(text, starts[index]), [line])
