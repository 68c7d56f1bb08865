"""The lexical pieces of BuildKit's Dockerfile front end, ported so Dockerfiles can be read without Docker.

- ``expand``: the shell lexer's single-word variable expansion (moby/buildkit frontend/dockerfile/shell).
- ``extract_flags``: the leading ``--flag=value`` words of an instruction (parser extractBuilderFlags).
- ``split_words``: ARG-style splitting that keeps quotes for later expansion (parser parseWords).
- ``heredoc_markers``: the ``<<EOF`` words that start heredocs (parser heredocsFromLine).
- ``parse_directive``, ``is_json_form``, ``mount_source``: a ``# key=value`` directive line, the JSON
  (exec) form of RUN/COPY/ADD, and the ``from=`` of a ``RUN --mount`` spec.

Each is one left-to-right pass (regexes here cannot backtrack more than linearly), so hostile input of
any size stays cheap.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

_SPECIAL_PARAMS = frozenset("@*#?-$!")
_HEREDOC_WORD = re.compile(r"[0-9]*<<(-?)([^<]*)")
_PLAIN_WORD = re.compile(r"[^\s'\"\\]*(?=\s|$)")  # a word with no quotes or backslashes
_MAX_NESTING = 64  # ${A:-${B:-…}} deeper than this is hostile, not a Dockerfile
_MAX_SUBSTITUTED = 1 << 20  # ARG A=$A$A repeated would double without end
_DIRECTIVE_KEY = re.compile(r"[a-zA-Z][a-zA-Z0-9]*")
_GO_SPACE = "\t\n\f\r "  # Go's regexp \s
_MOUNTS_WITHOUT_SOURCE = frozenset({"tmpfs", "secret", "ssh"})


class ExpansionError(ValueError):
    """A word that BuildKit would refuse to expand (bad syntax, ``${V:?}`` on an unset V, …)."""


@dataclass(frozen=True)
class Expansion:
    value: str
    used: tuple[str, ...]  # variables whose value the result depends on, in order of first use
    unset: tuple[str, ...]  # those written plainly ($V, ${V}) while unset: BuildKit substitutes ""


@dataclass(frozen=True)
class HeredocMarker:
    name: str  # the terminator, quotes removed
    chomp: bool  # <<-EOF: leading tabs are stripped from the body and the terminator line


def expand(word: str, env: Mapping[str, str], escape: str = "\\") -> Expansion:
    """Expand ``$V``, ``${V}``, ``${V:-d}``, ``${V-d}``, ``${V:+a}``, ``${V+a}``, ``${V:?m}``; remove quotes.

    Pattern operators (``${V#p}``, ``${V%p}``, ``${V/p/r}``) raise ExpansionError: we do not evaluate them.
    """
    if "$" not in word and "'" not in word and '"' not in word and escape not in word:
        return Expansion(word, (), ())
    expander = _Expander(word, env, escape)
    value = expander.until("")
    return Expansion(value, tuple(expander.used), tuple(expander.unset))


class _Expander:
    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self.text, self.pos, self.env, self.escape = text, 0, env, escape
        self.depth = 0
        self.substituted = 0  # characters taken from variables so far
        self.used: dict[str, None] = {}  # dicts: ordered sets
        self.unset: dict[str, None] = {}

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        ch = self.peek()
        self.pos += 1
        return ch

    def until(self, stop: str) -> str:
        """Expand up to ``stop`` (consumed) or, when stop is "", to the end."""
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if stop and ch == stop:
                self.pos += 1
                return "".join(out)
            if ch == "'":
                out.append(self.single_quoted())
            elif ch == '"':
                out.append(self.double_quoted())
            elif ch == "$":
                out.append(self.dollar())
            else:
                self.pos += 1
                if ch == self.escape:
                    if self.pos == len(self.text):
                        break  # a trailing escape is dropped
                    ch = self.take()
                out.append(ch)
        if stop:
            raise ExpansionError(f"missing '{stop}'")
        return "".join(out)

    def single_quoted(self) -> str:
        end = self.text.find("'", self.pos + 1)
        if end < 0:
            raise ExpansionError("missing closing single quote")
        value = self.text[self.pos + 1 : end]
        self.pos = end + 1
        return value

    def double_quoted(self) -> str:
        self.pos += 1
        out: list[str] = []
        while True:
            ch = self.peek()
            if not ch:
                raise ExpansionError("missing closing double quote")
            if ch == '"':
                self.pos += 1
                return "".join(out)
            if ch == "$":
                out.append(self.dollar())
                continue
            self.pos += 1
            # Inside double quotes only '"', '$' and the escape character itself can be escaped.
            if ch == self.escape and self.peek() and self.peek() in ('"', "$", self.escape):
                ch = self.take()
            out.append(ch)

    def dollar(self) -> str:
        self.pos += 1
        if self.peek() != "{":
            name = self.name()
            return self.plain(name) if name else "$"
        self.pos += 1
        if not self.peek():
            raise ExpansionError("missing '}'")
        if self.peek() in "{}:":
            raise ExpansionError("bad substitution")
        name = self.name()
        op = self.take()
        if op == "}":
            return self.plain(name)
        if op == ":":
            return self.with_modifier(name, self.take(), empty_counts_as_unset=True)
        if op in ("-", "+", "?"):
            return self.with_modifier(name, op, empty_counts_as_unset=False)
        if op in ("#", "%", "/"):
            raise ExpansionError(f"pattern substitution ${{{name}{op}…}} is not evaluated")
        if not op:
            raise ExpansionError("missing '}'")
        raise ExpansionError(f"unsupported modifier ({op}) in substitution")

    def with_modifier(self, name: str, modifier: str, *, empty_counts_as_unset: bool) -> str:
        word, word_used, word_unset = self.braced_word()
        value = self.lookup(name)
        missing = value is None or (empty_counts_as_unset and value == "")
        if modifier == "?":
            if missing:
                raise ExpansionError(f"{name}: {word or 'is not allowed to be unset or empty'}")
            return self.emit(value or "")
        if modifier not in ("-", "+"):
            raise ExpansionError(f"unsupported modifier (:{modifier}) in substitution")
        use_word = missing if modifier == "-" else not missing
        if not use_word:
            return self.emit(value or "") if modifier == "-" else ""
        # The alternative word counts only when it is what the result is made of.
        self.used.update(word_used)
        self.unset.update(word_unset)
        return word

    def braced_word(self) -> tuple[str, dict[str, None], dict[str, None]]:
        if self.depth == _MAX_NESTING:
            raise ExpansionError(f"variable expansions are nested more than {_MAX_NESTING} deep")
        outer_used, outer_unset = self.used, self.unset
        self.used, self.unset = {}, {}
        self.depth += 1
        try:
            word = self.until("}")
            return word, self.used, self.unset
        finally:
            self.used, self.unset = outer_used, outer_unset
            self.depth -= 1

    def name(self) -> str:
        start = self.pos
        ch = self.peek()
        if ch.isdecimal():
            while self.peek().isdecimal():
                self.pos += 1
        elif ch in _SPECIAL_PARAMS:
            self.pos += 1
        else:
            while (c := self.peek()) and (c.isalpha() or c.isdecimal() or c == "_"):
                self.pos += 1
        return self.text[start : self.pos]

    def lookup(self, name: str) -> str | None:
        self.used[name] = None
        return self.env.get(name)

    def plain(self, name: str) -> str:
        value = self.lookup(name)
        if value is None:
            self.unset[name] = None
            return ""
        return self.emit(value)

    def emit(self, value: str) -> str:
        self.substituted += len(value)
        if self.substituted > _MAX_SUBSTITUTED:
            raise ExpansionError(f"variables expand to more than {_MAX_SUBSTITUTED} characters")
        return value


def extract_flags(args: str) -> tuple[list[str], str]:
    """Split leading ``--name=value`` words off an instruction's arguments: (flags, the rest)."""
    flags: list[str] = []
    pos, end = 0, len(args)
    while True:
        while pos < end and args[pos].isspace():
            pos += 1
        if not args.startswith("--", pos):
            return flags, args[pos:]
        plain = _PLAIN_WORD.match(args, pos)
        if plain is not None:
            word, pos, quoted = plain.group(), plain.end(), False
        else:
            word, pos, quoted = _flag_word(args, pos)
        if word == "--":  # a bare "--" ends the flags
            return flags, args[pos:]
        if word or quoted:
            flags.append(word)


def _flag_word(text: str, pos: int) -> tuple[str, int, bool]:
    """One flag word with its quotes removed and backslash escapes applied."""
    out: list[str] = []
    quote, quoted = "", False
    while pos < len(text):
        ch = text[pos]
        pos += 1
        if not quote and ch.isspace():
            break
        if not quote and ch in "'\"":
            quote, quoted = ch, True
            continue
        if quote and ch == quote:
            quote = ""
            continue
        if ch == "\\":
            if pos == len(text):
                quote = ""
                continue
            ch = text[pos]
            pos += 1
        out.append(ch)
    return "".join(out), pos, quoted


def split_words(text: str, escape: str = "\\") -> list[str]:
    """Split on unquoted whitespace, keeping quotes and escapes in the words (for ARG name=value pairs)."""
    if "'" not in text and '"' not in text and escape not in text:
        return text.split()
    words: list[str] = []
    word: list[str] = []
    quote, in_word = "", False
    pos, end = 0, len(text)
    while pos < end:
        ch = text[pos]
        pos += 1
        if not quote and ch.isspace():
            if word or in_word:
                words.append("".join(word))
            word, in_word = [], False
            continue
        in_word = in_word or ch in "'\""
        if quote and ch == quote:
            quote = ""
        elif not quote and ch in "'\"":
            quote = ch
        elif ch == escape and quote != "'":
            if pos == end:
                continue  # an escape at the very end is dropped
            word.append(ch)
            ch = text[pos]
            pos += 1
        word.append(ch)
    if word or in_word:
        words.append("".join(word))
    return words


def heredoc_markers(line: str) -> list[HeredocMarker]:
    """The heredocs an instruction line opens, in order (BuildKit always uses backslash here)."""
    markers = []
    for word in _raw_shell_words(line):
        match = _HEREDOC_WORD.fullmatch(word)
        if match is None or not match.group(2):
            continue
        name = _unquote(match.group(2))
        if name:
            markers.append(HeredocMarker(name, match.group(1) == "-"))
    return markers


def _raw_shell_words(line: str) -> list[str]:
    """Words split on unquoted whitespace, quotes and escapes kept; [] if a quote is never closed."""
    words: list[str] = []
    word: list[str] = []
    quote = ""
    pos, end = 0, len(line)
    while pos < end:
        ch = line[pos]
        pos += 1
        if quote:
            word.append(ch)
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and pos < end:
                word.append(line[pos])
                pos += 1
        elif ch.isspace():
            if word:
                words.append("".join(word))
                word = []
        else:
            word.append(ch)
            if ch in "'\"":
                quote = ch
            elif ch == "\\" and pos < end:
                word.append(line[pos])
                pos += 1
    if quote:
        return []  # BuildKit's lexer fails on the line and then finds no heredocs at all
    if word:
        words.append("".join(word))
    return words


def _unquote(word: str) -> str:
    """The heredoc terminator: quotes removed and escapes applied; "" if a quote is left open."""
    out: list[str] = []
    quote = ""
    pos, end = 0, len(word)
    while pos < end:
        ch = word[pos]
        pos += 1
        if ch == quote:
            quote = ""
            continue
        if not quote and ch in "'\"":
            quote = ch
            continue
        if ch == "\\" and quote != "'" and pos < end and (not quote or word[pos] in '"$\\'):
            ch = word[pos]
            pos += 1
        out.append(ch)
    return "" if quote else "".join(out)


def parse_directive(token: str) -> tuple[str, str] | None:
    """Match BuildKit's ``#\\s*([a-zA-Z][a-zA-Z0-9]*)\\s*=\\s*(.+?)\\s*$`` without its backtracking."""
    if not token.startswith("#"):
        return None
    body = token[1:].lstrip()
    key = _DIRECTIVE_KEY.match(body)
    if key is None:
        return None
    rest = body[key.end() :].lstrip(_GO_SPACE)
    if not rest.startswith("="):
        return None
    rest = rest[1:]
    value = rest.strip(_GO_SPACE) or rest[-1:]  # all-blank: the regex still captures the last blank
    return (key.group().lower(), value) if value else None


def is_json_form(value: str) -> bool:
    """``RUN ["sh", "-c", "…"]`` (after any flags): BuildKit looks for heredocs only in shell form."""
    _, args = extract_flags(value)
    args = args.strip()
    if not args.startswith("["):
        return False
    try:
        return isinstance(json.loads(args), list)
    except ValueError:
        return False


def mount_source(spec: str) -> str | None:
    """The ``from=`` of a ``--mount`` spec (CSV key=value fields), for mount types that read a source."""
    try:
        fields = next(csv.reader([spec]), [])
    except csv.Error:
        return None
    kind, source = "bind", None
    for item in fields:
        key, _, value = item.partition("=")
        key = key.strip().lower()
        if key == "type":
            kind = value.strip().lower()
        elif key == "from":
            source = value
    return source if source and kind not in _MOUNTS_WITHOUT_SOURCE else None
