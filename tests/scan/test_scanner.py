"""The whole scan on real checkouts against a real registry (docker.io mirrored to it)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from bot.model import AMD64, ARM64, BuildKind, Readiness, ScanResult, Severity, VerdictStatus
from bot.sandbox.seed import push_image
from bot.scan.scanner import scan_tree
from bot.scan.tree import RepoTree
from tests.support.lookups import client
from tests.support.registry import SeededRegistry

pytestmark = pytest.mark.registry

EXAMPLES = Path(__file__).parents[2] / "bot" / "sandbox" / "examples"
WANTED = (AMD64, ARM64)


def write_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def scan(root: Path, registry: SeededRegistry, wanted: tuple = WANTED) -> ScanResult:
    with client(mirrors={"docker.io": registry.address}) as registry_client:
        return scan_tree(RepoTree(root), registry_client, wanted)


def test_azurite_layout_needs_script_changes_with_verified_multi_arch_base(
    registry: SeededRegistry, tmp_path: Path
) -> None:
    repo = shutil.copytree(EXAMPLES / "azurite", tmp_path / "azurite")
    result = scan(repo, registry)

    assert result.readiness is Readiness.NEEDS_SCRIPT_CHANGES
    assert [(v.ref.repository, v.ref.tag, v.status) for v in result.verdicts] == [
        ("library/node", "lts-alpine3.10", VerdictStatus.MULTI_ARCH),
        ("library/node", "lts-alpine3.10", VerdictStatus.MULTI_ARCH),
    ]
    assert set(result.verdicts[0].platforms) >= {AMD64, ARM64}
    npm = [bp for bp in result.build_paths if bp.kind is BuildKind.NPM and bp.name == "docker:build"]
    assert len(npm) == 1
    assert npm[0].dockerfile == "Dockerfile"
    assert npm[0].platforms == ()
    pipeline = [bp for bp in result.build_paths if bp.kind is BuildKind.AZURE_PIPELINES]
    assert [bp.via for bp in pipeline] == ["npm run docker:build"]
    assert pipeline[0].path == "azure-pipelines.yml"
    assert any("only the runner's native platform" in reason for reason in result.reasons)


def test_amd64_only_base_blocks_and_says_which_platforms_it_has(
    registry: SeededRegistry, tmp_path: Path
) -> None:
    repo = write_repo(tmp_path, {"Dockerfile": 'FROM acme/amd64-only:1.0\nCMD ["true"]\n'})
    result = scan(repo, registry)
    assert result.readiness is Readiness.BLOCKED
    assert result.verdicts[0].label == "missing-arm64"
    assert "has linux/amd64" in result.reasons[0]


def test_workflow_that_already_builds_both_platforms_is_ready(
    registry: SeededRegistry, tmp_path: Path
) -> None:
    workflow = """\
on: push
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/setup-qemu-action@v3
      - uses: docker/setup-buildx-action@v3
      - uses: docker/build-push-action@v6
        with:
          platforms: linux/amd64,linux/arm64
          push: true
          tags: acme/app:latest
"""
    repo = write_repo(tmp_path, {"Dockerfile": "FROM golang:1.22\n", ".github/workflows/image.yml": workflow})
    result = scan(repo, registry)
    assert result.readiness is Readiness.READY, result.reasons
    assert result.verdicts[0].status is VerdictStatus.MULTI_ARCH  # arm64/v8 in the list counts as arm64


def test_build_arg_from_the_script_overrides_the_dockerfile_default(
    registry: SeededRegistry, tmp_path: Path
) -> None:
    repo = write_repo(
        tmp_path,
        {
            "Dockerfile": "ARG BASE=acme/amd64-only:1.0\nFROM ${BASE}\n",
            "build.sh": "#!/bin/sh\ndocker build --build-arg BASE=node:lts-alpine3.10 -t acme/app .\n",
        },
    )
    result = scan(repo, registry)
    assert [str(v.ref) for v in result.verdicts] == [f"{'docker.io'}/library/node:lts-alpine3.10"]
    assert result.verdicts[0].status is VerdictStatus.MULTI_ARCH
    assert result.readiness is Readiness.NEEDS_SCRIPT_CHANGES


def test_build_platform_stage_needs_only_the_build_platform(registry: SeededRegistry, tmp_path: Path) -> None:
    dockerfile = """\
FROM --platform=$BUILDPLATFORM acme/amd64-only:1.0 AS build
ARG TARGETOS TARGETARCH
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .
FROM acme/arm64-only:1.0
COPY --from=build /out/app /app
"""
    result = scan(write_repo(tmp_path, {"Dockerfile": dockerfile}), registry)
    needs = {use.ref.repository: use.needs for use in result.base_uses}
    assert needs == {"acme/amd64-only": (AMD64,), "acme/arm64-only": WANTED}
    statuses = {v.ref.repository: v.status for v in result.verdicts}
    assert statuses == {"acme/amd64-only": VerdictStatus.MULTI_ARCH, "acme/arm64-only": VerdictStatus.MISSING}
    assert result.readiness is Readiness.BLOCKED
    assert "acme/arm64-only" in result.reasons[0]


def test_stage_the_target_does_not_need_is_not_checked(registry: SeededRegistry, tmp_path: Path) -> None:
    dockerfile = (
        'FROM acme/amd64-only:1.0 AS legacy\nRUN true\nFROM node:lts-alpine3.10 AS app\nCMD ["node"]\n'
    )
    result = scan(write_repo(tmp_path, {"Dockerfile": dockerfile}), registry)
    assert [v.ref.repository for v in result.verdicts] == ["library/node"]
    assert result.readiness is Readiness.NEEDS_SCRIPT_CHANGES


def test_each_distinct_base_is_asked_for_once(registry: SeededRegistry, tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        f"svc{i}/Dockerfile": "FROM python:3.12-armv7 AS py\nFROM golang:1.22\nCOPY --from=py /x /x\n"
        for i in range(6)
    }
    before = len(registry.access_entries())
    scan(write_repo(tmp_path, files), registry)
    time.sleep(0.2)  # the registry writes its access log asynchronously
    manifests = [e for e in registry.access_entries()[before:] if "/manifests/" in e.path]
    asked = sorted({e.path for e in manifests})
    assert [p.split("/v2/")[1] for p in asked if p.endswith(("3.12-armv7", "1.22"))] == [
        "library/golang/manifests/1.22",
        "library/python/manifests/3.12-armv7",
    ]
    tag_requests = [e for e in manifests if e.path.endswith(("3.12-armv7", "/1.22"))]
    assert len(tag_requests) <= 4  # HEAD + GET per reference, however many Dockerfiles use it


def test_unreachable_registry_is_unverified_not_blocked_and_bounded(tmp_path: Path) -> None:
    repo = write_repo(tmp_path, {"Dockerfile": "FROM node:lts-alpine3.10\n"})
    started = time.monotonic()
    with client(mirrors={"docker.io": "127.0.0.1:9"}, total_budget=2.0, timeout=0.5) as registry_client:
        result = scan_tree(RepoTree(repo), registry_client, WANTED)
    assert time.monotonic() - started < 15
    assert result.readiness is Readiness.UNVERIFIED
    assert result.verdicts[0].label == "unverified (network)"


def test_unresolvable_base_is_reported_with_its_reason(registry: SeededRegistry, tmp_path: Path) -> None:
    result = scan(write_repo(tmp_path, {"Dockerfile": "ARG BASE\nFROM ${BASE}\n"}), registry)
    assert result.readiness is Readiness.UNVERIFIED
    assert result.verdicts == ()
    assert "BASE" in result.reasons[0]
    assert "unresolved" in result.reasons[0]


def test_repo_without_dockerfile_is_blocked(registry: SeededRegistry, tmp_path: Path) -> None:
    result = scan(write_repo(tmp_path, {"README.md": "# nothing to build\n"}), registry)
    assert result.readiness is Readiness.BLOCKED
    assert result.reasons == ("no Dockerfile that builds an image was found",)


def test_empty_repo_is_blocked_not_a_crash(registry: SeededRegistry, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert scan(tmp_path / "empty", registry).readiness is Readiness.BLOCKED


def test_hostile_files_are_reported_and_the_scan_goes_on(registry: SeededRegistry, tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "Dockerfile"
    secret.parent.mkdir()
    secret.write_text("FROM secret-image-outside\n")
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    repo = write_repo(
        tmp_path / "repo",
        {
            "Dockerfile": "FROM node:lts-alpine3.10\n",
            "tools/Dockerfile": b"\x00\x01binary\xff",
            "big/Dockerfile": "RUN true\n" * 200_000,
            "package.json": '{"scripts": {"build": ',
            ".github/workflows/bomb.yml": bomb,
            "tools/prebuilt-helper": b"\x7fELF\x02\x01\x01" + bytes(64),
        },
    )
    os.symlink(secret, repo / "linked.Dockerfile")
    result = scan(repo, registry)

    problems = {p.path: p.message for p in result.problems}
    assert "binary" in problems["tools/Dockerfile"]
    assert "too large" in problems["big/Dockerfile"]
    assert "outside the repository" in problems["linked.Dockerfile"]
    assert "package.json" in problems
    assert ".github/workflows/bomb.yml" in problems
    assert "tools/prebuilt-helper" not in problems  # a binary is simply not a build script: no noise
    assert all("secret-image-outside" not in str(v.ref) for v in result.verdicts)
    assert result.readiness is Readiness.NEEDS_SCRIPT_CHANGES


def test_digest_pin_of_a_single_arch_manifest_is_a_hazard(registry: SeededRegistry, tmp_path: Path) -> None:
    digest = registry.digests["single-amd64"]
    repo = write_repo(tmp_path, {"Dockerfile": f"FROM acme/amd64-only@{digest}\n"})
    result = scan(repo, registry, (AMD64,))
    pins = [h for h in result.hazards if h.line == 1 and h.path == "Dockerfile"]
    assert pins, result.hazards
    assert pins[0].severity in (Severity.WRONG_IMAGE, Severity.BREAKS_BUILD)


@pytest.fixture(scope="module")
def debian(registry: SeededRegistry) -> SeededRegistry:
    push_image(registry.local.url, "library/debian", "bookworm-slim", WANTED, attestations=True)
    return registry


def test_wrong_arch_download_example_reports_the_hazard_once(debian: SeededRegistry, tmp_path: Path) -> None:
    registry = debian
    repo = shutil.copytree(EXAMPLES / "wrong-arch-download", tmp_path / "repo")
    result = scan(repo, registry)
    hazards = [(h.code, h.path, h.line) for h in result.hazards]
    assert hazards == [("host-binary-copied", "Dockerfile", 4)]
    assert result.readiness is Readiness.NEEDS_SCRIPT_CHANGES
