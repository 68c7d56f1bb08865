"""What a simple command actually runs once env assignments and wrappers are peeled off.

``DOCKER_BUILDKIT=1 sudo -E cross-var docker build …`` runs ``docker build …``; the build finders and the
hazard rules want the latter, and the text as written stays with the command for reporting and patching.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=")
_KEYWORDS = frozenset({"{", "}", "!", "if", "then", "else", "elif", "do", "while", "until", "eval"})
# wrapper → (its options that take a value, how many positional words it takes before the command)
_WRAPPERS: dict[str, tuple[frozenset[str], int]] = {
    "sudo": (frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T", "--user", "--group"}), 0),
    "doas": (frozenset({"-u", "-C"}), 0),
    "env": (frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}), 0),
    "exec": (frozenset({"-a"}), 0),
    "command": (frozenset(), 0),
    "builtin": (frozenset(), 0),
    "time": (frozenset({"-f", "--format", "-o", "--output"}), 0),
    "nohup": (frozenset(), 0),
    "nice": (frozenset({"-n", "--adjustment"}), 0),
    "timeout": (frozenset({"-s", "--signal", "-k", "--kill-after"}), 1),
    "stdbuf": (frozenset({"-i", "-o", "-e"}), 0),
    "cross-var": (frozenset(), 0),
    "cross-env": (frozenset(), 0),
    "npx": (frozenset({"-p", "--package", "--call", "-c"}), 0),
    "pnpx": (frozenset({"-p", "--package"}), 0),
    "bunx": (frozenset({"-p", "--package"}), 0),
    "dotenv": (frozenset({"-e", "-v", "-c", "-p"}), 0),
}
_RUNNERS = frozenset({("pnpm", "exec"), ("pnpm", "dlx"), ("yarn", "exec"), ("yarn", "dlx"), ("npm", "exec")})


def program_name(word: str) -> str:
    """``/usr/local/bin/docker.exe`` → ``docker``."""
    name = word.rsplit("/", 1)[-1]
    return name[:-4] if name.lower().endswith(".exe") else name


def command_argv(words: Sequence[str]) -> tuple[str, ...]:
    """The program and its arguments, env assignments, keywords and wrappers (sudo, cross-var…) removed."""
    return tuple(words[command_start(words) :])


def command_start(words: Sequence[str]) -> int:
    """Where the program is among a command's words (unquoted); len(words) when it runs none."""
    i, n = 0, len(words)
    while i < n:
        word = words[i]
        name = program_name(word)
        if _ASSIGNMENT.match(word) or word in _KEYWORDS:
            i += 1
        elif (name, words[i + 1] if i + 1 < n else "") in _RUNNERS:
            i = _skip_options(words, i + 2, frozenset())
        elif name in _WRAPPERS:
            if name == "command" and i + 1 < n and words[i + 1] in ("-v", "-V"):
                return n  # `command -v docker` asks whether docker exists; it runs nothing
            value_options, positionals = _WRAPPERS[name]
            i = _skip_options(words, i + 1, value_options) + positionals
        else:
            return i
    return n


def _skip_options(words: Sequence[str], i: int, value_options: frozenset[str]) -> int:
    while i < len(words) and words[i].startswith("-") and words[i] != "-":
        if words[i] == "--":
            return i + 1
        i += 2 if words[i] in value_options else 1
    return i
