"""The second discovery pass: steps and scripts that build by calling another build file's entry point.

A CI step ``npm run docker:build`` builds what the ``docker:build`` script builds. The graph's nodes are
entry points ``(kind, file, name)`` (a shell script's name is ""); its edges are the calls found in each
file's snippets. Each call that reaches builds yields, per build, a copy of it located at the call,
with ``via`` naming the call. Cycles (script a runs b runs a) are walked once.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.model import BuildKind, BuildPath
from bot.scan.entrypoints import EntryCall, find_entry_calls
from bot.scan.paths.common import MAX_INDIRECT, FileScan, Reachability, unique
from bot.scan.resolve import base_directory, resolve
from bot.scan.shell_commands import join_directories

Entry = tuple[BuildKind, str, str]


@dataclass(frozen=True)
class _Edge:
    line: int  # 1-based, in the caller's file
    call: EntryCall
    callee: Entry
    name: str  # the callee's name as the call names it (a glob expanded)


def follow_calls(
    found: Sequence[BuildPath], scans: Sequence[tuple[str, BuildKind, FileScan]]
) -> list[BuildPath]:
    """BuildPaths for every call that reaches a build, ``via`` naming the call; ``found`` is resolved."""
    builds: dict[Entry, list[BuildPath]] = {}
    for path in found:
        builds.setdefault((path.kind, path.path, path.name), []).append(path)
    names: dict[tuple[BuildKind, str], set[str]] = {}
    for kind, file, name in builds:
        names.setdefault((kind, file), set()).add(name)
    for file, kind, scan in scans:
        names.setdefault((kind, file), set()).update(snippet.name for snippet in scan.snippets)
    edges: dict[Entry, list[_Edge]] = {}
    for file, kind, scan in scans:
        base = base_directory(kind, file)
        for snippet in scan.snippets:
            caller = (kind, file, snippet.name)
            for call in find_entry_calls(snippet.text):
                cwd = join_directories(snippet.workdir, call.cwd)
                for callee, name in _callees(call, base, cwd, kind, names):
                    if callee != caller:
                        edges.setdefault(caller, []).append(
                            _Edge(snippet.line + call.line, call, callee, name)
                        )

    reach = Reachability(builds, {caller: [edge.callee for edge in out] for caller, out in edges.items()})
    linked: list[BuildPath] = []
    per_file: dict[str, int] = {}
    for (kind, file, name), caller_edges in edges.items():
        for edge in caller_edges:
            if per_file.get(file, 0) >= MAX_INDIRECT:
                break
            for target in reach.builds(edge.callee):
                per_file[file] = per_file.get(file, 0) + 1
                linked.append(
                    replace(
                        target,
                        kind=kind,
                        path=file,
                        line=edge.line,
                        name=name,
                        command=edge.call.text,
                        via=edge.call.via(edge.name),
                    )
                )
    return unique(linked)


def _callees(
    call: EntryCall,
    base: str,
    cwd: str | None,
    caller_kind: BuildKind,
    names: dict[tuple[BuildKind, str], set[str]],
) -> list[tuple[Entry, str]]:
    if cwd is None:
        return []  # the call runs somewhere a `cd $DIR` hid
    directories = [posixpath.join(base, cwd)]
    if caller_kind is BuildKind.SHELL and base:  # a script may be run from the root; see resolve.py
        directories.append(cwd)
    callees: list[tuple[Entry, str]] = []
    for directory in directories:
        for written in call.files:
            file, _ = resolve(directory, written)
            if file is None:
                continue
            if call.kind is BuildKind.SHELL:
                callees.append(((BuildKind.SHELL, file, ""), ""))
                continue
            known = names.get((call.kind, file), set())
            for pattern in call.names:
                for name in _matching(pattern, known):
                    callees.append(((call.kind, file, name), name))
    return callees


def _matching(pattern: str, known: set[str]) -> list[str]:
    """npm-run-all globs (``docker:*``) and make pattern rules (``image-%``) match several names."""
    if "*" in pattern:
        return sorted(fnmatch.filter(known, pattern))
    if pattern in known:
        return [pattern]
    rules = [
        rule for rule in known if "%" in rule and fnmatch.fnmatchcase(pattern, rule.replace("%", "*", 1))
    ]
    return rules[:1]
