"""Fixtures shared by the build stage's engine tests: the test images and a docker-py client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.support.docker import DockerSandbox
from tests.support.images import FixtureImages, docker_client


@pytest.fixture(scope="module")
def images(
    docker_sandbox: DockerSandbox, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[FixtureImages]:
    """The fixture images, built on first use and removed when the module's tests are done."""
    built = FixtureImages(docker_sandbox, tmp_path_factory.mktemp(f"{request.module.__name__}-images"))
    yield built
    built.remove()


@pytest.fixture
def client() -> Iterator[docker.DockerClient]:
    with docker_client() as opened:
        yield opened


def one_step_checkout(sandbox: DockerSandbox, root: Path) -> Path:
    """A checkout whose Dockerfile is the sandbox's busybox and one RUN step of its own (no cache hit)."""
    checkout = root / "checkout"
    checkout.mkdir()
    busybox = sandbox.ref("library/busybox")
    (checkout / "Dockerfile").write_text(f"FROM {busybox}\nRUN echo {uuid.uuid4().hex} > /built\n")
    return checkout
