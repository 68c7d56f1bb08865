"""Rules about how a build compiles and which machine it assumes: forced amd64 targets, architecture
maps without arm64, amd64 directory names."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator

from bot.model import Severity
from bot.scan.hazards.findings import (
    AMD64_TOKEN,
    CODE_GOARCH,
    CODE_MAP,
    CODE_PATH,
    JVM_DIR,
    MULTIARCH_LIB,
    RUN_LIKE,
    Finding,
    Origin,
    ShellSource,
    basename,
)
from bot.scan.shell_commands import Command, Lexed

# ---------------------------------------------------------------------------------------- goarch-amd64

# shell, ENV/ARG and Makefile assignments alike: GOARCH=amd64, ARG TARGETARCH=amd64, GOARCH ?= amd64
_GOARCH_ASSIGN = re.compile(
    r"(?<![\w${])(GOARCH|TARGETARCH|TARGETPLATFORM)[ \t]*[:?+!]?=[ \t]*"
    r"[\"']?((?:linux/)?(?:amd64|x86_64|386))(?![\w-])"
)
# cargo/rustc/zig/clang --target, autotools --host
_TARGET_TRIPLE = re.compile(
    r"(?:(?<![\w-])--?target|-Dtarget|CARGO_BUILD_TARGET|(?<![\w-])--host)"
    r"(?:=|[ \t]+)[\"']?(x86_64-[\w.-]{1,60})"
)
_X86_CFLAG = re.compile(
    r"(?<![\w-])-m(?:arch|tune)=(?:x86-64(?:-v[234])?|haswell|skylake[\w-]{0,20}|broadwell|znver[1-5]|core2|nehalem"
    r"|westmere|sandybridge|ivybridge|icelake[\w-]{0,20}|cascadelake|alderlake|sapphirerapids|k8|opteron)(?![\w-])"
    r"|(?<![\w-])-m(?:avx[\w]{0,12}|sse[\w.]{0,6}|ssse3|fma|bmi2?|popcnt|pclmul)(?![\w-])"
)
_DOTNET_RID = re.compile(
    r"(?:(?<![\w-])(?:-r|--runtime)|RuntimeIdentifiers?)(?:=|[ \t]+)[\"']?((?:linux|linux-musl)-x64)(?![\w-])"
)


def goarch_amd64(source: ShellSource, lexed: Lexed) -> Iterator[Finding]:
    """The build is told to produce amd64 output whatever platform it runs for."""
    code = lexed.code
    for m in _GOARCH_ASSIGN.finditer(code):
        name, value = m.group(1), m.group(2)
        if name == "GOARCH":
            message = f"Forces GOARCH={value}: Go cross-compiles an amd64 binary even in the arm64 image."
            if source.origin is Origin.MAKE:
                fix = (
                    "Default it from the toolchain (`GOARCH ?= $(shell go env GOARCH)`) and pass the target "
                    "from the Dockerfile: `ARG TARGETARCH` then `RUN make … GOARCH=$TARGETARCH`."
                )
            else:
                fix = "Build for the target: `ARG TARGETOS TARGETARCH`, `GOOS=$TARGETOS GOARCH=$TARGETARCH`."
        elif source.origin is Origin.ARG:
            message = (
                f"Gives the automatic {name} a default ({value}): BuildKit then treats it as set by the "
                f"user, so every platform's image is built for amd64."
            )
            fix = f"Declare it without a default: `ARG {name}`."
        else:
            message = f"Overrides {name} with {value}: every platform's image is built for amd64."
            fix = f"Leave {name} alone; declare `ARG {name}` (no default) where it is needed."
        yield Finding(CODE_GOARCH, m.start(), m.group(), Severity.WRONG_IMAGE, message, fix)
    if source.origin not in RUN_LIKE:
        return
    for m in _TARGET_TRIPLE.finditer(code):
        severity = Severity.WRONG_IMAGE if source.on_build_host else Severity.BREAKS_BUILD
        yield Finding(
            CODE_GOARCH,
            m.start(),
            m.group(),
            severity,
            f"Compiles for {m.group(1)} whatever the target platform: the arm64 build "
            + ("gets an amd64 binary." if source.on_build_host else "has no x86_64 toolchain and fails."),
            "Choose the triple from TARGETARCH (amd64→x86_64, arm64→aarch64), e.g. "
            '`case "$TARGETARCH" in amd64) T=x86_64;; arm64) T=aarch64;; esac` and '
            '`--target "$T-unknown-linux-musl"` (tonistiigi/xx\'s xx-cargo does this for you).',
        )
    for m in _X86_CFLAG.finditer(code):
        yield Finding(
            CODE_GOARCH,
            m.start(),
            m.group(),
            Severity.BREAKS_BUILD,
            f"Passes the x86-only compiler flag {m.group()}: compilers for arm64 reject it.",
            'Add it only on amd64, e.g. `case "$TARGETARCH" in amd64) CFLAGS="$CFLAGS '
            + m.group()
            + '";; esac`, or drop it.',
        )
    for m in _DOTNET_RID.finditer(code):
        if m.group().startswith("-") and _command_at(lexed, m.start()) not in ("dotnet", "msbuild"):
            continue
        yield Finding(
            CODE_GOARCH,
            m.start(),
            m.group(),
            Severity.WRONG_IMAGE,
            f"Publishes for the {m.group(1)} runtime: the arm64 image would hold an amd64 app host.",
            "Publish for the target: `ARG TARGETARCH` and `dotnet publish -a $TARGETARCH …`.",
        )


def _command_at(lexed: Lexed, offset: int) -> str:
    command = lexed.command_at(offset)
    argv = command.argv() if command is not None else ()
    return basename(argv[0]) if argv else ""


# ---------------------------------------------------------------------------------- arch-map-incomplete

_ARM64_NAMES = ("arm64", "aarch64", "arm64v8", "armv8", "linux/arm64", "linux/arm64/v8", "aarch64-linux-gnu")
_SENTINEL_ARCH = "zz-no-such-arch"  # what only a default pattern (`*`, `*)`) matches
_ARM_WORD = re.compile(r"(?<![A-Za-z0-9])(?:aarch64|arm64|armv8|arm)", re.I)  # not the ARM in $PARAM

_FAIL_COMMANDS = frozenset({"false", "die", "fail", "fatal", "abort", "panic", "error", "err"})


def _fails(commands: list[Command]) -> bool:
    for command in commands:
        argv = command.argv()
        if not argv:
            continue
        name, args = argv[0].value, [w.value for w in argv[1:]]
        if name in _FAIL_COMMANDS or (name == "exit" and args[:1] != ["0"]):
            return True
        if name == "return" and args and args[0] != "0":
            return True
    return False


def _covers_arm64(pattern: str) -> bool:
    return "$" not in pattern and any(fnmatch.fnmatchcase(name, pattern) for name in _ARM64_NAMES)


def _is_default(pattern: str) -> bool:
    return fnmatch.fnmatchcase(_SENTINEL_ARCH, pattern)


def arch_map_incomplete(source: ShellSource, lexed: Lexed) -> Iterator[Finding]:
    """An architecture map that knows x86_64/amd64, not arm64, and fails for anything else."""
    fix = (
        "Add an arm64 branch next to the amd64 one, e.g. `aarch64|arm64) ARCH=arm64 ;;` "
        "(use the name the project gives its arm64 downloads)."
    )
    for case in lexed.cases:
        if source.on_build_host and "TARGET" not in case.subject:
            continue  # uname -m on the build machine is not the target's architecture
        patterns = [p.value.lower() for clause in case.clauses for p in clause.patterns]
        if not any(AMD64_TOKEN.search(p) for p in patterns) or any(
            _covers_arm64(p) and not _is_default(p) for p in patterns
        ):
            continue
        defaults = [c for c in case.clauses if any(_is_default(p.value) for p in c.patterns)]
        if defaults and all(_fails(lexed.commands_between(c.body_start, c.body_end)) for c in defaults):
            yield Finding(
                CODE_MAP,
                case.start,
                "case",
                Severity.BREAKS_BUILD,
                f"This `case {case.subject}` handles amd64/x86_64 but not arm64/aarch64: "
                "on arm64 it reaches the failing default branch.",
                fix,
            )
    for block in lexed.ifs:
        conditions = " ".join(b.condition for b in block.branches if b.kind != "else")
        if not AMD64_TOKEN.search(conditions) or _ARM_WORD.search(conditions):
            continue
        if source.on_build_host and "TARGET" not in conditions:
            continue
        otherwise = [b for b in block.branches if b.kind == "else"]
        then = block.branches[0]
        if otherwise:
            failing = _fails(lexed.commands_between(otherwise[0].body_start, otherwise[0].body_end))
        else:
            single_negated = len(block.branches) == 1 and "!=" in then.condition
            failing = single_negated and _fails(lexed.commands_between(then.body_start, then.body_end))
        if failing:
            yield Finding(
                CODE_MAP,
                block.start,
                "if",
                Severity.BREAKS_BUILD,
                "This architecture check accepts only amd64/x86_64: the arm64 build fails here.",
                fix,
            )
    yield from _failing_guards(source, lexed, fix)


def _failing_guards(source: ShellSource, lexed: Lexed, fix: str) -> Iterator[Finding]:
    """`[ "$(uname -m)" = x86_64 ] || exit 1` and `[ "$ARCH" != amd64 ] && exit 1`."""
    commands = lexed.commands
    for i, command in enumerate(commands):
        if command.name() not in ("[", "[[", "test") or command.next_op not in ("&&", "||"):
            continue
        test = lexed.code[command.start : command.end]
        if not AMD64_TOKEN.search(test) or _ARM_WORD.search(test):
            continue
        if source.on_build_host and "TARGET" not in test:
            continue
        negated = "!=" in test
        if (command.next_op == "||") == negated:
            continue
        if _fails(_guarded(commands, i)):
            yield Finding(
                CODE_MAP,
                command.start,
                command.words[0].raw,
                Severity.BREAKS_BUILD,
                "This architecture check accepts only amd64/x86_64: the arm64 build stops here.",
                fix,
            )


def _guarded(commands: tuple[Command, ...], i: int) -> list[Command]:
    """What `[ test ] ||` (or `&&`) runs: the next command, or the whole `{ …; }` group."""
    if i + 1 >= len(commands):
        return []
    group = [commands[i + 1]]
    if group[0].words[0].raw == "{":
        for later in commands[i + 2 : i + 20]:
            if group[-1].words[-1].raw == "}":
                break
            group.append(later)
    return group


# ---------------------------------------------------------------------------------------- arch-in-path

_PATH_COMMANDS = {"cp": Severity.BREAKS_BUILD, "mv": Severity.BREAKS_BUILD, "install": Severity.BREAKS_BUILD}
_PATH_COMMANDS |= {"rsync": Severity.BREAKS_BUILD, "chmod": Severity.BREAKS_BUILD, "ln": Severity.WRONG_IMAGE}
_PATH_COMMANDS |= {"update-alternatives": Severity.BREAKS_BUILD}


def arch_in_path(source: ShellSource, lexed: Lexed) -> Iterator[Finding]:
    """amd64 directory names where arm64 has others: /usr/lib/x86_64-linux-gnu, java-17-openjdk-amd64."""
    if source.origin in (Origin.COPY, Origin.ADD) and source.on_build_host:
        return  # copied out of a stage that runs on the (amd64) build machine: the path exists there
    for m in MULTIARCH_LIB.finditer(lexed.code):
        severity = _path_severity(source, lexed, m.start(), value_ok=False)
        if severity is not None:
            yield Finding(
                CODE_PATH,
                m.start(),
                m.group(),
                severity,
                f"Hard-codes the amd64 library directory {m.group()}: on arm64 it is "
                f"{m.group().replace('x86_64', 'aarch64')}.",
                "Use the running machine's triplet: `/usr/lib/$(uname -m)-linux-gnu` in RUN; to COPY such "
                "files, first copy them in the builder to an arch-neutral path "
                "(`RUN cp /usr/lib/$(uname -m)-linux-gnu/libfoo.so* /out/`) and COPY /out.",
            )
    for m in JVM_DIR.finditer(lexed.code):
        severity = _path_severity(source, lexed, m.start(), value_ok=True)
        if severity is not None:
            yield Finding(
                CODE_PATH,
                m.start(),
                m.group(),
                severity,
                f"Hard-codes the amd64 JDK directory {m.group()}: on arm64 it ends in -arm64, so JAVA_HOME "
                "(or the path) points nowhere.",
                "Use the architecture-neutral link Debian installs with default-jdk "
                "(`/usr/lib/jvm/default-java`), or make one: "
                "`RUN ln -s /usr/lib/jvm/java-17-openjdk-$(dpkg --print-architecture) "
                "/usr/lib/jvm/java-17` and point JAVA_HOME there.",
            )


def _path_severity(source: ShellSource, lexed: Lexed, offset: int, value_ok: bool) -> Severity | None:
    """How bad an amd64 directory is at offset, or None when it does no harm there."""
    command = lexed.command_at(offset)
    if command is None:
        return None
    if source.origin in (Origin.COPY, Origin.ADD):
        # a source that is missing on arm64 stops the build; a destination only puts files elsewhere
        return Severity.BREAKS_BUILD if offset < command.words[-1].start else None
    if source.origin in (Origin.ENV, Origin.ARG):
        return Severity.WRONG_IMAGE if value_ok else None
    argv = command.argv()
    by_command = _PATH_COMMANDS.get(basename(argv[0])) if len(argv) > 1 else None
    if by_command is not None and offset >= argv[1].start:
        return by_command
    # other uses: `export JAVA_HOME=…` misleads what runs later; LD_LIBRARY_PATH=… only adds a directory
    return Severity.WRONG_IMAGE if value_ok else None
