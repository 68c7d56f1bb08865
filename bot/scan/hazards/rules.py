"""Hazard rules that read shell text: RUN commands, the scripts and Makefile recipes they run, and the
values of ADD/COPY/ENV/ARG instructions.

Each rule is a small function from a ShellSource (and its lexed form) to Findings at text offsets; the
caller turns offsets into file lines. RULES below says which rule reads which kind of text. Findings
inside an architecture branch (`case "$TARGETARCH" in amd64) …`) or inside echo text are dropped here, in
one place, so no rule has to remember it. Dockerfile-level rules (platform flags, bases, copied binaries)
are in stages.py and image.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bot.scan.hazards.downloads import arch_in_package, arch_in_url
from bot.scan.hazards.findings import ARCH_WORD, CODE_MAP, RUN_LIKE, Finding, Origin, ShellSource, Spans
from bot.scan.hazards.toolchain import arch_in_path, arch_map_incomplete, goarch_amd64
from bot.scan.shell_commands import Lexed, lex

Rule = Callable[[ShellSource, Lexed], Iterator[Finding]]

RULES: tuple[tuple[Rule, frozenset[Origin]], ...] = (
    (arch_in_package, RUN_LIKE),
    (arch_in_url, RUN_LIKE | {Origin.ADD, Origin.ENV, Origin.ARG}),
    (goarch_amd64, RUN_LIKE | {Origin.ENV, Origin.ARG}),
    (arch_map_incomplete, RUN_LIKE),
    (arch_in_path, RUN_LIKE | {Origin.COPY, Origin.ADD, Origin.ENV, Origin.ARG}),
)

# `case "$dpkgArch"`, `case "$(uname -m)"`, `case "$TARGETPLATFORM"`, but not `case "$search"`
_ARCH_SUBJECT = re.compile(r"Arch|ARCH|(?<![a-z])arch|uname|[Pp]latform|PLATFORM")


def shell_findings(source: ShellSource) -> tuple[Lexed, list[Finding]]:
    """Run every rule that reads this kind of text; the lexed text is returned for the caller's use."""
    lexed = lex(source.text)
    echo = _echo_spans(lexed)
    branches = arch_branch_spans(lexed)
    findings: list[Finding] = []
    for rule, origins in RULES:
        if source.origin not in origins:
            continue
        for finding in rule(source, lexed):
            if not finding.in_text_ok and finding.offset in echo:
                continue
            if finding.code != CODE_MAP and finding.offset in branches:
                continue  # a branch taken only on amd64 is how arch-specific downloads are meant to be done
            findings.append(finding)
    return lexed, findings


def _echo_spans(lexed: Lexed) -> Spans:
    spans = []
    for command in lexed.commands:
        argv = command.argv()
        if len(argv) > 1 and argv[0].value in ("echo", "printf"):
            spans.append((argv[1].start, argv[-1].end))
    return Spans(spans)


def arch_branch_spans(lexed: Lexed) -> Spans:
    """Text that only runs on some architectures: arch case blocks, arch if blocks, `[ arch test ] && …`."""
    spans = []
    for case in lexed.cases:
        patterns = " ".join(p.value for clause in case.clauses for p in clause.patterns)
        if ARCH_WORD.search(patterns) or _ARCH_SUBJECT.search(case.subject):
            spans.append((case.start, case.end))
    for block in lexed.ifs:
        if any(ARCH_WORD.search(branch.condition) for branch in block.branches):
            spans.append((block.start, block.end))
    commands = lexed.commands
    list_end = [0] * len(commands)  # where the &&/|| list each command starts ends
    for i in range(len(commands) - 1, -1, -1):
        chained = i + 1 < len(commands) and commands[i + 1].prev_op in ("&&", "||")
        list_end[i] = list_end[i + 1] if chained else commands[i].end
    for i, command in enumerate(commands):
        if (
            command.next_op in ("&&", "||")
            and command.name() in ("[", "[[", "test")
            and ARCH_WORD.search(lexed.code[command.start : command.end])
        ):
            spans.append((command.start, list_end[i]))
    return Spans(spans)
