"""What the shell-text hazard rules share: the kinds of text they read, the source and finding records,
and the architecture names they look for."""

from __future__ import annotations

import posixpath
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.model import Severity
from bot.scan.shell_commands import Lexed, Word

# An amd64 name on segment boundaries: `tini-amd64`, `linux_amd64.zip`, `Linux-64bit`, not `x64dbg`.
AMD64_TOKEN = re.compile(r"(?<![A-Za-z0-9])(?:amd64|x86[_-]64|x64|linux-?64|64bit)(?![A-Za-z0-9])", re.I)
# Any architecture name, for recognising branches on the architecture.
ARCH_WORD = re.compile(
    r"(?<![A-Za-z0-9])(?:amd64|x86[_-]64|x64|aarch64|arm64|armv8l?|armv7l?|armhf|arm|ppc64le|s390x)(?![A-Za-z0-9])",
    re.I,
)
MULTIARCH_LIB = re.compile(r"/(?:lib|lib64|include|libexec)/x86_64-linux-(?:gnu|musl)(?![\w.-])")
# Debian's JDK directories are named per architecture: java-17-openjdk-amd64 vs java-17-openjdk-arm64.
JVM_DIR = re.compile(r"/usr/lib/jvm/[\w.+]{1,40}(?:-[\w.+]{1,40}){0,4}-amd64(?![\w.-])")

CODE_URL = "arch-in-url"
CODE_PACKAGE = "arch-in-package"
CODE_GOARCH = "goarch-amd64"
CODE_MAP = "arch-map-incomplete"
CODE_PATH = "arch-in-path"


class Origin(StrEnum):
    RUN = "RUN"
    SCRIPT = "script"  # a file a RUN instruction executes
    MAKE = "make"  # Makefile recipes a RUN instruction reaches
    ADD = "ADD"
    COPY = "COPY"
    ENV = "ENV"
    ARG = "ARG"


RUN_LIKE = frozenset({Origin.RUN, Origin.SCRIPT, Origin.MAKE})


@dataclass(frozen=True)
class ShellSource:
    text: str
    origin: Origin
    # the stage runs build tools on the (amd64) build machine, not on the target platform
    on_build_host: bool = False
    # variables fixed to an amd64 value by the Dockerfile or a Makefile: name → where it is set
    amd64_vars: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    code: str
    offset: int  # into ShellSource.text
    needle: str  # the offending text as written at offset: locates the physical line and the excerpt
    severity: Severity
    message: str
    fix: str
    in_text_ok: bool = False  # still a hazard inside echo text (an apt source line written by echo)


def basename(word: Word) -> str:
    value = word.value
    return posixpath.basename(value) if "/" in value else value


def shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def command_text(lexed: Lexed, offset: int) -> str:
    """The simple command around offset (or its line): what a download finding is about."""
    command = lexed.command_at(offset)
    if command is not None:
        return lexed.text[command.start : command.end]
    start = lexed.text.rfind("\n", 0, offset) + 1
    end = lexed.text.find("\n", offset)
    return lexed.text[start : len(lexed.text) if end < 0 else end]


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
