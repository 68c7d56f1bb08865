"""Following RUN instructions into the files they execute.

`RUN ./build.sh` or `RUN make release` hides the real hazard in a script or a Makefile recipe. This module
finds those invocations in lexed shell text and maps the path the build sees inside the image back to a
file in the build context (through WORKDIR, `COPY src dest` and `RUN --mount=type=bind`). It reads
nothing itself: the caller's file-reading function enforces the repository's safety limits.
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.scan.shell_commands import Lexed, lex

_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})
_MAKES = frozenset({"make", "gmake", "$(MAKE)", "${MAKE}"})
_SHELL_VALUE_FLAGS = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})
_MAKE_VALUE_FLAGS = frozenset(
    {"-C", "-f", "--file", "--makefile", "--directory", "-j", "--jobs", "-l", "-I", "-o", "-W"}
)
_GLOB_CHARS = frozenset("*?[")
_MOUNT = re.compile(r"--mount=(\S{1,500})")
_FLAG = re.compile(r"\s*--[a-z][a-z-]*(?:=\S*)?(?=\s|$)")


@dataclass(frozen=True)
class Invocation:
    """A file the shell text runs: a script, or Makefile targets."""

    kind: str  # "script" or "make"
    path: str  # image path of the script or of the Makefile (absolute, normalised)
    cwd: str  # the directory it runs in: what its own relative paths mean
    targets: tuple[str, ...] = ()  # make goals ("" = the default goal)
    overrides: frozenset[str] = frozenset()  # make command-line variables: they beat Makefile assignments


def invocations(lexed: Lexed, cwd: str, depth: int = 0) -> Iterator[Invocation]:
    """Scripts and make runs in this shell text; cwd is the image directory it runs in."""
    for command in lexed.commands:
        argv = [w.value for w in command.argv()]
        if not argv:
            continue
        if argv[0] == "cd" and len(argv) > 1 and "$" not in argv[1]:
            cwd = posixpath.normpath(posixpath.join(cwd, argv[1]))  # `cd /src && ./build.sh`
            continue
        yield from _invocation(argv, cwd, depth)


def _invocation(argv: list[str], cwd: str, depth: int) -> Iterator[Invocation]:
    name = posixpath.basename(argv[0])
    if argv[0] in _MAKES or name in _MAKES:
        yield _make_invocation(argv[1:], cwd)
        return
    script: str | None = None
    if name in _SHELLS or argv[0] in (".", "source"):
        args = argv[1:]
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "-c" and i + 1 < len(args):
                if depth < 2:  # `bash -c "./install.sh"`: the string is shell text of its own
                    yield from invocations(lex(args[i + 1]), cwd, depth + 1)
                return
            if arg in _SHELL_VALUE_FLAGS:
                i += 2
            elif arg.startswith(("-", "+")):
                i += 1
            else:
                script = arg
                break
    elif "/" in argv[0] or argv[0].endswith(".sh"):
        script = argv[0]
    if script and "$" not in script and "`" not in script:
        yield Invocation("script", posixpath.normpath(posixpath.join(cwd, script)), cwd)


def _make_invocation(args: list[str], cwd: str) -> Invocation:
    directory = cwd
    makefile = ""
    targets: list[str] = []
    overrides: set[str] = set()
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _MAKE_VALUE_FLAGS and i + 1 < len(args):
            if arg in ("-C", "--directory"):
                directory = posixpath.normpath(posixpath.join(directory, args[i + 1]))
            elif arg in ("-f", "--file", "--makefile"):
                makefile = args[i + 1]
            i += 2
            continue
        if arg.startswith("-C") and len(arg) > 2:
            directory = posixpath.normpath(posixpath.join(directory, arg[2:]))
        elif arg.startswith(("--directory=", "--file=", "--makefile=")):
            key, _, value = arg.partition("=")
            if key == "--directory":
                directory = posixpath.normpath(posixpath.join(directory, value))
            else:
                makefile = value
        elif "=" in arg and not arg.startswith("-"):
            overrides.add(arg.split("=", 1)[0].strip())
        elif not arg.startswith("-"):
            targets.append(arg)
        i += 1
    path = posixpath.normpath(posixpath.join(directory, makefile or "Makefile"))
    return Invocation("make", path, directory, tuple(targets) or ("",), frozenset(overrides))


# ------------------------------------------------------------------------------ image path → context


@dataclass(frozen=True)
class ContextCopy:
    """`COPY src… dest` from the build context (or a bind mount of it), dest resolved to an image path."""

    sources: tuple[str, ...]  # as written, relative to the context
    dest: str  # absolute image path, normalised
    dest_is_dir: bool


@dataclass
class StageFiles:
    """What a stage has put into its filesystem from the context, and where it stands."""

    workdir: str = "/"
    copies: list[ContextCopy] = field(default_factory=list)

    def inherit(self) -> StageFiles:
        return StageFiles(self.workdir, list(self.copies))


def instruction_words(value: str) -> tuple[dict[str, str], list[str]]:
    """Flags and arguments of a COPY/ADD/RUN value, in shell form or JSON (exec) form."""
    flags: dict[str, str] = {}
    end = flags_end(value)
    for flag in value[:end].split():
        key, _, flag_value = flag[2:].partition("=")
        flags[key.lower()] = flag_value
    text = value[end:].strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):  # `[[[[…` nests deeper than the decoder can go
            parsed = None
        if isinstance(parsed, list) and all(isinstance(p, str) for p in parsed):
            return flags, parsed
    words = [w.value for c in lex(text).commands for w in c.words]
    return flags, words


def flags_end(value: str) -> int:
    """Offset just past the leading `--flag=…` words of an instruction value (0 when there are none)."""
    end = 0
    while True:
        m = _FLAG.match(value, end)
        if m is None:
            return end
        end = m.end()


def record_copy(files: StageFiles, value: str) -> None:
    """Remember a COPY/ADD from the context; copies from stages, images and URLs are not context files."""
    flags, words = instruction_words(value)
    if "from" in flags or len(words) < 2 or any(w.startswith("<<") for w in words):
        return
    sources = tuple(w for w in words[:-1] if "://" not in w and not w.startswith("git@"))
    if not sources:
        return
    dest_written = words[-1]
    dest = posixpath.normpath(posixpath.join(files.workdir, dest_written))
    dest_is_dir = dest_written.endswith("/") or dest_written in (".", "./") or len(sources) > 1
    files.copies.append(ContextCopy(sources, dest, dest_is_dir))


def mount_options(value: str) -> list[dict[str, str]]:
    """The options of each `--mount=` flag of a RUN value."""
    mounts = []
    for m in _MOUNT.finditer(value):
        options: dict[str, str] = {}
        for part in m.group(1).split(","):
            key, _, option = part.partition("=")
            options[key.strip().lower()] = option.strip()
        mounts.append(options)
    return mounts


def bind_mounts(value: str, workdir: str) -> list[ContextCopy]:
    """`RUN --mount=type=bind,source=scripts,target=/scripts`: the context seen at another path."""
    mounts = []
    for options in mount_options(value):
        if options.get("type", "bind") != "bind" or "from" in options:
            continue
        target = options.get("target") or options.get("dst") or options.get("destination")
        if target:
            source = options.get("source") or options.get("src") or "."
            mounts.append(ContextCopy((source,), posixpath.normpath(posixpath.join(workdir, target)), True))
    return mounts


def context_candidates(image_path: str, copies: list[ContextCopy], context: str) -> list[str]:
    """Repo-relative paths that may hold the file the build sees at image_path, most recent copy first."""
    found: list[str] = []
    for copy in reversed(copies):
        for source in copy.sources:
            source = posixpath.normpath(source.lstrip("/")) if source not in ("", "/") else "."
            for candidate in _through_copy(image_path, source, copy):
                path = posixpath.normpath(posixpath.join(context, candidate))
                if (
                    not path.startswith("../")
                    and path != ".."
                    and not path.startswith("/")
                    and path not in found
                ):
                    found.append(path)
    return found


def _through_copy(image_path: str, source: str, copy: ContextCopy) -> Iterator[str]:
    dest = copy.dest
    if any(c in _GLOB_CHARS for c in source):
        parent, name = posixpath.split(image_path)
        if parent == dest and fnmatch.fnmatchcase(name, posixpath.basename(source)):
            yield posixpath.join(posixpath.dirname(source), name)
        return
    if image_path == dest and not copy.dest_is_dir:
        yield source  # COPY build.sh /build.sh
        return
    prefix = "/" if dest == "/" else dest + "/"
    if image_path.startswith(prefix):
        rest = image_path[len(prefix) :]
        if rest == posixpath.basename(source):
            yield source  # COPY build.sh /src/
        yield posixpath.join(source, rest)  # COPY scripts/ /src/scripts/
