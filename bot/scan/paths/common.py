"""What the finders share: the scan result, shell snippets, and BuildPaths made from build commands."""

from __future__ import annotations

import itertools
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from bot.model import BuildKind, BuildPath
from bot.scan.docker_cli import BuildInvocation, builds_from_elsewhere, find_build_invocations
from bot.scan.shell_commands import join_directories

T = TypeVar("T")


@dataclass(frozen=True)
class Snippet:
    """Shell text a build file runs, kept so discover() can follow its calls into other build files."""

    line: int  # 1-based line of the snippet's first line in the file
    name: str  # the BuildPath name a call found here is reported under
    text: str
    workdir: str | None = ""  # where it runs, relative to the file's base directory; None = unknown


@dataclass(frozen=True)
class FileScan:
    build_paths: tuple[BuildPath, ...] = ()
    snippets: tuple[Snippet, ...] = ()


_PWD = re.compile(r"^(\$PWD|\$\{PWD\}|\$\(pwd\)|`pwd`)(?=/|$)")


def join_path(directory: str | None, path: str | None) -> str | None:
    """``path`` written in ``directory``, seen from the file's base; absolute or variable paths as written."""
    if path is None or directory is None:
        return None
    path = _PWD.sub(".", path)  # $PWD is the directory the command runs in
    if not directory or path.startswith(("/", "$", "~")) or "://" in path:
        return tidy(path)
    return tidy(posixpath.join(directory, path))


def tidy(path: str) -> str:
    """``sub/./Dockerfile`` → ``sub/Dockerfile``; left alone when a variable could hide behind a ``..``."""
    if any(marker in path for marker in ("$", "{{", "<<", "`", "://")):
        return path
    return posixpath.normpath(path)


def from_invocation(
    kind: BuildKind, path: str, line: int, name: str, found: BuildInvocation, workdir: str | None
) -> BuildPath:
    """A BuildPath for a build command found at ``line`` of a script running in ``workdir``."""
    command = found.command
    context = dockerfile = None
    if not builds_from_elsewhere(command.tool) and command.context not in ("-", None):
        context = command.context
        dockerfile = command.dockerfile if command.dockerfile != "-" else None
        if command.dockerfile is None:  # the CLI's default, relative to the context
            dockerfile = posixpath.join(context, "Dockerfile")
    where = join_directories(workdir, found.cwd)
    return BuildPath(
        kind=kind,
        path=path,
        line=line,
        name=name,
        command=found.text,
        dockerfile=join_path(where, dockerfile),
        context=join_path(where, context),
        tags=command.tags,
        build_args=command.build_args,
        platforms=command.platforms,
        target=command.target,
        pushes=command.push,
    )


def script_paths(
    kind: BuildKind, path: str, line: int, name: str, script: str, workdir: str | None = ""
) -> list[BuildPath]:
    """BuildPaths for every build command in ``script``, whose first line is ``line`` of the file."""
    return [
        from_invocation(kind, path, line + found.line, name, found, workdir)
        for found in find_build_invocations(script)
    ]


@dataclass(frozen=True)
class LocalCall:
    """An entry point of a file calling another one of the same file (``npm run b`` inside script a)."""

    caller: str
    line: int
    text: str
    callee: str
    via: str


def chain_local_calls(
    direct: Mapping[str, Sequence[BuildPath]], calls: Sequence[LocalCall]
) -> list[BuildPath]:
    """BuildPaths for callers that reach builds through other entry points of the same file."""
    edges: dict[str, list[str]] = {}
    for call in calls:
        edges.setdefault(call.caller, []).append(call.callee)
    reach = Reachability(direct, edges)
    chained = (
        replace(target, line=call.line, name=call.caller, command=call.text, via=call.via)
        for call in calls
        for target in reach.builds(call.callee)
    )
    return unique(itertools.islice(chained, MAX_INDIRECT))


K = TypeVar("K")

# Hostile files can make call graphs where every entry reaches every other; these bound the work.
MAX_WALK = 1_000  # entry points visited per reachability question
MAX_REACHED = 100  # builds one call is reported to reach
MAX_INDIRECT = 10_000  # indirect BuildPaths listed per file (per pass); discover() reports reaching it


class Reachability(Generic[K]):
    """The builds an entry point reaches directly or through calls (cycles walked once), memoised."""

    def __init__(self, builds: Mapping[K, Sequence[BuildPath]], callees: Mapping[K, Sequence[K]]) -> None:
        self._builds, self._callees = builds, callees
        self._memo: dict[K, list[BuildPath]] = {}

    def builds(self, start: K) -> list[BuildPath]:
        if start not in self._memo:
            seen, stack = {start}, [start]
            reached: list[BuildPath] = []
            while stack and len(seen) <= MAX_WALK and len(reached) < MAX_REACHED:
                entry = stack.pop()
                reached.extend(self._builds.get(entry, ()))
                for callee in self._callees.get(entry, ()):
                    if callee not in seen:
                        seen.add(callee)
                        stack.append(callee)
            self._memo[start] = unique(reached)[:MAX_REACHED]
        return self._memo[start]


def unique(items: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(items))


def as_text(value: Any) -> str | None:
    """A YAML scalar as the text CI sees (``true``, not ``True``); None for missing values and collections."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def split_list(value: Any, commas: bool = True) -> tuple[str, ...]:
    """A list input as CI actions read it: a YAML list, or text split on newlines (and commas)."""
    if isinstance(value, list):
        items = [as_text(item) for item in value]
        return tuple(item.strip() for item in items if item and item.strip())
    text = as_text(value)
    if not text:
        return ()
    separators = r"[\n,]" if commas and "${{" not in text else r"\n"
    return tuple(
        item.strip()
        for item in re.split(separators, text)
        if item.strip() and not item.strip().startswith("#")
    )


def truthy(value: Any) -> bool:
    """A boolean input; an expression (``${{ github.event_name != 'pull_request' }}``) counts as true."""
    text = as_text(value)
    return text is not None and text.strip().lower() not in ("", "false", "0", "no", "off")


def mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
