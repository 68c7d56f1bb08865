#!/usr/bin/env python3
"""Fill ``build/wheels/`` (the bot image's wheelhouse, in the Docker build context) for amd64 and arm64.

The top-level Dockerfile installs the bot with ``pip install --no-index --find-links`` because its build
runs with ``--network none`` in the sandbox (and may run so anywhere): nothing can be fetched inside it.
So the wheels are fetched here, on the host, with this Python's pip:

* the versions are those installed in the running environment (the project's .venv, where the tests ran),
  found by walking ``multiarch-bot``'s requirements (extras and markers evaluated for Linux, CPython 3.11,
  per architecture), so the image carries what was tested, not whatever is newest;
* ``pip download --only-binary=:all: --no-deps`` per architecture, with the manylinux tags a bookworm
  glibc (2.36) accepts; pure-Python wheels are shared;
* setuptools, which builds the bot itself from its source inside the image (``--no-index`` applies to
  pip's isolated build environment too).

Downloads are cached in ``.state/image-wheels/`` (git-ignored); ``build/wheels/`` (git-ignored too) then
gets exactly the wanted files, so a stale version cannot be picked by pip. Run it with the venv's Python:
``.venv/bin/python scripts/image_wheels.py``; it prints the wheelhouse's path.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".state" / "image-wheels"
WHEELHOUSE = ROOT / "build" / "wheels"
PYTHON_VERSION = "3.11"
# What builds the bot from its pyproject.toml inside the image (pyproject asks for setuptools>=69).
BUILD_REQUIREMENTS = ("setuptools==80.9.0",)
MACHINES = {"amd64": "x86_64", "arm64": "aarch64"}
# Newest first; bookworm's glibc is 2.36. manylinux2014 is manylinux_2_17 under its old name.
GLIBC_TAGS = ("manylinux_2_34", "manylinux_2_28", "manylinux_2_17", "manylinux2014")


def pinned_requirements(machine: str, root: str = "multiarch-bot") -> list[str]:
    """``name==version`` for every distribution ``root`` needs on Linux/``machine``, as installed here."""
    environment = {
        "python_version": PYTHON_VERSION,
        "python_full_version": f"{PYTHON_VERSION}.2",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "platform_machine": machine,
        "platform_system": "Linux",
        "sys_platform": "linux",
        "os_name": "posix",
    }
    pins: dict[str, str] = {}
    visited: set[tuple[str, str]] = set()
    pending: list[tuple[str, str]] = [(root, "")]
    while pending:
        name, extra = pending.pop()
        key = canonicalize_name(name)
        if (key, extra) in visited:
            continue
        visited.add((key, extra))
        if name == root:  # the checkout's own list: the installed metadata may predate an edit
            requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
        else:
            try:
                dist = distribution(name)
            except PackageNotFoundError:
                sys.exit(f"image_wheels: {name} is not installed in {sys.prefix}: run scripts/setup first")
            pins[key], requires = dist.version, dist.requires or []
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker and not requirement.marker.evaluate(environment | {"extra": extra}):
                continue
            pending.append((requirement.name, ""))
            pending += [(requirement.name, wanted) for wanted in requirement.extras]
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def download(requirements: list[str], arch: str) -> list[Path]:
    """The wheels of ``requirements`` for Linux/``arch``, from the cache or fetched into it."""
    target = CACHE / arch
    target.mkdir(parents=True, exist_ok=True)
    wanted: dict[str, str] = {
        canonicalize_name(r.partition("==")[0]): r.partition("==")[2] for r in requirements
    }
    found = _cached(target, wanted)
    if len(found) < len(wanted):
        machine = MACHINES[arch]
        platforms = [arg for tag in GLIBC_TAGS for arg in ("--platform", f"{tag}_{machine}")]
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
             "--no-deps", "--only-binary=:all:", "--python-version", PYTHON_VERSION,
             "--implementation", "cp", "--abi", "cp311", "--abi", "abi3", "--abi", "none",
             *platforms, "--platform", "any", "--dest", str(target), *requirements],
            check=True,
        )  # fmt: skip
        found = _cached(target, wanted)
    missing = sorted(set(wanted) - set(found))
    if missing:
        sys.exit(f"image_wheels: no {arch} wheel for {', '.join(missing)} in {target}")
    return sorted(found.values())


def _cached(directory: Path, wanted: dict[str, str]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for wheel in directory.glob("*.whl"):
        name, version, _, _ = parse_wheel_filename(wheel.name)
        if wanted.get(name) == str(version):
            found[name] = wheel
    return found


def fill_wheelhouse(wheelhouse: Path = WHEELHOUSE) -> Path:
    files: dict[str, Path] = {}
    for arch, machine in MACHINES.items():
        requirements = [*pinned_requirements(machine), *BUILD_REQUIREMENTS]
        files |= {wheel.name: wheel for wheel in download(requirements, arch)}
    wheelhouse.mkdir(parents=True, exist_ok=True)
    for stale in wheelhouse.iterdir():
        if stale.name not in files:
            stale.unlink()
    for name, source in sorted(files.items()):
        destination = wheelhouse / name
        if not destination.exists() or destination.stat().st_size != source.stat().st_size:
            partial = destination.with_suffix(f".{os.getpid()}.part")
            shutil.copyfile(source, partial)
            partial.replace(destination)  # atomic: a concurrent build sees the old file or the new one
    return wheelhouse


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--wheelhouse", type=Path, default=WHEELHOUSE, help="where the wheels go")
    print(fill_wheelhouse(parser.parse_args().wheelhouse))


if __name__ == "__main__":
    main()
