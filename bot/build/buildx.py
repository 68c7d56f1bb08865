"""Command lines for ``docker buildx build`` and for pushing its OCI output: pure argv builders.

Why the sandbox exports an OCI archive and pushes it with skopeo instead of ``--push``: with the ``docker``
driver, buildx pushes twice, once from BuildKit and once more through dockerd ("pushing … with docker");
the second push checks and writes the tag from several requests at once, and a registry 2.8 on its
filesystem driver (which rewrites a tag's link file in place) can answer a HEAD that reads it mid-write
with a 500 ("invalid checksum digest format"; the sandbox's registry keeps its storage in memory for this
reason, see ``bot.sandbox.registry``). One archive, then one sequential push per tag, is deterministic
against any registry, and ``--preserve-digests`` keeps the digest BuildKit computed.

RUN steps get ``--network none`` by default: the daemon has no bridge network, so BuildKit's default
(a bridged sandbox) fails with "network bridge not found"; ``host`` is for a RUN that must reach a
service on 127.0.0.1.

``base_images`` become ``--build-context NAME=docker-image://REF``: BuildKit then builds ``FROM NAME``
(matched after normalising, so ``docker.io/library/node:18`` catches ``FROM node:18``) from ``REF``
instead, which is how a sandbox without Docker Hub builds an upstream Dockerfile unchanged.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from bot.model import ImageRef, Platform
from bot.sandbox.engine import DOCKER_CLI

Network = Literal["none", "host"]
Progress = Literal["plain", "quiet", "rawjson"]
SKOPEO = "skopeo"
_BUILDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # what `docker buildx create --name` accepts


def buildx_build_argv(
    context: Path,
    *,
    platforms: Sequence[Platform],
    tags: Sequence[str] = (),
    dockerfile: Path | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    base_images: Mapping[str, str] | None = None,
    output: str | None = None,
    push: bool = False,
    load: bool = False,
    builder: str | None = None,
    metadata_file: Path | None = None,
    network: Network = "none",
    provenance: bool | None = None,
    progress: Progress = "plain",
    cgroup_parent: str | None = None,
    docker_cli: Path = DOCKER_CLI,
) -> tuple[str, ...]:
    """``docker buildx build`` for ``platforms``; ``output`` is a ``--output`` spec (type=oci,dest=…).

    At most one of ``output``, ``push`` and ``load`` (each is an exporter). ``builder`` names any buildx
    builder (a remote or native arm64 one too); None is buildx's current builder. ``provenance=None``
    keeps BuildKit's default attestations, as a real build would push them.
    """
    if not platforms:
        raise ValueError("a build needs at least one platform")
    if sum((bool(output), push, load)) > 1:
        raise ValueError("output, push and load are exclusive: each is an --output of its own")
    if network not in ("none", "host"):
        raise ValueError(f"network must be none or host (the daemon has no bridge), not {network!r}")
    argv = [str(docker_cli), "buildx", "build"]
    if builder is not None:
        argv += ["--builder", builder_name(builder)]
    argv += ["--progress", progress, "--network", network]
    if cgroup_parent is not None:  # the memory and pids ceiling of RUN steps (see bot.build.cgroup)
        argv += ["--cgroup-parent", _checked("cgroup parent", cgroup_parent)]
    argv += ["--platform", ",".join(str(platform) for platform in platforms)]
    if dockerfile is not None:
        argv += ["--file", str(dockerfile)]
    if target is not None:
        argv += ["--target", _checked("target", target)]
    for tag in tags:
        argv += ["--tag", _checked("tag", tag)]
    for name, value in sorted((build_args or {}).items()):
        argv += ["--build-arg", f"{_key('build-arg name', name)}={value}"]
    for name, ref in sorted((base_images or {}).items()):
        argv += ["--build-context", f"{_key('base image', name)}=docker-image://{_checked('image', ref)}"]
    if provenance is not None:
        argv.append(f"--provenance={'true' if provenance else 'false'}")
    if output:
        argv += ["--output", output]
    if push:
        argv.append("--push")
    if load:
        argv.append("--load")
    if metadata_file is not None:
        argv += ["--metadata-file", str(metadata_file)]
    argv.append(str(context))
    return tuple(argv)


def buildx_inspect_argv(builder: str | None = None, *, docker_cli: Path = DOCKER_CLI) -> tuple[str, ...]:
    """``docker buildx inspect --bootstrap [NAME]``: starts a stopped builder, then lists its platforms."""
    argv = [str(docker_cli), "buildx", "inspect", "--bootstrap"]
    if builder is not None:
        argv.append(builder_name(builder))
    return tuple(argv)


def listed_platforms(inspect_output: str) -> tuple[Platform, ...]:
    """Every platform a ``buildx inspect`` lists, over all its nodes, in order, without duplicates.

    A ``*`` marks platforms set by hand at ``buildx create``; they count the same.
    """
    found: dict[Platform, None] = {}
    for line in inspect_output.splitlines():
        key, _, value = line.partition(":")
        if key.strip() != "Platforms":
            continue
        for name in value.split(","):
            # An unknown one (a future linux/amd64/v5) is skipped rather than failing the check.
            with contextlib.suppress(ValueError):
                found.setdefault(Platform.parse(name.strip().rstrip("*")))
    return tuple(found)


def builder_name(name: str) -> str:
    if not _BUILDER_NAME.fullmatch(name):
        raise ValueError(f"invalid builder name: {name!r}")
    return name


def mirrored_bases(refs: Iterable[ImageRef], mirrors: Mapping[str, str]) -> dict[str, str]:
    """``base_images`` that build each ref from its registry's mirror (``docker.io: 127.0.0.1:5000``).

    Keyed by the normalised reference, which BuildKit matches however the ``FROM`` spells it. Refs of
    registries without a mirror are left to BuildKit.
    """
    bases = {}
    for ref in refs:
        mirror = mirrors.get(ref.registry)
        if mirror:
            host = mirror.removeprefix("http://").removeprefix("https://").rstrip("/")
            bases[str(ref)] = str(ImageRef(host, ref.repository, ref.tag, ref.digest))
    return bases


def oci_output(archive: Path) -> str:
    """The ``--output`` spec that writes an OCI image layout tarball (every platform, one index)."""
    if "," in str(archive):
        raise ValueError(f"{archive}: a comma would split the --output spec")
    return f"type=oci,dest={archive}"


def local_output(directory: Path) -> str:
    """The ``--output`` spec that writes the final stage's files (one sub-directory per platform)."""
    if "," in str(directory):
        raise ValueError(f"{directory}: a comma would split the --output spec")
    return f"type=local,dest={directory}"


def push_archive_argv(archive: Path, reference: str, *, plain_http: bool) -> tuple[str, ...]:
    """``skopeo copy`` of every manifest in an OCI archive to ``reference``, digests unchanged.

    ``plain_http`` for a registry on 127.0.0.1 (skopeo's flag is named after TLS verification).
    """
    argv = [SKOPEO, "copy", "--all", "--preserve-digests", "--quiet"]
    if plain_http:
        argv.append("--dest-tls-verify=false")
    argv += [f"oci-archive:{archive}", f"docker://{_checked('reference', reference)}"]
    return tuple(argv)


def _checked(what: str, value: str) -> str:
    # A value starting with "-" would be read as an option; whitespace is never valid in these.
    if not value or value.startswith("-") or any(ch.isspace() for ch in value):
        raise ValueError(f"invalid {what}: {value!r}")
    return value


def _key(what: str, value: str) -> str:
    # The left side of NAME=VALUE: an "=" in it would move the split.
    if "=" in value:
        raise ValueError(f"invalid {what}: {value!r}")
    return _checked(what, value)
