"""arch-in-url: an amd64 (or x86_64) name in a download, renamed for the platform being built."""

from __future__ import annotations

import re

from bot.model import Hazard, Instruction
from bot.patch.dockerfile.plan import ARM, LEFT, PINNED, TARGETARCH, UNAME, URL, Fix, Patching
from bot.patch.dockerfile.step_text import PLAIN, SINGLE_QUOTED, StepText
from bot.patch.spans import Span

_ARCH = re.compile(
    r"(?<![A-Za-z0-9])(?:amd64|x86[_-]64|x64|linux-?64|64bit|aarch64|arm64)(?![A-Za-z0-9])", re.I
)
_TRIPLE_TAIL = re.compile(r"-(?:unknown-|pc-)?linux-(?:gnu|musl)")
_CHECKSUM = re.compile(
    r"(?<![\w-])(?:sha\d*sum|shasum|md5sum|b2sum|cksum|gpgv|cosign|minisign)(?![\w-])|--checksum"
    r"|(?<![\w-])gpg\b[^\n;&|]*--verify"
)
_NAME_LEFT = re.compile(r"(?:[\w.-]|\$\{\w+\})*$")  # a file name, ${VERSION} parts included
_NAME_RIGHT = re.compile(r"(?:[\w.-]|\$\{\w+\})*")
_ASK = "Please check the release page for the arm64 asset's name and map TARGETARCH to it in the RUN step."


def download_fix(p: Patching, h: Hazard, ins: Instruction, ordinal: int) -> Fix | str:
    if ins.keyword not in ("RUN", "ADD") or ins.stage < 0:
        return f"{LEFT} the name is set in {ins.keyword}, away from the download. {h.fix}"
    if ins.keyword == "RUN" and (reason := p.not_shell(ins)):
        return f"{reason} {h.fix}"
    if others := sorted({pl.architecture for pl in p.context.platforms} - {"amd64", "arm64"}):
        return f"{LEFT} the build also targets {', '.join(others)}, whose names cannot be derived. {_ASK}"
    step = p.step_text(ins)
    if check := _CHECKSUM.search(step.live) or _checksum_later(p, ins):
        return (
            f"{LEFT} the file is checked with `{check.group().strip()}` against the amd64 file's "
            "checksum or signature, which the arm64 file would fail. What is the arm64 asset's checksum? "
            "Then pick the file and its checksum by TARGETARCH."
        )
    spans: list[Span] = []
    names: set[str] = set()
    in_url, shown = False, ""
    for m in _ARCH.finditer(step.live):
        new = _replacement(p, step, m, ins)
        span = step.span(m.start(), m.end(), new) if new.startswith("$") else None
        if span is None:
            return new or f"{LEFT} `{m.group()}` is split over lines. {h.fix}"
        spans.append(span)
        in_url |= "://" in step.word(m.start(), m.end())
        name = _file_name(step.live, m.start(), m.end())
        names.add(step.live[name])
        if not shown:  # a bare path part (`linux/amd64/kubectl`) says little alone: show its neighbours
            wide = _file_name(step.live, m.start(), m.end(), "/") if name == slice(*m.span()) else name
            before, after = step.live[wide.start : m.start()], step.live[m.end() : wide.stop]
            shown = f"`{before}{new}{after}` instead of `{step.live[wide]}`"
    fetched = p.fetched.setdefault(ins.stage, {})
    if not spans:
        return h.fix  # e.g. `${ARCH}` where ARG ARCH=amd64: what else ARCH means is the project's call
    if not in_url and not names <= fetched.keys():
        return f"{LEFT} the name is not in a download this patch fixes; where is it from? {h.fix}"
    depends = {(URL, fetched[n]) for n in names if n in fetched}
    if any(s.replacement == UNAME for s in spans):  # only right once the stage follows the target
        depends |= {(PINNED, p.dropped[s]) for s in p.chain(ins.stage) if s in p.dropped}
    fetched.update(dict.fromkeys(names, ordinal))
    why = f"{'fetch' if in_url else 'use'} {shown}, so each platform's image gets its own build."
    if any(s.replacement == UNAME for s in spans):
        why += " `uname -m` prints x86_64 or aarch64, the head of each platform's target triple."
    return Fix(
        URL, ordinal, ins.stage, h.line, tuple(spans), why, f"({h.code}): {h.message} {h.fix}",
        needs_arg=any(s.replacement == TARGETARCH for s in spans),
        depends=frozenset(depends - {(URL, ordinal)}),
    )  # fmt: skip


def _replacement(p: Patching, step: StepText, m: re.Match[str], ins: Instruction) -> str:
    """What one architecture name becomes (it starts with $), or why its step is left alone."""
    arch, start, end = m.group(), m.start(), m.end()
    quoting, word = step.quoting(start), step.word(start, end)
    if quoting != PLAIN:
        where = "single quotes" if quoting == SINGLE_QUOTED else "a ${…} expression"
        return (
            f"{LEFT} `{arch}` is inside {where}, where the shell would not expand `${{TARGETARCH}}`; "
            "could the URL be in double quotes, so the same fix works?"
        )
    if ARM.fullmatch(arch):
        return (
            f"{LEFT} the step already names {arch}; does it choose by architecture itself? "
            "Please check that its amd64 download runs only on amd64."
        )
    joined = step.code[start - 1 : start] in ("-", "_", ".", "/") or step.code[end : end + 1] in "-_./"
    if not joined or (word.startswith("-") and "://" not in word):
        return f"{LEFT} `{word.strip()}` uses {arch} as a value, not in a file name. {_ASK}"
    if arch == "amd64":
        return TARGETARCH
    pinned = any(p.info.stages[s].platform_flag for s in p.chain(ins.stage) if s not in p.dropped)
    if arch == "x86_64" and _TRIPLE_TAIL.match(step.code, end) and ins.keyword == "RUN" and not pinned:
        return UNAME
    if arch.lower() in ("x86_64", "x86-64"):
        return (
            f"{LEFT} is the arm64 asset named aarch64 (then `$(uname -m)` in a RUN picks it) or arm64 "
            "(then map TARGETARCH to it)? Please check the release page."
        )
    return f"{LEFT} the arm64 name for `{arch}` cannot be derived (arm64? aarch64? armv8?). {_ASK}"


def _checksum_later(p: Patching, ins: Instruction) -> re.Match[str] | None:
    later = (i for i in p.info.instructions if i.stage == ins.stage and i.line > ins.line)
    return next((m for i in later if (m := _CHECKSUM.search("\n".join((i.value, *i.heredocs))))), None)


def _file_name(text: str, start: int, end: int, extra: str = "") -> slice:
    """The file name around text[start:end]; with extra="/", its neighbouring path parts too."""
    left, right = _NAME_LEFT.search(text, 0, start), _NAME_RIGHT.match(text, end)
    lo, hi = left.start() if left else start, right.end() if right else end
    if extra and text[lo - 1 : lo] == extra and (more := _NAME_LEFT.search(text, 0, lo - 1)):
        lo = more.start()
    if extra and text[hi : hi + 1] == extra and (more := _NAME_RIGHT.match(text, hi + 1)):
        hi = more.end()
    return slice(lo, hi)
