"""A Dockerfile step's text as the shell reads it, with where each character came from in the file.

BuildKit joins an instruction's continued lines (with the file's escape character, dropping blank and
comment lines between them) before a shell sees the text; ``step_text`` does that join and keeps each
character's file offset, so an edit found in the joined text maps back to a span of the file. Quotes,
comments, words, substitutions and heredoc bodies are read by the project's one shell lexer,
bot.scan.shell_syntax; a heredoc body, the script of ``RUN <<EOF``, is read as a script of its own.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from bot.model import Instruction
from bot.patch.spans import Span
from bot.scan.shell_syntax import Tokenized, tokenize

PLAIN, SINGLE_QUOTED, IN_PARAMETER = ".", "'", "}"  # where a character is, as StepText.quoting says


@dataclass(frozen=True)
class StepText:
    code: str  # the step's lines joined as BuildKit joins them, the keyword included
    live: str  # the code with comments blanked (same length)
    where: tuple[int, ...]  # offset in the file of each character

    def span(self, start: int, end: int, new: str) -> Span | None:
        """The file span of code[start:end], if it is one run of one line (no continuation inside)."""
        first, last = self.where[start], self.where[end - 1]
        return Span(first, last + 1, new) if last - first == end - 1 - start else None

    def quoting(self, offset: int) -> str:
        """PLAIN, SINGLE_QUOTED, or IN_PARAMETER (inside ``${…}``): how the shell reads code[offset]."""
        return _locate(self.code, offset)[0]

    def word(self, start: int, end: int) -> str:
        """The shell word holding code[start:end], within the innermost ``$(…)`` or backticks around it."""
        _, lo, hi = _locate(self.code, start)
        return self.code[lo : max(hi, end)]


def step_text(lines: list[str], starts: list[int], ins: Instruction, escape: str) -> StepText:
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
    return StepText(code, _blanked(code), tuple(where))


@lru_cache(maxsize=32)  # a step's text is asked about once per architecture name in it
def _tokenized(script: str) -> Tokenized:
    return tokenize(script)


def _blanked(script: str) -> str:
    """The script with its comments blanked, those of its heredoc bodies' scripts too."""
    tokenized = _tokenized(script)
    code = tokenized.code
    for start, end in tokenized.heredocs:  # the lexer keeps bodies as written: same length
        code = code[:start] + _blanked(script[start:end]) + code[end:]
    return code


def _locate(script: str, offset: int) -> tuple[str, int, int]:
    """How script[offset] is quoted, and the word holding it (start, end) at its nesting level."""
    tokenized = _tokenized(script)
    for start, end in tokenized.heredocs:
        if start <= offset < end:
            return _inside(script, start, end, offset)
    tokens = tokenized.tokens
    k = bisect_right(tokens, offset, key=lambda token: token.start) - 1
    if k < 0 or tokens[k].kind != "word" or offset >= tokens[k].end:
        return PLAIN, offset, offset  # a blank or an operator
    word = tokens[k]
    closers, i = tokenized.closers, word.start
    while i <= offset:
        if script[i] == "\\":
            i += 2
        elif script[i] == "'":
            quote_end = script.find("'", i + 1, word.end)
            i = word.end if quote_end < 0 else quote_end + 1
            if offset < i:
                return SINGLE_QUOTED, word.start, word.end
        elif (close := closers.get(i)) is not None and offset < close:
            return _in_substitution(script, closers, i, close, offset) or (PLAIN, word.start, word.end)
        else:
            i = close if close is not None else i + 1
    return PLAIN, word.start, word.end


def _in_substitution(
    script: str, closers: dict[int, int], opened: int, close: int, offset: int
) -> tuple[str, int, int] | None:
    """Where offset is within the quote or substitution opened at opened; None: plain, in the outer word."""
    if script.startswith("${", opened):
        return IN_PARAMETER, opened, close
    if script[opened] == '"':
        i = opened + 1
        while i <= offset:
            nested = closers.get(i)
            if nested is not None and offset < nested:
                return _in_substitution(script, closers, i, nested, offset)
            i = nested if nested is not None else i + 2 if script[i] == "\\" else i + 1
        return None
    body = opened + (1 if script[opened] == "`" else 2)  # $( … ) or backticks: a script of its own
    closed = close - 1 if close - 1 >= body and script[close - 1] in ")`" else close
    return _inside(script, body, closed, offset)


def _inside(script: str, start: int, end: int, offset: int) -> tuple[str, int, int]:
    """_locate within script[start:end], read as a script of its own, in script's offsets."""
    quoting, lo, hi = _locate(script[start:end], offset - start)
    return quoting, lo + start, hi + start
