"""The buildx and skopeo command lines: pure argv, nothing runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.build.buildx import (
    buildx_build_argv,
    buildx_inspect_argv,
    listed_platforms,
    local_output,
    mirrored_bases,
    oci_output,
    push_archive_argv,
)
from bot.model import AMD64, ARM64, Digest, ImageRef, Platform


def test_buildx_argv_for_a_multi_arch_oci_export() -> None:
    argv = buildx_build_argv(
        Path("/ctx"),
        platforms=[AMD64, ARM64],
        tags=["127.0.0.1:5000/library/busybox:stable"],
        dockerfile=Path("/ctx/Dockerfile.alt"),
        build_args={"B": "2", "A": "1"},
        output=oci_output(Path("/state/out.tar")),
        provenance=False,
        docker_cli=Path("/usr/bin/docker"),
    )
    assert argv == (
        "/usr/bin/docker", "buildx", "build", "--progress", "plain", "--network", "none",
        "--platform", "linux/amd64,linux/arm64",
        "--file", "/ctx/Dockerfile.alt",
        "--tag", "127.0.0.1:5000/library/busybox:stable",
        "--build-arg", "A=1", "--build-arg", "B=2",
        "--provenance=false",
        "--output", "type=oci,dest=/state/out.tar",
        "/ctx",
    )  # fmt: skip


def test_buildx_argv_for_one_platform_loaded_into_the_engine_by_a_named_builder() -> None:
    argv = buildx_build_argv(
        Path("/repo/app"),
        platforms=[ARM64],
        tags=["multiarch-bot-verify/app-1234abcd:arm64"],
        dockerfile=Path("/repo/app/docker/Dockerfile"),
        target="runtime",
        base_images={"docker.io/library/node:18": "127.0.0.1:5000/library/node:18"},
        load=True,
        builder="arm-native",
        metadata_file=Path("/tmp/w/metadata.json"),
        progress="rawjson",
    )
    assert argv == (
        "/usr/bin/docker", "buildx", "build", "--builder", "arm-native",
        "--progress", "rawjson", "--network", "none", "--platform", "linux/arm64",
        "--file", "/repo/app/docker/Dockerfile",
        "--target", "runtime",
        "--tag", "multiarch-bot-verify/app-1234abcd:arm64",
        "--build-context", "docker.io/library/node:18=docker-image://127.0.0.1:5000/library/node:18",
        "--load",
        "--metadata-file", "/tmp/w/metadata.json",
        "/repo/app",
    )  # fmt: skip


def test_buildx_argv_defaults_keep_attestations_and_can_push_over_the_host_network() -> None:
    argv = buildx_build_argv(Path("ctx"), platforms=[ARM64], tags=["r/x:1"], push=True, network="host")
    assert "--provenance" not in " ".join(argv)
    assert "--builder" not in argv  # buildx's current builder
    assert argv[-2:] == ("--push", "ctx")
    assert argv[argv.index("--network") + 1] == "host"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"platforms": []}, "at least one platform"),
        ({"push": True, "output": "type=local,dest=x"}, "exclusive"),
        ({"load": True, "output": "type=local,dest=x"}, "exclusive"),
        ({"load": True, "push": True}, "exclusive"),
        ({"network": "bridge"}, "no bridge"),
        ({"tags": ["--push"]}, "invalid tag"),
        ({"tags": ["a b"]}, "invalid tag"),
        ({"build_args": {"-x": "1"}}, "invalid build-arg name"),
        ({"build_args": {"A=B": "1"}}, "invalid build-arg name"),
        ({"target": "--push"}, "invalid target"),
        ({"builder": "--help"}, "invalid builder name"),
        ({"builder": "a/b"}, "invalid builder name"),
        ({"base_images": {"node=x": "r/node:1"}}, "invalid base image"),
        ({"base_images": {"node": "-r"}}, "invalid image"),
    ],
)
def test_buildx_argv_refuses_what_would_be_misread(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"platforms": [AMD64]} | kwargs
    with pytest.raises(ValueError, match=message):
        buildx_build_argv(Path("ctx"), **arguments)  # type: ignore[arg-type]


def test_output_specs_refuse_a_comma_in_the_path() -> None:
    assert local_output(Path("/o")) == "type=local,dest=/o"
    with pytest.raises(ValueError, match="comma"):
        oci_output(Path("/a,b.tar"))


def test_push_archive_argv_copies_every_manifest_with_its_digest() -> None:
    argv = push_archive_argv(Path("/s/x.tar"), "127.0.0.1:5000/library/node:lts", plain_http=True)
    assert argv == (
        "skopeo", "copy", "--all", "--preserve-digests", "--quiet", "--dest-tls-verify=false",
        "oci-archive:/s/x.tar", "docker://127.0.0.1:5000/library/node:lts",
    )  # fmt: skip


def test_inspect_argv_bootstraps_the_named_or_current_builder() -> None:
    assert buildx_inspect_argv() == ("/usr/bin/docker", "buildx", "inspect", "--bootstrap")
    assert buildx_inspect_argv("remote-arm")[-1] == "remote-arm"


def test_listed_platforms_joins_every_node_and_ignores_what_it_cannot_read() -> None:
    output = """Name:          mixed
Driver:        remote

Nodes:
Name:      amd
Endpoint:  tcp://127.0.0.1:1234
Platforms: linux/amd64, linux/amd64/v2, linux/386

Name:      arm
Endpoint:  tcp://127.0.0.1:1235
Platforms: linux/arm64*, linux/arm/v7, plan9/amd64
"""
    assert listed_platforms(output) == (
        AMD64,
        Platform("linux", "amd64", "v2"),
        Platform("linux", "386"),
        ARM64,
        Platform("linux", "arm", "v7"),
    )
    assert listed_platforms("Name: broken\n") == ()


def test_mirrored_bases_build_each_hub_image_from_the_mirror_keeping_tag_and_digest() -> None:
    digest = Digest("sha256:" + "c" * 64)
    refs = [
        ImageRef("docker.io", "library/node", "lts-alpine3.10"),
        ImageRef("docker.io", "library/busybox", "stable", digest),
        ImageRef("ghcr.io", "acme/tool", "1"),  # no mirror: BuildKit pulls it as written
    ]
    assert mirrored_bases(refs, {"docker.io": "http://127.0.0.1:5000/"}) == {
        "docker.io/library/node:lts-alpine3.10": "127.0.0.1:5000/library/node:lts-alpine3.10",
        f"docker.io/library/busybox:stable@{digest}": f"127.0.0.1:5000/library/busybox:stable@{digest}",
    }
    assert mirrored_bases(refs, {}) == {}
