"""Bake files (``docker-bake.hcl``, ``docker-bake.json``, ``*.override.*``): one BuildPath per target.

``inherits`` is resolved (parents first, the target's own attributes win). A target that is only ever
inherited from and named by no group (``_common``, ``docker-metadata-action``) builds nothing itself and
is left out. Paths are relative to the bake file's directory; ``dockerfile`` is relative to the context.
``${VAR}`` in a path resolves to the variable's literal default; tags keep the text as written.
"""

from __future__ import annotations

import functools
import posixpath
import re
from typing import Any

import hcl2

from bot.errors import InputError
from bot.model import BuildKind, BuildPath
from bot.scan.paths.common import FileScan, mapping, sequence, tidy, unique
from bot.scan.yamlsafe import load_json

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_-]*)\}")
_MAX_INHERITANCE = 20


def find(path: str, text: str) -> list[BuildPath]:
    return list(scan(path, text).build_paths)


def scan(path: str, text: str) -> FileScan:
    targets, groups, variables = _read_json(path, text) if path.endswith(".json") else _read_hcl(path, text)
    grouped = {name for members in groups.values() for name in members}
    inherited = {parent for target in targets.values() for parent in _names(target.get("inherits"))}
    paths = []
    resolved: dict[str, dict[str, Any]] = {}
    for name in targets:
        if name in inherited and name not in grouped:
            continue
        attributes = _inherit(name, targets, resolved)
        paths.append(_build_path(path, text, name, attributes, variables))
    return FileScan(tuple(unique(paths)))


def _read_hcl(path: str, text: str) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]], dict[str, str]]:
    try:
        document = hcl2.loads(text)
    except RecursionError:
        raise InputError(f"{path}: HCL nested too deeply; refusing to read it") from None
    except Exception as error:  # the parser raises lark's own errors; all mean the same to us
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"{path}: invalid HCL: {first_line}") from None

    def blocks(kind: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for block in sequence(document.get(kind)):
            for label, body in mapping(block).items():
                found[_plain(label, key=True)] = {
                    k: v for k, v in _plain(mapping(body)).items() if k[:2] != "__"
                }
        return found

    variables = {name: _literal(body.get("default")) for name, body in blocks("variable").items()}
    groups = {name: _names(body.get("targets")) for name, body in blocks("group").items()}
    return blocks("target"), groups, {k: v for k, v in variables.items() if v is not None}


def _read_json(
    path: str, text: str
) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]], dict[str, str]]:
    document = load_json(text, path)
    if not isinstance(document, dict):
        raise InputError(f"{path}: a bake file must hold a JSON object")
    targets = {str(k): mapping(v) for k, v in mapping(document.get("target")).items()}
    groups = {str(k): _names(mapping(v).get("targets")) for k, v in mapping(document.get("group")).items()}
    variables = {
        str(k): _literal(mapping(v).get("default")) for k, v in mapping(document.get("variable")).items()
    }
    return targets, groups, {k: v for k, v in variables.items() if v is not None}


# python-hcl2 8 keeps string quotes ('"app"') and gives bare references (BASE) unwrapped; 7 stripped the
# quotes and wrapped every expression in ${…}. Both are turned into plain strings with ${…} expressions.
# Asked on first use: building hcl2's parser costs a tenth of a second, and most runs read no HCL.
@functools.cache
def _keeps_quotes() -> bool:
    return bool(hcl2.loads('probe = "x"').get("probe") == '"x"')


def _plain(value: Any, key: bool = False) -> Any:
    if isinstance(value, dict):
        return {_plain(k, key=True): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if not isinstance(value, str):
        return value
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if not key and _keeps_quotes() and value.isidentifier() and value not in ("true", "false", "null"):
        return "${" + value + "}"
    return value


def _literal(value: Any) -> str | None:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    return None if "${" in str(value) else str(value)


def _names(value: Any) -> list[str]:
    """A list attribute's items; an expression in its place (``split(",", PLATFORMS)``) is kept whole."""
    return [value] if isinstance(value, str) else [str(item) for item in sequence(value)]


def _inherit(
    name: str,
    targets: dict[str, dict[str, Any]],
    resolved: dict[str, dict[str, Any]],
    chain: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Attributes with ``inherits`` applied; memoised, so diamonds stay cheap, and cycles are cut."""
    if name in resolved:
        return resolved[name]
    target = targets.get(name, {})
    merged: dict[str, Any] = {}
    if len(chain) < _MAX_INHERITANCE:
        for parent in _names(target.get("inherits")):
            if parent in targets and parent not in chain and parent != name:
                merged.update(_inherit(parent, targets, resolved, (*chain, name)))
    merged.update(target)
    resolved[name] = merged
    return merged


def _build_path(
    path: str, text: str, name: str, target: dict[str, Any], variables: dict[str, str]
) -> BuildPath:
    def resolved(value: Any) -> str | None:
        if value is None:
            return None
        return _VARIABLE.sub(lambda m: variables.get(m.group(1), m.group()), str(value))

    context = resolved(target.get("context")) or "."
    dockerfile = resolved(target.get("dockerfile")) or "Dockerfile"
    if not dockerfile.startswith(("/", "$")):
        dockerfile = posixpath.join(context, dockerfile)
    args = mapping(target.get("args"))
    outputs = _names(target.get("output"))
    return BuildPath(
        kind=BuildKind.BAKE,
        path=path,
        line=_line_of(text, name),
        name=name,
        command=f'target "{name}"',
        dockerfile=tidy(dockerfile),
        context=tidy(context),
        tags=tuple(_names(target.get("tags"))),
        build_args=tuple((str(k), None if v is None else str(v)) for k, v in args.items()),
        platforms=tuple(p for p in (resolved(p) for p in _names(target.get("platforms"))) if p),
        target=resolved(target.get("target")),
        pushes=any("type=registry" in o or "push=true" in o for o in outputs),
    )


def _line_of(text: str, name: str) -> int:
    """The line of ``target "name" {`` (HCL) or of the ``"name":`` key (JSON)."""
    quoted = re.escape(name)
    match = re.search(rf'^[ \t]*target[ \t]+"{quoted}"', text, re.MULTILINE) or re.search(
        rf'"{quoted}"\s*:', text
    )
    return text.count("\n", 0, match.start()) + 1 if match else 1
