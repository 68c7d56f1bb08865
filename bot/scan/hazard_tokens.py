"""The character-level pass of the hazard rules' shell lexer.

It finds comments, quotes, `$(…)`/`${…}`/backtick substitutions and heredoc bodies, and cuts the top
level into words, operators and redirections. It never fails: unterminated quotes or substitutions run
to the end of the text. Linear: a precompiled character class jumps between the few characters that
matter, and no regular expression here can backtrack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The characters that change lexer state; everything else is plain word text.
_SPECIAL = re.compile(r"[\s#'\"$`()\\;&|<>{}]")
_SPECIAL_IN_DQ = re.compile(r"[\"$`\\]")
_BLANKS = re.compile(r"[ \t\r\f\v]+")
_OPERATOR = re.compile(r";;&|;;|;&|&&|\|\||\|&|[;&|()\n]")
_REDIRECT = re.compile(r"&>>|&>|>>|>&|<&|<<<|<<-|<<|<>|>\||>|<")
_HEREDOC_DELIMITER = re.compile(r"[ \t]*(['\"]?)([A-Za-z0-9_.-]{1,64})\1")
_WORD_START_BEFORE_COMMENT = frozenset(" \t\n;&|()")


@dataclass
class Token:
    kind: str  # "word", "op", "redir"
    start: int
    end: int


@dataclass(frozen=True)
class Tokenized:
    code: str  # text with comments blanked (same length, so offsets agree)
    closers: dict[int, int]  # opening offset of `$(`, `${` or a backtick → offset just past its closer
    tokens: list[Token]  # top-level words, operators and redirections
    heredocs: list[tuple[int, int]]  # shell heredoc bodies: data, not commands


def tokenize(text: str) -> Tokenized:
    n = len(text)
    closers: dict[int, int] = {}
    comments: list[tuple[int, int]] = []
    heredocs: list[tuple[int, int]] = []
    pending_heredocs: list[tuple[str, bool]] = []  # delimiter, strip tabs; bodies start after the line
    tokens: list[Token] = []
    stack: list[tuple[str, int]] = []  # ("dq" | "cmd" | "param" | "bt" | "paren", opening offset)
    word_start = -1
    i = 0

    def end_word(at: int) -> None:
        nonlocal word_start
        if word_start >= 0:
            tokens.append(Token("word", word_start, at))
            word_start = -1

    def close(at: int) -> None:
        kind, opened = stack.pop()
        if kind != "paren":
            closers[opened] = at

    while i < n:
        top = stack[-1][0] if stack else ""
        m = (_SPECIAL_IN_DQ if top == "dq" else _SPECIAL).search(text, i)
        if m is None:
            if not stack and word_start < 0:
                word_start = i
            break
        j = m.start()
        if not stack and word_start < 0 and j > i:
            word_start = i  # the plain characters just jumped over start a word
        c = text[j]
        if c == "\\":
            if not stack and word_start < 0 and j + 1 < n and text[j + 1] != "\n":
                word_start = j
            if not stack and j + 1 < n and text[j + 1] == "\n":
                end_word(j)  # a line continuation separates words like a space
            i = j + 2
            continue
        if top == "dq" and c == '"':
            close(j + 1)
            i = j + 1
            continue
        if c == "$" or c == "`" or c == '"' or c == "'":
            if not stack and word_start < 0:
                word_start = j
            if c == "'" and top != "dq":
                end = text.find("'", j + 1)
                i = n if end < 0 else end + 1
            elif c == '"' and top != "dq":
                stack.append(("dq", j))
                i = j + 1
            elif c == "`":
                if top == "bt":
                    close(j + 1)
                else:
                    stack.append(("bt", j))
                i = j + 1
            elif c == "$" and j + 1 < n and text[j + 1] in "({":
                stack.append(("cmd" if text[j + 1] == "(" else "param", j))
                i = j + 2
            else:
                i = j + 1
            continue
        if top == "param":
            if c == "}":
                close(j + 1)
            i = j + 1
            continue
        if c == "#" and (j == 0 or text[j - 1] in _WORD_START_BEFORE_COMMENT):
            end = text.find("\n", j)
            end = n if end < 0 else end
            comments.append((j, end))
            i = end
            continue
        if stack:  # inside $( … ) or backticks: only nesting matters
            if c == "(" and top in ("cmd", "paren"):
                stack.append(("paren", j))
            elif c == ")" and top in ("cmd", "paren"):
                close(j + 1)
            i = j + 1
            continue
        # top level
        if c in " \t\r\f\v":
            end_word(j)
            blanks = _BLANKS.match(text, j)
            i = blanks.end() if blanks else j + 1  # a whole run at once: 1 MB of spaces is one step
            continue
        if c in "<>" or (c == "&" and j + 1 < n and text[j + 1] == ">"):
            r = _REDIRECT.match(text, j)
            assert r is not None
            if word_start >= 0 and text[word_start:j].isdigit():
                word_start = -1  # `2>&1`: the fd number belongs to the redirection
            end_word(j)
            tokens.append(Token("redir", j, r.end()))
            i = r.end()
            if r.group() in ("<<", "<<-"):
                d = _HEREDOC_DELIMITER.match(text, i)
                if d is not None:
                    pending_heredocs.append((d.group(2), r.group() == "<<-"))
                    tokens.append(Token("word", d.start(2), d.end(2)))
                    i = d.end()
            continue
        if c in ";&|()\n":
            op = _OPERATOR.match(text, j)
            assert op is not None
            end_word(j)
            tokens.append(Token("op", j, op.end()))
            i = op.end()
            if c == "\n" and pending_heredocs:
                i = _skip_heredocs(text, i, pending_heredocs, heredocs)
                pending_heredocs.clear()
            continue
        # `{`, `}` and other plain characters are word text
        if word_start < 0:
            word_start = j
        i = j + 1
    end_word(n)
    for _, opened in stack:
        closers.setdefault(opened, n)
    return Tokenized(_blank(text, comments), closers, tokens, heredocs)


def _skip_heredocs(text: str, i: int, pending: list[tuple[str, bool]], bodies: list[tuple[int, int]]) -> int:
    for delimiter, strip_tabs in pending:
        start = i
        while i < len(text):
            line_end = text.find("\n", i)
            line_end = len(text) if line_end < 0 else line_end
            line = text[i:line_end]
            if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                bodies.append((start, i))
                i = line_end + 1
                break
            i = line_end + 1
        else:
            bodies.append((start, len(text)))
    return min(i, len(text))


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(" " * (end - start))
        last = end
    parts.append(text[last:])
    return "".join(parts)
