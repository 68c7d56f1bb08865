"""Find what would make a Dockerfile's arm64 image fail to build or silently hold amd64 code.

`find_hazards` walks the Dockerfile once, stage by stage, keeping what each stage has copied from the
context and where it stands (WORKDIR), so that `RUN ./scripts/install.sh` or `RUN make release` can be
followed into the file that really runs. Shell text of every kind goes through the rule table in
rules.py; stage-level rules are in stages.py and image.py. Hazards are reported at the file and line a
maintainer has to change, one per (code, path, line).

Pure: the only input besides the parsed Dockerfile is `read_context_file`, which the caller guards.
"""

from __future__ import annotations

import posixpath
import re
from bisect import bisect_left
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace

from bot.model import DockerfileInfo, Hazard, Instruction
from bot.scan.hazards.findings import (
    CODE_GOARCH,
    CODE_MAP,
    CODE_PACKAGE,
    CODE_PATH,
    CODE_URL,
    Finding,
    Origin,
    ShellSource,
    command_text,
)
from bot.scan.hazards.image import (
    CODE_DIGEST,
    CODE_HOST_BINARY,
    CODE_NAMESPACE,
    host_binary_rules,
    namespace_rules,
)
from bot.scan.hazards.lines import DockerfileLines, excerpt
from bot.scan.hazards.makefile import make_recipes
from bot.scan.hazards.rules import shell_findings
from bot.scan.hazards.sources import (
    ContextCopy,
    Invocation,
    StageFiles,
    bind_mounts,
    context_candidates,
    flags_end,
    instruction_words,
    invocations,
    record_copy,
)
from bot.scan.hazards.stages import (
    CODE_BUILDPLATFORM,
    CODE_PINNED,
    StageModel,
    StageSignals,
    note_text,
    platform_rules,
    stage_model,
)
from bot.scan.shell_commands import Lexed

CODES = (
    CODE_URL,
    CODE_PACKAGE,
    CODE_GOARCH,
    CODE_PINNED,
    CODE_BUILDPLATFORM,
    CODE_MAP,
    CODE_HOST_BINARY,
    CODE_NAMESPACE,
    CODE_PATH,
    CODE_DIGEST,
)
"""Every hazard code find_hazards reports, plus single-arch-digest (the orchestrator's, worded here)."""

# Where the stage runs on the (amd64) build machine, these describe build tools, not the image;
# buildplatform-native / platform-pinned judge such stages as a whole instead.
_HOST_ONLY_CODES = frozenset({CODE_URL, CODE_PACKAGE, CODE_PATH})
_MAX_FOLLOW_DEPTH = 4
_NOT_PROJECT_SCRIPTS = frozenset(
    {"configure", "config.guess", "config.sub", "config.status", "libtool", "ltmain.sh", "install-sh"}
    | {"missing", "depcomp", "gradlew", "mvnw"}
)
_NON_SHELL_SHEBANG = re.compile(r"#![^\n]{0,80}\b(?:python|node|perl|ruby|php|deno|bun)")
_AMD64_VALUE = re.compile(r"[\"']?(?:linux/)?(?:amd64|x86_64|x86-64|x64)[\"']?", re.I)
_AUTOMATIC_ARGS = frozenset({"TARGETARCH", "TARGETPLATFORM", "TARGETOS", "TARGETVARIANT"})


def find_hazards(
    info: DockerfileInfo,
    read_context_file: Callable[[str], str | None],
    context: str = ".",
    final_stages: Collection[int] | None = None,
) -> list[Hazard]:
    """Hazards for building `info` for arm64, sorted by file and line, at most one per (code, path, line).

    read_context_file(repo_relative_path) returns a file's text or None; context is the repo-relative
    build context; final_stages are the stages whose content is published (None = the last stage).
    """
    return _Scan(info, read_context_file, posixpath.normpath(context or "."), final_stages).run()


@dataclass
class _StageState:
    """What the walk knows about a stage so far; a stage built FROM another starts with a copy."""

    files: StageFiles = field(default_factory=StageFiles)
    amd64_vars: dict[str, str] = field(default_factory=dict)  # ARG/ENV fixed to amd64: name → where
    env_names: set[str] = field(default_factory=set)  # ARG/ENV names: RUN sees them in its environment
    signals: StageSignals = field(default_factory=StageSignals)

    def inherit(self) -> _StageState:
        return _StageState(self.files.inherit(), dict(self.amd64_vars), set(self.env_names), StageSignals())


class _Scan:
    def __init__(
        self,
        info: DockerfileInfo,
        read: Callable[[str], str | None],
        context: str,
        final_stages: Collection[int] | None,
    ) -> None:
        self.info = info
        self.reader = read
        self.read_cache: dict[str, str | None] = {}
        self.context = context
        self.model: StageModel = stage_model(info, final_stages)
        self.hazards: dict[tuple[str, str, int], Hazard] = {}
        self.signals: dict[int, StageSignals] = {}
        self.lines = DockerfileLines(info, self.read)
        self._newlines: dict[tuple[str, int], list[int]] = {}

    def read(self, path: str) -> str | None:
        if path not in self.read_cache:
            self.read_cache[path] = self.reader(path)
        return self.read_cache[path]

    def add(self, finding: Finding, path: str, line: int, text: str) -> None:
        hazard = Hazard(finding.code, path, line, finding.severity, finding.message, finding.fix, text)
        self.add_hazard(hazard)

    def add_hazard(self, hazard: Hazard) -> None:
        self.hazards.setdefault((hazard.code, hazard.path, hazard.line), hazard)

    def run(self) -> list[Hazard]:
        self.walk()
        for hazard in platform_rules(self.info, self.model, self.signals):
            self.add_hazard(hazard)
        for hazard in namespace_rules(self.info, self.model):
            self.add_hazard(hazard)
        for hazard in host_binary_rules(self.info, self.model, self.read, self.context):
            self.add_hazard(hazard)
        dockerfile = self.info.path
        return sorted(self.hazards.values(), key=lambda h: (h.path != dockerfile, h.path, h.line, h.code))

    # ------------------------------------------------------------------------------------ the walk

    def walk(self) -> None:
        states: dict[int, _StageState] = {}
        global_vars: dict[str, str] = {}
        global_defaults = dict(self.info.global_args)
        stages = {s.index: s for s in self.info.stages}
        for ins in self.info.instructions:
            if ins.stage < 0:
                if ins.keyword == "ARG":
                    self.value_source(ins, Origin.ARG, on_host=False)
                    _note_arch_vars(ins, global_vars, None, global_defaults)
                continue
            if ins.stage not in self.model.reachable:
                continue  # BuildKit never builds it for the published image
            if ins.stage not in states:
                stage = stages.get(ins.stage)
                base = stage.base_stage if stage is not None else None
                states[ins.stage] = states[base].inherit() if base in states else _StageState()
                self.signals[ins.stage] = states[ins.stage].signals
            state = states[ins.stage]
            on_host = self.model.runs_build_tools(ins.stage)
            if ins.keyword == "WORKDIR":
                _, words = instruction_words(ins.value)
                if words:
                    state.files.workdir = posixpath.normpath(posixpath.join(state.files.workdir, words[0]))
            elif ins.keyword == "ADD":
                record_copy(state.files, ins.value)
                self.value_source(ins, Origin.ADD, on_host=on_host, signals=state.signals)
            elif ins.keyword == "COPY":
                record_copy(state.files, ins.value)
                flags, _ = instruction_words(ins.value)
                if "from" in flags:
                    source_stage = self.info.stage_named(flags["from"])
                    from_host = source_stage is not None and self.model.runs_build_tools(source_stage.index)
                    self.value_source(ins, Origin.COPY, on_host=from_host)
            elif ins.keyword in ("ENV", "ARG"):
                self.value_source(ins, Origin(ins.keyword), on_host=on_host, signals=state.signals)
                self.legacy_env(ins)
                _note_arch_vars(ins, state.amd64_vars, global_vars, global_defaults)
                state.env_names.update(_declared_names(ins))
                note_text(state.signals, ins.value)
            elif ins.keyword == "RUN":
                self.run_instruction(ins, state, on_host)

    def value_source(
        self, ins: Instruction, origin: Origin, on_host: bool, signals: StageSignals | None = None
    ) -> None:
        text = _blank_flags(ins.value) if origin in (Origin.ADD, Origin.COPY) else ins.value
        lexed, findings = shell_findings(ShellSource(text, origin, on_build_host=on_host))
        for finding in self.keep(lexed, findings, on_host and origin is not Origin.COPY, signals):
            self.dockerfile_hazard(finding, ins)

    def keep(
        self, lexed: Lexed, findings: list[Finding], on_host: bool, signals: StageSignals | None
    ) -> list[Finding]:
        """Drop what only describes build tools on the build machine; count such downloads as signals."""
        if not on_host:
            return findings
        if signals is not None:
            signals.downloads.extend(command_text(lexed, f.offset) for f in findings if f.code == CODE_URL)
        return [f for f in findings if f.code not in _HOST_ONLY_CODES]

    def legacy_env(self, ins: Instruction) -> None:
        """`ENV GOARCH amd64`: the old one-variable form, which is no assignment to the shell rules."""
        name, _, value = ins.value.strip().partition(" ")
        if ins.keyword == "ENV" and name == "GOARCH" and _AMD64_VALUE.fullmatch(value.strip()):
            _, findings = shell_findings(ShellSource(f"GOARCH={value.strip()}", Origin.ENV))
            for finding in findings:
                self.dockerfile_hazard(replace(finding, offset=0, needle="GOARCH"), ins)

    def run_instruction(self, ins: Instruction, state: _StageState, on_host: bool) -> None:
        copies = state.files.copies + bind_mounts(ins.value, state.files.workdir)
        texts: list[tuple[str, int | None]] = [(_blank_flags(ins.value), None)]
        texts += list(zip(ins.heredocs, self.lines.heredoc_lines(ins), strict=True))
        for text, first_line in texts:
            source = ShellSource(text, Origin.RUN, on_build_host=on_host, amd64_vars=state.amd64_vars)
            lexed, findings = shell_findings(source)
            state.signals.note(lexed)
            for finding in self.keep(lexed, findings, on_host, state.signals):
                if first_line is None:
                    self.dockerfile_hazard(finding, ins)
                else:
                    self.file_hazard(finding, self.info.path, text, first_line)
            follow = _Follow(copies, state, on_host, frozenset(state.env_names), set())
            for invocation in invocations(lexed, state.files.workdir):
                self.follow(invocation, follow, depth=1)

    def follow(self, invocation: Invocation, how: _Follow, depth: int) -> None:
        """Read the script or Makefile a RUN executes and run the shell rules on it, at its own lines."""
        key = (invocation.path, invocation.targets)
        if depth > _MAX_FOLLOW_DEPTH or key in how.seen:
            return
        how.seen.add(key)
        if posixpath.basename(invocation.path) in _NOT_PROJECT_SCRIPTS:
            return  # generated or vendored: their architecture tables are not the project's choice
        names = [invocation.path]
        if invocation.kind == "make" and posixpath.basename(invocation.path) == "Makefile":
            directory = posixpath.dirname(invocation.path)
            names = [posixpath.join(directory, n) for n in ("GNUmakefile", "makefile", "Makefile")]
        for name in names:
            if self.follow_file(invocation, name, how, depth):
                return
        if invocation.kind == "make":
            how.state.signals.compiles.append("make")  # recipes unknown: assume it compiles

    def follow_file(self, invocation: Invocation, image_path: str, how: _Follow, depth: int) -> bool:
        """Analyse the context file behind image_path; False when the build context does not have it."""
        for path in context_candidates(image_path, how.copies, self.context):
            text = self.read(path)
            if text is None:
                continue
            if invocation.kind == "make":
                recipes = make_recipes(text, path, invocation.targets, invocation.overrides, how.env)
                variables = {**how.state.amd64_vars, **recipes.amd64_vars}
                source = ShellSource(recipes.text, Origin.MAKE, how.on_host, amd64_vars=variables)
            elif _NON_SHELL_SHEBANG.match(text):
                return True  # a Python or Node script: the shell rules would misread it
            else:
                source = ShellSource(text, Origin.SCRIPT, how.on_host, amd64_vars=how.state.amd64_vars)
            lexed, findings = shell_findings(source)
            how.state.signals.note(lexed)
            for finding in self.keep(lexed, findings, how.on_host, how.state.signals):
                self.file_hazard(finding, path, text, 1)
            for nested in invocations(lexed, invocation.cwd):
                self.follow(nested, how, depth + 1)
            return True
        return False

    # -------------------------------------------------------------------------------- line mapping

    def dockerfile_hazard(self, finding: Finding, ins: Instruction) -> None:
        """A finding in an instruction's joined value, placed on the physical line that holds it."""
        line = self.lines.line_of(ins, finding.offset)
        if (finding.code, self.info.path, line) not in self.hazards:  # an excerpt costs a scan of the line
            self.add(
                finding, self.info.path, line, self.lines.excerpt(ins, line, finding.offset, finding.needle)
            )

    def file_hazard(self, finding: Finding, path: str, text: str, first_line: int) -> None:
        key = (path, first_line)
        if key not in self._newlines:
            self._newlines[key] = [m.start() for m in re.finditer("\n", text)]
        line = first_line + bisect_left(self._newlines[key], finding.offset)
        if (finding.code, path, line) not in self.hazards:  # an excerpt costs a scan of the line
            self.add(finding, path, line, excerpt(text, finding.offset))


@dataclass(frozen=True)
class _Follow:
    """What following one RUN step into its scripts needs to carry along."""

    copies: list[ContextCopy]
    state: _StageState
    on_host: bool
    env: frozenset[str]
    seen: set[tuple[str, tuple[str, ...]]]


def _declared_names(ins: Instruction) -> list[str]:
    _, words = instruction_words(ins.value)
    if ins.keyword == "ENV" and len(words) == 2 and "=" not in words[0]:
        return [words[0]]
    return [w.partition("=")[0] for w in words if w.partition("=")[0].isidentifier()]


def _blank_flags(value: str) -> str:
    """`--mount=… --network=none cmd` → the flags blanked, so offsets into the value stay right."""
    end = flags_end(value)
    return " " * end + value[end:]


def _note_arch_vars(
    ins: Instruction,
    into: dict[str, str],
    inherited: dict[str, str] | None,
    global_defaults: dict[str, str | None],
) -> None:
    """Track ARG/ENV variables whose value is fixed to amd64 (`ARG ARCH=amd64`) for the URL rule."""
    _, words = instruction_words(ins.value)
    if ins.keyword == "ENV" and len(words) == 2 and "=" not in words[0]:
        words = [f"{words[0]}={words[1]}"]
    for word in words:
        name, eq, value = word.partition("=")
        if not name.isidentifier() or name in _AUTOMATIC_ARGS:
            continue
        if not eq and inherited is not None and ins.keyword == "ARG":
            # `ARG ARCH` inside a stage takes the global value
            if name in inherited and _AMD64_VALUE.fullmatch(global_defaults.get(name) or ""):
                into[name] = inherited[name]
            continue
        if eq and _AMD64_VALUE.fullmatch(value) and "ARCH" in name.upper():
            into[name] = f"{ins.keyword} {name}={value}, line {ins.line}"
        else:
            into.pop(name, None)
