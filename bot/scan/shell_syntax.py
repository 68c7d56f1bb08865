"""Just enough POSIX shell syntax to find the simple commands in a script.

This is not a shell: nothing is expanded. Variables, ``$(…)``, ``${…}`` and backticks stay exactly as
written, because the bot reports and later patches what the author wrote, not what it evaluates to.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class SimpleCommand:
    """One simple command: the words between ``&&``, ``||``, ``;``, ``|``, ``&``, parentheses and newlines."""

    words: tuple[str, ...]  # quotes removed; $VAR, $(…), ${…} and `…` kept as written
    line: int  # 0-based line of the first word within the script
    text: str  # the command as written, continuation lines joined onto one line
    cwd: str | None = ""  # where earlier `cd`s in the script moved to, relative to its start; None = unknown


_REDIRECT = re.compile(r"&>>?|<<<|<<-|<<|>>|>&|<&|<>|>\||>|<")
_TWO_CHAR_OPERATORS = frozenset({"&&", "||", ";;", "|&"})
_RESERVED = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}"})


def skip_substitution(text: str, start: int) -> int:
    """End offset (exclusive) of the `…`, $(…) or ${…} starting at ``start``; the text's end if unclosed."""
    n = len(text)
    if text[start] == "`":
        i = start + 1
        while i < n and text[i] != "`":
            i += 2 if text[i] == "\\" else 1
        return min(i + 1, n)
    opener = text[start + 1]
    closer = ")" if opener == "(" else "}"
    depth, i = 0, start + 1
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "'" and opener == "(":
            close = text.find("'", i + 1)
            i = n if close < 0 else close + 1
            continue
        if c == '"':
            i = _skip_double_quotes(text, i)
            continue
        if c == opener:
            depth += 1
        elif c == closer:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def _skip_double_quotes(text: str, start: int) -> int:
    i = start + 1
    while i < len(text) and text[i] != '"':
        i += 2 if text[i] == "\\" else 1
    return min(i + 1, len(text))


def one_line(raw: str) -> str:
    """The command as a reader sees it: continuations and embedded newlines folded into single spaces."""
    return re.sub(r"[ \t]*\\?\r?\n[ \t]*", " ", raw).strip()


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 0
        self.commands: list[SimpleCommand] = []
        self.words: list[str] = []
        self.chars: list[str] = []
        self.in_word = False
        self.quoted = False
        self.open = False  # a command has started
        self.start = self.start_line = self.end = 0
        self.skip_next_word = False  # the next word is a redirection target, not an argument
        self.heredoc_next: bool | None = None  # the next word is a heredoc delimiter (value: strip tabs)
        self.heredocs: list[tuple[str, bool]] = []

    def run(self) -> list[SimpleCommand]:
        text, n = self.text, len(self.text)
        while self.pos < n:
            c = text[self.pos]
            if c == "\\":
                if text.startswith("\n", self.pos + 1):  # continuation: the line break vanishes
                    self.pos += 2
                    self.line += 1
                    continue
                self._begin_word()
                self.quoted = True
                self.chars.append(text[self.pos + 1 : self.pos + 2])
                self.pos += 2
            elif c == "'":
                self._begin_word()
                self.quoted = True
                close = text.find("'", self.pos + 1)
                close = n if close < 0 else close
                self._take(text[self.pos + 1 : close])
                self.pos = close + 1
            elif c == '"':
                self._double_quoted()
            elif c == "`" or (c == "$" and text[self.pos + 1 : self.pos + 2] in ("(", "{")):
                self._begin_word()
                end = skip_substitution(text, self.pos)
                self._take(text[self.pos : end])
                self.pos = end
            elif c == "#" and not self.in_word:
                newline = text.find("\n", self.pos)
                self.pos = n if newline < 0 else newline
            elif c in " \t\r":
                self._end_word()
                self.pos += 1
            elif c == "\n":
                self._end_command()
                self.pos += 1
                self.line += 1
                self._skip_heredoc_bodies()
            elif c in "<>" or (c == "&" and text.startswith(">", self.pos + 1)):
                self._redirect()
            elif c in ";&|()":
                self._end_command()
                self.pos += 2 if text[self.pos : self.pos + 2] in _TWO_CHAR_OPERATORS else 1
            else:
                self._begin_word()
                self.chars.append(c)
                self.pos += 1
        self._end_command()
        return self.commands

    def _take(self, chunk: str) -> None:
        self.chars.append(chunk)
        self.line += chunk.count("\n")

    def _begin_word(self) -> None:
        if self.in_word:
            return
        self.in_word, self.quoted = True, False
        if not self.open and not self.skip_next_word and self.heredoc_next is None:
            self.open, self.start, self.start_line = True, self.pos, self.line

    def _end_word(self) -> None:
        if not self.in_word:
            return
        word = "".join(self.chars)
        self.chars, self.in_word = [], False
        if self.skip_next_word:
            self.skip_next_word = False
        elif self.heredoc_next is not None:
            self.heredocs.append((word, self.heredoc_next))
            self.heredoc_next = None
        elif not self.words and not self.quoted and word in _RESERVED:
            self.open = False  # `then docker build …`: the command starts after the keyword
        else:
            self.words.append(word)
            self.end = self.pos

    def _end_command(self) -> None:
        self._end_word()
        if self.words:
            raw = self.text[self.start : self.end]
            self.commands.append(SimpleCommand(tuple(self.words), self.start_line, one_line(raw)))
        self.words, self.open = [], False
        self.skip_next_word, self.heredoc_next = False, None

    def _double_quoted(self) -> None:
        self._begin_word()
        self.quoted = True
        text, i = self.text, self.pos + 1
        while i < len(text) and text[i] != '"':
            c = text[i]
            if c == "\\" and i + 1 < len(text):
                following = text[i + 1]
                if following == "\n":
                    self.line += 1
                elif following in '$`"\\':
                    self.chars.append(following)
                else:
                    self.chars.append(c + following)
                i += 2
                continue
            if c == "`" or (c == "$" and text[i + 1 : i + 2] in ("(", "{")):
                end = skip_substitution(text, i)
                self._take(text[i:end])
                i = end
                continue
            self._take(c)
            i += 1
        self.pos = i + 1

    def _redirect(self) -> None:
        # digits right before the operator name a file descriptor (2>&1), not an argument
        if self.in_word and not self.quoted and "".join(self.chars).isdigit():
            self.chars, self.in_word = [], False
        else:
            self._end_word()
        match = _REDIRECT.match(self.text, self.pos)
        operator = match.group() if match else self.text[self.pos]
        self.pos += len(operator)
        if operator in ("<<", "<<-"):
            self.heredoc_next = operator == "<<-"
        else:
            self.skip_next_word = True

    def _skip_heredoc_bodies(self) -> None:
        text = self.text
        for delimiter, strip_tabs in self.heredocs:
            while self.pos < len(text):
                newline = text.find("\n", self.pos)
                end = len(text) if newline < 0 else newline
                body_line = text[self.pos : end].rstrip("\r")
                self.pos = end + 1
                self.line += 1 if newline >= 0 else 0
                if (body_line.lstrip("\t") if strip_tabs else body_line) == delimiter:
                    break
        self.heredocs = []


def split_simple_commands(script: str) -> list[SimpleCommand]:
    """The simple commands of ``script`` in order, each with the directory earlier ``cd``s moved to."""
    commands = _Lexer(script.replace("\r\n", "\n")).run()
    return _track_directories(commands)


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
