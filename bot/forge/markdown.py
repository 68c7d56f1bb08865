"""Markdown for GitHub from untrusted text: escaped prose, code spans, fenced blocks, bounded bodies.

Everything a repository or a build log says is untrusted. It must render as the literal text it is: no
raw HTML, no links or images, no headings or lists it did not ask for, no @-mentions that ping people,
no ``#123`` cross-references that notify other issues, and no fence it can close from inside. Secrets
registered with ``bot.proc.register_secret`` are masked *before* escaping, since escaping would split
a token such as ``ghp_…`` (``ghp\\_…``) and hide it from the mask.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.proc import redact

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]")  # bidi overrides too
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~$])")  # $ starts GitHub math
_LEADING_BLOCK = re.compile(r"^([#>+=-])|^(\d+)([.)])")  # would start a heading, quote, list or rule
# GitHub links @user and #123 in rendered text (not in code); a zero-width space after the sign keeps
# the text readable and stops the ping or cross-reference (Renovate does the same).
_MENTION = re.compile(r"([@#])(?=[\w-])")
_ZERO_WIDTH = "&#8203;"
_ELLIPSIS = "…"


def clean(text: str) -> str:
    """Secrets masked, CRLF normalised, control and bidi-override characters removed."""
    return _CONTROL.sub("", redact(text).replace("\r\n", "\n").replace("\r", "\n"))


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + _ELLIPSIS


def one_line(text: str, limit: int) -> str:
    return clip(" ".join(clean(text).split()), limit)


def inline(text: str, limit: int = 300) -> str:
    """Untrusted text as literal Markdown prose on one line (safe inside a table cell too)."""
    escaped = _INLINE_SPECIAL.sub(r"\\\1", one_line(text, limit))
    escaped = _LEADING_BLOCK.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", escaped)
    return _MENTION.sub(rf"\1{_ZERO_WIDTH}", escaped)


def prose_with_code(text: str, limit: int = 400) -> str:
    """Like ``inline``, but `backticked` parts (the bot's own rationale style) become code spans."""
    parts = re.split(r"`([^`]+)`", one_line(text, limit))
    return "".join(
        code(part) if i % 2 else _spaced(part, inline(part, limit)) for i, part in enumerate(parts)
    )


def code(text: str, limit: int = 200, *, in_table: bool = False) -> str:
    """Untrusted text as an inline code span whose fence no backtick run inside can close."""
    content = one_line(text, limit)
    if not content:
        return "(empty)"
    ticks = "`" * (_longest_run(content, "`") + 1)
    if content[0] == "`" or content[-1] == "`" or (content[0] == " " and content[-1] == " "):
        content = f" {content} "  # CommonMark strips one space each side, so the content survives
    span = f"{ticks}{content}{ticks}"
    # GFM splits table rows on every unescaped pipe, code spans included
    return span.replace("|", "\\|") if in_table else span


def fenced(text: str, *, max_lines: int = 40, line_limit: int = 300, info: str = "text") -> str:
    """Untrusted lines in a fenced code block (the last ``max_lines``), fenced longer than any run inside."""
    lines = [clip(line, line_limit) for line in clean(text).split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) > max_lines:
        hidden = len(lines) - max_lines
        lines = [f"… ({hidden} earlier line{'s' if hidden > 1 else ''} not shown)", *lines[-max_lines:]]
    body = "\n".join(lines)
    fence = "`" * max(3, _longest_run(body, "`") + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A GFM table, one line per row (cells are already Markdown); a list so rows can be cut one by one."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def size(text: str) -> int:
    """Length as a limit that counts UTF-16 code units would see it (never less than code points)."""
    return len(text.encode("utf-16-le")) // 2


def fit(blocks: Sequence[str], tail: str, limit: int, note: str) -> tuple[str, bool]:
    """Join ``blocks`` (one per line group) and ``tail`` within ``limit``; cut at a block if needed.

    When blocks are cut, ``note`` (which may say ``{omitted}``) follows the last block kept, after a
    blank line so an open table or list ends first; ``tail`` (the opt-out and the marker) always stays.
    """
    tail = tail.lstrip("\n")
    whole = "\n".join([*blocks, "", tail])
    if size(whole) <= limit:
        return whole, False
    budget = limit - size(tail) - size(note) - 16  # the joins around the note, and its number
    kept: list[str] = []
    used = 0
    for block in blocks:
        used += size(block) + 1
        if used > budget:
            break
        kept.append(block)
    while kept and (not kept[-1].strip() or kept[-1].startswith("#")):  # no heading left without content
        kept.pop()
    omitted = len(blocks) - len(kept)
    return "\n".join([*kept, "", note.format(omitted=omitted), "", tail]), True


def _spaced(original: str, escaped: str) -> str:
    """``escaped`` with the space ``inline`` trimmed from either end of ``original`` put back."""
    if not escaped:
        return " " if original.strip() != original else ""
    return (" " if original[:1] == " " else "") + escaped + (" " if original[-1:] == " " else "")


def _longest_run(text: str, char: str) -> int:
    runs = re.findall(f"{re.escape(char)}+", text)
    return max((len(run) for run in runs), default=0)
