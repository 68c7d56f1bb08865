"""Rules about what a build downloads and installs: amd64 URLs and file names, amd64 packages."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.model import Severity
from bot.scan.hazards.findings import (
    AMD64_TOKEN,
    CODE_PACKAGE,
    CODE_URL,
    MULTIARCH_LIB,
    RUN_LIKE,
    Finding,
    Origin,
    ShellSource,
    Spans,
    basename,
    shorten,
)
from bot.scan.shell_commands import Lexed, Word
from bot.scan.shell_literals import PLACEHOLDER, find_urls, literal_text

# ------------------------------------------------------------------------------------------ arch-in-url

_PACKAGE_FILES = (".deb", ".rpm", ".whl", ".apk")
_FILE_COMMANDS = frozenset(
    {"tar", "unzip", "gunzip", "bunzip2", "unxz", "xz", "zstd", "mv", "cp", "install", "chmod", "ln"}
    | {"sh", "bash", "curl", "wget"}
)


def _url_fix(token: str, origin: Origin) -> str:
    lowered = token.lower()
    if lowered == "amd64":
        return (
            "Declare `ARG TARGETARCH` in this stage and write `${TARGETARCH}` where it says amd64: "
            "BuildKit sets it to amd64 or arm64 for each platform."
        )
    if lowered in ("x86_64", "x86-64") and origin is not Origin.ADD:
        return "Use the machine name instead: `$(uname -m)` gives x86_64 or aarch64 on each platform."
    return (
        f"Map the target to the project's naming in a RUN step, e.g. `ARG TARGETARCH` then "
        f'`case "$TARGETARCH" in amd64) A={token};; arm64) A=arm64;; esac` '
        "(check the release page for the arm64 asset's name), and download with `${A}`."
    )


def arch_in_url(source: ShellSource, lexed: Lexed) -> Iterator[Finding]:
    """A download whose URL or file name names amd64: the arm64 image silently gets the amd64 build."""
    package_words = Spans((w.start, w.end) for _, words in package_installs(lexed) for w in words)
    for url in find_urls(lexed):
        if url.start in package_words or url.literal.lower().endswith(_PACKAGE_FILES):
            continue  # package files are arch-in-package hazards where they are installed
        m = AMD64_TOKEN.search(url.literal)
        if m is not None:
            offset = url.offsets[m.start()]
            token = source.text[offset : offset + len(m.group())]
            yield Finding(
                CODE_URL,
                offset,
                token,
                Severity.WRONG_IMAGE,
                f"Downloads an amd64 build ({token!r} in {shorten(source.text[url.start : url.end])}): "
                "the arm64 image would ship an amd64 binary.",
                _url_fix(token, source.origin),
            )
            continue
        for substitution, offset in zip(
            url.substitutions, _placeholder_offsets(url.literal, url.offsets), strict=False
        ):
            name = substitution.strip("${}()")  # `$(ARCH)` only names a variable in a Makefile
            where = source.amd64_vars.get(name)
            if where is not None:
                yield Finding(
                    CODE_URL,
                    offset,
                    substitution,
                    Severity.WRONG_IMAGE,
                    f"Downloads {shorten(source.text[url.start : url.end])} with {substitution} "
                    f"fixed to amd64 ({where}): the arm64 image would ship an amd64 binary.",
                    "Derive it from the target platform: declare `ARG TARGETARCH` and use "
                    f"`${{TARGETARCH}}` instead of {substitution} (or set `ARG {name}=${{TARGETARCH}}` "
                    "after `ARG TARGETARCH`).",
                )
                break
    if source.origin not in RUN_LIKE:
        return
    for command in lexed.commands:
        argv = command.argv()
        if not argv:
            continue
        candidates = list(argv[1:]) if basename(argv[0]) in _FILE_COMMANDS else []
        if "/" in argv[0].value:
            candidates.append(argv[0])  # `./tool-linux-amd64 install`
        for word in candidates:
            value = word.value
            if "://" in word.raw or value.startswith("-") or value.lower().endswith(_PACKAGE_FILES):
                continue
            text, offsets = literal_text(lexed, word.start, word.end)
            lib_dirs = Spans((m.start(), m.end()) for m in MULTIARCH_LIB.finditer(text))
            for m in AMD64_TOKEN.finditer(text):
                if m.start() in lib_dirs:
                    continue  # /usr/lib/x86_64-linux-gnu is arch-in-path's
                offset = offsets[m.start()]
                yield Finding(
                    CODE_URL,
                    offset,
                    source.text[offset : offset + len(m.group())],
                    Severity.WRONG_IMAGE,
                    f"Uses the amd64 file name {shorten(word.value)}: on arm64 it is the wrong binary "
                    "or does not exist.",
                    _url_fix(m.group(), source.origin),
                )
                break


def _placeholder_offsets(literal: str, offsets: tuple[int, ...]) -> list[int]:
    return [offsets[i] for i, c in enumerate(literal) if c == PLACEHOLDER]


# -------------------------------------------------------------------------------------- arch-in-package

_INSTALL_VERBS = {
    "apt-get": ("install",),
    "apt": ("install",),
    "aptitude": ("install",),
    "apk": ("add",),
    "yum": ("install", "localinstall", "reinstall"),
    "dnf": ("install", "localinstall", "reinstall"),
    "microdnf": ("install",),
    "tdnf": ("install",),
    "zypper": ("install", "in"),
    "pip": ("install",),
    "pip3": ("install",),
}
_APT = frozenset({"apt-get", "apt", "aptitude", "gdebi", "dpkg"})
_VALUE_FLAGS = frozenset(
    {"-o", "-t", "-r", "-c", "-i", "-f", "-X", "--target-release", "--index-url", "--extra-index-url"}
    | {"--find-links", "--repository", "--root", "--installroot", "--releasever", "--constraint"}
    | {"--platform", "--python-version", "--implementation", "--abi"}  # pip download targets, not packages
)
_CROSS_TOOLCHAIN = re.compile(r"x86-64-linux-gnu|amd64-cross|crossbuild-essential-amd64", re.I)
_APT_SOURCE_ARCH = re.compile(r"\[[^\[\]\n]{0,400}\]|Architectures:[ \t]{0,20}[^\n]{0,200}")
_ARCH_OPTION = re.compile(r"(?:arch=|Architectures:[ \t]*)([A-Za-z0-9_, -]{1,100})")


def package_installs(lexed: Lexed) -> Iterator[tuple[str, list[Word]]]:
    """(package manager, the words naming packages or package files) for each install command."""
    for command in lexed.commands:
        argv = list(command.argv())
        if len(argv) > 2 and argv[0].value.startswith("python") and argv[1].value == "-m":
            argv = argv[2:]
        if not argv:
            continue
        manager = basename(argv[0])
        rest = argv[1:]
        if manager in _INSTALL_VERBS:
            verb_at = next((i for i, w in enumerate(rest) if not w.value.startswith("-")), None)
            if verb_at is None or rest[verb_at].value not in _INSTALL_VERBS[manager]:
                continue
            rest = rest[verb_at + 1 :]
        elif manager == "dpkg":
            if not any(w.value in ("-i", "--install") for w in rest):
                continue
        elif manager == "rpm":
            if not any(w.value.startswith(("-i", "-U", "-F", "--install", "--upgrade")) for w in rest):
                continue
        elif manager != "gdebi":
            continue
        packages = []
        skip_next = False
        value_flags = _VALUE_FLAGS if manager in _INSTALL_VERBS else frozenset()  # dpkg -i takes no value
        for word in rest:
            if skip_next:
                skip_next = False
            elif word.value.startswith("-"):
                skip_next = word.value in value_flags
            else:
                packages.append(word)
        yield manager, packages


def arch_in_package(source: ShellSource, lexed: Lexed) -> Iterator[Finding]:
    """Installing amd64 packages, amd64 .deb/.rpm/.whl files, or amd64 cross toolchains."""
    for manager, packages in package_installs(lexed):
        for word in packages:
            value = word.value
            lowered = value.lower()
            token = AMD64_TOKEN.search(value)
            if manager in _APT and re.search(r":(?:amd64|i386)$", lowered):
                message = (
                    f"Installs the foreign-architecture package {value}: "
                    "on arm64 apt has no amd64 packages enabled."
                )
                fix = f"Install the native package (`{value.rsplit(':', 1)[0]}`); apt picks the architecture."
                severity = Severity.BREAKS_BUILD
            elif token is None and not lowered.endswith((".x86_64", ".i686", ".i686.rpm")):
                continue
            elif lowered.endswith((".deb", ".rpm", ".whl", ".x86_64", ".i686", ".apk")):
                message = f"Installs the amd64 package {shorten(value)}: the arm64 build rejects it."
                fix = (
                    "Pick the file by architecture: `ARG TARGETARCH` and `…_${TARGETARCH}.deb` "
                    "(or `$(dpkg --print-architecture)`; for rpm `$(uname -m)`), or drop the arch "
                    "suffix so the package manager chooses."
                )
                severity = Severity.BREAKS_BUILD
            elif _CROSS_TOOLCHAIN.search(value):
                message = f"Installs {value}, an amd64 cross compiler: the arm64 image gets amd64 code."
                fix = (
                    "On the target platform the native toolchain is enough (`gcc`); when cross-compiling "
                    "from $BUILDPLATFORM, install `crossbuild-essential-${TARGETARCH}` or use tonistiigi/xx."
                )
                severity = Severity.WRONG_IMAGE
            else:
                native = AMD64_TOKEN.sub("$(dpkg --print-architecture)", value)
                message = f"Installs {value}, named for amd64: arm64 has no such package."
                fix = f"Name the running architecture instead, e.g. `{native}`."
                severity = Severity.BREAKS_BUILD
            yield Finding(CODE_PACKAGE, word.start, word.raw, severity, message, fix)
    for m in _APT_SOURCE_ARCH.finditer(lexed.code):
        option = _ARCH_OPTION.search(m.group())
        if option is None:
            continue
        arches = {a for a in re.split(r"[\s,]+", option.group(1).lower()) if a}
        if arches & {"amd64", "i386"} and "arm64" not in arches:
            offset = m.start() + option.start()
            yield Finding(
                CODE_PACKAGE,
                offset,
                source.text[offset : m.start() + option.end()].strip(),
                Severity.BREAKS_BUILD,
                "The apt source is limited to amd64: on arm64 apt ignores it and installing from it fails.",
                "Write the running architecture instead: `arch=$(dpkg --print-architecture)`.",
                in_text_ok=True,
            )
