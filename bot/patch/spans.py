"""Splicing text: the one way a patcher changes a file, so every byte outside its edits stays as it was.

A patcher never loads and dumps a document (that would reflow quoting, comments and indentation the
maintainer chose). It works out character spans from the parser's marks and replaces only those.
Lines it adds take the line break of the line they follow (CRLF files stay CRLF), and a file that
ends without a line break still does.

YAML helpers, which locate spans through PyYAML's node marks, live in ``bot.patch.yaml_spans``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class Unpatchable(Exception):
    """The edit cannot be made without risking the file; the message says why, for the maintainer."""


@dataclass(frozen=True)
class Span:
    """Replace ``text[start:end]`` with ``replacement``; ``start == end`` inserts."""

    start: int
    end: int
    replacement: str


def splice(text: str, spans: Iterable[Span]) -> str:
    """``text`` with every span applied, each against the original offsets.

    Overlapping spans are a bug in the caller, never resolved silently. Spans that only touch (an
    insertion at the end of a replaced range) are fine; insertions at the same offset keep their order.
    """
    ordered = sorted(spans, key=lambda span: span.start)  # stable: same-offset insertions keep order
    previous_end = 0
    for span in ordered:
        if not 0 <= span.start <= span.end <= len(text):
            raise ValueError(f"span {span.start}..{span.end} lies outside a text of {len(text)} characters")
        if span.start < previous_end:
            raise ValueError(f"span {span.start}..{span.end} overlaps one ending at {previous_end}")
        previous_end = span.end
    pieces: list[str] = []
    end = len(text)
    for span in reversed(ordered):  # from the end, so earlier offsets still mean what they meant
        pieces.append(text[span.end : end])
        pieces.append(span.replacement)
        end = span.start
    pieces.append(text[:end])
    return "".join(reversed(pieces))


def newline_of(text: str) -> str:
    """The file's line break: that of its first line, ``\\n`` for a file of one unterminated line."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def newline_at(text: str, offset: int) -> str:
    """The break ending the line that holds ``offset``; for the unterminated last line, the file's."""
    end = text.find("\n", offset)
    if end == -1:
        return newline_of(text)
    return "\r\n" if end > 0 and text[end - 1] == "\r" else "\n"


def ends_with_newline(text: str) -> bool:
    return text.endswith("\n")


def line_starts(text: str) -> list[int]:
    """The offset of every line's first character (a final line break starts no further line)."""
    starts = [0]
    index = text.find("\n")
    while index != -1 and index + 1 < len(text):
        starts.append(index + 1)
        index = text.find("\n", index + 1)
    return starts


def line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def line_end(text: str, offset: int) -> int:
    """The offset just past the break that ends the line holding ``offset`` (``len(text)`` at the end)."""
    end = text.find("\n", offset)
    return len(text) if end == -1 else end + 1


def line_number(text: str, offset: int) -> int:
    """1-based line of ``offset``."""
    return text.count("\n", 0, offset) + 1


def indentation(text: str, offset: int) -> str:
    """The leading blanks of the line that holds ``offset``, exactly as written (tabs stay tabs)."""
    start = line_start(text, offset)
    end = start
    while end < len(text) and text[end] in " \t":
        end += 1
    return text[start:end]


def insert_lines(text: str, at: int, lines: Sequence[str]) -> Span:
    """Insert whole ``lines`` (without breaks) at ``at``, a line start or the end of the text.

    The new lines end with the break of the line before them, so a CRLF file gets CRLF lines. At the
    end of a file with no final break, the break goes before the new lines instead of after: the file
    still ends without one, and the old last line is not changed beyond gaining its break.
    """
    if at != line_start(text, at) and at != len(text):
        raise ValueError(f"offset {at} is not at the start of a line")
    newline = newline_at(text, max(at - 1, 0)) if at else newline_of(text)
    if at == len(text) and text and not ends_with_newline(text):
        return Span(at, at, "".join(newline + line for line in lines))
    return Span(at, at, "".join(line + newline for line in lines))


def changed_lines(before: str, after: str) -> int:
    """How many lines an edit touched (removed plus added): what a reviewer reads in the diff."""
    matcher = difflib.SequenceMatcher(a=before.splitlines(True), b=after.splitlines(True), autojunk=False)
    return sum(
        max(i2 - i1, 0) + max(j2 - j1, 0) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    )
