"""Read the machine code inside each platform's image: is every program on its path for that platform?

The smoke run cannot prove this. With QEMU registered with the fix-binary flag, an amd64 binary in an
arm64 container runs anyway on an amd64 host — natively, the kernel needs no emulator for it — so an
arm64 image that ships an amd64 ``tini`` passes a smoke run here and fails on every real arm64 machine.
Reading each ELF header's machine field catches that, without running anything.

``check_binaries`` creates (never starts) a container of ``platform``'s variant, with no network, and
reads from it through the Engine API's archive endpoint, in this order:

1. the entrypoint's program (ENTRYPOINT, else CMD's first word), found through the image's PATH as runc
   would, its symlinks followed (the daemon resolves them inside the image); a ``#!`` script's
   interpreter must exist too, and is checked like any program;
2. the PATH directories (the image's own, then the usual ``/usr/local/sbin … /bin``); missing ones skipped;
3. the WORKDIR, unless it is ``/``.

Bounded: it stops after ``limit_files`` executables or ``limit_bytes`` of tar, and says so in ``error``
(a pass that read part of the image is still a pass, with that note). The container is removed in
``finally``.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import docker
import docker.errors

from bot.build import elf
from bot.build.container import (
    Dispose,
    DockerFailure,
    ImageConfig,
    SandboxContainer,
    create_container,
    image_config,
)
from bot.model import BinaryCheck, Outcome, Platform, WrongArchBinary

STANDARD_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
LIMIT_BYTES = 512 * 1024 * 1024
LIMIT_FILES = 5000
SCRIPT_HEAD = 256  # enough for any sane #! line
# Never started: the image's own entrypoint is read from its config, not from the container.
_NOT_STARTED = ["/multiarch-bot-inspect-never-started"]
_LISTED = 5


class _Spent(Exception):
    """The byte budget ran out mid-stream."""


@dataclass
class _Reading:
    """What one check has read so far, and what it may still read."""

    limit_bytes: int
    limit_files: int
    bytes_read: int = 0
    files_read: int = 0
    stopped: str = ""  # why reading stopped early, "" when it did not
    elf_paths: set[str] = field(default_factory=set)
    directories: set[str] = field(default_factory=set)  # read already, under their resolved names
    wrong: list[WrongArchBinary] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class _TarStream(io.RawIOBase):
    """A file object over the archive endpoint's chunks that counts against the byte budget."""

    def __init__(self, chunks: Iterator[bytes], reading: _Reading) -> None:
        self._chunks = chunks
        self._reading = reading
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        if self._reading.bytes_read + size > self._reading.limit_bytes:
            raise _Spent
        buffer[:size], self._pending = self._pending[:size], self._pending[size:]
        self._reading.bytes_read += size
        return size


def check_binaries(
    client: docker.DockerClient,
    image: str,
    platform: Platform,
    *,
    limit_bytes: int = LIMIT_BYTES,
    limit_files: int = LIMIT_FILES,
    labels: Mapping[str, str] | None = None,
    dispose: Dispose | None = None,
) -> BinaryCheck:
    """Every ELF program on the image's path, checked against ``platform``; never raises for the image."""
    try:
        config = image_config(client, image)
    except docker.errors.ImageNotFound:
        return BinaryCheck(platform, Outcome.UNVERIFIED, 0, error=f"{image} is not in the engine")
    except DockerFailure as exc:
        return BinaryCheck(platform, Outcome.UNVERIFIED, 0, error=f"cannot inspect {image}: {exc}")
    try:
        container = create_container(
            client,
            image,
            platform,
            role="inspect",
            entrypoint=_NOT_STARTED,
            command=[],
            labels=labels,
            dispose=dispose,
        )
    except docker.errors.ImageNotFound:
        error = f"{image} has no {platform} variant (its config says {config.architecture or 'nothing'})"
        return BinaryCheck(platform, Outcome.FAILED, 0, error=error)
    except DockerFailure as exc:
        return BinaryCheck(platform, Outcome.UNVERIFIED, 0, error=f"the engine failed: {exc}")
    reading = _Reading(limit_bytes, limit_files)
    try:
        _check_entrypoint(container, config, platform, reading)
        for directory in directories(config):
            if reading.stopped:
                break
            _check_directory(container, directory, platform, reading)
    except DockerFailure as exc:
        return BinaryCheck(
            platform, Outcome.UNVERIFIED, len(reading.elf_paths), error=f"the engine failed: {exc}"
        )
    finally:
        container.remove()
    return _result(platform, reading)


def directories(config: ImageConfig) -> tuple[str, ...]:
    """Where the check looks after the entrypoint, in order, each once."""
    found = [*config.path_dirs, *STANDARD_DIRS]
    workdir = str(PurePosixPath("/") / config.working_dir)
    if workdir != "/":
        found.append(workdir)
    return tuple(dict.fromkeys(found))


def interpreter_of(head: bytes) -> tuple[str, ...]:
    """``#!/usr/bin/env python3 -u`` → ("/usr/bin/env", "python3"); () when ``head`` is no script."""
    if not head.startswith(b"#!"):
        return ()
    words = head[2:].split(b"\n", 1)[0].decode(errors="replace").split()
    if not words:
        return ()
    if PurePosixPath(words[0]).name == "env" and len(words) > 1 and not words[1].startswith("-"):
        return words[0], words[1]
    return (words[0],)


def _check_entrypoint(
    container: SandboxContainer, config: ImageConfig, platform: Platform, reading: _Reading
) -> None:
    if not config.command:
        return
    program = config.command[0]
    path = _find_program(container, program, config)
    if path is None:
        reading.problems.append(f"the entrypoint {program} is not in the image")
        return
    head = _check_file(container, path, platform, reading)
    if head is None:
        reading.problems.append(f"the entrypoint {program} leads to {path}, which is not in the image")
        return
    for word in interpreter_of(head):
        interpreter = _find_program(container, word, config)
        if interpreter is None:
            reading.problems.append(f"{path} is a script for {word}, which is not in the image")
            return
        if _check_file(container, interpreter, platform, reading) is None:
            reading.problems.append(f"{path} is a script for {interpreter}, which is not in the image")
            return


def _find_program(container: SandboxContainer, program: str, config: ImageConfig) -> str | None:
    """The image path runc would execute for ``program``, symlinks resolved; None when there is none."""
    if "/" in program:
        candidates: tuple[str, ...] = (str(PurePosixPath("/") / config.working_dir / program),)
    else:
        candidates = tuple(f"{directory}/{program}" for directory in config.path_dirs)
    for candidate in candidates:
        try:
            with container.archive(candidate) as (stat, _):
                if stat.is_dir:
                    continue
                return stat.link_target if stat.is_symlink and stat.link_target else candidate
        except docker.errors.NotFound:
            continue
    return None


def _check_file(
    container: SandboxContainer, path: str, platform: Platform, reading: _Reading
) -> bytes | None:
    """Check one file's machine; its first bytes (for a #! line), None when it is missing."""
    try:
        with (
            container.archive(path) as (_, chunks),
            tarfile.open(fileobj=io.BufferedReader(_TarStream(chunks, reading)), mode="r|") as archive,
        ):
            member = archive.next()
            handle = archive.extractfile(member) if member is not None and member.isreg() else None
            head = handle.read(SCRIPT_HEAD) if handle is not None else b""
    except docker.errors.NotFound:
        return None  # a dangling symlink
    except (_Spent, tarfile.TarError):
        reading.stopped = reading.stopped or f"{path} could not be read whole"
        return b""
    _judge(path, head, platform, reading)
    return head


def _check_directory(
    container: SandboxContainer, directory: str, platform: Platform, reading: _Reading
) -> None:
    if directory in reading.directories:
        return
    reading.directories.add(directory)
    link_target = ""
    try:
        with container.archive(directory) as (stat, chunks):
            if stat.is_symlink:  # /bin → /usr/bin: the archive would hold the link alone
                link_target = stat.link_target
            elif stat.is_dir:
                _read_directory(directory, chunks, platform, reading)
    except docker.errors.NotFound:
        return
    if link_target:
        _check_directory(container, link_target, platform, reading)


def _read_directory(directory: str, chunks: Iterator[bytes], platform: Platform, reading: _Reading) -> None:
    parent = PurePosixPath(directory).parent  # tar member names start with the directory's own name
    try:
        for name, header in elf.executables_in_tar(io.BufferedReader(_TarStream(chunks, reading))):
            if reading.files_read >= reading.limit_files:
                reading.stopped = f"stopped after {reading.limit_files} files, in {directory}"
                return
            reading.files_read += 1
            _judge(str(parent / name.lstrip("/")), header, platform, reading)
    except _Spent:
        reading.stopped = f"stopped after {reading.limit_bytes} bytes, in {directory}"
    except tarfile.TarError as exc:
        reading.stopped = f"{directory} could not be read whole ({exc})"


def _judge(path: str, head: bytes, platform: Platform, reading: _Reading) -> None:
    if path in reading.elf_paths or elf.identify(head[: elf.HEADER_BYTES]) is None:
        return
    reading.elf_paths.add(path)
    reading.wrong += elf.wrong_arch_binaries([(path, head[: elf.HEADER_BYTES])], platform)


def _result(platform: Platform, reading: _Reading) -> BinaryCheck:
    checked = len(reading.elf_paths)
    notes = list(reading.problems)
    if reading.wrong:
        listed = "; ".join(f"{wrong.path} is {wrong.found}" for wrong in reading.wrong[:_LISTED]) + (
            f"; and {len(reading.wrong) - _LISTED} more" if len(reading.wrong) > _LISTED else ""
        )
        notes.insert(0, f"{len(reading.wrong)} of {checked} programs are not for {platform}: {listed}")
    if reading.stopped:
        notes.append(f"not read to the end: {reading.stopped}")
    if checked == 0 and not reading.problems:
        notes.append("no ELF programs found on the image's path")
    outcome = Outcome.FAILED if reading.wrong or reading.problems else Outcome.PASSED
    return BinaryCheck(platform, outcome, checked, tuple(reading.wrong), "; ".join(notes))
