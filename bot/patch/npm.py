"""package.json: the ``docker build`` / ``docker push`` lines of its scripts made multi-arch.

All scripts of one package.json are one scope for the command engine (``bot.patch.commands``): a
``docker:publish`` script pushing the tag ``docker:build`` builds becomes a buildx build-and-push of
that build, and ``docker:build`` stays as it is for whatever runs its image locally (the Azurite
shape). Each edit lands inside the script's JSON string at the decoded character's raw offset, and only
the inserted text is JSON-escaped, so the rest of the string keeps its escapes (``\\"``) byte for byte.
"""

from __future__ import annotations

import json

from bot.errors import InputError
from bot.model import BuildKind, LeftAlone
from bot.patch import json_spans
from bot.patch.base import Edited, PatchContext, PatchResult, Refused, Unchanged
from bot.patch.commands import OUT_OF_REACH, covers, rewrite
from bot.patch.spans import Span, Unpatchable, line_number, splice
from bot.scan.paths import npm as finder


def patch(path: str, text: str, context: PatchContext) -> PatchResult:
    built = {bp.name for bp in context.build_paths if bp.kind is BuildKind.NPM and bp.via is None}
    if not built or len(context.platforms) < 2:
        return Unchanged()
    try:
        root = json_spans.parse(text)
        scripts = root.member("scripts") if root.kind == "object" else None
        if scripts is None or scripts.kind != "object":
            return Unchanged()
        members = [m for m in scripts.members if m.value.kind == "string"]
        platforms = [str(p) for p in context.platforms]
        result = rewrite(
            [m.value.text for m in members],
            platforms,
            context.platform_list,
            lambda script, line: members[script].key in built,
        )
        spans = [_raw_span(text, members[k].value, span) for k, span in result.spans]
        left_alone = tuple(
            LeftAlone(path, line_number(text, members[k].key_start), f"script '{members[k].key}': {reason}")
            for k, _, reason in result.left_alone
        )
        seen = {members[k].key for k, _ in result.seen}
        left_alone += tuple(
            LeftAlone(path, line_number(text, m.key_start), f"script '{m.key}': {OUT_OF_REACH}")
            for m in members
            if m.key in built - seen
        )
        if not spans:
            return Unchanged(left_alone)
        after = splice(text, spans)
        _verify(path, after, platforms, context.platform_list)
    except Unpatchable as error:
        return Refused(str(error))
    return Edited(after, result.rationale, left_alone)


def _raw_span(text: str, value: json_spans.JsonValue, span: Span) -> Span:
    """A span against a string's decoded text, moved onto its raw JSON text (quotes excluded)."""
    offsets = _raw_offsets(text, value.start + 1, value.end - 1)
    replacement = json.dumps(span.replacement, ensure_ascii=False)[1:-1]
    return Span(offsets[span.start], offsets[span.end], replacement)


def _raw_offsets(text: str, start: int, end: int) -> list[int]:
    """The raw offset of each decoded character of ``text[start:end]`` (and of its end)."""
    offsets: list[int] = []
    i = start
    while i < end:
        offsets.append(i)
        if text[i] != "\\":
            i += 1
        elif text[i + 1] == "u":
            code = int(text[i + 2 : i + 6], 16)
            i += 6
            if 0xD800 <= code < 0xDC00 and text.startswith("\\u", i):  # a surrogate pair is one character
                i += 6
        else:
            i += 2
    offsets.append(end)
    return offsets


def _verify(path: str, after: str, platforms: list[str], platform_text: str) -> None:
    try:
        json.loads(after)
        found = finder.find(path, after)
    except (ValueError, InputError) as error:
        raise Unpatchable(f"the patched package.json does not parse: {error}") from error
    for bp in found:
        if bp.via is None and bp.platforms and not covers(bp.platforms, platforms, platform_text):
            raise Unpatchable(f"script '{bp.name}' does not build {platform_text} after the patch")
