"""The patched build scripts really build and push a multi-arch image: run for real against the sandbox.

For each kind (shell script, Makefile, npm script, bake file, compose file) a small project is written:
a Dockerfile ``FROM`` the sandbox's multi-arch busybox (from the sandbox registry, nothing pulled from
anywhere else) and a build file in that kind's idiom that publishes one platform, shaped like the golden
inputs in ``tests/patch/golden/<kind>/``. The real pipeline scans it, plans the build and patches it
(``scan_tree``, ``plan_builds``, ``propose_patch`` with every registered patcher, ``write_patch``); then
the project's own publishing command runs, with the sandbox's engine (see ``tests/support/publishing``),
and the sandbox registry must hold, under every tag it pushes, an index of linux/amd64 and linux/arm64
whose arm64 image's config says arm64.

How each kind publishes: ``sh scripts/build.sh``, ``make push``, ``npm run docker:publish`` (plain
``$npm_package_version``, no npm packages), ``docker buildx bake --push`` (twice: one target, and two that
inherit a parent where the patch puts the platforms once), ``docker compose build --push``. Unpatched, these
flows publish linux/amd64 alone (in an index of one platform: the containerd image store wraps it), which the
platforms check below rejects. None of these patches adds ``docker buildx create --use`` (only the CI-file
patchers do), so nothing here needs the ``docker-container`` builder the sandbox cannot run;
``tests/support/publishing`` refuses that command, so a patch that started needing it would fail here rather
than pass on the default builder.

The Dockerfile has no ``RUN``: the sandbox daemon has no bridge network, and a project's script does not
say ``--network host`` (a ``RUN`` under QEMU is the build stage's business, ``tests/build``).

Each test pushes to its own repository (a run id in its name), so concurrent runs sharing the sandbox
registry cannot answer for each other, and removes what it loaded into the engine's image store.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.build.plan import plan_builds
from bot.model import AMD64, ARM64, DEFAULT_PLATFORMS, ImageRef, Patch
from bot.patch.all import DOCKERFILE_PATCHER, PATCHERS
from bot.patch.propose import propose_patch, write_patch
from bot.scan.scanner import scan_tree
from bot.scan.tree import RepoTree
from tests.support.docker import DockerSandbox
from tests.support.images import docker_client, remove_images
from tests.support.lookups import client, found
from tests.support.publishing import run_publishing_command

pytestmark = pytest.mark.docker


@dataclass(frozen=True)
class PublishingProject:
    name: str  # the kind of build file, and how this one differs from others of its kind
    build_file: str  # the file the patch must edit
    text: str  # its content; @IMAGE@ becomes the image's name in the sandbox registry
    publish: tuple[str, ...]  # the command the project publishes with, run in its directory
    tags: tuple[str, ...]  # the tags that command pushes


PROJECTS = (
    PublishingProject(
        "shell",
        "scripts/build.sh",
        """#!/bin/sh
# Build and publish the release image.
set -e
IMAGE="${IMAGE:-@IMAGE@}"
VERSION="${VERSION:-1.4.2}"
docker build -t "$IMAGE:$VERSION" .
docker tag "$IMAGE:$VERSION" "$IMAGE:latest"
docker push "$IMAGE:$VERSION"
docker push "$IMAGE:latest"
""",
        ("sh", "scripts/build.sh"),
        ("1.4.2", "latest"),
    ),
    PublishingProject(
        "make",
        "Makefile",
        """IMAGE ?= @IMAGE@
VERSION ?= 1.4.2

.PHONY: docker-build push

docker-build:
\tdocker build -t $(IMAGE):$(VERSION) .

push: docker-build
\tdocker push $(IMAGE):$(VERSION)
""",
        ("make", "push"),
        ("1.4.2",),
    ),
    PublishingProject(
        "npm",
        "package.json",
        """{
  "name": "acme-api",
  "version": "1.4.2",
  "private": true,
  "scripts": {
    "docker:build": "docker build -t @IMAGE@:$npm_package_version .",
    "docker:publish": "docker push @IMAGE@:$npm_package_version"
  }
}
""",
        ("npm", "run", "docker:publish"),
        ("1.4.2",),
    ),
    PublishingProject(
        "bake",
        "docker-bake.hcl",
        """variable "VERSION" {
  default = "1.4.2"
}

target "default" {
  context = "."
  dockerfile = "Dockerfile"
  tags = ["@IMAGE@:${VERSION}"]
}
""",
        ("docker", "buildx", "bake", "--push"),
        ("1.4.2",),
    ),
    PublishingProject(
        "bake-inherited",
        "docker-bake.hcl",
        """variable "VERSION" {
  default = "1.4.2"
}

group "default" {
  targets = ["api", "worker"]
}

# shared by every image
target "_common" {
  context = "."
  args = {
    RELEASE = "${VERSION}"
  }
}

target "api" {
  inherits = ["_common"]
  tags = ["@IMAGE@:api-${VERSION}"]
}

target "worker" {
  inherits = ["_common"]
  tags = ["@IMAGE@:worker-${VERSION}"]
}
""",
        ("docker", "buildx", "bake", "--push"),
        ("api-1.4.2", "worker-1.4.2"),
    ),
    PublishingProject(
        "compose",
        "docker-compose.yml",
        """services:
  api:
    image: @IMAGE@:${VERSION:-1.4.2}
    build: .
""",
        ("docker", "compose", "build", "--push"),
        ("1.4.2",),
    ),
)


@pytest.fixture
def loaded() -> Iterator[list[str]]:
    """Images the publishing command leaves in the engine's store (buildx loads what it pushes): removed."""
    names: list[str] = []
    yield names
    with docker_client() as opened:
        remove_images(opened, names)


def materialise(root: Path, project: PublishingProject, base: ImageRef, image: str) -> Path:
    (root / project.build_file).parent.mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_text(f"FROM {base}\nCOPY release.txt /etc/release.txt\n")
    (root / "release.txt").write_text(f"{image}\n")
    (root / project.build_file).write_text(project.text.replace("@IMAGE@", image))
    return root


def patch_for(root: Path) -> Patch:
    """The pipeline as ``multiarch-bot patch`` runs it: scan, plan, every registered patcher."""
    with client(total_budget=20, timeout=5) as registry:
        scan = scan_tree(RepoTree(root), registry, DEFAULT_PLATFORMS)
    plans = plan_builds(scan, DEFAULT_PLATFORMS)
    return propose_patch(RepoTree(root), scan, plans, PATCHERS, DOCKERFILE_PATCHER)


@pytest.mark.parametrize("project", PROJECTS, ids=[p.name for p in PROJECTS])
def test_patched_publishing_command_pushes_an_amd64_and_arm64_index(
    project: PublishingProject, docker_sandbox: DockerSandbox, loaded: list[str], tmp_path: Path
) -> None:
    registry, repository = docker_sandbox.registry.address, f"patched/{project.name}-{uuid.uuid4().hex[:10]}"
    image = f"{registry}/{repository}"
    loaded += [f"{image}:{tag}" for tag in project.tags]
    root = materialise(tmp_path / "project", project, docker_sandbox.ref("library/busybox"), image)

    patch = patch_for(root)
    assert [edit.path for edit in patch.edits] == [project.build_file], patch
    assert not patch.refused, patch.refused
    write_patch(root, patch)
    run = run_publishing_command(project.publish, root, tmp_path / "publishing")

    with client(total_budget=20, timeout=5) as lookups:
        for tag in project.tags:
            pushed = found(lookups.lookup(ImageRef(registry, repository, tag)))
            assert pushed.is_index, (tag, run.calls)
            assert pushed.platforms == (AMD64, ARM64), (tag, run.calls)
            # A single manifest's platform is read from its config blob: the arm64 image says arm64.
            arm64 = ImageRef(registry, repository, digest=dict(pushed.platform_digests)[ARM64])
            single = found(lookups.lookup(arm64))
            assert (single.is_index, single.platforms) == (False, (ARM64,))
