"""Smoke runs on the real engine: arm64 under QEMU, timeouts, missing entrypoints, wrong-arch binaries."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import docker
import pytest

from bot.build.container import LABEL, containers_labelled
from bot.build.smoke import kept_running, smoke_run
from bot.model import AMD64, ARM64, Outcome, Platform
from tests.support.images import FixtureImages

pytestmark = pytest.mark.docker
TEST_LABEL = "multiarch-bot.test"


@pytest.fixture
def run_id(client: docker.DockerClient) -> Iterator[str]:
    """A label value for this test's containers; none may be left behind, whatever the outcome."""
    value = uuid.uuid4().hex
    yield value
    assert containers_labelled(client, TEST_LABEL, value) == ()


@pytest.mark.parametrize(("platform", "machine"), [(AMD64, "x86_64"), (ARM64, "aarch64")])
def test_version_probe_passes_and_shows_the_machine_it_ran_on(
    images: FixtureImages, client: docker.DockerClient, run_id: str, platform: Platform, machine: str
) -> None:
    run = smoke_run(client, images.get("probe", platform), platform, labels={TEST_LABEL: run_id})
    assert (run.outcome, run.exit_code, run.error) == (Outcome.PASSED, 0, "")
    assert run.command == ("/usr/local/bin/probe", "--version")
    assert run.output_tail == (f"probe 1.0 on {machine}",)  # arm64: QEMU says aarch64
    assert run.platform == platform
    assert 0 < run.seconds < 10


@pytest.mark.parametrize(("platform", "machine"), [(AMD64, "x86_64"), (ARM64, "aarch64")])
def test_shell_image_is_probed_with_uname(
    images: FixtureImages, client: docker.DockerClient, run_id: str, platform: Platform, machine: str
) -> None:
    run = smoke_run(client, images.get("shell", platform), platform, labels={TEST_LABEL: run_id})
    assert (run.outcome, run.command, run.output_tail) == (
        Outcome.PASSED,
        ("sh", "-c", "uname -m"),
        (machine,),
    )


def test_amd64_shell_in_an_arm64_image_is_caught_by_uname(
    images: FixtureImages, client: docker.DockerClient, run_id: str
) -> None:
    # The amd64 busybox runs natively on this amd64 host: only what it says gives it away.
    run = smoke_run(client, images.get("wrong-shell", ARM64), ARM64, labels={TEST_LABEL: run_id})
    assert run.outcome is Outcome.FAILED
    assert run.output_tail == ("x86_64",)
    assert "uname -m says 'x86_64' in a linux/arm64 container" in run.error


def test_amd64_binary_in_an_arm64_image_runs_here_so_the_smoke_run_cannot_tell(
    images: FixtureImages, client: docker.DockerClient, run_id: str
) -> None:
    """Why the binary check exists: QEMU's fix-binary flag is irrelevant to an amd64 binary on an
    amd64 host — the kernel runs it natively, in an arm64 container, without any exec format error.

    Here the binary is busybox named ``tini``: it runs, and fails for its own reason (no applet of
    that name). A real amd64 tini would have passed.
    """
    run = smoke_run(client, images.get("wrong-tini", ARM64), ARM64, labels={TEST_LABEL: run_id})
    assert "tini: applet not found" in run.output_tail  # the amd64 program ran and spoke
    assert (run.outcome, run.exit_code) == (Outcome.FAILED, 127)
    assert run.command == ("/usr/local/bin/tini",)  # after --version and --help also exited 127
    assert "exec format error" not in run.error
    assert "--version → 127" in run.error


def test_server_that_keeps_running_passes_within_its_probe_share(
    images: FixtureImages, client: docker.DockerClient, run_id: str
) -> None:
    started = time.monotonic()
    run = smoke_run(client, images.get("server", ARM64), ARM64, timeout=4, labels={TEST_LABEL: run_id})
    assert time.monotonic() - started < 4
    assert run.outcome is Outcome.PASSED
    assert kept_running(run)
    assert run.command == ("/usr/local/bin/server", "--version")
    assert run.output_tail == ("server: listening (ignoring --version)",)


def test_command_that_sleeps_forever_times_out_and_leaves_no_container(
    images: FixtureImages, client: docker.DockerClient, run_id: str
) -> None:
    started = time.monotonic()
    run = smoke_run(
        client,
        images.get("shell", ARM64),
        ARM64,
        command=["sleep", "3600"],
        timeout=2,
        labels={TEST_LABEL: run_id},
    )
    assert time.monotonic() - started < 10
    assert (run.outcome, run.exit_code, run.command) == (Outcome.TIMEOUT, None, ("sleep", "3600"))
    assert 2 <= run.seconds < 4
    assert "still running after 2s" in run.error
    assert containers_labelled(client, TEST_LABEL, run_id) == ()  # the fixture checks again, after failures
    assert run_id not in {
        c.labels.get(TEST_LABEL) for c in client.containers.list(all=True, filters={"label": LABEL})
    }


def test_configured_command_that_fails_is_failed_with_its_exit_code(
    images: FixtureImages, client: docker.DockerClient, run_id: str
) -> None:
    run = smoke_run(
        client,
        images.get("shell", AMD64),
        AMD64,
        command=["sh", "-c", "echo broken >&2; exit 3"],
        labels={TEST_LABEL: run_id},
    )
    assert (run.outcome, run.exit_code, run.output_tail) == (Outcome.FAILED, 3, ("broken",))
    assert run.error == "exited with 3"


@pytest.mark.parametrize("platform", [AMD64, ARM64])
def test_missing_entrypoint_fails_with_a_clear_error(
    images: FixtureImages, client: docker.DockerClient, run_id: str, platform: Platform
) -> None:
    run = smoke_run(client, images.get("missing-entrypoint", platform), platform, labels={TEST_LABEL: run_id})
    assert run.outcome is Outcome.FAILED
    assert run.error == "the entrypoint /usr/local/bin/nonexistent does not exist in the image"
    assert run.exit_code is None


def test_image_without_the_platform_variant_fails(
    images: FixtureImages, client: docker.DockerClient, run_id: str
) -> None:
    run = smoke_run(client, images.get("shell", ARM64), AMD64, labels={TEST_LABEL: run_id})
    assert run.outcome is Outcome.FAILED
    assert "has no linux/amd64 variant (its config says arm64)" in run.error


def test_image_not_in_the_engine_is_unverified(client: docker.DockerClient) -> None:
    run = smoke_run(client, "multiarch-bot-test/never-built:1", AMD64)
    assert (run.outcome, run.error) == (
        Outcome.UNVERIFIED,
        "multiarch-bot-test/never-built:1 is not in the engine",
    )
