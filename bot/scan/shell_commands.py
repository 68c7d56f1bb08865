"""The lexer's second pass: tokens grouped into simple commands, ``case``/``if`` blocks, and discovery's view.

- ``lex``: one linear walk over ``shell_syntax.tokenize``'s tokens that groups words into simple
  commands and finds ``case``/``if`` blocks, tolerating unbalanced ones.
- ``split_simple_commands`` is discovery's view of the same commands: quote-removed words, the line
  each starts on, its text on one line, and where earlier ``cd``s moved to.
"""

from __future__ import annotations

import posixpath
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import NamedTuple

from bot.scan.shell_argv import command_start
from bot.scan.shell_syntax import Token, Tokenized, skip_substitution, tokenize, unquote

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
