"""Apply the planned fixes and check the result by re-parsing and re-scanning it.

A fix the scan still objects to, or that brings a new hazard into its step, becomes a question again (with
the fixes that rely on it); a result whose stages or untouched steps differ is refused.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace

from bot.model import DockerfileInfo, Instruction
from bot.patch.base import Edited, PatchResult, Refused, Unchanged
from bot.patch.dockerfile.plan import PINNED, Fix, Patching, step_at
from bot.patch.spans import insert_lines, splice
from bot.scan.dockerfile import parse_dockerfile
from bot.scan.hazards import find_hazards


def verified(p: Patching, fixes: list[Fix], asked: list[tuple[int, str]]) -> PatchResult:
    """Apply the fixes; turn back into questions those the re-scan does not confirm, until it does."""
    if not fixes:
        return Unchanged(questions=_questions(p, asked, {}))
    before = _hazard_keys(p, p.info, p.text, set())
    while fixes:
        text, inserts = _render(p, fixes)
        after = parse_dockerfile(text, p.path)
        problem, inserted = _structure_problem(p.info, after, fixes, inserts)
        if problem:
            return Refused(f"{p.path}: the edited file would parse differently ({problem})")
        found = _hazard_keys(p, after, text, inserted)
        new_in = {ordinal for _, ordinal in found - before}  # which fix of the step caused it is unknown
        if not new_in <= {f.ordinal for f in fixes}:
            return Refused(f"{p.path}: the edit would bring new hazards into steps it does not change")
        gone = {f.key for f in fixes if f.key in found or f.ordinal in new_in}
        if not gone:
            return _edited(p, text, fixes, inserts, asked)
        while demoted := [f for f in fixes if f.key in gone or gone & f.depends]:
            gone |= {f.key for f in demoted}
            asked += [(f.line, f.question) for f in demoted]
            fixes = [f for f in fixes if f not in demoted]
    return Unchanged(questions=_questions(p, asked, {}))


def _edited(
    p: Patching, text: str, fixes: list[Fix], inserts: dict[int, int], asked: list[tuple[int, str]]
) -> Edited:
    # each change at the line its first edit is on (a hazard may name a continued step's first line)
    changes = [
        (_shifted(bisect_right(p.starts, min(s.start for s in f.spans)), inserts), f.why) for f in fixes
    ]
    for stage, after in inserts.items():
        base = p.info.stages[stage]
        label = f"stage {base.name!r}" if base.name else f"the {base.base_written} stage"
        why = f"declare `ARG TARGETARCH` in {label}: BuildKit passes it only to stages that declare it."
        changes.append((_shifted(after, inserts) + 1, why))
    rationale = tuple(f"{p.path}:{line}: {why}" for line, why in sorted(changes))
    return Edited(text, rationale, questions=_questions(p, asked, inserts))


def _questions(p: Patching, asked: list[tuple[int, str]], inserts: dict[int, int]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f"{p.path}:{_shifted(line, inserts)} {q}" for line, q in sorted(asked)))


def _render(p: Patching, fixes: list[Fix]) -> tuple[str, dict[int, int]]:
    """The edited text, and stage → the line after which `ARG TARGETARCH` is inserted."""
    steps = p.info.instructions
    first_use: dict[int, int] = {}
    for f in (f for f in fixes if f.needs_arg):
        first_use[f.stage] = min(first_use.get(f.stage, steps[f.ordinal].line), steps[f.ordinal].line)
    inserts = {
        stage: next(i.end_line for i in steps if i.stage == stage and i.keyword == "FROM")
        for stage, use in first_use.items()
        if not any(i.stage == stage and i.keyword == "ARG" and i.line < use and _declares(i) for i in steps)
    }
    spans = {span for f in fixes for span in f.spans}
    for after in inserts.values():
        at = p.starts[after] if after < len(p.starts) else len(p.text)
        spans.add(insert_lines(p.text, at, ["ARG TARGETARCH"]))
    return splice(p.text, spans), inserts


def _hazard_keys(p: Patching, info: DockerfileInfo, text: str, inserted: set[int]) -> set[tuple[str, int]]:
    """Each hazard as (code, index of its step in the original file); inserted steps count as -1."""
    ordinals = [
        -1 if k in inserted else k - sum(j < k for j in inserted) for k in range(len(info.instructions))
    ]
    hazards = find_hazards(info, lambda path: text if path == info.path else None, ".", p.finals)
    return {(h.code, ordinals[k] if (k := step_at(info, h.line)) >= 0 else -2) for h in hazards}


def _declares(ins: Instruction) -> bool:
    return any(word.partition("=")[0] == "TARGETARCH" for word in ins.value.split())


def _shifted(line: int, inserts: dict[int, int]) -> int:
    """A line's number once `ARG TARGETARCH` lines are inserted after the given lines."""
    return line + sum(after < line for after in inserts.values())


def _structure_problem(
    before: DockerfileInfo, after: DockerfileInfo, fixes: list[Fix], inserts: dict[int, int]
) -> tuple[str, set[int]]:
    """What differs between the files beyond the intended edits ("" if nothing), and the inserted steps."""
    steps = after.instructions
    inserted = {
        next((k for k, i in enumerate(steps) if i.stage == stage), len(steps)) + 1 for stage in inserts
    }
    if any(
        k >= len(steps) or (steps[k].keyword, steps[k].value.strip()) != ("ARG", "TARGETARCH")
        for k in inserted
    ):
        return "an inserted ARG TARGETARCH is read differently", inserted
    kept = [i for k, i in enumerate(steps) if k not in inserted]
    if [i.keyword for i in kept] != [i.keyword for i in before.instructions]:
        return "its instructions differ", inserted
    edited = {f.ordinal for f in fixes}
    for k, (old, new) in enumerate(zip(before.instructions, kept, strict=True)):
        if k not in edited and (old.value, old.heredocs) != (new.value, new.heredocs):
            return f"the step on line {old.line} changed", inserted
    if len(after.stages) != len(before.stages) or len(after.warnings) != len(before.warnings):
        return "its stages or warnings differ", inserted
    dropped = {f.stage for f in fixes if f.code == PINNED}
    for stage, now in zip(before.stages, after.stages, strict=True):
        flag = None if stage.index in dropped else stage.platform_flag
        if replace(stage, line=now.line, platform_flag=flag) != now:
            return f"stage {stage.index} changed", inserted
    return "", inserted
