"""Read ``docker buildx build --progress rawjson`` output: a log tail for people, one error line. Pure.

Why rawjson rather than plain: in plain output a step's own output and BuildKit's status lines share one
text stream (``#7 0.412 …`` next to ``#7 ERROR: …``), so an upstream Dockerfile's RUN can print a line that
reads like BuildKit's error, and finding which output belongs to the failing step means parsing a format
made for eyes. rawjson keeps them apart: each vertex (step) carries its name and its ``error``, and each
output chunk names its vertex and stream (base64). So the error line is exact: the failing step, what
BuildKit said, and that step's last line on stderr (``cat: can't open '/x'``), which is the line a
maintainer needs. The log tail is rendered back into plain's shape so it reads as people expect.

After the JSON, buildx prints plain text: the Dockerfile excerpt and ``ERROR: failed to solve: …``.
Errors that are no step's (a Dockerfile syntax error, a builder that cannot be reached) are only there.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field

from bot.proc import redact

TAIL_LINES = 30
_LINE_LIMIT = 400
_NAME_LIMIT = 160  # a RUN with a long script is named after all of it
_EXIT = re.compile(r'^process ".*" did not complete successfully: (exit code: -?\d+)$', re.DOTALL)
_LOCATION = re.compile(r"^\S+:\d+$")  # "Dockerfile:3", the excerpt's heading
_NAME_IN_JSON = re.compile(r'"name": ("(?:[^"\\]|\\.)*")')
_DATA_IN_JSON = re.compile(r'"data": ("[A-Za-z0-9+/=]*")')
# buildx's own steps while it reaches a builder: failing there says nothing about the Dockerfile.
_BOOTSTRAP = ("[internal] booting buildkit", "[internal] waiting for connection")
# Steps that fetch a base image (its metadata, its layers): failing there is the registry's doing (a rate
# limit, an outage), not the Dockerfile's; the scan has already found every base in its registry.
_FETCHING_BASE = re.compile(r"(?:^|\] )(?:load metadata for |FROM )")


@dataclass(frozen=True)
class BuildLog:
    lines: tuple[str, ...]  # the last TAIL_LINES lines, in plain's shape, redacted
    error: str  # the clearest single line saying why the build failed; "" when nothing says so
    reached_buildkit: bool  # False: buildx failed before BuildKit began (no builder, no daemon)
    fetching_base: bool = False  # the failing step was fetching a base image: a registry problem


@dataclass
class _Vertex:
    number: int
    name: str = ""
    error: str = ""
    output: dict[int, list[str]] = field(default_factory=dict)  # stream → complete lines
    partial: dict[int, str] = field(default_factory=dict)  # stream → text after the last newline


def read_rawjson(text: str, *, tail: int = TAIL_LINES) -> BuildLog:
    """The log tail and error line of one build's stderr under ``--progress rawjson``."""
    vertices: dict[str, _Vertex] = {}
    lines: list[str] = []
    decoder = json.JSONDecoder()
    position, rest = 0, ""
    while position < len(text):
        while position < len(text) and text[position].isspace():
            position += 1
        if text.startswith("{", position):
            try:
                status, position = decoder.raw_decode(text, position)
            except ValueError:
                status = None
            if isinstance(status, dict):
                _take(status, vertices, lines)
                continue
        rest = text[position:]  # buildx's closing text, or something it printed that is not JSON
        break
    for vertex in vertices.values():
        _flush(vertex, lines)
    trailing = [line.rstrip() for line in rest.splitlines() if line.strip()]
    lines += trailing
    error = _error_line(vertices, trailing)
    clipped = [_clip(redact(line), _LINE_LIMIT) for line in lines[-tail:]] if tail > 0 else []
    reached = any(vertex.name and not vertex.name.startswith(_BOOTSTRAP) for vertex in vertices.values())
    failed = _failed_step(vertices)
    fetching = failed is not None and bool(_FETCHING_BASE.search(failed.name))
    return BuildLog(tuple(clipped), redact(error), reached, fetching)


def last_words(fragment: str) -> str:
    """What a killed build was last seen doing, from a fragment of its rawjson output; "" if unknown.

    A timeout leaves only the last few lines of pretty-printed JSON: the last step named there and the
    last line of output, whichever the fragment holds.
    """
    said = []
    for quoted in reversed(_NAME_IN_JSON.findall(fragment)):
        name = _json_string(quoted)
        if name and not name.startswith("[internal]"):
            said.append(f"running {_clip(name, _NAME_LIMIT)}")
            break
    for quoted in reversed(_DATA_IN_JSON.findall(fragment)):
        try:
            output = base64.b64decode(_json_string(quoted), validate=True).decode(errors="replace")
        except (binascii.Error, ValueError):
            continue
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        if lines:
            said.append(f"last output: {_clip(lines[-1], _LINE_LIMIT)}")
            break
    return redact("; ".join(said))


def _json_string(quoted: str) -> str:
    try:
        value = json.loads(quoted)
    except ValueError:
        return ""
    return value if isinstance(value, str) else ""


def _take(status: dict[str, object], vertices: dict[str, _Vertex], lines: list[str]) -> None:
    for item in _items(status, "vertexes"):
        digest = str(item.get("digest", ""))
        vertex = vertices.get(digest)
        if vertex is None:
            vertex = vertices[digest] = _Vertex(len(vertices) + 1)
        name = item.get("name")
        if isinstance(name, str) and name and not vertex.name:
            vertex.name = name
            lines.append(f"#{vertex.number} {_clip(name, _NAME_LIMIT)}")
        error = item.get("error")
        if isinstance(error, str) and error and not vertex.error:
            _flush(vertex, lines)
            vertex.error = error
            lines.append(f"#{vertex.number} ERROR: {error}")
    for item in _items(status, "logs"):
        vertex = vertices.get(str(item.get("vertex", "")))
        stream = item.get("stream")
        data = item.get("data")
        if vertex is None or not isinstance(stream, int) or not isinstance(data, str):
            continue
        try:
            chunk = base64.b64decode(data, validate=True).decode(errors="replace")
        except (binascii.Error, ValueError):
            continue
        *complete, vertex.partial[stream] = (vertex.partial.get(stream, "") + chunk).split("\n")
        for line in complete:
            _output(vertex, stream, line, lines)


def _items(status: dict[str, object], key: str) -> list[dict[str, object]]:
    items = status.get(key)
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _output(vertex: _Vertex, stream: int, line: str, lines: list[str]) -> None:
    line = line.rstrip("\r")
    if line.strip():
        vertex.output.setdefault(stream, []).append(line)
        lines.append(f"#{vertex.number} {line}")


def _flush(vertex: _Vertex, lines: list[str]) -> None:
    for stream, partial in sorted(vertex.partial.items()):
        _output(vertex, stream, partial, lines)
    vertex.partial.clear()


def _error_line(vertices: dict[str, _Vertex], trailing: list[str]) -> str:
    location = trailing[0] if trailing and _LOCATION.match(trailing[0]) else ""
    vertex = _failed_step(vertices)
    if vertex is not None:
        said = _EXIT.sub(lambda match: match.group(1).replace(":", ""), vertex.error)
        last = (vertex.output.get(2) or vertex.output.get(1) or [""])[-1].strip()
        line = f"{_clip(vertex.name, _NAME_LIMIT)}: {said}" + (f": {last}" if last else "")
        return _clip(line + (f" ({location})" if location else ""), _LINE_LIMIT)
    errors = [line for line in trailing if line.startswith("ERROR:")]
    if errors:
        said = errors[-1].removeprefix("ERROR:").strip().removeprefix("failed to solve:").strip()
        return _clip(said + (f" ({location})" if location else ""), _LINE_LIMIT)
    return _clip(trailing[-1], _LINE_LIMIT) if trailing else ""


def _failed_step(vertices: dict[str, _Vertex]) -> _Vertex | None:
    failed = [vertex for vertex in vertices.values() if vertex.error]
    # When one step fails BuildKit cancels the others; their "canceled" says nothing.
    failed = [vertex for vertex in failed if "canceled" not in vertex.error] or failed
    return failed[0] if failed else None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
