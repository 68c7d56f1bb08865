"""Calls from one build file into another: ``npm run X``, ``make X``, ``just X``, ``./scripts/build.sh``.

A CI step that runs ``npm run docker:build`` builds an image as surely as one that runs ``docker build``;
recognising the call lets discover() list the step with ``via`` naming it.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.model import BuildKind
from bot.scan.shell_argv import command_argv, program_name
from bot.scan.shell_commands import split_simple_commands

MAKEFILE_NAMES = ("GNUmakefile", "makefile", "Makefile")  # the order make looks for them
JUSTFILE_NAMES = ("justfile", "Justfile", ".justfile")


@dataclass(frozen=True)
class EntryCall:
    """One call into a build entry point, found in a script."""

    line: int  # 0-based line within the script
    text: str  # the simple command as written
    cwd: str | None  # where the script's `cd`s had moved to, relative to its start; None = unknown
    kind: BuildKind  # NPM, MAKE, JUST or SHELL
    files: tuple[str, ...]  # files it may run, relative to cwd, the one the tool prefers first
    names: tuple[str, ...]  # scripts / targets / recipes it runs (npm-run-all globs kept); () for scripts
    spelling: str  # how ``via`` starts: "npm run", "yarn run", "make -C web", "just", "./build.sh"

    def via(self, name: str = "") -> str:
        return f"{self.spelling} {name}" if name else self.spelling


_YARN_BUILTINS = frozenset(
    {
        *("add", "audit", "autoclean", "bin", "cache", "check", "config", "create", "dlx", "exec", "global"),
        *("help", "import", "info", "init", "install", "licenses", "link", "list", "login", "logout", "node"),
        *("outdated", "owner", "pack", "plugin", "policy", "publish", "rebuild", "remove", "set", "tag"),
        *("team", "unlink", "unplug", "up", "upgrade", "upgrade-interactive", "version", "versions", "why"),
        *("workspace", "workspaces", "i", "rm", "update", "ls", "prune", "fetch", "store", "env", "setup"),
        *("deploy", "root", "server", "recursive", "patch", "dedupe", "doc"),
    }
)
_NPM_LIFECYCLE = frozenset({"start", "test", "t", "stop", "restart"})
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "source", "."})


def find_entry_calls(script: str) -> list[EntryCall]:
    """Every call in ``script`` that could run another build file's entry point."""
    calls = []
    for simple in split_simple_commands(script):
        argv = command_argv(simple.words)
        if not argv:
            continue
        call = _recognise(argv)
        if call is not None:
            kind, files, names, spelling = call
            calls.append(EntryCall(simple.line, simple.text, simple.cwd, kind, files, names, spelling))
    return calls


_Recognised = tuple[BuildKind, tuple[str, ...], tuple[str, ...], str]


def _recognise(argv: Sequence[str]) -> _Recognised | None:
    program = program_name(argv[0])
    if program in ("npm", "yarn", "pnpm", "bun"):
        return _package_manager(program, list(argv[1:]))
    if program in ("run-s", "run-p", "npm-run-all"):
        names = _positionals(argv[1:], frozenset({"--npm-path", "--max-parallel"}))
        return (BuildKind.NPM, ("package.json",), tuple(names), "npm run") if names else None
    if program in ("make", "gmake") or argv[0] in ("$(MAKE)", "${MAKE}"):
        return _make(list(argv[1:]))
    if program == "just":
        return _just(list(argv[1:]))
    if program in _SHELLS:
        rest = _positionals(argv[1:], frozenset({"-o", "+o"}))
        if any(re.fullmatch(r"-[a-z]*c[a-z]*", word) for word in argv[1:]) or not rest:
            return None  # `bash -c '…'` runs a string; the docker engine looks inside those
        return BuildKind.SHELL, (rest[0],), (), f"{program} {rest[0]}"
    if "/" in argv[0] or argv[0].endswith((".sh", ".bash")):
        return BuildKind.SHELL, (argv[0],), (), argv[0]
    return None


def _package_manager(program: str, args: list[str]) -> _Recognised | None:
    directory = ""
    for flag in ("--prefix", "--cwd", "-C", "--dir"):
        if flag in args and args.index(flag) + 1 < len(args):
            at = args.index(flag)
            directory = args[at + 1]
            del args[at : at + 2]
    if any(a.startswith(("-w", "--workspace", "--filter", "-F")) for a in args) or not args:
        return None  # workspaces are named by package, not by directory
    words = [a for a in args if not a.startswith("-")]
    if not words:
        return None
    if words[0] in ("run", "run-script", "rum", "urn") and len(words) > 1:
        name = words[1]
    elif words[0] in _NPM_LIFECYCLE:
        name = "test" if words[0] == "t" else words[0]
    elif program in ("yarn", "pnpm") and words[0] not in _YARN_BUILTINS:
        name = words[0]
    else:
        return None
    spelling = f"{program} --prefix {directory} run" if directory else f"{program} run"
    return BuildKind.NPM, (posixpath.join(directory, "package.json"),), (name,), spelling


def _make(args: list[str]) -> _Recognised | None:
    directory, makefile, targets = "", "", []
    i = 0
    while i < len(args):
        word = args[i]
        if word in ("-C", "--directory", "-f", "--file", "--makefile", "-I", "-o", "-W"):
            value = args[i + 1] if i + 1 < len(args) else ""
            directory = value if word in ("-C", "--directory") else directory
            makefile = value if word in ("-f", "--file", "--makefile") else makefile
            i += 2
            continue
        if word.startswith(("--directory=", "--file=", "--makefile=")):
            name, _, value = word.partition("=")
            directory, makefile = (value, makefile) if name == "--directory" else (directory, value)
        elif word in ("-j", "-l") and i + 1 < len(args) and args[i + 1].isdigit():
            i += 1
        elif not word.startswith("-") and "=" not in word:
            targets.append(word)
        i += 1
    if not targets:
        return None  # the default goal needs the Makefile's first rule; too little gain for the guess
    files = (makefile,) if makefile else MAKEFILE_NAMES
    spelling = f"make -C {directory}" if directory else "make"
    return BuildKind.MAKE, tuple(posixpath.join(directory, f) for f in files), tuple(targets), spelling


def _just(args: list[str]) -> _Recognised | None:
    justfile, directory, i = "", "", 0
    while i < len(args) and args[i].startswith("-"):
        if args[i] in ("-f", "--justfile", "-d", "--working-directory") and i + 1 < len(args):
            if args[i] in ("-f", "--justfile"):
                justfile = args[i + 1]
            else:
                directory = args[i + 1]
            i += 1
        elif args[i] == "--set":
            i += 2
        i += 1
    if i >= len(args):
        return None
    files = (justfile,) if justfile else tuple(posixpath.join(directory, f) for f in JUSTFILE_NAMES)
    return BuildKind.JUST, files, (args[i],), "just"


def _positionals(args: Sequence[str], value_options: frozenset[str]) -> list[str]:
    found, skip = [], False
    for word in args:
        if skip:
            skip = False
        elif word.startswith(("-", "+")):
            skip = word in value_options
        else:
            found.append(word)
    return found
