"""Session fixture for tests that drive Docker for real: the engine, and a registry holding the base images.

``docker_sandbox`` never skips: ``ensure_engine`` fails loudly when scripts/setup did not install Docker,
QEMU or busybox. Its state lives in ``.state/test-sandbox`` (ignored by git), shared by pytest-xdist
workers under a file lock, so one worker starts dockerd and builds the images and the others reuse them;
a later run finds the images already built. The process that controls the run (not a worker) stops the
registry and the dockerd this state directory started once every test is done.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.model import ImageRef
from bot.sandbox.base_images import BuiltImage, build_base_images
from bot.sandbox.engine import EngineInfo, ensure_engine, stop_engine
from bot.sandbox.registry import LocalRegistry

SANDBOX_STATE = Path(__file__).resolve().parents[2] / ".state" / "test-sandbox"


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


@pytest.fixture(scope="session")
def docker_sandbox() -> DockerSandbox:
    SANDBOX_STATE.mkdir(parents=True, exist_ok=True)
    with _locked(SANDBOX_STATE / "session.lock"):
        engine = ensure_engine(SANDBOX_STATE / "engine")
        registry = LocalRegistry.start(SANDBOX_STATE / "registry")
        images = build_base_images(engine, registry.address, SANDBOX_STATE)
    return DockerSandbox(engine, registry, images, SANDBOX_STATE)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput") or not SANDBOX_STATE.exists():
        return  # an xdist worker: others may still be using the engine; the controller stops it
    with _locked(SANDBOX_STATE / "session.lock"):
        registry = LocalRegistry.running(SANDBOX_STATE / "registry")
        if registry is not None:
            registry.stop()
        stop_engine(SANDBOX_STATE / "engine")  # only a dockerd started with this state directory


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
