"""Tiny single-platform test images, built from the sandbox's busybox base and removed afterwards.

The argv is built here, not by the build stage's own helpers, so these tests stay independent of them.
``--load`` replaces a tag with the last platform loaded, so every platform gets its own tag.
"""

from __future__ import annotations

import contextlib
import io
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors

from bot import proc
from bot.model import AMD64, Platform
from bot.sandbox.base_images import fetch_busybox
from bot.sandbox.engine import DOCKER_CLI, DOCKER_HOST, docker_env
from tests.support.docker import DockerSandbox

BUILD_TIMEOUT = 120.0


def checkout(root: Path, dockerfile: str) -> Path:
    """A directory holding just ``dockerfile`` as its Dockerfile: a build context of one file."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_text(dockerfile)
    return root


def read_file(client: docker.DockerClient, image: str, path: str) -> str:
    """A file of an image, without running it: create a container, copy the file out, remove it."""
    container = client.containers.create(image, network_mode="none")
    try:
        stream, _ = container.get_archive(path)
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            member = tar.extractfile(Path(path).name)
            assert member is not None
            return member.read().decode(errors="replace")
    finally:
        container.remove(force=True)


# A program that answers --version with the machine it runs on, and otherwise serves (sleeps) forever.
PROBE = """#!/bin/sh
case "$1" in
  --version) echo "probe 1.0 on $(uname -m)"; exit 0 ;;
esac
echo "probe: serving"
exec sleep 3600
"""
# A server that ignores its arguments, as many entrypoint scripts do.
SERVER = """#!/bin/sh
echo "server: listening (ignoring $*)"
exec sleep 3600
"""
# Each kind: its Dockerfile after FROM <busybox>, and the files of its context (None: the other
# architecture's busybox, the wrong-arch binary a careless Dockerfile ADDs).
KINDS: dict[str, tuple[str, dict[str, str | None]]] = {
    "probe": (
        'COPY --chmod=755 probe /usr/local/bin/probe\nENTRYPOINT ["/usr/local/bin/probe"]\nCMD ["serve"]\n',
        {"probe": PROBE},
    ),
    "server": (
        'COPY --chmod=755 server /usr/local/bin/server\nENTRYPOINT ["/usr/local/bin/server"]\n',
        {"server": SERVER},
    ),
    "shell": ("", {}),  # the base as it is: CMD ["sh"]
    "missing-entrypoint": ('ENTRYPOINT ["/usr/local/bin/nonexistent"]\n', {}),
    "wrong-tini": (
        'COPY --chmod=755 tini-amd64 /usr/local/bin/tini\nENTRYPOINT ["/usr/local/bin/tini"]\n',
        {"tini-amd64": None},
    ),
    "wrong-shell": ("COPY --chmod=755 busybox-amd64 /bin/busybox\n", {"busybox-amd64": None}),
}


def build_image(context: Path, platform: Platform, tag: str) -> str:
    """``docker buildx build --load`` of ``context`` for one platform; the tag."""
    argv = [str(DOCKER_CLI), "buildx", "build", "--platform", str(platform), "--load", "-t", tag]
    proc.run([*argv, "--network", "none", str(context)], timeout=BUILD_TIMEOUT, env=docker_env())
    return tag


def busybox_binary(sandbox: DockerSandbox, architecture: str) -> bytes:
    """Debian's static busybox for ``architecture``, from the sandbox's cache (downloaded there once)."""
    return fetch_busybox(sandbox.state_dir / "base-images" / "busybox")[architecture].read_bytes()


def unique_tag(name: str) -> str:
    """A tag no concurrent test run uses: images live in one daemon shared by every worker."""
    return f"multiarch-bot-test/{name}:{uuid.uuid4().hex[:12]}"


class FixtureImages:
    """Test images built on first use, one tag per kind and platform; ``remove`` deletes them all."""

    def __init__(self, sandbox: DockerSandbox, workdir: Path) -> None:
        self._sandbox = sandbox
        self._workdir = workdir
        self._tags: dict[tuple[str, Platform], str] = {}

    def get(self, kind: str, platform: Platform) -> str:
        key = (kind, platform)
        if key not in self._tags:
            dockerfile, files = KINDS[kind]
            context = self._workdir / f"{kind}-{platform.architecture}"
            context.mkdir(parents=True)
            base = self._sandbox.ref("library/busybox")
            (context / "Dockerfile").write_text(f"FROM {base}\n{dockerfile}")
            for name, text in files.items():
                data = (
                    text.encode() if text is not None else busybox_binary(self._sandbox, AMD64.architecture)
                )
                (context / name).write_bytes(data)
            self._tags[key] = build_image(context, platform, unique_tag(kind))
        return self._tags[key]

    def remove(self) -> None:
        with docker_client() as client:
            remove_images(client, list(self._tags.values()))


@contextlib.contextmanager
def docker_client() -> Iterator[docker.DockerClient]:
    client = docker.DockerClient(base_url=DOCKER_HOST, timeout=120)
    try:
        yield client
    finally:
        client.close()


def remove_images(client: docker.DockerClient, tags: list[str]) -> None:
    for tag in tags:
        with contextlib.suppress(docker.errors.NotFound):
            client.images.remove(tag, force=True)
