"""`multiarch-bot verify` end to end: real buildx builds (amd64, arm64 under QEMU), smoke runs, ELF checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.report.verify import VERIFY_SCHEMA
from bot.sandbox.base_images import fetch_busybox
from tests.support.docker import DockerSandbox

pytestmark = pytest.mark.docker

EXAMPLES = Path(__file__).parents[2] / "bot" / "sandbox" / "examples"


@pytest.fixture
def config(docker_sandbox: DockerSandbox, tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"registry_mirrors:\n  docker.io: {docker_sandbox.registry.address}\ntimeouts: {{build: 300}}\n"
    )
    return path


@pytest.fixture
def busybox(docker_sandbox: DockerSandbox) -> dict[str, Path]:
    return fetch_busybox(docker_sandbox.state_dir / "base-images" / "busybox")


def run_verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = cli.main(["verify", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def results_by_platform(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (build,) = document["builds"]
    return {result["platform"]: result for result in build["results"]}


def wrong_arch_repo(tmp_path: Path, busybox: dict[str, Path]) -> Path:
    repo = shutil.copytree(EXAMPLES / "wrong-arch-download", tmp_path / "repo")
    (repo / "bin").mkdir()
    for arch, binary in busybox.items():  # Debian's busybox stands in for tini's release binaries
        shutil.copy(binary, repo / "bin" / f"tini-{arch}")  # keeps the executable bit
    return repo


def test_azurite_layout_builds_runs_and_checks_on_both_platforms(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = shutil.copytree(EXAMPLES / "azurite", tmp_path / "azurite")
    code, document = run_verify(capsys, str(repo), "--config", str(config))

    assert (code, document["schema"], document["status"]) == (0, VERIFY_SCHEMA, "passed")
    results = results_by_platform(document)
    assert set(results) == {"linux/amd64", "linux/arm64"}
    for platform, result in results.items():
        assert result["build"]["outcome"] == "passed", result
        assert result["smoke"]["outcome"] == "passed", result
        assert result["binaries"]["outcome"] == "passed", result
        assert result["binaries"]["checked"] >= 1
        machine = "aarch64" if platform == "linux/arm64" else "x86_64"
        assert any(machine in line for line in result["smoke"]["output_tail"]), result["smoke"]


def test_amd64_binary_in_the_arm64_image_is_caught_and_joined_with_the_scan_hazard(
    config: Path, tmp_path: Path, busybox: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, document = run_verify(capsys, str(wrong_arch_repo(tmp_path, busybox)), "--config", str(config))

    assert (code, document["status"]) == (13, "failed")
    results = results_by_platform(document)
    assert results["linux/amd64"]["binaries"]["outcome"] == "passed"
    assert results["linux/arm64"]["binaries"]["wrong"] == [
        {"path": "/usr/local/bin/tini", "found": "amd64", "expected": "arm64"}
    ]
    assert (
        "/usr/local/bin/tini is an amd64 program in the linux/arm64 image (predicted at Dockerfile:4)"
        in document["reasons"]
    )
    confirmed = [f for f in document["findings"] if f["confirmed"]]
    assert confirmed == [
        {
            "hazard": {
                "code": "host-binary-copied",
                "path": "Dockerfile",
                "line": 4,
                "severity": "silently-wrong",
            },
            "confirmed": [{"platform": "linux/arm64", "path": "/usr/local/bin/tini", "found": "amd64"}],
        }
    ]


def test_per_architecture_binaries_pass_the_same_check(
    config: Path, tmp_path: Path, busybox: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = wrong_arch_repo(tmp_path, busybox)
    dockerfile = repo / "Dockerfile"
    dockerfile.write_text(
        dockerfile.read_text().replace(
            "COPY bin/tini-amd64 /usr/local/bin/tini",
            "ARG TARGETARCH\nCOPY bin/tini-${TARGETARCH} /usr/local/bin/tini",
        )
    )
    code, document = run_verify(capsys, str(repo), "--config", str(config))

    assert (code, document["status"]) == (0, "passed"), document["reasons"]
    assert all(r["binaries"]["wrong"] == [] for r in results_by_platform(document).values())


def test_base_without_arm64_is_blocked_and_nothing_is_built(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = shutil.copytree(EXAMPLES / "amd64-only", tmp_path / "repo")
    code, document = run_verify(capsys, str(repo), "--config", str(config))
    assert (code, document["status"], document["builds"]) == (11, "blocked", [])
    assert "acme/legacy-runtime:2.4 is missing-arm64" in document["reasons"][0]


def test_unknown_builder_is_unverified_never_a_pass(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = shutil.copytree(EXAMPLES / "azurite", tmp_path / "azurite")
    code, document = run_verify(capsys, str(repo), "--config", str(config), "--builder", "no-such-builder")
    assert (code, document["status"]) == (12, "unverified")
    assert "no-such-builder" in document["reasons"][0]


def test_no_docker_engine_is_unverified_with_the_reason(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    absent = f"unix://{tmp_path / 'absent.sock'}"
    monkeypatch.setenv("DOCKER_HOST", absent)
    monkeypatch.setattr("bot.build.verify.DOCKER_HOST", absent)  # never connected to: the check said why
    repo = shutil.copytree(EXAMPLES / "azurite", tmp_path / "azurite")
    code, document = run_verify(capsys, str(repo), "--config", str(config))
    assert (code, document["status"], document["builds"]) == (12, "unverified", [])
    assert f"the Docker daemon at {absent} is not answering" in document["reasons"][0]
