"""Which CPU a file's machine code is for: the check a green multi-platform build cannot make.

An "arm64" image that ``ADD``s an amd64 ``tini`` builds fine and fails only when it runs. Reading the
ELF header's ``e_machine`` of every executable in each platform's image catches that class of bug.
Pure: it reads bytes and tar streams it is given.
"""

from __future__ import annotations

import stat
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

from bot.model import Platform, WrongArchBinary

ELF_MAGIC = b"\x7fELF"
HEADER_BYTES = 20  # e_ident (16) + e_type (2) + e_machine (2)

# e_machine values (System V ABI, "Machine Information") for the architectures an image can target.
MACHINES = {
    3: "386",
    8: "mips64le",
    20: "ppc",
    21: "ppc64le",
    22: "s390x",
    40: "arm",
    62: "amd64",
    183: "arm64",
    243: "riscv64",
    258: "loong64",
}


@dataclass(frozen=True)
class ElfIdentity:
    architecture: str  # GOARCH-style name, or "unknown-<e_machine>"
    bits: int  # 32 or 64
    little_endian: bool


def identify(header: bytes) -> ElfIdentity | None:
    """The ELF identity of a file that starts with ``header``; None for anything that is not ELF."""
    if len(header) < HEADER_BYTES or not header.startswith(ELF_MAGIC):
        return None
    bits = {1: 32, 2: 64}.get(header[4])
    byte_order = {1: "little", 2: "big"}.get(header[5])
    if bits is None or byte_order is None:
        return None
    machine = int.from_bytes(header[18:20], "little" if byte_order == "little" else "big")
    architecture = MACHINES.get(machine, f"unknown-{machine}")
    if architecture == "ppc64le" and byte_order == "big":
        architecture = "ppc64"
    if architecture == "mips64le" and bits == 32:
        architecture = "mipsle" if byte_order == "little" else "mips"
    return ElfIdentity(architecture, bits, byte_order == "little")


def matches(identity: ElfIdentity, platform: Platform) -> bool:
    return identity.architecture == platform.architecture


def executables_in_tar(stream: IO[bytes], wanted: Iterable[str] | None = None) -> Iterator[tuple[str, bytes]]:
    """(path, first header bytes) of each executable regular file in a tar stream.

    ``wanted``, when given, limits the result to those absolute paths. The tar comes from
    ``docker cp``-style archives, so member names are relative to the archived directory's parent.
    """
    only = {str(PurePosixPath("/") / p.lstrip("/")) for p in wanted} if wanted is not None else None
    with tarfile.open(fileobj=stream, mode="r|*") as archive:
        for member in archive:
            if not member.isreg() or not member.mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH):
                continue
            path = str(PurePosixPath("/") / member.name.removeprefix("./").lstrip("/"))
            if only is not None and path not in only:
                continue
            handle = archive.extractfile(member)
            if handle is not None:
                yield path, handle.read(HEADER_BYTES)


def wrong_arch_binaries(files: Iterable[tuple[str, bytes]], platform: Platform) -> list[WrongArchBinary]:
    """Every ELF file among ``files`` whose machine is not ``platform``'s; scripts and data are skipped."""
    wrong = []
    for path, header in files:
        identity = identify(header)
        if identity is not None and not matches(identity, platform):
            wrong.append(WrongArchBinary(path, identity.architecture, platform.architecture))
    return wrong
