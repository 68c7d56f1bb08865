"""A small Dockerfile front end that reads Dockerfiles the way BuildKit does, in two linear passes.

1. Lines → instructions (moby/buildkit frontend/dockerfile/parser): directives at the top, escape-char
   continuations that skip comment and blank lines, heredoc bodies attached to their RUN/COPY/ADD.
2. Instructions → stages (frontend/dockerfile/instructions, dockerfile2llb): global ARGs with build args
   applied, FROM bases expanded and resolved, the stages and images each stage copies or mounts from.

On purpose unlike BuildKit: what it rejects we record with a warning, and where it would substitute ""
for a variable nobody set, we call the base UNRESOLVED instead of guessing what the real build passes.
"""

# Not the dockerfile-parse library: it reads heredoc bodies as instructions (a FROM inside RUN <<EOF
# becomes a base image) and ignores the "# escape=" directive.

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import NamedTuple

from bot.errors import ImageRefError
from bot.model import BaseKind, DockerfileInfo, ImageRef, Instruction, Stage
from bot.scan.image_ref import parse_image_ref
from bot.scan.shellwords import (
    Expansion,
    ExpansionError,
    HeredocMarker,
    expand,
    extract_flags,
    heredoc_markers,
    is_json_form,
    mount_source,
    parse_directive,
    split_words,
)

KNOWN_INSTRUCTIONS = frozenset(
    {"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "MAINTAINER"}
    | {"ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}
)
# Set by BuildKit for every build; a build arg of the same name overrides them even without an ARG.
PLATFORM_ARGS = (
    *("BUILDPLATFORM", "BUILDOS", "BUILDOSVERSION", "BUILDARCH", "BUILDVARIANT"),
    *("TARGETPLATFORM", "TARGETOS", "TARGETOSVERSION", "TARGETARCH", "TARGETVARIANT"),
)
_TARGET_STAGE_ARG = "TARGETSTAGE"
_DIRECTIVE_KEYS = frozenset({"syntax", "escape", "check"})
_HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
_SEPARATOR = re.compile(r"[\t\v\f\r ]+")  # BuildKit splits keyword and FROM words on these only
_STAGE_NAME = re.compile(r"[a-z][a-z0-9._-]*")
_STAGE_INDEX = re.compile(r"[+-]?[0-9]+")


def parse_dockerfile(text: str, path: str, build_args: Mapping[str, str] | None = None) -> DockerfileInfo:
    """Read a Dockerfile; never raises for bad content (oddities become ``warnings``)."""
    reader = _Reader(text)
    reader.read()
    builder = _StageBuilder(build_args or {}, reader.escape, reader.warnings)
    for instruction in reader.instructions:
        builder.add(instruction)
    stages = builder.finish()  # resolving --from may add warnings
    if not stages:
        reader.warnings.append("no FROM instruction: the Dockerfile defines no build stage")
    return DockerfileInfo(
        path=path,
        stages=stages,
        instructions=tuple(reader.instructions),
        global_args=builder.scope.effective(),
        directives=tuple(reader.directives.items()),
        warnings=tuple(reader.warnings),
    )


def stages_needed(info: DockerfileInfo, target: str | None = None) -> tuple[int, ...]:
    """The stages BuildKit builds for ``target`` (name or index; None = the last stage), ascending."""
    todo = [_target_index(info, target)]
    needed: set[int] = set()
    while todo:
        index = todo.pop()
        if index in needed:
            continue
        needed.add(index)
        stage = info.stages[index]
        todo.extend(stage.copy_from_stages)
        if stage.base_stage is not None:
            todo.append(stage.base_stage)
    return tuple(sorted(needed))


def _target_index(info: DockerfileInfo, target: str | None) -> int:
    if not info.stages:
        raise ValueError(f"{info.path} has no build stages")
    if target is None:
        return len(info.stages) - 1
    key = target.strip().lower()
    if key.isascii() and key.isdigit() and int(key) < len(info.stages):
        return int(key)
    for stage in reversed(info.stages):  # a repeated name means its last stage, as in BuildKit
        if stage.name == key:
            return stage.index
    raise ValueError(f"target {target!r} is not a stage of {info.path}")


# ------------------------------------------------------------------------------------- lines → instructions


class _Reader:
    def __init__(self, text: str) -> None:
        self.lines = text.removeprefix("\ufeff").split("\n")
        if self.lines[-1] == "":
            self.lines.pop()  # the text ended with a newline (or was empty)
        self.pos = 0  # lines consumed so far = the 1-based number of the last one
        self.escape = "\\"
        self.in_directives = True
        self.directives: dict[str, str] = {}
        self.warnings: list[str] = []
        self.instructions: list[Instruction] = []
        self.stage = -1

    def read(self) -> None:
        while self.pos < len(self.lines):
            token = self.lines[self.pos].rstrip("\r").lstrip()
            self.pos += 1
            start = self.pos
            if self.in_directives and self._directive(token):
                continue
            if token.startswith("#"):
                continue
            first, complete = self._trim_continuation(token)
            if complete and not first:
                continue
            self._instruction(self._continued(first, complete, start), start)

    def _continued(self, first: str, complete: bool, start: int) -> str:
        parts, blank_seen = [first], False
        while not complete and self.pos < len(self.lines):
            line = self.lines[self.pos].rstrip("\r")
            self.pos += 1
            stripped = line.lstrip()
            if stripped.startswith("#"):
                continue
            if not stripped:
                blank_seen = True
                continue
            piece, complete = self._trim_continuation(line)
            parts.append(piece)
        if blank_seen:
            self.warnings.append(f"line {start}: empty continuation line (BuildKit warns; a future error)")
        return "".join(parts)

    def _trim_continuation(self, line: str) -> tuple[str, bool]:
        """BuildKit's rule: an escape character ends the line (spaces after it allowed) unless escaped."""
        body = line.rstrip(" \t")
        if not body.endswith(self.escape):
            return line, True
        if len(body) > 1 and body[-2] == self.escape:
            return line, True
        return body[:-1], False

    def _directive(self, token: str) -> bool:
        """Consume ``# key=value`` at the top of the file; the first other line ends the directives."""
        parsed = parse_directive(token)
        if parsed is None or parsed[0] not in _DIRECTIVE_KEYS:
            self.in_directives = False
            return False
        key, value = parsed
        if key in self.directives:
            self.warnings.append(f"line {self.pos}: the {key} directive is repeated; the first one counts")
        elif key == "escape" and value not in ("\\", "`"):
            self.warnings.append(f"line {self.pos}: escape directive {value!r} is not \\ or `; ignored")
            self.directives[key] = value
        else:
            self.directives[key] = value
            self.escape = value if key == "escape" else self.escape
        return True

    def _instruction(self, line: str, start: int) -> None:
        words = _SEPARATOR.split(line.strip(), maxsplit=1)
        if not words[0]:
            return
        keyword, value = words[0].upper(), (words[1] if len(words) > 1 else "")
        heredocs = self._heredocs(keyword, value, line, start) if "<<" in line else ()
        if keyword == "FROM":
            self.stage += 1
        self.instructions.append(Instruction(keyword, value, start, self.pos, self.stage, heredocs))

    def _heredocs(self, keyword: str, value: str, line: str, start: int) -> tuple[str, ...]:
        if keyword == "ONBUILD":  # ONBUILD RUN <<EOF carries its trigger's heredocs
            inner = _SEPARATOR.split(value.strip(), maxsplit=1)
            keyword, value = inner[0].upper(), (inner[1] if len(inner) > 1 else "")
        if keyword not in _HEREDOC_INSTRUCTIONS or is_json_form(value):
            return ()
        return tuple(self._heredoc_body(marker, start) for marker in heredoc_markers(line))

    def _heredoc_body(self, marker: HeredocMarker, start: int) -> str:
        """The lines up to the terminator; line endings become \\n, ``<<-`` strips leading tabs."""
        body: list[str] = []
        while self.pos < len(self.lines):
            line = self.lines[self.pos].rstrip("\r")
            self.pos += 1
            if marker.chomp:
                line = line.lstrip("\t")
            if line == marker.name:
                return "".join(body)
            body.append(line + "\n")
        self.warnings.append(f"line {start}: heredoc {marker.name!r} is never terminated")
        return "".join(body)


# ------------------------------------------------------------------------------------ instructions → stages


class _GlobalScope:
    """The variables FROM lines can see: platform args, then global ARGs with build args applied."""

    def __init__(self, build_args: Mapping[str, str], escape: str) -> None:
        self.build_args, self.escape = build_args, escape
        self.values: dict[str, str] = {}  # every variable that is set, even to a value we cannot know
        self.unknown: dict[str, str] = {}  # set, but to what we cannot tell: name → why
        self.written: dict[str, str] = {}  # the defaults, as written, of those unknown ARGs
        self.declared: dict[str, None] = {}  # global ARG names, in order
        self.stage_args: set[str] = set()  # ARG names seen inside stages, for clearer reasons
        for name in (*PLATFORM_ARGS, _TARGET_STAGE_ARG):
            if name in build_args:
                self.values[name] = build_args[name]
            else:
                self.values[name] = ""
                self.unknown[name] = _automatic_reason(name)

    def declare(self, name: str, default: str | None) -> str | None:
        """Apply one global ``ARG name[=default]``; return a warning if the default cannot be expanded."""
        self.declared.setdefault(name)
        if name in self.build_args:  # BuildKit applies build args only to declared ARGs
            self._set(name, self.build_args[name])
            return None
        if default is None:
            return None  # a bare ARG leaves any earlier value (e.g. a platform arg) as it is
        try:
            expansion = expand(default, self.values, self.escape)
        except ExpansionError as err:
            self._set(name, "", f"the default of ARG {name} cannot be expanded ({err})", default)
            return f"ARG {name}={default}: {err}"
        cause = self.unknown_cause(expansion)  # before the update: ARG A=$A$A depends on the old A
        if cause is None:
            self._set(name, expansion.value)
        else:
            source, why = cause
            self._set(
                name, expansion.value, why if source == name else f"{why} (through ARG {name})", default
            )
        return None

    def _set(self, name: str, value: str, why_unknown: str | None = None, written: str = "") -> None:
        self.values[name] = value
        self.unknown.pop(name, None)
        self.written.pop(name, None)
        if why_unknown is not None:
            self.unknown[name], self.written[name] = why_unknown, written

    def unknown_cause(self, expansion: Expansion) -> tuple[str, str] | None:
        """The variable that makes an expansion uncertain, and why; None when it is certain."""
        for name in expansion.used:
            if name in self.unknown:
                return name, self.unknown[name]
            if name in expansion.unset:
                return name, self._unset_reason(name)
        return None

    def _unset_reason(self, name: str) -> str:
        if name in self.declared:
            return f"variable {name} has no default and no build arg sets it"
        if name in self.stage_args:
            return f"variable {name} is declared inside a stage; FROM only sees ARGs before the first FROM"
        return f"variable {name} is not declared by an ARG before the first FROM"

    def effective(self) -> tuple[tuple[str, str | None], ...]:
        """Each global ARG: build arg, else default (as written when it is not knowable here), else None."""
        return tuple(
            (n, self.written.get(n) if n in self.unknown else self.values.get(n)) for n in self.declared
        )


def _automatic_reason(name: str) -> str:
    if name == _TARGET_STAGE_ARG:
        return f"variable {name} is set by BuildKit to the build target's name"
    return (
        f"variable {name} is set by BuildKit for each platform being built, so the base differs per "
        "platform (give the ARG a default or pass a build arg to pin it)"
    )


class _Base(NamedTuple):
    kind: BaseKind
    ref: ImageRef | None = None
    stage: int | None = None
    reason: str | None = None  # for UNRESOLVED


class _StageBuilder:
    def __init__(self, build_args: Mapping[str, str], escape: str, warnings: list[str]) -> None:
        self.scope = _GlobalScope(build_args, escape)
        self.escape, self.warnings = escape, warnings
        self.stages: list[Stage] = []  # copy_from and copy_from_stages are filled in by finish()
        self.sources: list[list[tuple[str, int, bool]]] = []  # per stage: (--from value, line, is COPY)
        self.by_name: dict[str, list[int]] = {}  # stage name → indices of the stages called that

    def add(self, instruction: Instruction) -> None:
        keyword, line = instruction.keyword, instruction.line
        if keyword not in KNOWN_INSTRUCTIONS:
            self.warnings.append(f"line {line}: unknown instruction {keyword} (BuildKit would refuse it)")
        if keyword == "FROM":
            self._from(instruction)
        elif keyword == "ARG":
            self._arg(instruction)
        elif not self.stages:
            self.warnings.append(f"line {line}: {keyword} before the first FROM belongs to no stage")
        elif keyword in ("COPY", "RUN") and ("--from" in instruction.value or "--mount" in instruction.value):
            self._sources(instruction)

    def _arg(self, instruction: Instruction) -> None:
        words = split_words(instruction.value, self.escape)
        if not words:
            self.warnings.append(f"line {instruction.line}: ARG without a name")
        for word in words:
            name, equals, default = word.partition("=")
            if not name:
                self.warnings.append(f"line {instruction.line}: ARG {word!r} has no name")
            elif self.stages:
                self.scope.stage_args.add(name)
            elif (problem := self.scope.declare(name, default if equals else None)) is not None:
                self.warnings.append(f"line {instruction.line}: {problem}")

    def _from(self, instruction: Instruction) -> None:
        index, line = len(self.stages), instruction.line
        flags, args = extract_flags(instruction.value)
        words = _SEPARATOR.split(args.strip()) if args.strip() else []
        name = None
        if len(words) == 1 or (len(words) == 3 and words[1].lower() == "as"):
            base = self._resolve_base(words[0], index, line)
            name = self._stage_name(words[2], line) if len(words) == 3 else None
        else:
            base = _Base(BaseKind.UNRESOLVED, reason=f"FROM expects 'image [AS name]', got {args.strip()!r}")
        platform = self._platform_flag(flags, line)
        written = words[0] if words else ""
        self.stages.append(
            Stage(index, name, line, written, base.kind, base.ref, base.stage, platform, base.reason)
        )
        self.sources.append([])
        if name is not None:
            self.by_name.setdefault(name, []).append(index)

    def _platform_flag(self, flags: list[str], line: int) -> str | None:
        platform = None
        for flag in flags:
            name, equals, value = flag[2:].partition("=")
            if name != "platform" or not equals:
                self.warnings.append(f"line {line}: FROM flag {flag!r} is not --platform=…")
            elif platform is not None:
                self.warnings.append(f"line {line}: FROM has --platform twice; the first one counts")
            else:
                platform = value or None
        return platform

    def _stage_name(self, written: str, line: int) -> str | None:
        name = written.lower()
        if not _STAGE_NAME.fullmatch(name):
            self.warnings.append(f"line {line}: {written!r} is not a stage name (a letter, then a-z0-9._-)")
            return None
        if name in self.by_name:
            self.warnings.append(f"line {line}: stage name {name!r} is reused; later uses mean this one")
        return name

    def _resolve_base(self, written: str, index: int, line: int) -> _Base:
        try:
            expansion = expand(written, self.scope.values, self.escape)
        except ExpansionError as err:
            return _Base(BaseKind.UNRESOLVED, reason=f"{written!r} cannot be expanded: {err}")
        value = expansion.value
        if (cause := self.scope.unknown_cause(expansion)) is not None:
            return _Base(BaseKind.UNRESOLVED, reason=cause[1])
        if not value:
            return _Base(BaseKind.UNRESOLVED, reason=f"{written!r} expands to an empty base name")
        if (stage := self._stage_called(value, before=index)) is not None:
            if stage.name != value:
                self.warnings.append(
                    f"line {line}: FROM {value} matches stage {stage.name!r} only ignoring case; "
                    "BuildKit matches FROM stage names exactly"
                )
            return _Base(BaseKind.STAGE, stage=stage.index)
        if value == "scratch":
            return _Base(BaseKind.SCRATCH)
        try:
            return _Base(BaseKind.IMAGE, ref=parse_image_ref(value))
        except ImageRefError as err:
            prefix = f"{written!r} expands to an invalid reference: " if expansion.used else ""
            return _Base(BaseKind.UNRESOLVED, reason=f"{prefix}{err}")

    def _stage_called(self, name: str, before: int) -> Stage | None:
        """The latest stage called ``name`` (any case) among the first ``before`` stages."""
        indices = self.by_name.get(name.lower(), [])
        position = bisect.bisect_left(indices, before)
        return self.stages[indices[position - 1]] if position else None

    def _sources(self, instruction: Instruction) -> None:
        """Record COPY --from= and RUN --mount=…,from= values; they are resolved in finish()."""
        flags, _ = extract_flags(instruction.value)
        is_copy = instruction.keyword == "COPY"
        for flag in flags:
            name, equals, value = flag[2:].partition("=")
            if is_copy and name == "from":
                if not equals:
                    self.warnings.append(f"line {instruction.line}: COPY --from has no value")
                else:
                    self.sources[-1].append((value, instruction.line, True))
            elif not is_copy and name == "mount" and (source := mount_source(value)):
                self.sources[-1].append((source, instruction.line, False))

    def finish(self) -> tuple[Stage, ...]:
        """Resolve --from now that every stage is known, so a later stage's name is not taken for an image."""
        return tuple(self._with_sources(stage, self.sources[stage.index]) for stage in self.stages)

    def _with_sources(self, stage: Stage, sources: list[tuple[str, int, bool]]) -> Stage:
        images: dict[ImageRef, None] = {}
        stages: dict[int, None] = {}
        for value, line, is_copy in sources:
            source = self._source(value, line, is_copy, stage.index)
            if isinstance(source, ImageRef):
                images[source] = None
            elif source is not None:
                stages[source] = None
        return replace(stage, copy_from=tuple(images), copy_from_stages=tuple(sorted(stages)))

    def _source(self, value: str, line: int, is_copy: bool, current: int) -> ImageRef | int | None:
        """What a --from names: an earlier stage's index, an image, or None (warned about)."""
        where = f"line {line}: {'COPY --from' if is_copy else 'RUN --mount from'}={value}"
        if value == "scratch":
            return None  # BuildKit's empty image: nothing to pull
        if is_copy and _STAGE_INDEX.fullmatch(value):
            if 0 <= int(value) < current:
                return int(value)
            self.warnings.append(f"{where} is not the index of an earlier stage")
            return None
        if (stage := self._stage_called(value, before=current)) is not None:
            return stage.index
        if self._stage_called(value, before=len(self.stages)) is not None:
            self.warnings.append(f"{where} names a stage that is not defined before this one")
            return None
        if _STAGE_INDEX.fullmatch(value):
            self.warnings.append(f"{where}: BuildKit reads mount sources by name only, so this is an image")
        try:
            return parse_image_ref(value)
        except ImageRefError as err:
            hint = " (BuildKit does not expand variables here)" if "$" in value else ""
            self.warnings.append(f"{where} is neither an earlier stage nor an image: {err}{hint}")
            return None
