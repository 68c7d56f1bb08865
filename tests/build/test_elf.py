"""ELF identity: the amd64-binary-in-an-arm64-image check."""

from __future__ import annotations

import io
import platform
import struct
import tarfile
from pathlib import Path

import pytest

from bot.build.elf import ElfIdentity, executables_in_tar, identify, wrong_arch_binaries
from bot.model import AMD64, ARM64, Platform


def elf_header(machine: int, *, bits: int = 64, little: bool = True) -> bytes:
    ident = b"\x7fELF" + bytes([1 if bits == 32 else 2, 1 if little else 2, 1]) + bytes(9)
    return ident + struct.pack("<HH" if little else ">HH", 2, machine) + bytes(44)


def tar_of(files: dict[str, tuple[bytes, int]]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, (data, mode) in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("bin/sh")
        link.type, link.linkname = tarfile.SYMTYPE, "busybox"
        archive.addfile(link)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize(
    ("machine", "bits", "little", "expected"),
    [
        (62, 64, True, "amd64"),
        (183, 64, True, "arm64"),
        (40, 32, True, "arm"),
        (3, 32, True, "386"),
        (21, 64, True, "ppc64le"),
        (21, 64, False, "ppc64"),
        (22, 64, False, "s390x"),
        (243, 64, True, "riscv64"),
        (9999, 64, True, "unknown-9999"),
    ],
)
def test_machine_field_names_the_architecture(machine: int, bits: int, little: bool, expected: str) -> None:
    identity = identify(elf_header(machine, bits=bits, little=little))
    assert identity == ElfIdentity(expected, bits, little)


@pytest.mark.parametrize(
    "header",
    [b"#!/bin/sh\necho hi\n" + bytes(8), b"\x7fELF", b"", b"\x7fELF\x03\x01" + bytes(20), b"MZ" + bytes(30)],
)
def test_scripts_truncated_and_foreign_files_are_not_elf(header: bytes) -> None:
    assert identify(header) is None


def test_the_hosts_own_binaries_are_read_for_real() -> None:
    identity = identify(Path("/bin/true").read_bytes()[:20])
    assert identity is not None
    assert identity.bits == 64
    assert identity.architecture == Platform.of("linux", platform.machine()).architecture


def test_amd64_binary_in_an_arm64_image_is_flagged_and_scripts_are_not() -> None:
    archive = tar_of(
        {
            "bin/busybox": (elf_header(183), 0o755),
            "tini": (elf_header(62), 0o755),
            "usr/local/bin/start.sh": (b"#!/bin/sh\nexec /tini\n", 0o755),
            "etc/data.bin": (elf_header(62), 0o644),  # not executable: a data file that happens to be ELF
        }
    )
    files = list(executables_in_tar(archive))
    assert [path for path, _ in files] == ["/bin/busybox", "/tini", "/usr/local/bin/start.sh"]
    wrong = wrong_arch_binaries(files, ARM64)
    assert [(w.path, w.found, w.expected) for w in wrong] == [("/tini", "amd64", "arm64")]
    assert [w.path for w in wrong_arch_binaries(files, AMD64)] == ["/bin/busybox"]


def test_wanted_paths_limit_what_is_read() -> None:
    archive = tar_of({"bin/busybox": (elf_header(183), 0o755), "tini": (elf_header(62), 0o755)})
    assert [path for path, _ in executables_in_tar(archive, wanted=["/tini"])] == ["/tini"]
