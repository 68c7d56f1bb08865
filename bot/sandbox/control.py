"""`multiarch-bot sandbox up|down|status`: the local machinery the demo and the tests run on.

Up: Debian's distribution registry on 127.0.0.1, dockerd with buildx and QEMU for arm64 (no bridge
network), and the base images built from Debian's busybox-static and pushed to that registry. Each
part is reused when it is already running; down stops only what ``up`` started from the same state
directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.sandbox.base_images import BuiltImage, build_base_images, fetch_busybox
from bot.sandbox.engine import EngineInfo, ensure_engine, stop_engine
from bot.sandbox.registry import LocalRegistry

DEFAULT_STATE = Path(".state")


@dataclass(frozen=True)
class Sandbox:
    state: Path
    registry: LocalRegistry
    engine: EngineInfo
    images: tuple[BuiltImage, ...]
    busybox: Mapping[str, Path]  # architecture → Debian's static busybox binary, a real program per arch

    @property
    def mirrors(self) -> dict[str, str]:
        """The ``registry_mirrors`` a config needs so ``FROM node:…`` resolves in the sandbox."""
        return {"docker.io": self.registry.address}

    def endpoints(self) -> dict[str, object]:
        return {
            "registry": self.registry.address,
            "registry_url": self.registry.url,
            "docker_cli": str(self.engine.docker_cli),
            "buildx": self.engine.buildx_version,
            "platforms": [str(p) for p in self.engine.platforms],
            "dockerd_started_by_sandbox": self.engine.started_by_us,
            "base_images": {str(image.ref): [str(p) for p in image.platforms] for image in self.images},
            "registry_mirrors": self.mirrors,
        }


def up(state: Path = DEFAULT_STATE) -> Sandbox:
    state = state.resolve()
    registry = LocalRegistry.start(state / "registry")
    engine = ensure_engine(state / "engine")
    images = build_base_images(engine, registry.address, state)
    return Sandbox(state, registry, engine, images, fetch_busybox(state / "base-images" / "busybox"))


def down(state: Path = DEFAULT_STATE) -> list[str]:
    """Stop what ``up`` started here; return what was stopped."""
    stopped = []
    running = LocalRegistry.running(state / "registry")
    if running is not None:
        running.stop()
        stopped.append(f"registry on {running.address}")
    if stop_engine(state / "engine"):
        stopped.append("dockerd")
    return stopped


def status(state: Path = DEFAULT_STATE) -> dict[str, object]:
    registry = LocalRegistry.running(state / "registry")
    pid_file = (state / "engine" / "dockerd.pid").resolve()
    return {
        "registry": registry.address if registry else None,
        "dockerd_pid_file": str(pid_file) if pid_file.exists() else None,
    }
