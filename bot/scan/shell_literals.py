"""What shell text says literally: URLs and words with their substitutions set apart.

`https://dl.k8s.io/release/$(curl -L -s …/stable.txt)/bin/linux/amd64/kubectl` names amd64 in its literal
part whatever the substitution yields; `tool-${ARCH}` names nothing until ARCH is known. These helpers
walk lexed text (bot.scan.shell_syntax) and replace each `$VAR` and each span the lexer records a closer
for (`$(…)`, `${…}`, backticks and double-quoted parts) by one PLACEHOLDER character, keeping every
literal character's offset, so a rule judges only what is written and still reports where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.scan.shell_commands import Lexed

_URL_START = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,15}://")
_URL_END_CHARS = frozenset(" \t\r\n\"'<>|;&(){}`")
_MAX_URL = 4096
PLACEHOLDER = "\x00"  # stands for a substitution inside a URL: never part of an arch token


@dataclass(frozen=True)
class Url:
    start: int
    end: int
    literal: str  # the URL with every substitution replaced by PLACEHOLDER
    offsets: tuple[int, ...]  # text offset of each character of literal
    substitutions: tuple[str, ...]  # the substitutions' text, in order


def find_urls(lexed: Lexed) -> list[Url]:
    """Every URL, with `$(…)`/`${…}`/`$VAR` parts set apart so only literal text is judged.

    The kubectl idiom `https://dl.k8s.io/release/$(curl -L -s …/stable.txt)/bin/linux/amd64/kubectl` is one
    URL whose literal part still says amd64; the URL inside the substitution is found on its own.
    """
    code = lexed.code
    urls: list[Url] = []
    # literal characters already walked: a URL starting there is part of an earlier one
    # (`https://a/?u=https://b`); one inside an earlier URL's substitution is a URL of its own
    covered = bytearray(len(code))
    for m in _URL_START.finditer(code):
        if covered[m.start()]:
            continue
        literal: list[str] = []
        offsets: list[int] = []
        substitutions: list[str] = []
        i = m.start()
        limit = min(len(code), i + _MAX_URL)
        while i < limit:
            c = code[i]
            closer = lexed.closers.get(i)
            if closer is not None:
                substitutions.append(code[i:closer])
                literal.append(PLACEHOLDER)
                offsets.append(i)
                i = closer
                continue
            if c == "$":
                name = _variable_name(code, i + 1)
                if name:
                    substitutions.append("$" + name)
                    literal.append(PLACEHOLDER)
                    offsets.append(i)
                    i += 1 + len(name)
                    continue
            if c in _URL_END_CHARS:
                break
            literal.append(c)
            offsets.append(i)
            covered[i] = 1
            i += 1
        urls.append(Url(m.start(), i, "".join(literal), tuple(offsets), tuple(substitutions)))
    return urls


def _variable_name(text: str, i: int) -> str:
    j = i
    while j < len(text) and j - i < 64 and (text[j].isalnum() or text[j] == "_"):
        j += 1
    name = text[i:j]
    return name if name and not name[0].isdigit() else ""


def literal_text(lexed: Lexed, start: int, end: int) -> tuple[str, list[int]]:
    """The text of [start, end) with substitutions replaced by PLACEHOLDER, plus each char's offset."""
    code = lexed.code
    out: list[str] = []
    offsets: list[int] = []
    i = start
    while i < end:
        closer = lexed.closers.get(i)
        if closer is not None:
            out.append(PLACEHOLDER)
            offsets.append(i)
            i = closer
            continue
        if code[i] == "$":
            name = _variable_name(code, i + 1)
            if name:
                out.append(PLACEHOLDER)
                offsets.append(i)
                i += 1 + len(name)
                continue
        out.append(code[i])
        offsets.append(i)
        i += 1
    return "".join(out), offsets
