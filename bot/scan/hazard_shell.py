"""A small, forgiving shell lexer for the hazard rules: commands and case/if blocks.

Hazard rules read RUN instructions, scripts and Makefile recipes. They need to know which words form a
command and which `case`/`if` blocks branch on the architecture. A real shell grammar is not needed and
would reject the broken shell found in the wild, so this never fails: on top of hazard_tokens.py's
character pass, one linear walk over the tokens groups commands and tolerates unbalanced blocks.
"""

from __future__ import annotations

import posixpath
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from bot.scan.hazard_tokens import Token, tokenize

# Words that introduce a command without being one: `if curl …`, `then wget …`, `! grep …`.
KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "time"})
# Commands that run their arguments as a command.
WRAPPERS = frozenset({"sudo", "env", "exec", "nohup", "command", "nice", "stdbuf", "time", "builtin", "doas"})
_DOUBLE_SEMICOLONS = frozenset({";;", ";&", ";;&"})


class Word(NamedTuple):  # a tuple: a 1 MB line can hold a few hundred thousand of them
    start: int
    end: int
    raw: str  # as written, quotes included

    @property
    def value(self) -> str:
        """The word with quote characters removed: good enough to compare against literals."""
        return self.raw.replace('"', "").replace("'", "")


@dataclass(frozen=True)
class Command:
    """A simple command: the words between two operators, redirections left out."""

    words: tuple[Word, ...]
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
        words = self.words
        i = 0
        while i < len(words):
            value = words[i].value
            if value in KEYWORDS or _is_assignment(value):
                i += 1
            elif (posixpath.basename(value) if "/" in value else value) in WRAPPERS:  # sudo, /usr/bin/env
                i += 1
                # wrapper options (`sudo -u app`, `env -i`) are not the command
                while i < len(words) and words[i].value.startswith("-"):
                    takes_value = words[i].value in ("-u", "-g", "-C", "--chdir", "-n", "--user")
                    i += 2 if takes_value else 1
            else:
                break
        return words[i:]

    def name(self) -> str:
        argv = self.argv()
        return argv[0].value if argv else ""


def _is_assignment(value: str) -> bool:
    head, eq, _ = value.partition("=")
    return bool(eq) and head.isidentifier()


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
    closers: dict[int, int]  # opening offset of `$(`, `${` or a backtick → offset just past its closer
    commands: tuple[Command, ...]
    cases: tuple[CaseBlock, ...]
    ifs: tuple[IfBlock, ...]
    heredocs: tuple[tuple[int, int], ...] = field(default=())  # shell heredoc bodies: data, not commands
    command_starts: tuple[int, ...] = field(default=())  # ascending, for bisection

    def commands_between(self, start: int, end: int) -> list[Command]:
        lo = bisect_left(self.command_starts, start)
        hi = bisect_left(self.command_starts, end)
        return list(self.commands[lo:hi])

    def command_at(self, offset: int) -> Command | None:
        i = bisect_right(self.command_starts, offset) - 1
        if i >= 0 and offset < self.commands[i].end:
            return self.commands[i]
        return None


class Spans:
    """A set of [start, end) text ranges with logarithmic membership tests."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [start for start, _ in merged]
        self._ends = [end for _, end in merged]

    def __contains__(self, offset: object) -> bool:
        if not isinstance(offset, int):
            return False
        i = bisect_right(self._starts, offset) - 1
        return i >= 0 and offset < self._ends[i]


def lex(text: str) -> Lexed:
    t = tokenize(text)
    commands, cases, ifs = _structure(t.code, t.tokens)
    starts = tuple(c.start for c in commands)
    return Lexed(
        text, t.code, t.closers, tuple(commands), tuple(cases), tuple(ifs), tuple(t.heredocs), starts
    )


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


def _structure(code: str, tokens: list[Token]) -> tuple[list[Command], list[CaseBlock], list[IfBlock]]:
    """Group tokens into commands and find case/if blocks, tolerating anything malformed."""
    commands: list[Command] = []
    cases: list[CaseBlock] = []
    ifs: list[IfBlock] = []
    stack: list[_OpenCase | _OpenIf] = []
    words: list[Word] = []
    only_keywords = True  # every word so far is `if`, `then`, `!`, …: the command has not started
    prev_op = ""
    skip_redirect_target = False
    k = 0

    def flush(op: str) -> None:
        nonlocal words, prev_op, only_keywords
        if words:
            commands.append(Command(tuple(words), op, prev_op))
        words = []
        only_keywords = True
        prev_op = op

    while k < len(tokens):
        tok = tokens[k]
        k += 1
        if tok.kind == "redir":
            skip_redirect_target = True
            continue
        top = stack[-1] if stack else None
        if tok.kind == "op":
            op = code[tok.start : tok.end]
            if isinstance(top, _OpenCase) and top.in_pattern:
                if op == ")":
                    top.in_pattern = False
                    top.body_start = tok.end
                continue  # `|` between patterns and `(` before them
            if isinstance(top, _OpenCase) and op in _DOUBLE_SEMICOLONS:
                flush(op)
                top.clauses.append(CaseClause(tuple(top.patterns), top.body_start, tok.start))
                top.patterns = []
                top.in_pattern = True
                continue
            flush(op)
            continue
        word = Word(tok.start, tok.end, code[tok.start : tok.end])
        if skip_redirect_target:
            skip_redirect_target = False
            continue
        if isinstance(top, _OpenCase) and top.in_pattern:
            if word.raw == "esac":
                _close_case(top, tok.end, cases)
                stack.pop()
            else:
                top.patterns.append(word)
            continue
        if only_keywords:
            if word.raw == "case" and k < len(tokens):
                subject = tokens[k]
                stack.append(_OpenCase(tok.start, code[subject.start : subject.end]))
                k += 1
                if k < len(tokens) and code[tokens[k].start : tokens[k].end] == "in":
                    k += 1
                continue
            if word.raw == "esac" and isinstance(top, _OpenCase):
                flush(prev_op)
                if not top.in_pattern:
                    top.clauses.append(CaseClause(tuple(top.patterns), top.body_start, tok.start))
                _close_case(top, tok.end, cases)
                stack.pop()
                continue
            if word.raw == "if":
                stack.append(_OpenIf(tok.start, condition_start=tok.end))
                continue
            if isinstance(top, _OpenIf):
                if word.raw == "then" and top.body_start == -1:
                    flush(prev_op)
                    top.condition = code[top.condition_start : tok.start]
                    top.body_start = tok.end
                    continue
                if word.raw in ("elif", "else", "fi") and top.body_start != -1:
                    flush(prev_op)
                    top.branches.append(IfBranch(top.kind, top.condition, top.body_start, tok.start))
                    if word.raw == "fi":
                        ifs.append(IfBlock(top.start, tok.end, tuple(top.branches)))
                        stack.pop()
                    else:
                        top.kind = word.raw
                        top.condition = ""
                        top.condition_start = tok.end
                        top.body_start = -1 if word.raw == "elif" else tok.end
                    continue
        words.append(word)
        only_keywords = only_keywords and word.raw in KEYWORDS
    flush("")
    return commands, cases, ifs


def _close_case(case: _OpenCase, end: int, cases: list[CaseBlock]) -> None:
    cases.append(CaseBlock(case.start, end, case.subject, tuple(case.clauses)))
