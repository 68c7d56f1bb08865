"""The real engine: dockerd with buildx, QEMU running arm64 build steps, base images in a real registry."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from bot import proc
from bot.build.buildx import buildx_build_argv, local_output
from bot.model import AMD64, ARM64, ImagePlatforms
from bot.sandbox.base_images import build_base_images
from bot.sandbox.engine import DOCKER_CLI, DOCKER_HOST, docker_env, ensure_engine
from bot.scan.registry import RegistryClient
from tests.support.docker import DockerSandbox

pytestmark = pytest.mark.docker


def _build_files(sandbox: DockerSandbox, tmp_path: Path, dockerfile: str) -> dict[str, str]:
    """Build ``dockerfile`` for amd64 and arm64; the files its last stage holds, by ``platform/path``."""
    (tmp_path / "Dockerfile").write_text(dockerfile)
    out = tmp_path / "out"
    argv = buildx_build_argv(tmp_path, platforms=[AMD64, ARM64], output=local_output(out))
    proc.run(argv, timeout=300, env=docker_env())
    return {
        str(path.relative_to(out)): path.read_text().strip()
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }


def test_engine_is_debian_docker_with_buildx_and_arm64(docker_sandbox: DockerSandbox) -> None:
    engine = docker_sandbox.engine
    assert engine.docker_cli == DOCKER_CLI
    assert engine.buildx_version[0].isdigit()
    assert {AMD64, ARM64} <= set(engine.platforms)
    listed = proc.run([str(DOCKER_CLI), "buildx", "ls"], timeout=60, env=docker_env()).out
    assert "linux/arm64" in listed

    again = ensure_engine(docker_sandbox.state_dir / "engine")  # idempotent: the same daemon
    assert (again.pid, again.started_by_us) == (engine.pid, engine.started_by_us)


def test_qemu_aarch64_is_registered_with_the_fix_binary_flag(docker_sandbox: DockerSandbox) -> None:
    entry = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64").read_text().splitlines()
    assert entry[0] == "enabled"
    flags = next(line for line in entry if line.startswith("flags:"))
    assert "F" in flags.split(":", 1)[1]  # the emulator is opened now, so it works inside containers


def test_daemon_has_no_bridge_network(docker_sandbox: DockerSandbox) -> None:
    client = docker.DockerClient(base_url=DOCKER_HOST, timeout=10)
    try:
        networks = {network.name for network in client.networks.list()}
    finally:
        client.close()
    assert networks <= {"host", "none"}


def test_arm64_run_step_runs_under_qemu(docker_sandbox: DockerSandbox, tmp_path: Path) -> None:
    busybox = docker_sandbox.ref("library/busybox")
    files = _build_files(
        docker_sandbox,
        tmp_path,
        f"FROM {busybox}\nRUN uname -m > /arch\nFROM scratch\nCOPY --from=0 /arch /arch\n",
    )
    assert files == {"linux_amd64/arch": "x86_64", "linux_arm64/arch": "aarch64"}


def test_node_stand_in_runs_npm_steps_on_both_platforms(
    docker_sandbox: DockerSandbox, tmp_path: Path
) -> None:
    node = docker_sandbox.ref("library/node")
    package = r'{\n  "scripts": {\n    "build": "uname -m > /v"\n  }\n}\n'  # one key a line, as npm writes it
    steps = "npm ci && npm run build && node --version >> /v"
    dockerfile = f"FROM {node}\nWORKDIR /app\nRUN printf '{package}' > package.json\nRUN {steps}\n"
    dockerfile += "FROM scratch\nCOPY --from=0 /v /version\n"
    files = _build_files(docker_sandbox, tmp_path, dockerfile)
    assert files == {"linux_amd64/version": "x86_64\nv12.22.12", "linux_arm64/version": "aarch64\nv12.22.12"}


def test_arm64_image_runs_as_a_container_without_a_network(docker_sandbox: DockerSandbox) -> None:
    client = docker.DockerClient(base_url=DOCKER_HOST, timeout=120)
    try:
        output = client.containers.run(
            str(docker_sandbox.ref("library/debian")),
            ["uname", "-m"],
            platform="linux/arm64",
            network_mode="none",
            remove=True,
        )
    finally:
        client.close()
    assert output == b"aarch64\n"


def test_base_images_are_in_the_registry_with_the_expected_platforms(docker_sandbox: DockerSandbox) -> None:
    with RegistryClient(total_budget=20) as client:
        answers = {image.ref.repository: client.lookup(image.ref) for image in docker_sandbox.images}
    found = {
        repository: answer for repository, answer in answers.items() if isinstance(answer, ImagePlatforms)
    }
    assert found.keys() == answers.keys(), answers
    platforms = {repository: answer.platforms for repository, answer in found.items()}
    assert platforms == {
        "library/busybox": (AMD64, ARM64),  # attestation manifests (unknown/unknown) are not platforms
        "library/debian": (AMD64, ARM64),
        "library/node": (AMD64, ARM64),
        "acme/legacy-runtime": (AMD64,),
    }
    busybox = found["library/busybox"]
    assert busybox.is_index
    assert busybox.digest == docker_sandbox.image("library/busybox").digest


def test_base_images_are_not_rebuilt_when_present(docker_sandbox: DockerSandbox) -> None:
    again = build_base_images(
        docker_sandbox.engine, docker_sandbox.registry.address, docker_sandbox.state_dir
    )
    assert [image.built for image in again] == [False] * len(again)
    assert [image.digest for image in again] == [image.digest for image in docker_sandbox.images]
