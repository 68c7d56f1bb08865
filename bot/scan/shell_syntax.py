"""The project's one POSIX-shell lexer: words, operators, quotes, substitutions, heredocs and commands.

Build-path discovery and the arch-hazard rules both read shell (CI steps, scripts, Makefile recipes,
RUN instructions) through this module. It is not a shell: nothing is expanded. Variables, ``$(…)``,
``${…}`` and backticks stay exactly as written, because the bot reports and later patches what the
author wrote, not what it evaluates to.

Two passes, both linear, neither ever failing on broken shell (whatever is left open runs to the end):

- ``tokenize``: the character pass. It finds comments, quotes, substitutions and heredoc bodies and
  cuts the top level into words, operators and redirections, all as offsets into the text. A
  precompiled character class jumps between the few characters that matter; no regex here can
  backtrack, so a 1 MB line costs about as many steps as it has words.
- ``lex``: one walk over the tokens that groups words into simple commands and finds ``case``/``if``
  blocks, tolerating unbalanced ones.

``split_simple_commands`` is discovery's view of the same commands: quote-removed words, the line each
starts on, its text on one line, and where earlier ``cd``s moved to.
"""

from __future__ import annotations

import posixpath
import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import NamedTuple

from bot.scan.shell_argv import command_start

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


# ------------------------------------------------------------------------------------------- lex

# Reserved words that introduce a command without being one: `if curl …`, `then wget …`, `! grep …`.
_RESERVED_WORDS = frozenset(
    {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}"}
)
_BEFORE_COMMAND = _RESERVED_WORDS | {"time"}  # after these, `case` and `if` still open blocks
_CASE_CLAUSE_ENDS = frozenset({";;", ";&", ";;&"})


class Word(NamedTuple):  # a tuple: a 1 MB line can hold a few hundred thousand of them
    start: int
    end: int
    raw: str  # as written, quotes included
    value: str  # quotes, escapes and continuations removed; substitutions kept as written


@dataclass(frozen=True)
class Command:
    """A simple command: the words between two operators, redirections left out."""

    words: tuple[Word, ...]  # keywords the if/case structure did not take stay in: `!`, `{`, `do`, …
    next_op: str  # the operator that ends it ("" at the end of the text)
    prev_op: str

    @property
    def start(self) -> int:
        return self.words[0].start

    @property
    def end(self) -> int:
        return self.words[-1].end

    def argv(self) -> tuple[Word, ...]:
        """The words from the command name on: keywords, assignments and wrappers like sudo skipped."""
        return self._argv

    @cached_property  # every rule asks; a 1 MB line holds a few hundred thousand commands
    def _argv(self) -> tuple[Word, ...]:
        return self.words[command_start([w.value for w in self.words]) :]

    def name(self) -> str:
        argv = self.argv()
        return argv[0].value if argv else ""


@dataclass(frozen=True)
class CaseClause:
    patterns: tuple[Word, ...]
    body_start: int
    body_end: int


@dataclass(frozen=True)
class CaseBlock:
    start: int
    end: int
    subject: str
    clauses: tuple[CaseClause, ...]


@dataclass(frozen=True)
class IfBranch:
    kind: str  # "if", "elif" or "else"
    condition: str  # the text between if/elif and then ("" for else)
    body_start: int
    body_end: int


@dataclass(frozen=True)
class IfBlock:
    start: int
    end: int
    branches: tuple[IfBranch, ...]


@dataclass(frozen=True)
class Lexed:
    text: str
    code: str  # text with comments blanked (same length, so offsets agree)
    closers: dict[int, int]  # see Tokenized.closers
    commands: tuple[Command, ...]
    cases: tuple[CaseBlock, ...]
    ifs: tuple[IfBlock, ...]
    command_starts: tuple[int, ...]  # ascending, for bisection

    def commands_between(self, start: int, end: int) -> list[Command]:
        lo = bisect_left(self.command_starts, start)
        hi = bisect_left(self.command_starts, end)
        return list(self.commands[lo:hi])

    def command_at(self, offset: int) -> Command | None:
        i = bisect_right(self.command_starts, offset) - 1
        if i >= 0 and offset < self.commands[i].end:
            return self.commands[i]
        return None


def lex(text: str) -> Lexed:
    t = tokenize(text)
    commands, cases, ifs = _Structure(t).run()
    starts = tuple(c.start for c in commands)
    return Lexed(text, t.code, t.closers, tuple(commands), tuple(cases), tuple(ifs), starts)


@dataclass
class _OpenCase:
    start: int
    subject: str
    clauses: list[CaseClause] = field(default_factory=list)
    in_pattern: bool = True  # waiting for `pattern)`
    patterns: list[Word] = field(default_factory=list)
    body_start: int = -1


@dataclass
class _OpenIf:
    start: int
    branches: list[IfBranch] = field(default_factory=list)
    kind: str = "if"
    condition_start: int = -1
    condition: str = ""
    body_start: int = -1  # -1 while reading the condition


_CONTINUATION = re.compile(r"\\\r?\n")


def _bare(raw: str) -> str:
    """A word as the shell compares it with reserved words: `fi\\⏎` is `fi`, `"fi"` is not."""
    return _CONTINUATION.sub("", raw) if "\\" in raw else raw


class _Structure:
    """Group tokens into commands and find case/if blocks, tolerating anything malformed."""

    def __init__(self, tokenized: Tokenized) -> None:
        self.text = tokenized.text
        self.code = tokenized.code
        self.closers = tokenized.closers
        self.tokens = tokenized.tokens
        self.commands: list[Command] = []
        self.cases: list[CaseBlock] = []
        self.ifs: list[IfBlock] = []
        self.words: list[Word] = []
        self.prev_op = ""

    def word(self, token: Token) -> Word:
        raw = self.text[token.start : token.end]
        return Word(token.start, token.end, raw, unquote(self.text, token.start, token.end, self.closers))

    def flush(self, op: str) -> None:
        if self.words:
            self.commands.append(Command(tuple(self.words), op, self.prev_op))
        self.words = []
        self.prev_op = op

    def run(self) -> tuple[list[Command], list[CaseBlock], list[IfBlock]]:
        code, tokens = self.code, self.tokens
        stack: list[_OpenCase | _OpenIf] = []
        only_keywords = True  # every word so far is `if`, `then`, `!`, …: the command has not started
        skip_redirect_target = False
        k = 0
        while k < len(tokens):
            tok = tokens[k]
            k += 1
            if tok.kind == "redir":
                skip_redirect_target = True
                continue
            top = stack[-1] if stack else None
            if tok.kind == "op":
                skip_redirect_target = False  # `echo >;`: the redirection had no target
                op = code[tok.start : tok.end]
                if isinstance(top, _OpenCase) and top.in_pattern:
                    if op == ")":
                        top.in_pattern = False
                        top.body_start = tok.end
                    continue  # `|` between patterns and `(` before them
                if isinstance(top, _OpenCase) and op in _CASE_CLAUSE_ENDS:
                    self.flush(op)
                    top.clauses.append(CaseClause(tuple(top.patterns), top.body_start, tok.start))
                    top.patterns = []
                    top.in_pattern = True
                else:
                    self.flush(op)
                only_keywords = True
                continue
            if skip_redirect_target:
                skip_redirect_target = False
                continue
            bare = _bare(code[tok.start : tok.end])
            if isinstance(top, _OpenCase) and top.in_pattern:
                if bare == "esac":
                    self.cases.append(CaseBlock(top.start, tok.end, top.subject, tuple(top.clauses)))
                    stack.pop()
                else:
                    top.patterns.append(self.word(tok))
                continue
            if only_keywords:
                if bare == "case" and k < len(tokens):
                    subject = tokens[k]
                    stack.append(_OpenCase(tok.start, code[subject.start : subject.end]))
                    k += 1
                    if k < len(tokens) and _bare(code[tokens[k].start : tokens[k].end]) == "in":
                        k += 1
                    continue
                if bare == "esac" and isinstance(top, _OpenCase):
                    self.flush(self.prev_op)
                    if not top.in_pattern:
                        top.clauses.append(CaseClause(tuple(top.patterns), top.body_start, tok.start))
                    self.cases.append(CaseBlock(top.start, tok.end, top.subject, tuple(top.clauses)))
                    stack.pop()
                    continue
                if bare == "if":
                    stack.append(_OpenIf(tok.start, condition_start=tok.end))
                    continue
                if isinstance(top, _OpenIf) and self.if_keyword(top, tok, bare):
                    if bare == "fi":
                        stack.pop()
                    continue
            self.words.append(self.word(tok))
            only_keywords = only_keywords and bare in _BEFORE_COMMAND
        self.flush("")
        return self.commands, self.cases, self.ifs

    def if_keyword(self, block: _OpenIf, tok: Token, bare: str) -> bool:
        """Take `then`, `elif`, `else` or `fi` into the open if block; False when it is none of its."""
        if bare == "then" and block.body_start == -1:
            self.flush(self.prev_op)
            block.condition = self.code[block.condition_start : tok.start]
            block.body_start = tok.end
            return True
        if bare in ("elif", "else", "fi") and block.body_start != -1:
            self.flush(self.prev_op)
            block.branches.append(IfBranch(block.kind, block.condition, block.body_start, tok.start))
            if bare == "fi":
                self.ifs.append(IfBlock(block.start, tok.end, tuple(block.branches)))
            else:
                block.kind = bare
                block.condition = ""
                block.condition_start = tok.end
                block.body_start = -1 if bare == "elif" else tok.end
            return True
        return False


# ------------------------------------------------------------------------------ simple commands


@dataclass(frozen=True)
class SimpleCommand:
    """Discovery's view of one simple command: its words as values, where it is, what moved it."""

    words: tuple[str, ...]  # quotes removed; $VAR, $(…), ${…} and `…` kept as written
    line: int  # 0-based line of the first word within the script
    text: str  # the command as written, continuation lines joined onto one line
    cwd: str | None = ""  # where earlier `cd`s in the script moved to, relative to its start; None = unknown


def one_line(raw: str) -> str:
    """The command as a reader sees it: continuations and embedded newlines folded into single spaces."""
    pieces = raw.split("\n")
    for k in range(len(pieces) - 1):  # what precedes a line break: spaces, a backslash, a carriage return
        piece = pieces[k].removesuffix("\r").removesuffix("\\")
        pieces[k] = piece.rstrip(" \t")
    for k in range(1, len(pieces)):
        pieces[k] = pieces[k].lstrip(" \t")
    return " ".join(pieces).strip()


def split_simple_commands(script: str) -> list[SimpleCommand]:
    """The simple commands of ``script`` in order, each with the directory earlier ``cd``s moved to."""
    text = script.replace("\r\n", "\n")
    found: list[SimpleCommand] = []
    line = counted = 0
    for command in lex(text).commands:
        words = command.words
        k = 0
        while k < len(words) and _bare(words[k].raw) in _RESERVED_WORDS:
            k += 1  # `then docker build …`: the command starts after the keyword
        if k == len(words):
            continue
        first = words[k].start
        line += text.count("\n", counted, first)
        counted = first
        values = tuple(w.value for w in words[k:])
        found.append(SimpleCommand(values, line, one_line(text[first : words[-1].end])))
    return _track_directories(found)


def _track_directories(commands: list[SimpleCommand]) -> list[SimpleCommand]:
    cwd: str | None = ""
    pushed: list[str | None] = []
    tracked = []
    for command in commands:
        tracked.append(replace(command, cwd=cwd))
        verb, args = command.words[0], [w for w in command.words[1:] if w == "-" or not w.startswith("-")]
        if verb in ("cd", "pushd"):
            if verb == "pushd":
                pushed.append(cwd)
            cwd = change_directory(cwd, args[0] if args else None)
        elif verb == "popd":
            cwd = pushed.pop() if pushed else None
    return tracked


_SCRIPT_DIR = re.compile(r"\$\(\s*dirname\b")


def change_directory(cwd: str | None, target: str | None) -> str | None:
    """Where ``cd target`` lands, relative to where the script started; None when that cannot be known."""
    if cwd is None or target is None or target == "-" or target.startswith("~"):
        return None
    # `cd "$(dirname "$0")"` is the script's own directory, which is where scripts are resolved from
    if _SCRIPT_DIR.match(target) and ("$0" in target or "{0}" in target or "BASH_SOURCE" in target):
        target = "." + target[skip_substitution(target, 0) :]
    if "$" in target or "`" in target or target.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(cwd or ".", target))
    return "" if joined == "." else joined


def join_directories(outer: str | None, inner: str | None) -> str | None:
    """A ``cd`` inside a nested script, seen from the outer script; None if either is unknown."""
    if outer is None or inner is None:
        return None
    joined = posixpath.normpath(posixpath.join(outer or ".", inner or "."))
    return "" if joined == "." else joined
