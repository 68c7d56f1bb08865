"""Session fixture for tests that drive Docker for real: the engine, and a registry holding the base images.

``docker_sandbox`` never skips: ``ensure_engine`` fails loudly when scripts/setup did not install Docker,
QEMU or busybox. Its state lives in ``.state/test-sandbox`` (ignored by git), shared by pytest-xdist
workers under a file lock, so one worker starts dockerd and builds the images and the others reuse them;
a later run finds the images already built.

Several pytest runs may share one checkout (and so this directory): each run that uses the sandbox holds
a lease (a file named by the pid of the process controlling the run), and the last run to finish stops
the registry and the dockerd that this directory started. A run that never used it stops nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import proc
from bot.model import ImageRef
from bot.sandbox.base_images import BuiltImage, build_base_images
from bot.sandbox.engine import DOCKER_CLI, EngineInfo, ensure_engine, stop_engine
from bot.sandbox.locks import file_lock
from bot.sandbox.registry import LocalRegistry

SANDBOX_STATE = Path(__file__).resolve().parents[2] / ".state" / "test-sandbox"
LEASES = SANDBOX_STATE / "leases"
_RUN = "MULTIARCH_BOT_TEST_RUN"  # set by the controlling process; xdist workers inherit it


@dataclass(frozen=True)
class DockerSandbox:
    engine: EngineInfo
    registry: LocalRegistry
    images: tuple[BuiltImage, ...]
    state_dir: Path

    def image(self, repository: str) -> BuiltImage:
        return next(image for image in self.images if image.ref.repository == repository)

    def ref(self, repository: str) -> ImageRef:
        return self.image(repository).ref


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        os.environ[_RUN] = str(os.getpid())


@pytest.fixture(scope="session")
def docker_sandbox() -> DockerSandbox:
    LEASES.mkdir(parents=True, exist_ok=True)
    with file_lock(SANDBOX_STATE / "session.lock"):
        (LEASES / os.environ.get(_RUN, str(os.getpid()))).touch()  # before starting: see pytest_sessionfinish
        engine = ensure_engine(SANDBOX_STATE / "engine")
        registry = LocalRegistry.start(SANDBOX_STATE / "registry")
        images = build_base_images(engine, registry.address, SANDBOX_STATE)
    return DockerSandbox(engine, registry, images, SANDBOX_STATE)


def pytest_sessionfinish(session: pytest.Session) -> None:
    lease = LEASES / os.environ.get(_RUN, "")
    if hasattr(session.config, "workerinput") or not lease.is_file():
        return  # a worker (others may still be testing), or a run that never used the sandbox
    with file_lock(SANDBOX_STATE / "session.lock"):
        lease.unlink()
        for other in LEASES.iterdir():
            if other.name.isdigit() and proc.is_running(int(other.name)):
                return  # another run is still using the engine and the registry
            other.unlink()  # left by a run that died
        registry = LocalRegistry.running(SANDBOX_STATE / "registry")
        if registry is not None:
            _forget_pulled_bases(registry.address)
            registry.stop()
        stop_engine(SANDBOX_STATE / "engine")  # only a dockerd started with this state directory


def _forget_pulled_bases(registry: str) -> None:
    """Untag what builds pulled from this session's registry: the containerd image store keeps a pulled
    base as a named image, and each session's registry has a port of its own, so they would pile up."""
    try:
        argv = [str(DOCKER_CLI), "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]
        listed = proc.run(argv, timeout=30)
    except proc.ProcError:
        return  # no engine: nothing was pulled into it
    tags = [tag for tag in listed.out.split() if tag.startswith(f"{registry}/")]
    if tags:
        proc.run([str(DOCKER_CLI), "image", "rm", *tags], timeout=120, check=False)
