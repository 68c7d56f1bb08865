"""Where a finding in a Dockerfile instruction sits in the file a maintainer edits.

The parser joins continuation lines into one value and keeps heredoc bodies apart; hazards are more
useful on the physical line that holds the offending text (the third line of a long RUN), so this maps
offsets back. Without the file's text everything falls back to the instruction's first line.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

from bot.model import DockerfileInfo, Instruction


class DockerfileLines:
    def __init__(self, info: DockerfileInfo, read: Callable[[str], str | None]) -> None:
        self.info = info
        self._read = read
        self._lines: list[str] | None = None
        self._loaded = False
        self._value_lines: dict[int, tuple[list[int], list[int]]] = {}

    def lines(self) -> list[str] | None:
        if not self._loaded:
            self._loaded = True
            text = self._read(self.info.path)
            self._lines = None if text is None else text.split("\n")
        return self._lines

    def line_of(self, ins: Instruction, offset: int) -> int:
        """The physical line holding an offset into ins.value."""
        starts, numbers = self.value_lines(ins)
        at = bisect_right(starts, offset) - 1
        return numbers[at] if at >= 0 else ins.line

    def excerpt(self, ins: Instruction, line: int, offset: int, needle: str) -> str:
        """The physical line around needle (or the value around offset, without the file)."""
        lines = self.lines()
        if lines is None or line > len(lines):
            return excerpt(ins.value, offset)
        physical = lines[line - 1]
        index = physical.find(needle) if needle else -1
        return excerpt(physical, max(index, 0))

    def value_lines(self, ins: Instruction) -> tuple[list[int], list[int]]:
        """Where each physical line of an instruction starts in its joined value: (offsets, line numbers).

        The parser joins continuation lines as written, minus the escape character and comment lines,
        so each line's text is found again in order. Without the file, everything maps to ins.line.
        """
        cached = self._value_lines.get(ins.line)
        if cached is not None:
            return cached
        starts: list[int] = [0]
        numbers: list[int] = [ins.line]
        lines = self.lines()
        last = ins.end_line if not ins.heredocs else self.heredoc_lines(ins)[0] - 1
        if lines is not None:
            escape = dict(self.info.directives).get("escape", "\\")
            position = 0
            window = len(lines[ins.line - 1]) if ins.line <= len(lines) else 0  # text since the last match
            for number in range(ins.line + 1, min(last, len(lines)) + 1):
                piece = lines[number - 1].strip()
                window += len(lines[number - 1]) + 1
                if not piece or piece.startswith("#"):
                    continue
                piece = piece[:-1].rstrip() if piece.endswith(escape) else piece
                found = ins.value.find(piece, position, position + window) if piece else -1
                if found < 0:
                    continue
                window = len(lines[number - 1]) + 1
                if found == starts[-1]:
                    numbers[-1] = number  # `RUN \` alone: the value starts on the next line
                else:
                    starts.append(found)
                    numbers.append(number)
                position = found + len(piece)
        self._value_lines[ins.line] = (starts, numbers)
        return starts, numbers

    def heredoc_lines(self, ins: Instruction) -> list[int]:
        """First line of each heredoc body: bodies and their terminators fill the lines before end_line."""
        if not ins.heredocs:
            return []
        sizes = [len(body.splitlines()) for body in ins.heredocs]
        line = max(ins.line + 1, ins.end_line - sum(size + 1 for size in sizes) + 1)
        lines = self.lines()
        starts: list[int] = []
        for body, size in zip(ins.heredocs, sizes, strict=True):
            first = body.split("\n", 1)[0].rstrip()
            if lines is not None and first:
                floor = starts[-1] + 1 if starts else ins.line + 1
                for number in range(floor, min(ins.end_line, len(lines)) + 1):
                    if lines[number - 1].rstrip() == first:
                        line = number
                        break
            starts.append(line)
            line += size + 1
        return starts


def excerpt(text: str, offset: int, width: int = 160) -> str:
    """The line around offset, trimmed; long lines are cut to a window around the offending text."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    end = len(text) if end < 0 else end
    line = text[start:end]
    if len(line) <= width:
        return line.strip()
    at = offset - start
    lo = max(0, min(at - width // 3, len(line) - width))
    return ("…" if lo else "") + line[lo : lo + width].strip() + ("…" if lo + width < len(line) else "")
