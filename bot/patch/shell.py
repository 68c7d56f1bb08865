"""Shell scripts (``*.sh``, shebang scripts): their publishing ``docker build`` lines made multi-arch.

The file is one script, so the whole of it is one scope for the command engine
(``bot.patch.commands``): a build whose tags the script pushes later gains ``--platform`` and
``--push`` and those pushes go; a build the script also runs locally keeps its single-arch local image
and its pushes become buildx build-and-push lines.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.errors import InputError
from bot.model import BuildKind, BuildPath, LeftAlone
from bot.patch.base import Edited, PatchContext, PatchResult, Refused, Unchanged
from bot.patch.commands import OUT_OF_REACH, covers, rewrite
from bot.patch.spans import Unpatchable, splice
from bot.scan.paths import shell as finder


def patch(path: str, text: str, context: PatchContext) -> PatchResult:
    lines = {bp.line for bp in context.build_paths if bp.kind is BuildKind.SHELL and bp.via is None}
    if not lines or len(context.platforms) < 2:
        return Unchanged()
    platforms = [str(p) for p in context.platforms]
    try:
        result = rewrite([text], platforms, context.platform_list, lambda _, line: line + 1 in lines)
        left_alone = tuple(LeftAlone(path, line + 1, reason) for _, line, reason in result.left_alone)
        seen = {line + 1 for _, line in result.seen}
        left_alone += tuple(LeftAlone(path, line, OUT_OF_REACH) for line in sorted(lines - seen))
        if not result.spans:
            return Unchanged(left_alone)
        after = splice(text, [span for _, span in result.spans])
        verify(path, text, after, finder.find, platforms, context.platform_list)
    except Unpatchable as error:
        return Refused(str(error))
    return Edited(after, result.rationale, left_alone)


def verify(
    path: str,
    before: str,
    after: str,
    find: Callable[[str, str], list[BuildPath]],
    platforms: list[str],
    platform_text: str,
) -> None:
    """Re-scan the patched text: every build command the patch wrote builds the platforms and pushes."""
    try:
        old = {bp.command for bp in find(path, before)}
        new = [bp for bp in find(path, after) if bp.command not in old and bp.via is None]
    except InputError as error:
        raise Unpatchable(f"the patched file does not scan: {error}") from error
    for bp in new:
        if not covers(bp.platforms, platforms, platform_text) or not bp.pushes:
            raise Unpatchable(f"line {bp.line} does not build and push {platform_text} after the patch")
