"""Command lines for ``docker buildx build`` and for pushing its OCI output: pure argv builders.

Why the sandbox exports an OCI archive and pushes it with skopeo instead of ``--push``: with the ``docker``
driver, buildx pushes twice, once from BuildKit and once more through dockerd ("pushing … with docker");
the second push writes the tag several times at once and Debian's distribution registry (2.8) answers a
concurrent HEAD with a 500 about one time in four. One archive, then one sequential push per tag, is
deterministic, and ``--preserve-digests`` keeps the digest BuildKit computed.

RUN steps get ``--network none`` by default: the daemon has no bridge network, so BuildKit's default
(a bridged sandbox) fails with "network bridge not found"; ``host`` is for a RUN that must reach a
service on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from bot.model import Platform
from bot.sandbox.engine import DOCKER_CLI

Network = Literal["none", "host"]
SKOPEO = "skopeo"


def buildx_build_argv(
    context: Path,
    *,
    platforms: Sequence[Platform],
    tags: Sequence[str] = (),
    dockerfile: Path | None = None,
    build_args: Mapping[str, str] | None = None,
    output: str | None = None,
    push: bool = False,
    network: Network = "none",
    provenance: bool | None = None,
    progress: Literal["plain", "quiet", "rawjson"] = "plain",
    docker_cli: Path = DOCKER_CLI,
) -> tuple[str, ...]:
    """``docker buildx build`` for ``platforms``; ``output`` is a ``--output`` spec (type=oci,dest=…).

    ``provenance=None`` keeps BuildKit's default attestations, as a real build would push them.
    """
    if not platforms:
        raise ValueError("a build needs at least one platform")
    if push and output:
        raise ValueError("push and output are exclusive: --push is itself an output")
    if network not in ("none", "host"):
        raise ValueError(f"network must be none or host (the daemon has no bridge), not {network!r}")
    argv = [str(docker_cli), "buildx", "build", "--progress", progress, "--network", network]
    argv += ["--platform", ",".join(str(platform) for platform in platforms)]
    if dockerfile is not None:
        argv += ["--file", str(dockerfile)]
    for tag in tags:
        argv += ["--tag", _checked("tag", tag)]
    for name, value in sorted((build_args or {}).items()):
        argv += ["--build-arg", f"{_checked('build-arg name', name)}={value}"]
    if provenance is not None:
        argv.append(f"--provenance={'true' if provenance else 'false'}")
    if output:
        argv += ["--output", output]
    if push:
        argv.append("--push")
    argv.append(str(context))
    return tuple(argv)


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
