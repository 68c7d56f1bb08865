"""What the rules share: the codes they fix, a planned fix, and what is known of the file being patched."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.model import DockerfileInfo, Instruction
from bot.patch.base import PatchContext
from bot.patch.dockerfile.step_text import StepText, step_text
from bot.patch.spans import Span, line_starts
from bot.scan.dockerfile import parse_dockerfile

URL, GOARCH, PINNED = "arch-in-url", "goarch-amd64", "platform-pinned"
TARGETARCH, UNAME = "${TARGETARCH}", "$(uname -m)"
LEFT = "Left alone:"
ARM = re.compile(r"(?<![A-Za-z0-9])(?:arm64|aarch64)(?![A-Za-z0-9])", re.I)
_FLAGS = re.compile(r"^(?:[ \t]*--\S+)*[ \t]*")
_HEREDOC_ONLY = re.compile(r"(?:<<-?([\"']?)\w+\1[ \t]*)+")
_NOT_SH_SHEBANG = re.compile(r"#!(?!.*\b(?:ba|da|a)?sh\b)")
_POSIX_SHELL = re.compile(r"\[\s*\"(?:/usr)?(?:/bin/)?(?:ba|da|a|k|z)?sh\"")


@dataclass(frozen=True)
class Fix:
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


class Patching:
    """One Dockerfile being patched: its parse, its published stages, and what earlier fixes decided."""

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
        self.published = {i for final in self.finals for i in self.chain(final)}
        self.dropped: dict[int, int] = {}  # stage whose --platform flag a fix drops → that fix's ordinal
        self.fetched: dict[int, dict[str, int]] = {}  # stage → file names its fixed downloads fetch → ordinal

    def step_text(self, ins: Instruction) -> StepText:
        return step_text(self.lines, self.starts, ins, self.escape)

    def not_shell(self, ins: Instruction) -> str:
        """Why a RUN's text is not a script a POSIX shell runs (so variables would not expand), or ""."""
        header = _FLAGS.sub("", ins.value, count=1).strip()
        if header.startswith("["):
            return f"{LEFT} the RUN step is in exec form, where no shell expands variables."
        shells = [i for i in self.info.instructions if i.keyword == "SHELL" and i.line < ins.line]
        if any(not _POSIX_SHELL.match(i.value.strip()) for i in shells):
            return f"{LEFT} a SHELL instruction runs the steps in a shell other than sh or bash."
        if ins.heredocs and (not _HEREDOC_ONLY.fullmatch(header) or _NOT_SH_SHEBANG.match(ins.heredocs[0])):
            return f"{LEFT} the heredoc is fed to a program rather than run as the step's script."
        return ""

    def chain(self, stage: int) -> list[int]:
        """The stage and the stages it is built FROM."""
        chain: list[int] = []
        current: int | None = stage
        while current is not None and current not in chain:
            chain.append(current)
            current = self.info.stages[current].base_stage
        return chain


def step_at(info: DockerfileInfo, line: int) -> int:
    return next((k for k, i in enumerate(info.instructions) if i.line <= line <= i.end_line), -1)
