"""The project's own Dockerfile builds the bot's image for linux/amd64 and linux/arm64, and each one runs.

Built in the sandbox like any upstream image: BuildKit reads ``FROM python:3.11-slim-bookworm`` from the
sandbox registry (a stand-in made of Debian bookworm's python3.11, pip and git: ``PYTHON_IMAGES``), RUN
steps have no network, and the wheels come from ``scripts/image_wheels.py`` (PyPI, cached in .state/).
Both platforms are one build and one (multi-platform) image in the engine's containerd store; each
platform is run with ``--platform``, the arm64 one under QEMU.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import __version__, proc
from bot.build.buildx import buildx_build_argv, mirrored_bases
from bot.model import AMD64, ARM64, ImageRef, Platform
from bot.sandbox.base_images import PYTHON_IMAGES, build_base_images
from bot.sandbox.engine import DOCKER_CLI, docker_env
from bot.sandbox.locks import file_lock
from tests.support.docker import DockerSandbox
from tests.support.images import docker_client, remove_images, unique_tag

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT = 900.0
RUN_TIMEOUT = 120.0
PLATFORMS = (AMD64, ARM64)

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def bot_image(docker_sandbox: DockerSandbox) -> Iterator[str]:
    """The bot's image, built from the checkout for both platforms at once and loaded as one tag."""
    started = time.monotonic()
    (python_base,) = build_base_images(
        docker_sandbox.engine, docker_sandbox.registry.address, docker_sandbox.state_dir, PYTHON_IMAGES
    )
    print(f"python base: ready in {time.monotonic() - started:.0f}s", file=sys.stderr)
    # The wheelhouse lives in the checkout's build context; runs sharing the checkout take turns.
    with file_lock(docker_sandbox.state_dir / "bot-image.lock"):
        subprocess.run([sys.executable, str(ROOT / "scripts" / "image_wheels.py")], check=True, cwd=ROOT)
        mirrors = {"docker.io": docker_sandbox.registry.address}
        bases = mirrored_bases([ImageRef("docker.io", "library/python", "3.11-slim-bookworm")], mirrors)
        assert bases == {"docker.io/library/python:3.11-slim-bookworm": str(python_base.ref)}
        tag = unique_tag("bot-image")
        try:
            argv = buildx_build_argv(ROOT, platforms=PLATFORMS, tags=[tag], base_images=bases, load=True)
            built = proc.run(argv, timeout=BUILD_TIMEOUT, env=docker_env())
            print(
                f"bot image {', '.join(map(str, PLATFORMS))}: built in {built.duration:.0f}s", file=sys.stderr
            )
            yield tag
        finally:
            with docker_client() as client:
                remove_images(client, [tag])


def _run(tag: str, platform: Platform, *args: str, entrypoint: str | None = None) -> str:
    argv = [str(DOCKER_CLI), "run", "--rm", "--network", "none", "--platform", str(platform)]
    argv += ["--entrypoint", entrypoint] if entrypoint else []
    return proc.run([*argv, tag, *args], timeout=RUN_TIMEOUT, env=docker_env()).out.strip()


@pytest.mark.parametrize("platform", PLATFORMS, ids=str)
def test_the_bot_image_answers_its_version_on_each_platform(bot_image: str, platform: Platform) -> None:
    assert _run(bot_image, platform, "--version") == f"multiarch-bot {__version__}"


@pytest.mark.parametrize("platform", PLATFORMS, ids=str)
def test_each_platform_of_the_image_runs_that_platforms_python(bot_image: str, platform: Platform) -> None:
    # Under QEMU an amd64 program in the arm64 image would run natively and say x86_64.
    script = "import platform; print(platform.machine())"
    machine = _run(bot_image, platform, "-c", script, entrypoint="python3")
    assert machine == {"amd64": "x86_64", "arm64": "aarch64"}[platform.architecture]


def test_the_bot_image_runs_as_a_user_with_git(bot_image: str) -> None:
    script = "id -u; git --version; cd /tmp && git init -q r && git -C r status --short && echo ok"
    lines = _run(bot_image, ARM64, "-c", script, entrypoint="sh").splitlines()
    assert lines[0] == "10001"
    assert lines[1].startswith("git version 2.")
    assert lines[-1] == "ok"


def test_the_bot_image_has_the_declared_entrypoint(bot_image: str) -> None:
    argv = [str(DOCKER_CLI), "image", "inspect", "--format", "{{json .Config}}", bot_image]
    config = json.loads(proc.run(argv, timeout=RUN_TIMEOUT, env=docker_env()).out)
    assert config["Entrypoint"] == ["multiarch-bot"]
    assert config["User"] == "10001:10001"
    size = proc.run([*argv[:3], "--format", "{{.Size}}", bot_image], timeout=RUN_TIMEOUT, env=docker_env())
    print(f"bot image: {int(size.out) / 1e6:.0f} MB (native platform, compressed)", file=sys.stderr)
