"""Fix the Dockerfile hazards that have one right answer; turn every other one into a question.

* arch-in-url, in a RUN (shell form, POSIX shell) or ADD that downloads from a URL: each lowercase
  ``amd64`` in a URL or file name becomes ``${TARGETARCH}``, which BuildKit sets to exactly amd64 or arm64,
  the Go names a project that says amd64 also uses for arm64. ``x86_64`` becomes ``$(uname -m)`` only at
  the head of a GNU/Rust target triple (``x86_64-unknown-linux-musl``): its arm64 twin is ``aarch64-…`` by
  definition, which is what ``uname -m`` prints on arm64, natively and under BuildKit's emulation; and only
  in a RUN of a stage that follows the target platform. A bare ``x86_64`` is asked about: hadolint names
  its arm64 build ``arm64``, docker-compose ``aarch64``. So is a step when any architecture name in it is
  anything else (``x64``, ``linux64``, ``64bit``, an ``arm64`` branch, a value), when it or a later step of
  its stage checks a checksum or signature (the amd64 one fails for the arm64 file), or when the build
  targets more than amd64/arm64 (their names cannot be derived). A file name a fixed download fetched is
  renamed the same way in the stage's later steps (``tar -xzf tool-linux-amd64.tgz``).
* goarch-amd64: ``GOARCH=amd64`` (RUN, ENV, stage ARG) → ``GOARCH=${TARGETARCH}``; ``ARG TARGETARCH=amd64``
  (or TARGETPLATFORM) loses the default, which would override BuildKit's per-platform value.
* platform-pinned: exactly ``--platform=linux/amd64`` is dropped from the FROM of a published stage built on
  an image, when the plan (which keeps only the platforms every base has) builds more than amd64.
* ``ARG TARGETARCH`` goes right after the stage's FROM unless the stage declares it before its first use.

Every result is re-parsed and re-scanned: a fix the scan still objects to, or that brings a new hazard into
its step, becomes a question again; a result whose stages or untouched steps differ is refused. Pure.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace

from bot.model import BaseKind, DockerfileInfo, Hazard, Instruction
from bot.patch.base import Edited, PatchContext, PatchResult, Refused, Unchanged
from bot.patch.spans import Span, insert_lines, line_starts, splice
from bot.scan.dockerfile import parse_dockerfile
from bot.scan.hazards import find_hazards

URL, GOARCH, PINNED = "arch-in-url", "goarch-amd64", "platform-pinned"
TARGETARCH, UNAME = "${TARGETARCH}", "$(uname -m)"
_ARCH = re.compile(
    r"(?<![A-Za-z0-9])(?:amd64|x86[_-]64|x64|linux-?64|64bit|aarch64|arm64)(?![A-Za-z0-9])", re.I
)
_ARM = re.compile(r"(?<![A-Za-z0-9])(?:arm64|aarch64)(?![A-Za-z0-9])", re.I)
_TRIPLE_TAIL = re.compile(r"-(?:unknown-|pc-)?linux-(?:gnu|musl)")
_CHECKSUM = re.compile(
    r"(?<![\w-])(?:sha\d*sum|shasum|md5sum|b2sum|cksum|gpgv|cosign|minisign)(?![\w-])|--checksum"
    r"|(?<![\w-])gpg\b[^\n;&|]*--verify"
)
_GOARCH = re.compile(r"(?<![\w${])GOARCH(=|[ \t]+)(\"?)(amd64)\2(?![\w-])")
_ARG_DEFAULT = re.compile(r"(?<![\w${])(TARGETARCH|TARGETPLATFORM)(=(?:\"[^\"]*\"|'[^']*'|[^\s\"']*))")
_PLATFORM_FLAG = re.compile(r"(?<=\s)--platform=linux/amd64[ \t]+(?=\S)")
_FLAGS = re.compile(r"^(?:[ \t]*--\S+)*[ \t]*")
_HEREDOC_ONLY = re.compile(r"(?:<<-?([\"']?)\w+\1[ \t]*)+")
_NOT_SH_SHEBANG = re.compile(r"#!(?!.*\b(?:ba|da|a)?sh\b)")
_POSIX_SHELL = re.compile(r"\[\s*\"(?:/usr)?(?:/bin/)?(?:ba|da|a|k|z)?sh\"")
_NAME_LEFT = re.compile(r"(?:[\w.-]|\$\{\w+\})*$")  # a file name, ${VERSION} parts included
_NAME_RIGHT = re.compile(r"(?:[\w.-]|\$\{\w+\})*")
_SEPARATORS = frozenset(" \t\n;&|<>()")
_LEFT = "Left alone:"
_ASK = "Please check the release page for the arm64 asset's name and map TARGETARCH to it in the RUN step."


@dataclass(frozen=True)
class _Fix:
    code: str
    ordinal: int  # index of the instruction it edits
    stage: int
    line: int  # the hazard's line, for the question if the fix is dropped
    spans: tuple[Span, ...]
    why: str  # the rationale, after "path:line: "
    question: str  # asked instead if the re-scan does not confirm the fix
    needs_arg: bool = False
    depends: frozenset[tuple[str, int]] = frozenset()  # (code, ordinal) of fixes it is only right with

    @property
    def key(self) -> tuple[str, int]:
        return self.code, self.ordinal


def patch(path: str, text: str, context: PatchContext) -> PatchResult:
    return _Patcher(path, text, context).run()


class _Patcher:
    def __init__(self, path: str, text: str, context: PatchContext) -> None:
        self.path, self.text, self.context = path, text, context
        self.info = parse_dockerfile(text, path)
        self.lines, self.starts = text.split("\n"), line_starts(text)
        escape = dict(self.info.directives).get("escape", "\\")
        self.escape = escape if escape in ("\\", "`") else "\\"  # BuildKit ignores any other
        stages = self.info.stages
        targets = [bp.target for bp in context.build_paths if bp.dockerfile == path] or [None]
        named = [self.info.stage_named(t) if t else stages[-1] if stages else None for t in targets]
        self.finals = {s.index for s in named if s is not None}
        self.published = {i for final in self.finals for i in self._chain(final)}
        self.dropped: dict[int, int] = {}  # stage whose --platform flag a fix drops → that fix's ordinal
        self.fetched: dict[int, dict[str, int]] = {}  # stage → file names its fixed downloads fetch → ordinal

    def run(self) -> PatchResult:
        fixes: list[_Fix] = []
        asked: list[tuple[int, str]] = []
        done: set[tuple[str, int]] = set()
        hazards = [h for h in self.context.hazards if h.path == self.path]
        for h in sorted(hazards, key=lambda h: (h.code != PINNED, h.line)):  # later rules see dropped flags
            ordinal = _step_at(self.info, h.line)
            if (h.code, ordinal) in done:
                continue  # the fix of its step covers it already
            plan = self._plan(h, self.info.instructions[ordinal], ordinal) if ordinal >= 0 else h.fix
            if isinstance(plan, _Fix):
                fixes.append(plan)
                done.add((h.code, ordinal))
            else:
                asked.append((h.line, f"({h.code}): {h.message} {plan}"))
        return self._verified(fixes, asked)

    def _plan(self, h: Hazard, ins: Instruction, ordinal: int) -> _Fix | str:
        if h.code == URL:
            return self._download_fix(h, ins, ordinal)
        if h.code == GOARCH:
            return self._goarch_fix(h, ins, ordinal)
        return self._platform_fix(h, ins, ordinal) if h.code == PINNED else h.fix

    # ------------------------------------------------------------------------------------------ the rules

    def _download_fix(self, h: Hazard, ins: Instruction, ordinal: int) -> _Fix | str:
        if ins.keyword not in ("RUN", "ADD") or ins.stage < 0:
            return f"{_LEFT} the name is set in {ins.keyword}, away from the download. {h.fix}"
        if ins.keyword == "RUN" and (reason := self._not_shell(ins)):
            return f"{reason} {h.fix}"
        if others := sorted({p.architecture for p in self.context.platforms} - {"amd64", "arm64"}):
            return (
                f"{_LEFT} the build also targets {', '.join(others)}, whose names cannot be derived. {_ASK}"
            )
        lexed = self._lex(ins)
        if check := _CHECKSUM.search(lexed.live) or self._checksum_later(ins):
            return (
                f"{_LEFT} the file is checked with `{check.group().strip()}` against the amd64 file's "
                "checksum or signature, which the arm64 file would fail. What is the arm64 asset's checksum? "
                "Then pick the file and its checksum by TARGETARCH."
            )
        spans: list[Span] = []
        names: set[str] = set()
        in_url, shown = False, ""
        for m in _ARCH.finditer(lexed.live):
            new = self._replacement(lexed, m, ins)
            span = lexed.span(m.start(), m.end(), new) if new.startswith("$") else None
            if span is None:
                return new or f"{_LEFT} `{m.group()}` is split over lines. {h.fix}"
            spans.append(span)
            in_url |= "://" in lexed.word(m.start(), m.end())
            name = _file_name(lexed.live, m.start(), m.end())
            names.add(lexed.live[name])
            if not shown:  # a bare path part (`linux/amd64/kubectl`) says little alone: show its neighbours
                wide = _file_name(lexed.live, m.start(), m.end(), "/") if name == slice(*m.span()) else name
                before, after = lexed.live[wide.start : m.start()], lexed.live[m.end() : wide.stop]
                shown = f"`{before}{new}{after}` instead of `{lexed.live[wide]}`"
        fetched = self.fetched.setdefault(ins.stage, {})
        if not spans:
            return h.fix  # e.g. `${ARCH}` where ARG ARCH=amd64: what else ARCH means is the project's call
        if not in_url and not names <= fetched.keys():
            return f"{_LEFT} the name is not in a download this patch fixes; where is it from? {h.fix}"
        depends = {(URL, fetched[n]) for n in names if n in fetched}
        if any(s.replacement == UNAME for s in spans):  # only right once the stage follows the target
            depends |= {(PINNED, self.dropped[s]) for s in self._chain(ins.stage) if s in self.dropped}
        fetched.update(dict.fromkeys(names, ordinal))
        why = f"{'fetch' if in_url else 'use'} {shown}, so each platform's image gets its own build."
        if any(s.replacement == UNAME for s in spans):
            why += " `uname -m` prints x86_64 or aarch64, the head of each platform's target triple."
        return _Fix(
            URL, ordinal, ins.stage, h.line, tuple(spans), why, f"({h.code}): {h.message} {h.fix}",
            needs_arg=any(s.replacement == TARGETARCH for s in spans),
            depends=frozenset(depends - {(URL, ordinal)}),
        )  # fmt: skip

    def _replacement(self, lexed: _Lexed, m: re.Match[str], ins: Instruction) -> str:
        """What one architecture name becomes (it starts with $), or why its step is left alone."""
        arch, start, end = m.group(), m.start(), m.end()
        mark, word = lexed.marks[start], lexed.word(start, end)
        if mark != ".":
            where = "single quotes" if mark == "'" else "a ${…} expression"
            return (
                f"{_LEFT} `{arch}` is inside {where}, where the shell would not expand `${{TARGETARCH}}`; "
                "could the URL be in double quotes, so the same fix works?"
            )
        if _ARM.fullmatch(arch):
            return (
                f"{_LEFT} the step already names {arch}; does it choose by architecture itself? "
                "Please check that its amd64 download runs only on amd64."
            )
        joined = lexed.code[start - 1 : start] in ("-", "_", ".", "/") or lexed.code[end : end + 1] in "-_./"
        if not joined or (word.startswith("-") and "://" not in word):
            return f"{_LEFT} `{word.strip()}` uses {arch} as a value, not in a file name. {_ASK}"
        if arch == "amd64":
            return TARGETARCH
        pinned = any(
            self.info.stages[s].platform_flag for s in self._chain(ins.stage) if s not in self.dropped
        )
        if arch == "x86_64" and _TRIPLE_TAIL.match(lexed.code, end) and ins.keyword == "RUN" and not pinned:
            return UNAME
        if arch.lower() in ("x86_64", "x86-64"):
            return (
                f"{_LEFT} is the arm64 asset named aarch64 (then `$(uname -m)` in a RUN picks it) or arm64 "
                "(then map TARGETARCH to it)? Please check the release page."
            )
        return f"{_LEFT} the arm64 name for `{arch}` cannot be derived (arm64? aarch64? armv8?). {_ASK}"

    def _goarch_fix(self, h: Hazard, ins: Instruction, ordinal: int) -> _Fix | str:
        if ins.keyword not in ("RUN", "ENV", "ARG") or (ins.keyword == "RUN" and self._not_shell(ins)):
            return h.fix
        lexed = self._lex(ins)
        if _ARM.search(lexed.live):
            return f"{_LEFT} the step already names arm64; does it choose by architecture itself? {h.fix}"
        spans: list[Span | None] = []
        whys: dict[str, None] = {}
        for m in _ARG_DEFAULT.finditer(lexed.live) if ins.keyword == "ARG" else ():
            spans.append(lexed.span(m.start(2), m.end(2), ""))
            whys[f"`ARG {m.group(1)}` without the default `{m.group(2)[1:]}`, which overrode the value "
                 "BuildKit sets for each platform."] = None  # fmt: skip
        for m in _GOARCH.finditer(lexed.live):
            if (m.group(1) != "=" and ins.keyword != "ENV") or (ins.keyword == "ARG" and ins.stage < 0):
                continue  # a global ARG GOARCH only reaches stages that re-declare it: asked about
            spans.append(
                lexed.span(m.start(3), m.end(3), TARGETARCH) if lexed.marks[m.start()] == "." else None
            )
            whys["`GOARCH=${TARGETARCH}`: Go builds for the platform being built, not always for amd64."] = (
                None
            )
        kept = [s for s in spans if s is not None]
        if not kept or len(kept) < len(spans):
            return h.fix
        return _Fix(
            GOARCH, ordinal, ins.stage, h.line, tuple(kept), " ".join(whys),
            f"({h.code}): {h.message} {h.fix}",
            needs_arg=ins.stage >= 0 and any(s.replacement == TARGETARCH for s in kept),
        )  # fmt: skip

    def _platform_fix(self, h: Hazard, ins: Instruction, ordinal: int) -> _Fix | str:
        stage = self.info.stages[ins.stage] if ins.keyword == "FROM" else None
        if stage is None or stage.platform_flag != "linux/amd64" or stage.base_kind is not BaseKind.IMAGE:
            return h.fix
        if stage.index not in self.published:
            return (
                f"{_LEFT} this stage is not the published image, so whether it should follow the target "
                f"platform or cross-compile is the project's call. {h.fix}"
            )
        if all(p.architecture == "amd64" for p in self.context.platforms):
            return f"{_LEFT} the build plan has only amd64 (a base lacks the others). {h.fix}"
        lexed = self._lex(ins)
        m = _PLATFORM_FLAG.search(lexed.live)
        span = lexed.span(m.start(), m.end(), "") if m else None
        if span is None:
            return h.fix
        self.dropped[stage.index] = ordinal
        return _Fix(
            PINNED, ordinal, stage.index, h.line, (span,),
            f"drop `--platform=linux/amd64` from the published stage: the plan found {stage.base_written} "
            f"for {self.context.platform_list}, so each platform's image is built on its own base.",
            f"({h.code}): {h.message} {h.fix}",
        )  # fmt: skip

    # ------------------------------------------------------------------------------------ what steps are

    def _lex(self, ins: Instruction) -> _Lexed:
        return _lex(self.lines, self.starts, ins, self.escape)

    def _not_shell(self, ins: Instruction) -> str:
        """Why a RUN's text is not a script a POSIX shell runs (so variables would not expand), or ""."""
        header = _FLAGS.sub("", ins.value, count=1).strip()
        if header.startswith("["):
            return f"{_LEFT} the RUN step is in exec form, where no shell expands variables."
        shells = [i for i in self.info.instructions if i.keyword == "SHELL" and i.line < ins.line]
        if any(not _POSIX_SHELL.match(i.value.strip()) for i in shells):
            return f"{_LEFT} a SHELL instruction runs the steps in a shell other than sh or bash."
        if ins.heredocs and (not _HEREDOC_ONLY.fullmatch(header) or _NOT_SH_SHEBANG.match(ins.heredocs[0])):
            return f"{_LEFT} the heredoc is fed to a program rather than run as the step's script."
        return ""

    def _chain(self, stage: int) -> list[int]:
        """The stage and the stages it is built FROM."""
        chain: list[int] = []
        current: int | None = stage
        while current is not None and current not in chain:
            chain.append(current)
            current = self.info.stages[current].base_stage
        return chain

    def _checksum_later(self, ins: Instruction) -> re.Match[str] | None:
        later = (i for i in self.info.instructions if i.stage == ins.stage and i.line > ins.line)
        return next((m for i in later if (m := _CHECKSUM.search("\n".join((i.value, *i.heredocs))))), None)

    # ----------------------------------------------------------------------------------- check the result

    def _verified(self, fixes: list[_Fix], asked: list[tuple[int, str]]) -> PatchResult:
        """Apply the fixes; turn back into questions those the re-scan does not confirm, until it does."""
        if not fixes:
            return Unchanged(questions=self._questions(asked, {}))
        before = self._hazard_keys(self.info, self.text, set())
        while fixes:
            text, inserts = self._render(fixes)
            after = parse_dockerfile(text, self.path)
            problem, inserted = _structure_problem(self.info, after, fixes, inserts)
            if problem:
                return Refused(f"{self.path}: the edited file would parse differently ({problem})")
            found = self._hazard_keys(after, text, inserted)
            new_in = {ordinal for _, ordinal in found - before}  # which fix of the step caused it is unknown
            if not new_in <= {f.ordinal for f in fixes}:
                return Refused(f"{self.path}: the edit would bring new hazards into steps it does not change")
            gone = {f.key for f in fixes if f.key in found or f.ordinal in new_in}
            if not gone:
                return self._edited(text, fixes, inserts, asked)
            while demoted := [f for f in fixes if f.key in gone or gone & f.depends]:
                gone |= {f.key for f in demoted}
                asked += [(f.line, f.question) for f in demoted]
                fixes = [f for f in fixes if f not in demoted]
        return Unchanged(questions=self._questions(asked, {}))

    def _edited(
        self, text: str, fixes: list[_Fix], inserts: dict[int, int], asked: list[tuple[int, str]]
    ) -> Edited:
        # each change at the line its first edit is on (a hazard may name a continued step's first line)
        changes = [
            (_shifted(bisect_right(self.starts, min(s.start for s in f.spans)), inserts), f.why)
            for f in fixes
        ]
        for stage, after in inserts.items():
            base = self.info.stages[stage]
            label = f"stage {base.name!r}" if base.name else f"the {base.base_written} stage"
            why = f"declare `ARG TARGETARCH` in {label}: BuildKit passes it only to stages that declare it."
            changes.append((_shifted(after, inserts) + 1, why))
        rationale = tuple(f"{self.path}:{line}: {why}" for line, why in sorted(changes))
        return Edited(text, rationale, questions=self._questions(asked, inserts))

    def _questions(self, asked: list[tuple[int, str]], inserts: dict[int, int]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f"{self.path}:{_shifted(line, inserts)} {q}" for line, q in sorted(asked)))

    def _render(self, fixes: list[_Fix]) -> tuple[str, dict[int, int]]:
        """The edited text, and stage → the line after which `ARG TARGETARCH` is inserted."""
        steps = self.info.instructions
        first_use: dict[int, int] = {}
        for f in (f for f in fixes if f.needs_arg):
            first_use[f.stage] = min(first_use.get(f.stage, steps[f.ordinal].line), steps[f.ordinal].line)
        inserts = {
            stage: next(i.end_line for i in steps if i.stage == stage and i.keyword == "FROM")
            for stage, use in first_use.items()
            if not any(
                i.stage == stage and i.keyword == "ARG" and i.line < use and _declares(i) for i in steps
            )
        }
        spans = {span for f in fixes for span in f.spans}
        for after in inserts.values():
            at = self.starts[after] if after < len(self.starts) else len(self.text)
            spans.add(insert_lines(self.text, at, ["ARG TARGETARCH"]))
        return splice(self.text, spans), inserts

    def _hazard_keys(self, info: DockerfileInfo, text: str, inserted: set[int]) -> set[tuple[str, int]]:
        """Each hazard as (code, index of its step in the original file); inserted steps count as -1."""
        ordinals = [
            -1 if k in inserted else k - sum(j < k for j in inserted) for k in range(len(info.instructions))
        ]
        hazards = find_hazards(info, lambda p: text if p == info.path else None, ".", self.finals)
        return {(h.code, ordinals[k] if (k := _step_at(info, h.line)) >= 0 else -2) for h in hazards}


# ------------------------------------------------------------------------------------------- the lexer


@dataclass(frozen=True)
class _Lexed:
    """A step's text as the shell sees it (continuations joined), with where each character came from."""

    code: str
    live: str  # the code with comments blanked (same length)
    where: tuple[int, ...]  # offset in the file of each character
    marks: str  # per character: "." plain, "'" single-quoted, "}" inside ${…}, "#" comment
    depth: tuple[int, ...]  # $( )/backtick nesting, to find the word a character belongs to
    sep: tuple[bool, ...]  # a blank or operator that ends a word

    def span(self, start: int, end: int, new: str) -> Span | None:
        """The file span of code[start:end], if it is one run of one line (no continuation inside)."""
        first, last = self.where[start], self.where[end - 1]
        return Span(first, last + 1, new) if last - first == end - 1 - start else None

    def word(self, start: int, end: int) -> str:
        d, lo, hi = self.depth[start], start, end
        while lo > 0 and (self.depth[lo - 1] > d or (self.depth[lo - 1] == d and not self.sep[lo - 1])):
            lo -= 1
        while hi < len(self.code) and (self.depth[hi] > d or (self.depth[hi] == d and not self.sep[hi])):
            hi += 1
        return self.code[lo:hi]


def _lex(lines: list[str], starts: list[int], ins: Instruction, escape: str) -> _Lexed:
    chars: list[str] = []
    where: list[int] = []
    header = True  # the instruction's own lines, where the escape character continues a line
    for number in range(ins.line, min(ins.end_line, len(lines)) + 1):
        line = lines[number - 1].rstrip("\r")
        if header and number > ins.line and (not line.strip() or line.lstrip().startswith("#")):
            continue  # BuildKit drops blank and comment lines inside a continued instruction
        body = line.rstrip(" \t")
        continued = header and body.endswith(escape) and not body.endswith(escape * 2)
        end = len(body) - 1 if continued else len(line) + 1  # + the line break, a word separator
        chars += (line + "\n")[:end]
        where += range(starts[number - 1], starts[number - 1] + end)
        header = continued
    code = "".join(chars)
    marks: list[str] = []
    depth: list[int] = []
    sep: list[bool] = []
    stack: list[str] = []  # what is open: ' " ${ $( ` (and a ( inside $( )
    comment, i = False, 0
    while i < len(code):
        c, top = code[i], stack[-1] if stack else ""
        innermost = max((k for k, s in enumerate(stack) if s in "(`"), default=-1)
        mark = "#" if comment else "'" if "'" in stack else "}" if "{" in stack else "."
        size, ends_word, level = 1, c in _SEPARATORS and len(stack) == innermost + 1, stack.count("(")
        if comment:
            comment = c != "\n"
        elif top == "'":
            stack.pop() if c == "'" else None
        elif c == "\\":
            size = 2
        elif code.startswith(("$(", "${"), i):
            stack.append(code[i + 1])
            size, ends_word = 2, False
        elif top == "{":
            stack.pop() if c == "}" else None
        elif c in '`"':
            stack.pop() if top == c else stack.append(c)
        elif top == '"':
            pass
        elif c == "'" or (c == "(" and top == "("):
            stack.append(c)
        elif c == ")" and top == "(":
            stack.pop()
        elif c == "#" and code[i - 1 : i] in ("", " ", "\t", "\n", ";", "&", "|", "("):
            comment, mark = True, "#"
        marks += mark * size
        depth += [level + stack.count("`")] * size
        sep += [ends_word] * size
        i += size
    n = len(code)
    live = "".join(" " if m == "#" else ch for ch, m in zip(code, marks, strict=False))
    return _Lexed(code, live, tuple(where), "".join(marks)[:n], tuple(depth[:n]), tuple(sep[:n]))


# ------------------------------------------------------------------------------------------- helpers


def _file_name(text: str, start: int, end: int, extra: str = "") -> slice:
    """The file name around text[start:end]; with extra="/", its neighbouring path parts too."""
    left, right = _NAME_LEFT.search(text, 0, start), _NAME_RIGHT.match(text, end)
    lo, hi = left.start() if left else start, right.end() if right else end
    if extra and text[lo - 1 : lo] == extra and (more := _NAME_LEFT.search(text, 0, lo - 1)):
        lo = more.start()
    if extra and text[hi : hi + 1] == extra and (more := _NAME_RIGHT.match(text, hi + 1)):
        hi = more.end()
    return slice(lo, hi)


def _step_at(info: DockerfileInfo, line: int) -> int:
    return next((k for k, i in enumerate(info.instructions) if i.line <= line <= i.end_line), -1)


def _declares(ins: Instruction) -> bool:
    return any(word.partition("=")[0] == "TARGETARCH" for word in ins.value.split())


def _shifted(line: int, inserts: dict[int, int]) -> int:
    """A line's number once `ARG TARGETARCH` lines are inserted after the given lines."""
    return line + sum(after < line for after in inserts.values())


def _structure_problem(
    before: DockerfileInfo, after: DockerfileInfo, fixes: list[_Fix], inserts: dict[int, int]
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
