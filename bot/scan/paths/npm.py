"""package.json ``scripts``: ``"docker:build": "cross-var docker build -t x:$npm_package_version ."``.

Scripts run in package.json's directory. A script that runs another (``npm run docker:build``, ``yarn
x``, ``run-s docker:*``) builds through it, and so does one whose ``pre``/``post`` hook builds.
"""

from __future__ import annotations

import fnmatch
import json
import re

from bot.errors import InputError
from bot.model import BuildKind, BuildPath
from bot.scan.entrypoints import find_entry_calls
from bot.scan.paths.common import FileScan, LocalCall, Snippet, chain_local_calls, script_paths, unique
from bot.scan.yamlsafe import load_json


def find(path: str, text: str) -> list[BuildPath]:
    return list(scan(path, text).build_paths)


def scan(path: str, text: str) -> FileScan:
    manifest = load_json(text, path)
    if not isinstance(manifest, dict):
        raise InputError(f"{path}: package.json must hold a JSON object, not {type(manifest).__name__}")
    scripts = manifest.get("scripts") or {}
    if not isinstance(scripts, dict):
        raise InputError(f'{path}: "scripts" must be an object mapping names to commands')
    lines = script_lines(text)
    direct: dict[str, list[BuildPath]] = {}
    snippets: list[Snippet] = []
    calls: list[LocalCall] = []
    for name, body in scripts.items():
        if not isinstance(body, str):
            continue  # npm ignores non-string scripts too
        line = lines.get(name, 1)
        snippets.append(Snippet(line, name, body))
        direct[name] = script_paths(BuildKind.NPM, path, line, name, body)
        calls.extend(_calls(name, body, line, scripts))
    builds = [found for paths in direct.values() for found in paths]
    return FileScan(tuple(unique(builds + chain_local_calls(direct, calls))), tuple(snippets))


def _calls(name: str, body: str, line: int, scripts: dict[str, object]) -> list[LocalCall]:
    calls = []
    for call in find_entry_calls(body):
        if call.kind is not BuildKind.NPM or call.files != ("package.json",) or call.cwd != "":
            continue  # another package's scripts: discover() follows those
        for pattern in call.names:
            # run-s "docker:*" runs every script the glob matches; a plain name matches only itself
            for callee in fnmatch.filter(scripts, pattern) if "*" in pattern else [pattern]:
                calls.append(LocalCall(name, line, call.text, callee, call.via(callee)))
    for hook in (f"pre{name}", f"post{name}"):  # npm runs these around `npm run name` unasked
        if hook in scripts:
            calls.append(LocalCall(name, line, f"npm run {hook}", hook, f"npm run {hook}"))
    return calls


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]')


def script_lines(text: str) -> dict[str, int]:
    """1-based line of each key of the top-level ``"scripts"`` object, found by tokenising the JSON."""
    lines: dict[str, int] = {}
    depth, in_scripts, previous = 0, False, ""
    line, counted = 1, 0
    tokens = list(_TOKEN.finditer(text))
    for index, match in enumerate(tokens):
        piece = match.group()
        if piece in "[{":
            depth += 1
            in_scripts = in_scripts or (depth == 2 and previous == "scripts")
        elif piece in "]}":
            depth -= 1
            in_scripts = in_scripts and depth >= 2
        elif piece[0] == '"' and index + 1 < len(tokens) and tokens[index + 1].group() == ":":
            key = json.loads(piece)
            previous = key if depth == 1 else ""
            if in_scripts and depth == 2:
                line += text.count("\n", counted, match.start())  # counted incrementally: linear time
                counted = match.start()
                lines.setdefault(key, line)
    return lines
