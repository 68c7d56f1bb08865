"""The one engine that reads ``docker build``-like command lines; the finders and the patchers share it.

It recognises docker/podman/nerdctl/buildah builds, ``docker buildx bake``, compose builds and kaniko's
executor, wherever they sit in a shell script (behind ``sudo``, ``cross-var``, env assignments, inside
``$(…)`` or ``sh -c '…'``). Values stay as written: ``$IMAGE:$VERSION`` is a tag, not an error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.model import BuildCommand
from bot.scan.shell_argv import command_argv, program_name
from bot.scan.shell_commands import SimpleCommand, join_directories, split_simple_commands
from bot.scan.shell_syntax import skip_substitution

__all__ = [
    "BAKE",
    "BuildInvocation",
    "SimpleCommand",
    "builds_from_elsewhere",
    "find_build_commands",
    "find_build_invocations",
    "mentions_docker_build",
    "parse_build_words",
    "split_simple_commands",
]

BAKE = "docker buildx bake"


def builds_from_elsewhere(tool: str) -> bool:
    """Bake and compose take their Dockerfile and context from their own files, not from the command."""
    return tool == BAKE or tool.endswith("compose build")


@dataclass(frozen=True)
class BuildInvocation:
    """A build command found in a script, with where it is and the text a patcher would rewrite."""

    line: int  # 0-based line within the script
    text: str  # the simple command as written, on one line
    cwd: str | None  # directory earlier `cd`s moved to, relative to the script's start; None = unknown
    command: BuildCommand


_TOOL_WORDS = re.compile(r"docker|podman|buildah|nerdctl", re.IGNORECASE)
_BUILD_WORDS = re.compile(r"build|\bbud\b|\bbake\b", re.IGNORECASE)


def mentions_docker_build(text: str) -> bool:
    """Cheap pre-filter: False means the text certainly holds no build command."""
    if "kaniko" in text:
        return True
    return bool(_TOOL_WORDS.search(text) and _BUILD_WORDS.search(text))


def find_build_commands(script: str) -> list[tuple[int, BuildCommand]]:
    """Every build command in ``script`` with the 0-based line it starts on."""
    return [(found.line, found.command) for found in find_build_invocations(script)]


def find_build_invocations(script: str) -> list[BuildInvocation]:
    """Every build command in ``script``, with its text and working directory."""
    if not mentions_docker_build(script):
        return []
    return _find(script, 0, 0)


_MAX_NESTING = 4  # sh -c inside $(…) inside sh -c … is already more than real scripts do
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash"})


def _find(script: str, line_base: int, depth: int) -> list[BuildInvocation]:
    found: list[BuildInvocation] = []
    for simple in split_simple_commands(script):
        line = line_base + simple.line
        argv = command_argv(simple.words)
        build = parse_build_words(argv) if argv else None
        if build is not None:
            found.append(BuildInvocation(line, simple.text, simple.cwd, build))
            continue
        if depth >= _MAX_NESTING:
            continue
        for inner in _nested_scripts(simple.words, argv):
            if mentions_docker_build(inner):
                for nested in _find(inner, line, depth + 1):
                    found.append(replace(nested, cwd=join_directories(simple.cwd, nested.cwd)))
    return found


def _nested_scripts(words: Sequence[str], argv: Sequence[str]) -> list[str]:
    """Scripts run by this command: ``sh -c '…'`` and the bodies of ``$(…)`` / backticks in its words."""
    scripts: list[str] = []
    if argv and program_name(argv[0]) in _SHELLS:
        for i, word in enumerate(argv[1:-1], start=1):
            if re.fullmatch(r"-[a-z]*c[a-z]*", word):
                scripts.append(argv[i + 1])
                break
    for word in words:
        i = 0
        while i < len(word):
            if word[i] == "`" or (word.startswith("$(", i) and not word.startswith("$((", i)):
                end = skip_substitution(word, i)
                opening = 1 if word[i] == "`" else 2
                scripts.append(word[i + opening : end - 1])
                i = end
            else:
                i += 1
    return scripts


# -------------------------------------------------------------------------------------------- tools

_GLOBAL_VALUE_OPTIONS = frozenset(
    {
        *("-H", "--host", "-c", "--context", "--config", "-l", "--log-level", "--tlscacert", "--tlscert"),
        *("--tlskey", "--builder", "--connection", "--url", "--identity", "--root", "--runroot"),
        *("--storage-driver", "--storage-opt", "--cgroup-manager", "--registries-conf", "-n", "--namespace"),
        *("-a", "--address", "--snapshotter", "--data-root", "--cni-path", "--tmpdir", "--events-backend"),
        *("-f", "--file", "-p", "--project-name", "--profile", "--env-file", "--project-directory"),
        *("--ansi", "--parallel", "--progress"),
    }
)


def _identify(argv: Sequence[str]) -> tuple[str, list[str]] | None:
    """The canonical tool name and the arguments after its sub-command, or None if this is no build."""
    program = program_name(argv[0]).lower()
    if program == "executor" and "kaniko" in argv[0]:
        return "kaniko", list(argv[1:])
    rest = _positional_tail(argv[1:])
    verbs = [w for w, _ in rest[:3]]

    def after(count: int) -> list[str]:
        return rest[count - 1][1]

    if program in ("docker-compose", "podman-compose") and verbs[:1] == ["build"]:
        return f"{program} build", after(1)
    if program == "buildah" and verbs[:1] and verbs[0] in ("bud", "build", "build-using-dockerfile"):
        return "buildah bud", after(1)
    if program not in ("docker", "podman", "nerdctl"):
        return None
    if verbs[:1] == ["build"] or verbs[:2] in (["image", "build"], ["builder", "build"]):
        return f"{program} build", after(1 if verbs[0] == "build" else 2)
    if verbs[:2] in (["buildx", "build"], ["buildx", "b"]):
        return ("docker buildx build" if program == "docker" else f"{program} build"), after(2)
    if program == "docker" and (verbs[:2] == ["buildx", "bake"] or verbs[:1] == ["bake"]):
        return BAKE, after(2 if verbs[0] == "buildx" else 1)
    if verbs[:2] == ["compose", "build"]:
        return f"{program} compose build", after(2)
    return None


def _positional_tail(args: Sequence[str]) -> list[tuple[str, list[str]]]:
    """The first few sub-command words, each with the arguments that follow it (global options skipped)."""
    found: list[tuple[str, list[str]]] = []
    i = 0
    while i < len(args) and len(found) < 3:
        word = args[i]
        if word.startswith("-"):
            i += 2 if word in _GLOBAL_VALUE_OPTIONS else 1
            continue
        found.append((word, list(args[i + 1 :])))
        if word not in ("image", "builder", "buildx", "compose"):
            break
        i += 1
    return found


# --------------------------------------------------------------------------------------------- flags

_VALUE_OPTIONS = frozenset(
    {
        # docker build / buildx build
        *("--add-host", "--allow", "--annotation", "--attest", "--build-arg", "--build-context"),
        *("--builder", "--cache-from", "--cache-to", "--call", "--cgroup-parent", "--cpu-period"),
        *("--cpu-quota", "--cpu-shares", "-c", "--cpuset-cpus", "--cpuset-mems", "--file", "-f"),
        *("--iidfile", "--isolation", "--label", "--memory", "-m", "--memory-swap", "--metadata-file"),
        *("--network", "--no-cache-filter", "--output", "-o", "--platform", "--progress", "--provenance"),
        *("--sbom", "--secret", "--security-opt", "--shm-size", "--ssh", "--tag", "-t", "--target"),
        *("--ulimit", "--set", "--list"),
        # podman / buildah / nerdctl
        *("--arch", "--authfile", "--cache-ttl", "--cap-add", "--cap-drop", "--cert-dir", "--cgroupns"),
        *("--creds", "--decryption-key", "--device", "--dns", "--dns-option", "--dns-search", "--env"),
        *("-e", "--format", "--from", "--hooks-dir", "--ignorefile", "--ipc", "--jobs", "--layer-label"),
        *("--logfile", "--manifest", "--os", "--os-feature", "--os-version", "--pid", "--retry"),
        *("--retry-delay", "--runtime", "--runtime-flag", "--sign-by", "--timestamp", "--unsetenv"),
        *("--unsetlabel", "--userns", "--uts", "--variant", "--volume", "-v", "--build-arg-file"),
        *("--group-add", "--source-date-epoch", "--secret-file"),
    }
)
_KANIKO_VALUE_OPTIONS = frozenset(
    {
        *("--context", "-c", "--dockerfile", "-f", "--destination", "-d", "--build-arg", "--target"),
        *("--cache-repo", "--cache-dir", "--custom-platform", "--tar-path", "--digest-file", "--label"),
        *("--image-name-with-digest-file", "--image-name-tag-with-digest-file", "--snapshot-mode"),
        *("--snapshotMode", "--verbosity", "-v", "--registry-mirror", "--insecure-registry"),
        *("--skip-tls-verify-registry", "--registry-certificate", "--registry-client-cert", "--kaniko-dir"),
        *("--oci-layout-path", "--log-format", "--push-retry", "--ignore-path", "--cache-ttl"),
    }
)
_CANONICAL = {"-f": "--file", "-t": "--tag", "-o": "--output", "--manifest": "--tag"}
_KANIKO_CANONICAL = {
    "-c": "--context",
    "-f": "--file",
    "--dockerfile": "--file",
    "-d": "--tag",
    "--destination": "--tag",
    "--custom-platform": "--platform",
}


def _parse_options(args: Sequence[str], kaniko: bool) -> tuple[dict[str, list[str]], list[str]]:
    """Options by canonical long name (booleans get "true") and the positionals, in order."""
    value_options = _KANIKO_VALUE_OPTIONS if kaniko else _VALUE_OPTIONS
    canonical = _KANIKO_CANONICAL if kaniko else _CANONICAL
    options: dict[str, list[str]] = {}
    positionals: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if word == "--":
            positionals.extend(args[i:])
            break
        if not word.startswith("-") or word == "-":
            positionals.append(word)
            continue
        name, has_value, value = word.partition("=")
        if not has_value and not word.startswith("--") and len(word) > 2 and word[:2] in value_options:
            name, has_value, value = word[:2], "=", word[2:]  # -tname:tag, as pflag allows
        if not has_value:
            if name in value_options:
                value = args[i] if i < len(args) else ""
                i += 1
            else:
                value = "true"
        name = canonical.get(name, name)
        options.setdefault(name, []).append(value)
    return options, positionals


def _truthy(values: list[str]) -> bool:
    return bool(values) and values[-1].lower() not in ("false", "0", "no")


def parse_build_words(argv: Sequence[str]) -> BuildCommand | None:
    """Parse a command's words (wrappers already removed); None when it does not build an image."""
    if not argv:
        return None
    identified = _identify(argv)
    if identified is None:
        return None
    tool, args = identified
    options, positionals = _parse_options(args, tool == "kaniko")
    outputs = tuple(options.get("--output", ()))
    output_fields = {field.strip().lower() for out in outputs for field in out.split(",")}
    pushes = _truthy(options.get("--push", [])) or bool(output_fields & {"type=registry", "push=true"})
    platforms = [p.strip() for value in options.get("--platform", []) for p in value.split(",") if p.strip()]
    if tool == BAKE:
        sets = options.get("--set", [])
        platforms = [p for s in sets if ".platform=" in s for p in s.split("=", 1)[1].split(",") if p]
        pushes = pushes or any(s.endswith((".push=true", ".output=type=registry")) for s in sets)
    dockerfile: str | None = None
    context: str | None = None
    if tool == "kaniko":
        context = options["--context"][-1] if "--context" in options else None
        pushes = not _truthy(options.get("--no-push", []))
    elif not builds_from_elsewhere(tool):
        context = positionals[0] if positionals else None
    if not builds_from_elsewhere(tool) and "--file" in options:
        dockerfile = options["--file"][-1]
    return BuildCommand(
        tool=tool,
        dockerfile=dockerfile,
        context=context,
        tags=tuple(options.get("--tag", ())),
        build_args=tuple(_build_arg(value) for value in options.get("--build-arg", ())),
        platforms=tuple(platforms),
        target=options["--target"][-1] if "--target" in options else None,
        push=pushes,
        load=_truthy(options.get("--load", [])) or "type=docker" in output_fields,
        outputs=outputs,
    )


def _build_arg(value: str) -> tuple[str, str | None]:
    name, has_value, arg = value.partition("=")
    return name, (arg if has_value else None)
