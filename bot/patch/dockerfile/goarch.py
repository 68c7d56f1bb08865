"""goarch-amd64: GOARCH forced to amd64, and a TARGETARCH/TARGETPLATFORM default that overrides BuildKit's."""

from __future__ import annotations

import re

from bot.model import Hazard, Instruction
from bot.patch.dockerfile.plan import ARM, GOARCH, LEFT, TARGETARCH, Fix, Patching
from bot.patch.dockerfile.step_text import PLAIN
from bot.patch.spans import Span

_GOARCH = re.compile(r"(?<![\w${])GOARCH(=|[ \t]+)(\"?)(amd64)\2(?![\w-])")
_ARG_DEFAULT = re.compile(r"(?<![\w${])(TARGETARCH|TARGETPLATFORM)(=(?:\"[^\"]*\"|'[^']*'|[^\s\"']*))")


def goarch_fix(p: Patching, h: Hazard, ins: Instruction, ordinal: int) -> Fix | str:
    if ins.keyword not in ("RUN", "ENV", "ARG") or (ins.keyword == "RUN" and p.not_shell(ins)):
        return h.fix
    step = p.step_text(ins)
    if ARM.search(step.live):
        return f"{LEFT} the step already names arm64; does it choose by architecture itself? {h.fix}"
    spans: list[Span | None] = []
    whys: dict[str, None] = {}
    for m in _ARG_DEFAULT.finditer(step.live) if ins.keyword == "ARG" else ():
        spans.append(step.span(m.start(2), m.end(2), ""))
        whys[f"`ARG {m.group(1)}` without the default `{m.group(2)[1:]}`, which overrode the value "
             "BuildKit sets for each platform."] = None  # fmt: skip
    for m in _GOARCH.finditer(step.live):
        if (m.group(1) != "=" and ins.keyword != "ENV") or (ins.keyword == "ARG" and ins.stage < 0):
            continue  # a global ARG GOARCH only reaches stages that re-declare it: asked about
        spans.append(
            step.span(m.start(3), m.end(3), TARGETARCH) if step.quoting(m.start()) == PLAIN else None
        )
        whys["`GOARCH=${TARGETARCH}`: Go builds for the platform being built, not always for amd64."] = None
    kept = [s for s in spans if s is not None]
    if not kept or len(kept) < len(spans):
        return h.fix
    return Fix(
        GOARCH, ordinal, ins.stage, h.line, tuple(kept), " ".join(whys),
        f"({h.code}): {h.message} {h.fix}",
        needs_arg=ins.stage >= 0 and any(s.replacement == TARGETARCH for s in kept),
    )  # fmt: skip
