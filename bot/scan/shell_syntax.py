"""The project's one POSIX-shell lexer, first pass: words, operators, quotes, substitutions, heredocs.

Build-path discovery, the arch-hazard rules and the patchers all read shell (CI steps, scripts,
Makefile recipes, RUN instructions) through here and ``shell_commands``. It is not a shell: nothing is
expanded. Variables, ``$(…)``, ``${…}`` and backticks stay exactly as written, because the bot reports
and later patches what the author wrote, not what it evaluates to.

``tokenize`` is the character pass, linear and never failing on broken shell (whatever is left open
runs to the end). It finds comments, quotes, substitutions and heredoc bodies and cuts the top level
into words, operators and redirections, all as offsets into the text. A precompiled character class
jumps between the few characters that matter; no regex here can backtrack, so a 1 MB line costs
about as many steps as it has words. ``shell_commands.lex`` groups the tokens into commands.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

# --------------------------------------------------------------------------------------- tokenize

# The characters that change the lexer's state, per context; everything else is plain word text.
_AT_TOP = re.compile(r"[\s#'\"$`()\\;&|<>]")
_IN_DOUBLE_QUOTES = re.compile(r"[\"$`\\]")
_IN_COMMAND = re.compile(r"[#'\"$`()\\]")  # inside $( … ) and backticks
_IN_PARAMETER = re.compile(r"['\"$`{}\\]")  # inside ${ … }
_BLANKS = re.compile(r"[ \t\r\f\v]+")
_OPERATOR = re.compile(r";;&|;;|;&|&&|\|\||\|&|[;&|()\n]")
_REDIRECT = re.compile(r"&>>|&>|>>|>&|<&|<<<|<<-|<<|<>|>\||>|<")
_COMMENT_AFTER = frozenset(" \t\n;&|()")  # inside $( … ), a `#` after one of these starts a comment
_BACKTICK_END = re.compile(r"[\\`]")
# What is special inside each kind of nesting: "dq" double quotes, "body" what backticks enclose,
# "cmd" $( … ) and "paren" a ( … ) within it, "param" ${ … } and "brace" a { … } within it.
_SPECIAL_IN = {
    "dq": _IN_DOUBLE_QUOTES,
    "body": _IN_COMMAND,
    "cmd": _IN_COMMAND,
    "paren": _IN_COMMAND,
    "param": _IN_PARAMETER,
    "brace": _IN_PARAMETER,
}
_UNRECORDED = frozenset({"paren", "brace", "body"})  # no quote or substitution of its own


class Token(NamedTuple):  # a tuple: a 1 MB line can hold a few hundred thousand of them
    kind: str  # "word", "op" or "redir"
    start: int
    end: int


@dataclass(frozen=True)
class Tokenized:
    text: str
    code: str  # text with comments blanked (same length, so offsets agree)
    # opening offset of each `"`, `$(`, `${` and backtick, nested ones included → offset just past its closer
    closers: dict[int, int]
    tokens: list[Token]  # top-level words, operators and redirections
    heredocs: list[tuple[int, int]]  # heredoc bodies: data, not commands


def tokenize(text: str) -> Tokenized:
    return _Tokenizer(text).run()


def skip_substitution(text: str, start: int) -> int:
    """End offset (exclusive) of the `…`, $(…), ${…} or "…" at ``start``; the text's end if unclosed."""
    return _Tokenizer(text).nested(start)


class _Tokenizer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.closers: dict[int, int] = {}
        self.comments: list[tuple[int, int]] = []

    def run(self) -> Tokenized:
        text, n = self.text, len(self.text)
        tokens: list[Token] = []
        heredocs: list[tuple[int, int]] = []
        pending: list[tuple[str, bool]] = []  # heredoc delimiter, strip tabs; bodies start after the line
        delimiter_next: bool | None = None  # after `<<`/`<<-` the next word is a delimiter; strip tabs?
        word_start = -1
        joined_from = joined_to = -1  # the last run of line continuations
        i = 0

        def end_word(at: int) -> None:
            nonlocal word_start, delimiter_next
            if word_start < 0:
                return
            if at == joined_to and joined_from > word_start:
                at = joined_from  # `a \\⏎`: the word ends where its text does
            tokens.append(Token("word", word_start, at))
            if delimiter_next is not None:
                pending.append((unquote(text, word_start, at, self.closers), delimiter_next))
                delimiter_next = None
            word_start = -1

        while i < n:
            m = _AT_TOP.search(text, i)
            if m is None:
                if word_start < 0:
                    word_start = i
                break
            j = m.start()
            if word_start < 0 and j > i:
                word_start = i  # the plain characters just jumped over start a word
            c = text[j]
            if c == "\\":
                continuation = _continuation(text, j)
                if continuation:  # the line break vanishes, even inside a word
                    if joined_to != j:
                        joined_from = j
                    i = joined_to = j + continuation
                    continue
                if word_start < 0:
                    word_start = j
                i = j + 2
            elif c == "'":
                if word_start < 0:
                    word_start = j
                close = text.find("'", j + 1)
                i = n if close < 0 else close + 1
            elif c in '"`' or (c == "$" and text[j + 1 : j + 2] in ("(", "{")):
                if word_start < 0:
                    word_start = j
                i = self.nested(j)
            elif c == "$":
                if word_start < 0:
                    word_start = j
                i = j + 1
            elif c == "#":
                if word_start >= 0:
                    i = j + 1  # `a#b`: a hash inside a word is word text
                    continue
                end = text.find("\n", j)
                end = n if end < 0 else end
                self.comments.append((j, end))
                i = end
            elif c in " \t\r\f\v":
                end_word(j)
                blanks = _BLANKS.match(text, j)
                i = blanks.end() if blanks else j + 1  # a whole run at once: 1 MB of spaces is one step
            elif c in "<>" or (c == "&" and text.startswith(">", j + 1)):
                r = _REDIRECT.match(text, j)
                assert r is not None
                if word_start >= 0 and text[word_start:j].isdigit():
                    word_start = -1  # `2>&1`: the fd number belongs to the redirection
                end_word(j)
                tokens.append(Token("redir", j, r.end()))
                delimiter_next = r.group() == "<<-" if r.group() in ("<<", "<<-") else None
                i = r.end()
            elif c in ";&|()\n":
                op = _OPERATOR.match(text, j)
                assert op is not None
                end_word(j)
                delimiter_next = None
                tokens.append(Token("op", j, op.end()))
                i = op.end()
                if c == "\n" and pending:
                    i = _skip_heredocs(text, i, pending, heredocs)
                    pending.clear()
            else:  # other white space (\x1c, U+00A0, …) is word text to the shell
                if word_start < 0:
                    word_start = j
                i = j + 1
        end_word(n)
        return Tokenized(text, _blank(text, self.comments), self.closers, tokens, heredocs)

    def nested(self, start: int, limit: int | None = None) -> int:
        """Scan the quote or substitution opening at start; the offset just past its closer (or limit).

        Inside, only nesting matters: quotes, further substitutions, parentheses, braces and comments.
        Every quote and substitution met is recorded in closers.
        """
        limit = len(self.text) if limit is None else limit
        if self.text[start] == "`":
            return self._backtick(start, limit)
        stack: list[tuple[str, int]] = []
        return self._scan(_open(self.text, start, stack), limit, stack)

    def _backtick(self, start: int, limit: int) -> int:
        """`…` ends at the next backtick no backslash escapes, whatever lies between, as in bash.

        What lies between is then scanned as a script of its own, for the substitutions and comments in it.
        """
        text = self.text
        i = start + 1
        while True:
            m = _BACKTICK_END.search(text, i, limit)
            if m is None:
                body_end = end = limit
                break
            if text[m.start()] == "`":
                body_end, end = m.start(), m.start() + 1
                break
            i = m.start() + 2
        self.closers[start] = end
        if _IN_COMMAND.search(text, start + 1, body_end) is not None:
            self._scan(start + 1, body_end, [("body", start)])
        return end

    def _scan(self, i: int, limit: int, stack: list[tuple[str, int]]) -> int:
        """Scan from i until the stack's first entry is closed; the offset just past it (or limit)."""
        text, closers = self.text, self.closers

        def close(at: int) -> None:
            kind, opened = stack.pop()
            if kind not in _UNRECORDED:
                closers[opened] = at

        while stack:
            top = stack[-1][0]
            m = _SPECIAL_IN[top].search(text, i, limit)
            if m is None:
                for kind, opened in stack:
                    if kind not in _UNRECORDED:
                        closers.setdefault(opened, limit)
                return limit
            j = m.start()
            c = text[j]
            if c == "\\":
                i = j + 2
            elif c == '"' and top == "dq":
                close(j + 1)
                i = j + 1
            elif c == "'" and top != "dq":
                close_quote = text.find("'", j + 1, limit)
                i = limit if close_quote < 0 else close_quote + 1
            elif c == "`":
                i = self._backtick(j, limit)
            elif c == '"' or (c == "$" and j + 1 < limit and text[j + 1] in "({"):
                i = _open(text, j, stack)
            elif c == "$":
                i = j + 1
            elif top in ("param", "brace"):  # `{` or `}`: `${a:-{b}}` ends at the second brace
                if c == "{":
                    stack.append(("brace", j))
                else:
                    close(j + 1)
                i = j + 1
            elif c == "#":
                if text[j - 1] in _COMMENT_AFTER:
                    end = text.find("\n", j, limit)
                    end = limit if end < 0 else end
                    self.comments.append((j, end))
                    i = end
                else:
                    i = j + 1
            else:  # ( or ), which nest only in $( … )
                if top in ("cmd", "paren"):
                    if c == "(":
                        stack.append(("paren", j))
                    else:
                        close(j + 1)
                i = j + 1
        return i


def _open(text: str, j: int, stack: list[tuple[str, int]]) -> int:
    """Push the double quote, $( or ${ opening at j; where scanning continues."""
    if text[j] == '"':
        stack.append(("dq", j))
        return j + 1
    stack.append(("cmd" if text[j + 1] == "(" else "param", j))
    return j + 2


def _continuation(text: str, backslash: int) -> int:
    """Length of the line continuation (backslash, line break) at backslash; 0 when it is none."""
    if text.startswith("\n", backslash + 1):
        return 2
    return 3 if text.startswith("\r\n", backslash + 1) else 0


def _skip_heredocs(text: str, i: int, pending: list[tuple[str, bool]], bodies: list[tuple[int, int]]) -> int:
    for delimiter, strip_tabs in pending:
        start = i
        while i < len(text):
            line_end = text.find("\n", i)
            line_end = len(text) if line_end < 0 else line_end
            line = text[i:line_end].rstrip("\r")
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
    for start, end in sorted(spans):
        parts.append(text[last:start])
        parts.append(" " * (end - start))
        last = end
    parts.append(text[last:])
    return "".join(parts)


# ---------------------------------------------------------------------------------------- unquote

_QUOTING = re.compile(r"[\\'\"$`]")
_QUOTING_IN_DOUBLE_QUOTES = re.compile(r"[\\\"$`]")


def unquote(text: str, start: int, end: int, closers: Mapping[int, int]) -> str:
    """The word text[start:end] with quotes, escapes and line continuations removed.

    Substitutions (``$(…)``, ``${…}``, backticks; their ends from tokenize's closers) stay as written,
    quotes inside them included.
    """
    if _QUOTING.search(text, start, end) is None:
        return text[start:end]
    out: list[str] = []
    i = start
    while i < end:
        m = _QUOTING.search(text, i, end)
        if m is None:
            out.append(text[i:end])
            break
        j = m.start()
        out.append(text[i:j])
        c = text[j]
        if c == "\\":
            continuation = _continuation(text, j)
            if not continuation:
                out.append(text[j + 1 : j + 2])
            i = j + (continuation or 2)
        elif c == "'":
            close = text.find("'", j + 1, end)
            close = end if close < 0 else close
            out.append(text[j + 1 : close])
            i = close + 1
        elif c == '"':
            i = _unquote_double(text, j + 1, end, closers, out)
        else:
            i = _substitution(text, j, end, closers, out)
    return "".join(out)


def _unquote_double(text: str, i: int, end: int, closers: Mapping[int, int], out: list[str]) -> int:
    """Append the inside of the double quotes opened just before i; the offset past the closing quote."""
    while i < end:
        m = _QUOTING_IN_DOUBLE_QUOTES.search(text, i, end)
        if m is None:
            break
        j = m.start()
        out.append(text[i:j])
        c = text[j]
        if c == '"':
            return j + 1
        if c == "\\":
            continuation = _continuation(text, j)
            following = text[j + 1 : j + 2]
            if not continuation:  # only these characters are escaped in double quotes
                out.append(following if following in ("$", "`", '"', "\\") else text[j : j + 2])
            i = j + (continuation or 2)
        else:
            i = _substitution(text, j, end, closers, out)
    out.append(text[i:end])
    return end


def _substitution(text: str, j: int, end: int, closers: Mapping[int, int], out: list[str]) -> int:
    """Append the substitution at j as written (a lone `$` is plain text); the offset past it."""
    close = closers.get(j) if text[j] == "`" or text[j + 1 : j + 2] in ("(", "{") else None
    if close is None:
        out.append(text[j])
        return j + 1
    close = min(close, end)
    out.append(text[j:close])
    return close
