"""Bake files: every target the file builds gets every wanted platform, in as few places as possible.

A target's platforms may come from itself or from a target it ``inherits`` (the later parent wins, the
target's own attribute over all). So a list that lacks a platform is widened where it is written; a
target with no platforms at all gets them, or, when several such targets share a parent
(``_common``, ``docker-metadata-action``), the parent gets them once. Targets that load into the
local image store (``output = ["type=docker"]``) hold one platform by design and are left alone.
"""

from __future__ import annotations

from bot.errors import InputError
from bot.model import BuildKind, LeftAlone, Platform
from bot.patch.bake_files import BakeFile, HclBake, JsonBake, Target
from bot.patch.base import Edited, PatchContext, PatchResult, Refused, Unchanged
from bot.patch.spans import Span, Unpatchable, splice
from bot.scan.paths import bake as finder


def patch(path: str, text: str, context: PatchContext) -> PatchResult:
    built = [b.name for b in context.build_paths if b.kind is BuildKind.BAKE]
    if not built or not context.platforms:
        return Unchanged()
    wanted = [str(platform) for platform in context.platforms]
    try:
        bake: BakeFile = JsonBake(text) if path.endswith(".json") else HclBake(text)
        left_alone: list[LeftAlone] = []
        kept: set[str] = set()  # the built targets left alone
        widen: dict[str, list[str]] = {}  # the target whose list is widened → the targets it serves
        bare: list[str] = []  # built targets with no platforms anywhere up their inheritance
        for name in dict.fromkeys(built):
            target = bake.targets.get(name)
            if target is None:
                continue
            reason = _why_not(bake, target, context)
            source = _source(bake, name, frozenset())
            if reason:
                left_alone.append(LeftAlone(path, target.line, f"bake target '{name}' {reason}"))
                kept.add(name)
            elif source is None:
                bare.append(name)
            elif _missing(bake.targets[source], context):
                widen.setdefault(source, []).append(name)
        spans, rationale = _edits(bake, widen, bare, wanted, context)
        if not spans:
            return Unchanged(tuple(left_alone))
        after = splice(text, spans)
        _verify(path, text, after, context, kept)
    except Unpatchable as error:
        return Refused(str(error))
    return Edited(after, tuple(rationale), tuple(left_alone))


def _why_not(bake: BakeFile, target: Target, context: PatchContext) -> str:
    """Why a built target is left as it is ("" when it is patched or needs nothing)."""
    if any(bake.targets[name].loads for name in _lineage(bake, target.name)):
        return "loads into the local image store (output type=docker), which holds one platform"
    source = _source(bake, target.name, frozenset())
    if source is None:
        return ""
    defined = bake.targets[source]
    if not defined.literal:
        where = "" if source == target.name else f" (through '{source}')"
        return f"takes its platforms from an expression{where}; left as written"
    written = list(defined.platforms or ())
    if not all(_normal({item}) for item in written):
        return f"lists {written} as platforms, which are not all platforms; left as written"
    return ""


def _lineage(bake: BakeFile, name: str) -> list[str]:
    """The target and every target it inherits from, in this file, each once."""
    seen: list[str] = []
    stack = [name]
    while stack:
        current = stack.pop()
        if current in bake.targets and current not in seen:
            seen.append(current)
            stack.extend(bake.targets[current].inherits)
    return seen


def _source(bake: BakeFile, name: str, seen: frozenset[str]) -> str | None:
    """The target whose ``platforms`` applies to ``name``: its own, else the last parent's that has one."""
    target = bake.targets.get(name)
    if target is None or name in seen:
        return None
    if target.platforms is not None or not target.literal:
        return name
    for parent in reversed(target.inherits):
        found = _source(bake, parent, seen | {name})
        if found is not None:
            return found
    return None


def _missing(target: Target, context: PatchContext) -> list[str]:
    have = [Platform.parse(p) for p in target.platforms or ()]
    return [str(p) for p in context.platforms if p not in have]


def _edits(
    bake: BakeFile, widen: dict[str, list[str]], bare: list[str], wanted: list[str], context: PatchContext
) -> tuple[list[Span], list[str]]:
    spans: list[Span] = []
    rationale: list[str] = []
    for source, users in widen.items():
        missing = _missing(bake.targets[source], context)
        spans += bake.extend(source, missing)
        others = [user for user in users if user != source]
        served = f", which {', '.join(repr(u) for u in others)} inherit" if others else ""
        rationale.append(f"bake target '{source}' now also builds {','.join(missing)}{served}")
    parent = _shared_parent(bake, bare) if len(bare) > 1 else None
    if parent is not None:
        spans += bake.add(parent, wanted)
        targets = ", ".join(repr(name) for name in bare)
        rationale.append(
            f"bake target '{parent}' now lists {context.platform_list}, once for {targets}, which inherit it"
        )
        return spans, rationale
    for name in bare:
        spans += bake.add(name, wanted)
        rationale.append(f"bake target '{name}' now builds {context.platform_list}")
    return spans, rationale


def _shared_parent(bake: BakeFile, bare: list[str]) -> str | None:
    """A parent every platform-less target inherits directly, where platforms reach exactly them.

    Every other target inheriting it must set its own platforms, so the parent's list changes nothing
    for them. A parent with attributes is preferred over an empty stub (``docker-metadata-action {}``),
    whose ``{}`` would have to open onto new lines.
    """
    shared = [p for p in bake.targets[bare[0]].inherits if all(p in bake.targets[n].inherits for n in bare)]
    fitting = [
        parent
        for parent in dict.fromkeys(shared)
        if parent in bake.targets
        and all(
            name in bare or bake.targets[name].platforms is not None
            for name, target in bake.targets.items()
            if parent in target.inherits
        )
    ]
    return min(fitting, key=lambda parent: _no_attributes(bake, parent), default=None)


def _no_attributes(bake: BakeFile, name: str) -> bool:
    if isinstance(bake, HclBake):
        return not bake.blocks[name].attributes
    if isinstance(bake, JsonBake):
        return not bake.objects[name].members
    return False


def _verify(path: str, before: str, after: str, context: PatchContext, left: set[str]) -> None:
    """The result must scan, every built target must cover the wanted platforms, none may lose one, and
    the targets left alone must keep theirs (a widened parent reaches every target inheriting it)."""
    try:
        old = {b.name: set(b.platforms) for b in finder.find(path, before)}
        new = {b.name: set(b.platforms) for b in finder.find(path, after)}
    except InputError as error:
        raise Unpatchable(f"the patched bake file would not parse: {error}") from None
    for name, platforms in new.items():
        if not old.get(name, set()) <= platforms:
            raise Unpatchable(f"the patch would drop platforms from bake target '{name}'")
        if name in left and platforms != old.get(name):
            raise Unpatchable(f"the patch would also change bake target '{name}', which it leaves alone")
        if name not in left and not {str(p) for p in context.platforms} <= _normal(platforms):
            raise Unpatchable(f"the patched bake target '{name}' would still not build every platform")


def _normal(platforms: set[str]) -> set[str]:
    normal = set()
    for written in platforms:
        try:
            normal.add(str(Platform.parse(written)))
        except ValueError:
            continue
    return normal
