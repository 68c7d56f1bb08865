"""The binary check on the real engine: ELF machines read from created, never started, containers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import docker
import pytest

from bot.build.container import containers_labelled
from bot.build.inspect import check_binaries
from bot.model import AMD64, ARM64, Outcome, Platform, WrongArchBinary
from tests.support.images import FixtureImages

pytestmark = pytest.mark.docker
TEST_LABEL = "multiarch-bot.test"


@pytest.fixture
def labels(client: docker.DockerClient) -> Iterator[dict[str, str]]:
    """Labels for this test's containers; none may be left behind, whatever the outcome."""
    value = uuid.uuid4().hex
    yield {TEST_LABEL: value}
    assert containers_labelled(client, TEST_LABEL, value) == ()


@pytest.mark.parametrize("platform", [AMD64, ARM64])
def test_correct_image_passes_on_both_platforms(
    images: FixtureImages, client: docker.DockerClient, labels: dict[str, str], platform: Platform
) -> None:
    check = check_binaries(client, images.get("probe", platform), platform, labels=labels)
    # The entrypoint is a #! script: its /bin/sh resolves to /bin/busybox, the image's one ELF program.
    assert (check.outcome, check.checked, check.wrong, check.error) == (Outcome.PASSED, 1, (), "")
    assert check.platform == platform


def test_amd64_tini_in_an_arm64_image_is_named(
    images: FixtureImages, client: docker.DockerClient, labels: dict[str, str]
) -> None:
    check = check_binaries(client, images.get("wrong-tini", ARM64), ARM64, labels=labels)
    assert check.outcome is Outcome.FAILED
    assert check.wrong == (WrongArchBinary("/usr/local/bin/tini", "amd64", "arm64"),)
    assert check.checked == 2  # tini and /bin/busybox
    assert check.error == "1 of 2 programs are not for linux/arm64: /usr/local/bin/tini is amd64"


def test_amd64_shell_found_through_path_and_symlink_is_named(
    images: FixtureImages, client: docker.DockerClient, labels: dict[str, str]
) -> None:
    # CMD ["sh"]: sh is found on PATH as /bin/sh, a symlink to /bin/busybox, which is amd64.
    check = check_binaries(client, images.get("wrong-shell", ARM64), ARM64, labels=labels)
    assert check.outcome is Outcome.FAILED
    assert check.wrong == (WrongArchBinary("/bin/busybox", "amd64", "arm64"),)


def test_missing_entrypoint_fails(
    images: FixtureImages, client: docker.DockerClient, labels: dict[str, str]
) -> None:
    check = check_binaries(client, images.get("missing-entrypoint", ARM64), ARM64, labels=labels)
    assert check.outcome is Outcome.FAILED
    assert check.error == "the entrypoint /usr/local/bin/nonexistent is not in the image"
    assert check.checked == 1  # the PATH directories were still read


def test_reading_stops_at_the_byte_limit_and_says_so(
    images: FixtureImages, client: docker.DockerClient, labels: dict[str, str]
) -> None:
    # 64 KiB: enough for the entrypoint script and its interpreter's header, not for the directories
    # (busybox's applet symlinks alone take half a megabyte of tar headers).
    check = check_binaries(client, images.get("probe", ARM64), ARM64, limit_bytes=64 * 1024, labels=labels)
    assert (check.outcome, check.checked) == (Outcome.PASSED, 1)
    assert check.error.startswith("not read to the end: stopped after 65536 bytes, in /usr/")


def test_reading_stops_at_the_file_limit_and_says_so(
    images: FixtureImages, client: docker.DockerClient, labels: dict[str, str]
) -> None:
    check = check_binaries(client, images.get("wrong-tini", ARM64), ARM64, limit_files=0, labels=labels)
    assert check.outcome is Outcome.FAILED  # the entrypoint is read before any directory
    assert [wrong.path for wrong in check.wrong] == ["/usr/local/bin/tini"]
    assert check.error.endswith("not read to the end: stopped after 0 files, in /usr/local/bin")


def test_image_without_the_platform_variant_fails(
    images: FixtureImages, client: docker.DockerClient, labels: dict[str, str]
) -> None:
    check = check_binaries(client, images.get("probe", ARM64), AMD64, labels=labels)
    assert check.outcome is Outcome.FAILED
    assert "has no linux/amd64 variant (its config says arm64)" in check.error


def test_image_not_in_the_engine_is_unverified(client: docker.DockerClient) -> None:
    check = check_binaries(client, "multiarch-bot-test/never-built:1", ARM64)
    assert (check.outcome, check.checked) == (Outcome.UNVERIFIED, 0)
