"""platform-pinned: `--platform=linux/amd64` on the FROM of a published stage, when the plan builds more."""

from __future__ import annotations

import re

from bot.model import BaseKind, Hazard, Instruction
from bot.patch.dockerfile.plan import LEFT, PINNED, Fix, Patching

_PLATFORM_FLAG = re.compile(r"(?<=\s)--platform=linux/amd64[ \t]+(?=\S)")


def platform_fix(p: Patching, h: Hazard, ins: Instruction, ordinal: int) -> Fix | str:
    stage = p.info.stages[ins.stage] if ins.keyword == "FROM" else None
    if stage is None or stage.platform_flag != "linux/amd64" or stage.base_kind is not BaseKind.IMAGE:
        return h.fix
    if stage.index not in p.published:
        return (
            f"{LEFT} this stage is not the published image, so whether it should follow the target "
            f"platform or cross-compile is the project's call. {h.fix}"
        )
    if all(pl.architecture == "amd64" for pl in p.context.platforms):
        return f"{LEFT} the build plan has only amd64 (a base lacks the others). {h.fix}"
    step = p.step_text(ins)
    m = _PLATFORM_FLAG.search(step.live)
    span = step.span(m.start(), m.end(), "") if m else None
    if span is None:
        return h.fix
    p.dropped[stage.index] = ordinal
    return Fix(
        PINNED, ordinal, stage.index, h.line, (span,),
        f"drop `--platform=linux/amd64` from the published stage: the plan found {stage.base_written} "
        f"for {p.context.platform_list}, so each platform's image is built on its own base.",
        f"({h.code}): {h.message} {h.fix}",
    )  # fmt: skip
